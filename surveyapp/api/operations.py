"""Issue, check and revoke API tokens."""

import hashlib
import secrets

from flask import g, request
from sqlalchemy import select

from surveyapp.api.models import ApiToken
from surveyapp.audit.operations import log_event
from surveyapp.auth.models import User
from surveyapp.db import utcnow
from surveyapp.extensions import db

#: Tokens start with this, so leaked ones are easy to recognise (and to search for).
PREFIX = "s3t_"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User, name: str) -> str:
    """Create a token for ``user`` and return it; it cannot be read back later."""
    token = PREFIX + secrets.token_urlsafe(32)
    db.session.add(ApiToken(user=user, name=name.strip()[:100] or "API", token_hash=_hash(token)))
    db.session.flush()
    log_event("api_token.issued", "user", user.id, user=user, new_value=name)
    return token


def revoke_token(token: ApiToken, user: User) -> None:
    db.session.delete(token)
    log_event("api_token.revoked", "user", token.user_id, user=user, old_value=token.name)


def user_from_request() -> User | None:
    """The active user whose token is in ``Authorization: Bearer ...``, on API paths only."""
    if not request.path.startswith("/api/"):
        return None
    scheme, _sep, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.startswith(PREFIX):
        return None
    found = db.session.scalar(select(ApiToken).filter_by(token_hash=_hash(token.strip())))
    if found is None or not found.user.is_active:
        return None
    now = utcnow()
    last = found.last_used_at
    if last is not None and last.tzinfo is None:
        last = last.replace(tzinfo=now.tzinfo)  # SQLite hands back naive UTC
    if last is None or (now - last).total_seconds() > 60:
        found.last_used_at = now  # written at most once a minute, not on every request
        db.session.commit()
    g.authenticated_by_token = True
    return found.user
