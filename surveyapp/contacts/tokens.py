"""The opaque handle a page gives a suggested partner region (contacts.queries finds the region
again): kept apart so that the dashboards can write it without importing the contacts."""

import hashlib
import hmac

from flask import current_app


def target_token(round_id: int, from_region_id: int, to_region_id: int) -> str:
    """An opaque handle of a suggested region for the page that shows the suggestion: a keyed
    hash (the app's secret key), so the page, its links and the API never carry the region's
    identity, and the server finds the region again by recomputing the suggestions."""
    key = current_app.secret_key
    key = key.encode() if isinstance(key, str) else key
    message = f"contact:{round_id}:{from_region_id}:{to_region_id}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]
