"""Keeping a section's posted answers when the session ended while the officer was typing.

The browser that posted gets a token in its session; after signing in again (the login view
carries the token over) the section page restores the answers into the form, unsaved, for the
officer to check and save. Nothing is written to the assessment without a signed-in officer.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask import current_app, session
from flask_login import current_user
from flask_wtf.csrf import validate_csrf
from sqlalchemy import delete, select
from werkzeug.datastructures import MultiDict
from wtforms import ValidationError

from surveyapp.assessments.models import FormStash
from surveyapp.auth.models import User
from surveyapp.db import utcnow
from surveyapp.extensions import db

SESSION_KEY = "stash_token"
#: Set when a session ends by timeout: whose answers a later post would be.
EXPIRED_USER_KEY = "expired_user"
#: The user this browser session was started for (auth.sessions.start_session); it stays after
#: the session ends by itself (idle, revoked), and goes with an explicit sign-out.
SIGNED_IN_USER_KEY = "signed_in_user"
KEEP_FOR = timedelta(days=7)
#: Stashes kept per user (one per browser, the newest): a post is up to MAX_FORM_MEMORY_SIZE,
#: and an ended session could otherwise post as many as it liked.
PER_USER = 3


def keep(path: str, form: MultiDict) -> bool:
    """Store the posted fields and remember the token in this browser's session; commits.

    Only a post from this browser's own page is kept: its CSRF token must match the session
    (so another site cannot plant answers), and the answers are bound to the user who was
    signed in, so that nobody else who signs in on the same browser sees them.
    """
    user_id = _previous_user_id()
    if current_app.config.get("WTF_CSRF_ENABLED", True):
        try:
            validate_csrf(form.get("csrf_token"))
        except ValidationError:
            return False
    if user_id is None:
        return False
    db.session.rollback()
    user = db.session.get(User, user_id)
    if user is None or not user.active:  # nobody to give the answers back to
        return False
    db.session.execute(delete(FormStash).where(FormStash.created_at < utcnow() - KEEP_FOR))
    previous = session.get(SESSION_KEY)
    if previous:  # this browser can only take back its latest post: it replaces the one before
        db.session.execute(
            delete(FormStash).where(FormStash.token == previous, FormStash.user_id == user_id)
        )
    data = [[name, value] for name, value in form.items(multi=True) if name != "csrf_token"]
    token = secrets.token_urlsafe(24)
    db.session.add(FormStash(token=token, path=path, data=data, user_id=user_id))
    db.session.flush()
    newest = (
        select(FormStash.token)
        .where(FormStash.user_id == user_id)
        .order_by(FormStash.created_at.desc(), FormStash.token)
        .limit(PER_USER)
    )
    db.session.execute(
        delete(FormStash).where(FormStash.user_id == user_id, FormStash.token.not_in(newest))
    )
    db.session.commit()
    session[SESSION_KEY] = token
    return True


def _previous_user_id() -> int | None:
    """The user this browser's session belonged to before it ended."""
    user_id = str(session.get(EXPIRED_USER_KEY) or session.get(SIGNED_IN_USER_KEY) or "")
    return int(user_id) if user_id.isdigit() else None


def pop_for(path: str) -> list | None:
    """The stashed fields for this page, removing them; None when there are none."""
    token = session.get(SESSION_KEY)
    if not token:
        return None
    stash = db.session.get(FormStash, token)
    if stash is None or stash.path != path or stash.user_id != current_user.id:
        return None
    session.pop(SESSION_KEY)
    data = [tuple(pair) for pair in stash.data]
    db.session.delete(stash)
    db.session.commit()
    return data
