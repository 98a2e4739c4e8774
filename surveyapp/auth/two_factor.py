"""Two-factor authentication: time-based codes from an authenticator app (RFC 6238, pyotp)
and one-time recovery codes. Required for the roles in ``REQUIRE_2FA_FOR``, optional for the
others; callers commit.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from datetime import timedelta

import pyotp
import segno
from flask import current_app
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import delete, or_, select, update

from surveyapp.audit.operations import log_event
from surveyapp.auth.models import RecoveryCode, User
from surveyapp.auth.operations import end_all_sessions
from surveyapp.auth.sealing import SealError, is_sealed, needs_resealing, seal, unseal
from surveyapp.auth.signals import account_changed, credentials_withdrawn
from surveyapp.db import as_utc, utcnow
from surveyapp.extensions import db

#: How many recovery codes a user gets at a time.
RECOVERY_CODES = 10
#: Codes one step (30 s) early or late are accepted: a phone's clock may be off a little.
VALID_WINDOW = 1
#: Recovery codes are written in these 32 letters and digits (no 0/o, 1/l confusion).
CODE_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"
#: Wrong codes for one account, from any address, before each further one doubles the wait;
#: a right password never resets the count (only a right code does), so that someone who has
#: the password cannot guess the code by signing in again and again.
FREE_CODE_FAILURES = 5
CODE_DELAY_FIRST = 30  # seconds
CODE_DELAY_MAX = 15 * 60


class TwoFactorError(ValueError):
    """A code that is not right (the message is for the person who typed it)."""


class CodesUnavailable(TwoFactorError):
    """The app's codes cannot be checked now (no key of TOTP_KEYS opens the secret): not a
    wrong code, so not counted as a failure."""


def required_for(user: User) -> bool:
    """Whether the user's role must sign in with a second factor (``REQUIRE_2FA_FOR``)."""
    return str(user.role) in current_app.config["REQUIRE_2FA_FOR"]


def is_enabled(user: User) -> bool:
    return user.totp_enabled_at is not None


def new_secret() -> str:
    return pyotp.random_base32()


def opened_setup_secret(kept) -> str | None:
    """The secret being set up, as the session keeps it sealed; None when there is none (or
    one no key opens, or one kept in clear by an earlier version: set up afresh)."""
    if not isinstance(kept, str) or not is_sealed(kept):
        return None
    try:
        return unseal(kept)
    except SealError:
        return None


def provisioning_uri(user: User, secret: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(
        name=user.email, issuer_name=current_app.config["TWO_FACTOR_ISSUER"]
    )


def qr_code_svg(uri: str) -> Markup:
    """The address as an inline SVG QR code that scales to the box the page gives it (a
    viewBox, no fixed size: with one, the stylesheet's width cropped the code)."""
    code = segno.make(uri, error="m").svg_inline(scale=5, border=2, omitsize=True)
    return Markup(code)  # noqa: S704 (segno's own markup)


def _normalized(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def _totp_step(secret: str, code: str, after: int | None) -> int | None:
    """The time step the code belongs to (around now), if it is right and later than
    ``after``."""
    totp, code = pyotp.TOTP(secret), _normalized(code)
    if not code.isdigit() or len(code) != totp.digits:
        return None
    now = int(time.time()) // totp.interval
    for step in range(now - VALID_WINDOW, now + VALID_WINDOW + 1):
        if after is not None and step <= after:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _hash(code: str) -> str:
    """HMAC-SHA256 of the code under a key derived from SECRET_KEY: a stolen database alone
    does not let anyone try the 2^50 codes offline."""
    key = hashlib.sha256(b"surveyapp recovery codes\0" + current_app.config["SECRET_KEY"].encode())
    return hmac.new(key.digest(), _normalized(code).encode(), hashlib.sha256).hexdigest()


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(10))  # 50 bits
        code = f"{raw[:5]}-{raw[5:]}"
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_hash(code)))
        codes.append(code)
    return codes


def enable(user: User, secret: str, code: str) -> list[str]:
    """Turn two-factor authentication on with the secret the user's app was given, once the
    app's first code proves it; returns the recovery codes (shown once).

    :raises TwoFactorError: the code is not right.
    """
    step = _totp_step(secret, code, None)
    if step is None:
        raise TwoFactorError(
            _l("The code is not right. Check the time on your phone and try the next code.")
        )
    user.totp_secret, user.totp_enabled_at, user.totp_last_step = seal(secret), utcnow(), step
    log_event("user.two_factor_enabled", "user", user.id, user=user)
    return _new_recovery_codes(user)


