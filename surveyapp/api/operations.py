"""Issue, check and revoke API tokens."""

import hashlib
import secrets
from datetime import datetime

from flask import g, request
from sqlalchemy import select

from surveyapp.api.models import ApiToken
from surveyapp.audit.operations import log_event
from surveyapp.auth.models import User
from surveyapp.auth.signals import credentials_withdrawn
from surveyapp.db import as_utc, utcnow
from surveyapp.extensions import db

#: Tokens start with this, so leaked ones are easy to recognise (and to search for).
PREFIX = "s3t_"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User, name: str, expires_at: datetime | None = None) -> str:
    """Create a token for ``user`` and return it; it cannot be read back later.

    :param expires_at: when it stops working (None: when revoked, or when the user's password
        changes or the account is deactivated).
    """
    token = PREFIX + secrets.token_urlsafe(32)
    db.session.add(
        ApiToken(
            user=user,
            name=name.strip()[:100] or "API",
            token_hash=_hash(token),
            expires_at=expires_at,
        )
    )
    db.session.flush()
    new_value = {"name": name, "expires_at": expires_at.isoformat()} if expires_at else name
    log_event("api_token.issued", "user", user.id, user=user, new_value=new_value)
    return token


def revoke_token(token: ApiToken, user: User | None, reason: str | None = None) -> None:
    """Delete the token; ``reason`` says why when it was not its owner's choice."""
    db.session.delete(token)
    log_event(
        "api_token.revoked",
        "user",
        token.user_id,
        user=user,
        old_value=token.name,
        new_value={"reason": reason} if reason else None,
    )


@credentials_withdrawn.connect
def revoke_all_tokens(user: User, actor: User | None = None, reason: str | None = None) -> int:
    """Revoke every token of ``user`` (password reset or changed, account deactivated)."""
    tokens = db.session.scalars(select(ApiToken).filter_by(user_id=user.id)).all()
    for token in tokens:
        revoke_token(token, actor, reason)
    return len(tokens)


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
    if found.is_expired(now):
        return None
    last = found.last_used_at
    if last is None or (now - as_utc(last)).total_seconds() > 60:
        found.last_used_at = now  # written at most once a minute, not on every request
        db.session.commit()
    g.authenticated_by_token = True
    return found.user
