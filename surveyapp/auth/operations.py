"""Accounts: creating users, checking passwords, loading the user of a session."""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
from functools import lru_cache

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext as _nl
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import bindparam, select
from sqlalchemy.orm import undefer
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn

from surveyapp.audit.operations import log_event
from surveyapp.auth.models import Role, User, new_session_token
from surveyapp.auth.queries import find_user_by_email, normalize_email
from surveyapp.auth.signals import credentials_withdrawn
from surveyapp.extensions import db
from surveyapp.regions.models import Region

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
#: zxcvbn's score (0 to 4) a new password needs: 3 resists about 10^10 guesses, which an
#: online attack (slowed by auth.throttle) never makes and a stolen scrypt hash makes slowly.
MIN_PASSWORD_SCORE = 3
#: A password with the user's name or email in it needs this many other letters or digits.
MIN_OWN_CHARACTERS = 6
#: zxcvbn refuses longer text; the rest of a longer password only adds to its strength.
ZXCVBN_LENGTH = 72
#: zxcvbn keeps the user's own words in a module-level dictionary while it checks a password:
#: one check at a time, or two threads could check against each other's words.
_zxcvbn_lock = threading.Lock()
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """Checked when the email is unknown, so that a failed login takes as long either way.

    Made on first use: scrypt takes 80 ms and 32 MB, which report and build processes never need.
    """
    return generate_password_hash(secrets.token_urlsafe(16), method="scrypt")


class AccountError(ValueError):
    """A user cannot be created or changed as asked; the message says why."""


#: The signed-in user and the ids of its regions. Built once: building the statement costs
#: about as much as running it, on every request.
_USER = select(User).options(undefer(User.region_id_list)).where(User.id == bindparam("user_id"))


def load_user(user_id: str) -> User | None:
    """Flask-Login's loader: the cookie holds ``id:session_token``; a changed token logs out.

    One query, of the user alone: its row and the ids of its regions (User.region_id_list),
    which every permission check reads.
    """
    key, _, token = user_id.partition(":")
    if not key.isdigit() or not token:
        return None
    user = db.session.scalar(_USER, {"user_id": int(key)})
    if user is None or user.session_token != token or not user.active:
        return None
    return user


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
    email = _new_account_email(email)
    _check_name(name)
    if reason := check_new_password(password, [email, name]):
        raise AccountError(str(reason))
    if find_user_by_email(email) is not None:
        raise AccountError(f"a user with the email {email} already exists")
    if role == Role.officer and not regions:
        raise AccountError("an officer needs a region (--region CODE)")
    return _add_user(email, name, role, password, list(regions or []), actor)


def create_user_from_provider(email: str, name: str) -> User:
    """An officer account without a region for someone whose email an OpenID Connect provider
    verified (OIDC_ACCOUNTS=create); an administrator gives it regions. Its password is a
    random one nobody knows: it signs in through the provider (or after a reset link).
    """
    email = _new_account_email(email)
    _check_name(name)
    if find_user_by_email(email) is not None:
        raise AccountError(f"a user with the email {email} already exists")
    return _add_user(email, name, Role.officer, secrets.token_urlsafe(32), [], None, via="oidc")


def link_identity(user: User, issuer: str, subject: str) -> None:
    """Link the account to the OpenID Connect identity it signed in as (auth.oidc)."""
    user.oidc_issuer, user.oidc_subject = issuer, subject
    log_event("user.oidc_linked", "user", user.id, user=user, new_value={"issuer": issuer})


def unlink_identity(user: User, actor: User | None = None) -> None:
    """Forget the account's OpenID Connect identity: its next sign-in through the provider is
    matched by the verified email again (a person's new identity at the provider)."""
    if user.oidc_subject is None:
        raise AccountError(f"{user.email} is not linked to an identity of the provider")
    old = {"issuer": user.oidc_issuer}
    user.oidc_issuer = user.oidc_subject = None
    log_event("user.oidc_unlinked", "user", user.id, user=actor, old_value=old)