def verify(user: User, code: str, signing_in: bool = False) -> str:
    """Check a code: the app's current code (each accepted once) or an unused recovery code
    (used up). Returns "totp" or "recovery". ``signing_in``: the second step of a sign-in, whose
    use of a recovery code the owner is told of by email (turning the factor off or renewing
    the codes tell their own).

    :raises TwoFactorError: neither.
    """
    if not is_enabled(user):
        raise TwoFactorError(_l("Two-factor authentication is not set up for this account."))
    stored = user.totp_secret
    secret = _secret_of(user)
    step = None if secret is None else _totp_step(secret, code, user.totp_last_step)
    # Each update is conditional, so that two requests racing with one code cannot both pass.
    if step is not None and _claim_step(user, step):
        _clear_failures(user)
        if needs_resealing(stored):  # in clear from before sealing, or under an older key
            _reseal(user.id, stored, seal(secret))
        return "totp"
    used = db.session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _hash(code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if used.rowcount == 1:
        _clear_failures(user)
        log_event("user.recovery_code_used", "user", user.id, user=user)
        if signing_in:
            account_changed.send(user, change="recovery_code_used", left=recovery_codes_left(user))
        return "recovery"
    if secret is None and _normalized(code).isdigit():
        # The app's code could not be checked (no key of TOTP_KEYS opens the secret: logged):
        # not the owner's failure, and not counted as one.
        raise CodesUnavailable(
            _l(
                "Codes from your app cannot be checked at the moment. Sign in with a recovery "
                "code, or ask an administrator."
            )
        )
    _count_failure(user)
    raise TwoFactorError(_l("The code is not right, or was used already."))


def _secret_of(user: User) -> str | None:
    """The user's TOTP secret, unsealed; None when no key of TOTP_KEYS opens it (logged: the
    owner can still sign in with a recovery code, and an administrator can reset the factor)."""
    try:
        return unseal(user.totp_secret)
    except SealError:
        current_app.logger.error(
            "The two-factor secret of user %s cannot be opened with TOTP_KEYS", user.id
        )
        return None


def _reseal(user_id: int, stored: str, replacement: str) -> bool:
    """Store ``replacement`` for the user's secret if it is still ``stored`` (a secret set up
    again meanwhile is never written over)."""
    changed = db.session.execute(
        update(User)
        .where(User.id == user_id, User.totp_secret == stored)
        .values(totp_secret=replacement)
        .execution_options(synchronize_session=False)
    )
    return changed.rowcount == 1


def reseal_secrets(in_clear: bool = False) -> tuple[int, int]:
    """Seal every stored secret under the first key of TOTP_KEYS (those in clear from before
    sealing, and those under an older key), or with ``in_clear`` store them unsealed (before a
    downgrade to a version without sealing): how many were written again, and how many no key
    opens (left as they are). Each is written only if unchanged since it was read. The caller
    commits."""
    written = unreadable = 0
    rows = db.session.execute(
        select(User.id, User.totp_secret).where(User.totp_secret.is_not(None))
    ).all()
    for user_id, stored in rows:
        if not (is_sealed(stored) if in_clear else needs_resealing(stored)):
            continue
        try:
            secret = unseal(stored)
        except SealError:
            unreadable += 1
            continue
        written += _reseal(user_id, stored, secret if in_clear else seal(secret))
    return written, unreadable


def _claim_step(user: User, step: int) -> bool:
    claimed = db.session.execute(
        update(User)
        .where(
            User.id == user.id,
            or_(User.totp_last_step.is_(None), User.totp_last_step < step),
        )
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount == 1:
        user.totp_last_step = step
        return True
    return False


def code_wait(user: User) -> int:
    """Seconds before the account may try another code (0: now)."""
    until = user.totp_blocked_until
    if until is None:
        return 0
    until = as_utc(until)  # SQLite keeps naive UTC
    return max(0, int((until - utcnow()).total_seconds() + 0.999))


def _count_failure(user: User) -> None:
    failures = (user.totp_failures or 0) + 1
    user.totp_failures = failures
    if failures > FREE_CODE_FAILURES:
        delay = min(CODE_DELAY_FIRST * 2 ** (failures - FREE_CODE_FAILURES - 1), CODE_DELAY_MAX)
        user.totp_blocked_until = utcnow() + timedelta(seconds=delay)


def _clear_failures(user: User) -> None:
    user.totp_failures, user.totp_blocked_until = 0, None


def recovery_codes_left(user: User) -> int:
    return len(
        db.session.scalars(
            select(RecoveryCode.id).where(
                RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
            )
        ).all()
    )


def regenerate_recovery_codes(user: User, code: str) -> list[str]:
    """New recovery codes (the old ones stop working), after a code from the app."""
    verify(user, code)
    log_event("user.recovery_codes_renewed", "user", user.id, user=user)
    account_changed.send(user, change="recovery_codes_renewed")
    return _new_recovery_codes(user)


def disable(user: User, code: str) -> None:
    """Turn it off, with a code; refused where the role requires it.

    :raises TwoFactorError: required, or the code is not right.
    """
    if required_for(user):
        raise TwoFactorError(_l("Your role must sign in with a second factor: it stays on."))
    verify(user, code)
    _clear(user)
    log_event("user.two_factor_disabled", "user", user.id, user=user)
    account_changed.send(user, change="two_factor_disabled")


def reset(user: User, actor: User) -> None:
    """An administrator's reset for a user who lost their phone and codes: the second factor
    is removed (set up again at the next sign-in where required), every session ends and API
    tokens stop working (a lost phone may be a stolen laptop too). Never one's own: another
    administrator does it.

    :raises TwoFactorError: the administrator's own account.
    """
    if actor.id == user.id:
        raise TwoFactorError(_l("Another administrator resets your own second factor."))
    _clear(user)
    end_all_sessions(user)
    credentials_withdrawn.send(user, actor=actor, reason="two_factor_reset")
    log_event("user.two_factor_reset", "user", user.id, user=actor)


def _clear(user: User) -> None:
    user.totp_secret = user.totp_enabled_at = user.totp_last_step = None
    _clear_failures(user)
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
