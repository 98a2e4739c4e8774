"""Accounts: creating users, checking passwords, loading the user of a session."""

from __future__ import annotations

import re
import secrets

from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from surveyapp.audit.operations import log_event
from surveyapp.auth.models import Role, User
from surveyapp.extensions import db
from surveyapp.regions.models import Region

MIN_PASSWORD_LENGTH = 12
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
#: Checked when the email is unknown, so that a failed login takes as long either way.
_DUMMY_HASH = generate_password_hash(secrets.token_urlsafe(16), method="scrypt")


class AccountError(ValueError):
    """A user cannot be created or changed as asked; the message says why."""


def normalize_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).filter_by(email=normalize_email(email)))


def load_user(user_id: str) -> User | None:
    """Flask-Login's loader: the cookie holds ``id:session_token``; a changed token logs out."""
    key, _, token = user_id.partition(":")
    if not key.isdigit() or not token:
        return None
    user = db.session.get(User, int(key))
    if user is None or user.session_token != token or not user.active:
        return None
    return user


def authenticate(email: str, password: str) -> User | None:
    """The active user with this email and password, or None."""
    user = find_user_by_email(email)
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    return user


def create_user(
    email: str,
    name: str,
    role: Role,
    password: str,
    regions: list[Region] | None = None,
    actor: User | None = None,
) -> User:
    """Add a user; officers need at least one region."""
    email = normalize_email(email)
    if not EMAIL.fullmatch(email) or len(email) > 254:
        raise AccountError(f"{email!r} is not an email address")
    if not name.strip():
        raise AccountError("the name is empty")
    if len(name) > 200 or any(ord(char) < 32 for char in name):
        raise AccountError("the name must be at most 200 characters, on one line")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    if find_user_by_email(email) is not None:
        raise AccountError(f"a user with the email {email} already exists")
    if role == Role.officer and not regions:
        raise AccountError("an officer needs a region (--region CODE)")
    user = User(email=email, name=name.strip(), role=role, regions=list(regions or []))
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    log_event(
        "user.created",
        "user",
        user.id,
        user=actor,
        new_value={"email": email, "role": str(role), "regions": [r.code for r in user.regions]},
    )
    return user