def is_email_address(email: str) -> bool:
    """Whether ``email`` (normalized as accounts keep it) is an address an account can have."""
    email = normalize_email(email)
    return bool(EMAIL.fullmatch(email)) and len(email) <= 254


def _new_account_email(email: str) -> str:
    if not is_email_address(email):
        raise AccountError(f"{normalize_email(email)!r} is not an email address")
    return normalize_email(email)


def _check_name(name: str) -> None:
    if not name.strip():
        raise AccountError("the name is empty")
    if len(name) > 200 or any(ord(char) < 32 for char in name) or len(name.splitlines()) > 1:
        raise AccountError("the name must be at most 200 characters, on one line")


def _add_user(
    email: str,
    name: str,
    role: Role,
    password: str,
    regions: list[Region],
    actor: User | None,
    via: str | None = None,
) -> User:
    """The new account, stored, with its audit event (``via``: the way its owner made it
    themselves, who is then its actor)."""
    user = User(email=email, name=name.strip(), role=role, regions=regions)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    new_value = {"email": email, "role": str(role), "regions": [r.code for r in user.regions]}
    if via:
        new_value["via"] = via
        actor = user
    log_event("user.created", "user", user.id, user=actor, new_value=new_value)
    return user


def end_all_sessions(user: User) -> None:
    """Sign the user out everywhere: every cookie holds the old session token."""
    user.session_token = new_session_token()


def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="password-reset")


def _password_fingerprint(user: User) -> str:
    # Part of the token: once the password changes, every earlier link stops working.
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def reset_token(user: User) -> str:
    """A one-time token for the user to choose a new password: it stops working when the
    password changes or after ``PASSWORD_RESET_MAX_AGE``."""
    return _reset_serializer().dumps({"user": user.id, "fp": _password_fingerprint(user)})


def issue_reset_token(user: User, actor: User) -> str:
    """A reset token made by an administrator, to hand to the user, with its audit event.

    :raises AccountError: the account is deactivated (its link would not work).
    """
    if not user.active:
        raise AccountError("the account is deactivated: reactivate it first")
    log_event("user.reset_link_issued", "user", user.id, user=actor)
    return reset_token(user)


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


#: Why a password is easy to guess, by the kind of pattern zxcvbn found in most of it.
_GUESSABLE = {
    "passwords": _l(
        "This is a common password, or close to one: attackers try those first. Choose a few "
        "unrelated words instead."
    ),
    "user_inputs": _l(
        "The password is made of your email address or name, which attackers try first. "
        "Choose a few unrelated words instead."
    ),
    "words": _l(
        "Common words and names on their own are easy to guess. Add another word or two: "
        "uncommon words are better."
    ),
    "spatial": _l(
        "Rows of keys such as “qwerty” are easy to guess. Choose a few unrelated words instead."
    ),
    "repeat": _l(
        "Repeated characters or words such as “aaa” or “abcabc” are easy to guess. Choose "
        "a few unrelated words instead."
    ),
    "sequence": _l(
        "Sequences such as “abc” or “6543” are easy to guess. Choose a few unrelated words instead."
    ),
    "dates": _l("Years and dates are easy to guess. Choose a few unrelated words instead of them."),
}
_TOO_EASY = _l(
    "This password is too easy to guess. Add another word or two: uncommon words are better."
)


def _why_guessable(sequence: list[dict]):
    """The reason for the pattern that covers most of the password (zxcvbn's matches)."""
    found = [match for match in sequence if match.get("pattern") != "bruteforce"]
    if not found:
        return _TOO_EASY
    match = max(found, key=lambda match: len(match.get("token", "")))
    kind = match["pattern"]
    if kind == "dictionary":
        name = match.get("dictionary_name")
        kind = name if name in ("passwords", "user_inputs") else "words"
    elif kind in ("regex", "date"):
        kind = "dates"
    return _GUESSABLE.get(kind, _TOO_EASY)


