"""Two-factor secrets sealed at rest: encrypted with Fernet (cryptography: AES-128-CBC and
HMAC-SHA256) under TOTP_KEYS, keys the operator keeps apart from the database and its backups.

A TOTP secret must be read back to check a code, so it cannot be hashed as a password is. Sealed,
a copy of the database or of a backup alone gives nobody an account's second factor. The first
key of TOTP_KEYS seals; every key listed opens, so a key is replaced by listing the new one
first, running ``flask users reseal-secrets``, then dropping the old one. A secret stored before
sealing existed (in clear) is still read, and sealed at its next use or by that command.
"""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app

#: Marks a sealed secret in its column (a secret in clear is base32: it never has a colon).
SEALED = "fernet:"


class SealError(RuntimeError):
    """A sealed secret that none of TOTP_KEYS opens (a key dropped too early, or another
    installation's database)."""


def derived_key(secret_key: str) -> str:
    """A Fernet key derived from SECRET_KEY, for development and tests only (production asks
    for TOTP_KEYS of its own: changing SECRET_KEY must not lock anyone out)."""
    digest = hashlib.sha256(b"surveyapp two-factor secrets\0" + secret_key.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()


def new_key() -> str:
    return Fernet.generate_key().decode()


@lru_cache(maxsize=4)
def _fernets(keys: tuple[str, ...]) -> tuple[MultiFernet, Fernet]:
    fernets = [Fernet(key) for key in keys]
    return MultiFernet(fernets), fernets[0]


def _keys() -> tuple[str, ...]:
    return tuple(current_app.config["TOTP_KEYS"])


def seal(secret: str) -> str:
    """The secret as stored: sealed under the first key."""
    every, _first = _fernets(_keys())
    return SEALED + every.encrypt(secret.encode()).decode()


def is_sealed(stored: str) -> bool:
    return stored.startswith(SEALED)


def unseal(stored: str) -> str:
    """The secret of a stored value, sealed or (stored before sealing) in clear.

    :raises SealError: sealed, and no key of TOTP_KEYS opens it.
    """
    if not is_sealed(stored):
        return stored
    every, _first = _fernets(_keys())
    try:
        return every.decrypt(stored.removeprefix(SEALED).encode()).decode()
    except InvalidToken:
        raise SealError("no key of TOTP_KEYS opens this two-factor secret") from None


def unseal_recent(stored: str, seconds: int) -> str | None:
    """The secret of a value sealed at most ``seconds`` ago; None when older or unreadable
    (a secret handed to the next page only, such as a new API token on its way to be shown)."""
    if not is_sealed(stored):
        return None
    every, _first = _fernets(_keys())
    try:
        return every.decrypt(stored.removeprefix(SEALED).encode(), ttl=seconds).decode()
    except InvalidToken:
        return None


def needs_resealing(stored: str) -> bool:
    """Whether the stored value is in clear or sealed under a key other than the first."""
    if not is_sealed(stored):
        return True
    _every, first = _fernets(_keys())
    try:
        first.decrypt(stored.removeprefix(SEALED).encode())
    except InvalidToken:
        return True
    return False
