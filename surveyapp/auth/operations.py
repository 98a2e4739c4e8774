"""Accounts: creating users, checking passwords, loading the user of a session."""

from __future__ import annotations

import hashlib
import re
import secrets
from functools import lru_cache

from flask import current_app, g, has_request_context, request
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext as _nl
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import with_expression
from werkzeug.security import check_password_hash, generate_password_hash

from surveyapp.audit.operations import log_event
from surveyapp.auth.models import (
    PlainUser,
    Role,
    User,
    new_session_token,
    region_memberships,
)
from surveyapp.auth.queries import find_user_by_email, normalize_email
from surveyapp.db import comma_list
from surveyapp.extensions import db
from surveyapp.notifications.queries import unread_count_of
from surveyapp.regions.models import Region

MIN_PASSWORD_LENGTH = 12
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """Checked when the email is unknown, so that a failed login takes as long either way.

    Made on first use: scrypt takes 80 ms and 32 MB, which report and build processes never need.
    """
    return generate_password_hash(secrets.token_urlsafe(16), method="scrypt")


class AccountError(ValueError):
    """A user cannot be created or changed as asked; the message says why."""


def _region_id_list(user_id):
    """The ids of the user's regions, comma-separated ('' without any), as a subquery."""
    return (
        select(func.coalesce(comma_list(region_memberships.c.region_id), ""))
        .where(region_memberships.c.user_id == user_id)
        .scalar_subquery()
    )


#: The signed-in user with what most pages read besides, in the same query: the ids of the
#: regions (permission checks) and the header's count of unread notifications. Built once:
#: building the statement costs about as much as running it, on every request.
_USER_FOR_REQUEST = (
    select(User)
    .options(
        with_expression(User.region_id_list, _region_id_list(User.id)),
        with_expression(User.unread_notifications, unread_count_of(User.id)),
    )
    .where(User.id == bindparam("user_id"))
)
_users = User.__table__
#: The same as plain columns, PlainUser's arguments in order, for a view that only shows.
_PLAIN_USER_FOR_REQUEST = select(
    _users.c.id,
    _users.c.email,
    _users.c.name,
    _users.c.role,
    _users.c.active,
    _users.c.session_token,
    _region_id_list(_users.c.id),
    unread_count_of(_users.c.id),
).where(_users.c.id == bindparam("user_id"))
_PLAIN_USER_COLUMNS = len(_PLAIN_USER_FOR_REQUEST.selected_columns)


def read_with_user(extend, *view_args: str, plain: bool = False):
    """Mark a view whose own read comes in the signed-in user's query (load_user), not in a
    query of its own: on PostgreSQL each statement costs the worker about as much as a fifth
    of a section page, whatever it reads.

    :param extend: adds what the view reads to the user's statement (columns, outer joins,
        loader options), with bind parameters named as the view's arguments ``view_args``.
    :param plain: the view only shows things and never hands the user to an operation: the
        user comes as a PlainUser and ``extend`` gets a statement of plain columns, which
        spares the ORM's work of building objects from the row.
    The view takes what was read with taken_with_user() and checks, as always, whether the
    user may see it.
    """
    statement = extend(_PLAIN_USER_FOR_REQUEST if plain else _USER_FOR_REQUEST)

    def mark(view):
        view.read_with_user = (statement, view_args, plain)
        return view

    return mark


#: Set in ``g`` by load_user for a view marked @read_with_user: (its arguments, what was read).
_READ_WITH_USER = "surveyapp_read_with_user"
#: taken_with_user(): not read with the user (read it now).
NOT_READ = object()


def taken_with_user(**view_args):
    """What a @read_with_user view reads, for these values of its arguments, as read with the
    user: the row's other columns as a tuple (each None where the outer join found no row); or
    NOT_READ when it was not read with the user (another view, other values, or taken already).
    """
    read = g.pop(_READ_WITH_USER, None)
    if read is None or read[0] != view_args:
        return NOT_READ
    return read[1]


def load_user(user_id: str) -> User | PlainUser | None:
    """Flask-Login's loader: the cookie holds ``id:session_token``; a changed token logs out.

    A User, or a PlainUser for a view marked @read_with_user(plain=True).
    """
    key, _, token = user_id.partition(":")
    if not key.isdigit() or not token:
        return None
    params = {"user_id": int(key)}
    view = current_app.view_functions.get(request.endpoint) if has_request_context() else None
    statement, names, plain = getattr(view, "read_with_user", (None, (), False))
    values = {name: (request.view_args or {}).get(name) for name in names}
    if not names or None in values.values():
        user, read = db.session.execute(_USER_FOR_REQUEST, params).scalar(), NOT_READ
    else:
        found = db.session.execute(statement, {**params, **values}).first()
        if found is None:
            user, read = None, None
        elif plain:
            user = PlainUser(*found[:_PLAIN_USER_COLUMNS])
            read = tuple(found[_PLAIN_USER_COLUMNS:])
        else:
            user, read = found[0], tuple(found[1:])
    if user is None or user.session_token != token or not user.active:
        return None
    if read is not NOT_READ:
        setattr(g, _READ_WITH_USER, (values, read))
    return user


def forget_read_with_user() -> None:
    """At the end of a request: the app context, and so ``g``, may outlive it (tests)."""
    g.pop(_READ_WITH_USER, None)


def authenticate(email: str, password: str) -> User | None:
    """The active user with this email and password, or None."""
    user = find_user_by_email(email)
    if user is None:
        check_password_hash(_dummy_hash(), password)
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
    if check_new_password(password):
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


def end_all_sessions(user: User) -> None:
    """Sign the user out everywhere: every cookie holds the old session token."""
    user.session_token = new_session_token()


def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="password-reset")


def _password_fingerprint(user: User) -> str:
    # Part of the token: once the password changes, every earlier link stops working.
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def issue_reset_token(user: User, actor: User) -> str:
    """A one-time token for the user to choose a new password (shown to the administrator)."""
    log_event("user.reset_link_issued", "user", user.id, user=actor)
    return _reset_serializer().dumps({"user": user.id, "fp": _password_fingerprint(user)})


def user_for_reset_token(token: str) -> User | None:
    """The user the token was issued for, if it is genuine, unused and not expired."""
    try:
        data = _reset_serializer().loads(
            token, max_age=current_app.config["PASSWORD_RESET_MAX_AGE"]
        )
    except BadSignature:  # also SignatureExpired
        return None
    user = db.session.get(User, data.get("user")) if isinstance(data, dict) else None
    if user is None or not user.active or data.get("fp") != _password_fingerprint(user):
        return None
    return user


def check_new_password(password: str) -> str | None:
    """Why the password cannot be used, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return _nl(
            "Use at least %(num)d character.",
            "Use at least %(num)d characters.",
            MIN_PASSWORD_LENGTH,
        )
    if len(password) > 1024:
        return _l("Use at most 1024 characters.")
    return None


def reset_password(user: User, password: str) -> None:
    """Set a new password and end the user's other sessions."""
    user.set_password(password)
    end_all_sessions(user)
    log_event("user.password_reset", "user", user.id, user=user)