def _only_personal(password: str, personal: list[str]) -> bool:
    """Whether the password is the user's own words (name, email, their parts) with little
    else: zxcvbn scored "Ada Admin admin@demo.example" strong, the space between its two
    halves counted as a guess of its own."""
    rest = password.casefold()
    for text in sorted({text.casefold() for text in personal if text}, key=len, reverse=True):
        rest = rest.replace(text, "")
    if rest == password.casefold():
        return False
    # What is left besides spaces and signs must be a password of its own: a year, "123456"
    # or "qwerty" after the name is no secret.
    own = re.sub(r"[\W_]+", "", rest)
    if len(own) < MIN_OWN_CHARACTERS:
        return True
    with _zxcvbn_lock:
        return zxcvbn(own[:ZXCVBN_LENGTH], user_inputs=personal)["score"] < MIN_PASSWORD_SCORE


def check_new_password(password: str, personal: list[str] | tuple[str, ...] = ()):
    """Why the password cannot be used (a translatable message), or None.

    :param personal: the user's own words (email, name), which make a password guessable.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        return _nl(
            "Use at least %(num)d character.",
            "Use at least %(num)d characters.",
            MIN_PASSWORD_LENGTH,
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        return _l("Use at most %(num)d characters.", num=MAX_PASSWORD_LENGTH)
    words = [word for text in personal for word in re.split(r"[\s@.]+", text) if len(word) > 2]
    if _only_personal(password, [*personal, *words]) or _only_personal(
        password[::-1], [*personal, *words]
    ):
        return _GUESSABLE["user_inputs"]
    with _zxcvbn_lock:
        result = zxcvbn(password[:ZXCVBN_LENGTH], user_inputs=[*personal, *words])
    if result["score"] < MIN_PASSWORD_SCORE:
        return _why_guessable(result["sequence"])
    return None


def _replace_password(user: User, password: str, reason: str, actor: User | None) -> None:
    """Set a new password (refused with AccountError when guessable), end every session and
    withdraw whatever else let the user in (API tokens)."""
    if why := check_new_password(password, [user.email, user.name]):
        raise AccountError(str(why))
    user.set_password(password)
    end_all_sessions(user)
    credentials_withdrawn.send(user, actor=actor, reason=reason)


def reset_password(user: User, password: str) -> None:
    """Set a new password through a reset link; ends the user's sessions and API tokens."""
    _replace_password(user, password, "password_reset", user)
    log_event("user.password_reset", "user", user.id, user=user)


def change_password(user: User, password: str) -> None:
    """The user's own change (the current password checked by the caller); ends every session
    (the caller signs this one in again) and API tokens."""
    _replace_password(user, password, "password_changed", user)
    log_event("user.password_changed", "user", user.id, user=user)


def set_language(user: User, language: str | None) -> None:
    """The user's interface language (None: follow the browser); a preference, not audited."""
    user.language = language


def update_user(
    user: User, name: str, role: Role, regions: list[Region], actor: User | None
) -> None:
    """Change an account's name, role and regions, with its audit event; it takes effect on the
    user's next request."""
    _check_name(name)
    old = {"role": str(user.role), "regions": [r.code for r in user.regions]}
    user.name = name.strip()
    user.role = role
    user.regions = regions
    log_event(
        "user.changed",
        "user",
        user.id,
        user=actor,
        old_value=old,
        new_value={"role": str(role), "regions": [r.code for r in regions]},
    )


def set_active(user: User, active: bool, actor: User | None) -> None:
    """Deactivate (access ends at once: sessions and API tokens) or reactivate an account."""
    if user.active == active:
        return
    user.active = active
    if not active:
        end_all_sessions(user)
        credentials_withdrawn.send(user, actor=actor, reason="deactivated")
    log_event("user.activated" if active else "user.deactivated", "user", user.id, user=actor)
