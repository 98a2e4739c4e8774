"""Keeping a section's posted answers when the session ended while the officer was typing.

The browser that posted gets a token in its session; after signing in again (the login view
carries the token over) the section page restores the answers into the form, unsaved, for the
officer to check and save. Nothing is written to the assessment without a signed-in officer.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask import session
from sqlalchemy import delete
from werkzeug.datastructures import MultiDict

from surveyapp.assessments.models import FormStash
from surveyapp.db import utcnow
from surveyapp.extensions import db

SESSION_KEY = "stash_token"
KEEP_FOR = timedelta(days=7)


def keep(path: str, form: MultiDict) -> None:
    """Store the posted fields and remember the token in this browser's session; commits."""
    db.session.rollback()
    db.session.execute(delete(FormStash).where(FormStash.created_at < utcnow() - KEEP_FOR))
    data = [[name, value] for name, value in form.items(multi=True) if name != "csrf_token"]
    token = secrets.token_urlsafe(24)
    db.session.add(FormStash(token=token, path=path, data=data))
    db.session.commit()
    session[SESSION_KEY] = token


def pop_for(path: str) -> list | None:
    """The stashed fields for this page, removing them; None when there are none."""
    token = session.get(SESSION_KEY)
    if not token:
        return None
    stash = db.session.get(FormStash, token)
    if stash is None or stash.path != path:
        return None
    session.pop(SESSION_KEY)
    data = [tuple(pair) for pair in stash.data]
    db.session.delete(stash)
    db.session.commit()
    return data
