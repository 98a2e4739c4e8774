"""Sign-in throttling per account and address, with a wait that grows with each failure.

Wrong passwords are counted for the pair (email as typed, address the request came from; an
IPv6 address counts with its /64 network). After a few free failures each further one makes
that pair wait longer, up to a ceiling: an attacker is slowed to a handful of guesses an hour,
while the owner, signing in from anywhere else, is never kept out, and from the same address
waits at most the ceiling. A correct password clears the pair's count; so does a quiet period.

The count lives in one place every worker shares: the database, or Redis when REDIS_URL is set
(one atomic script per failure). Only a hash of the pair is stored, never an email or address.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import current_app
from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from surveyapp.addresses import counted_address
from surveyapp.auth.models import SignInFailure
from surveyapp.auth.queries import normalize_email
from surveyapp.db import as_utc
from surveyapp.extensions import db

#: The time now, in seconds (replaced by a hand-moved clock in the tests).
clock = time.time
#: Keys of the Redis store start with this.
REDIS_PREFIX = "surveyapp:sign-in-failures:"


@dataclass(frozen=True)
class Policy:
    """How long a pair waits after how many failures."""

    #: Failures without any wait (typing mistakes).
    free: int
    #: The wait after the first failure beyond those, in seconds; it doubles with each one.
    first_delay: int
    #: The longest wait, in seconds.
    maximum: int
    #: Failures are forgotten this many seconds after the last one.
    forget_after: int

    @classmethod
    def from_config(cls) -> Policy:
        config = current_app.config
        return cls(
            free=config["LOGIN_FREE_FAILURES"],
            first_delay=config["LOGIN_DELAY_FIRST"],
            maximum=config["LOGIN_DELAY_MAX"],
            forget_after=config["LOGIN_FAILURES_FORGOTTEN_AFTER"],
        )

    def delay(self, failures: int) -> int:
        """Seconds to wait after ``failures`` failures in a row."""
        beyond = failures - self.free
        if beyond <= 0:
            return 0
        return min(self.maximum, self.first_delay * 2 ** min(beyond - 1, 32))


def pair_key(email: str, address: str | None) -> str:
    text = f"{normalize_email(email or '')[:254]}\n{counted_address(address)}"
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


class DatabaseStore:
    """Counts in the table sign_in_failures (the default)."""

    table = SignInFailure.__table__

    def blocked_until(self, key: str) -> float:
        until = db.session.scalar(select(SignInFailure.blocked_until).filter_by(key=key))
        if until is None:
            return 0.0
        return as_utc(until).timestamp()

    def failed(self, key: str, now: float, policy: Policy) -> int:
        moment = _datetime(now)
        table = self.table
        db.session.execute(
            delete(table).where(table.c.last_failed_at < _datetime(now - policy.forget_after))
        )
        dialect = db.session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        upsert = (
            insert(table)
            .values(key=key, failures=1, last_failed_at=moment)
            .on_conflict_do_update(
                index_elements=[table.c.key],
                set_={"failures": table.c.failures + 1, "last_failed_at": moment},
            )
            .returning(table.c.failures)
        )
        failures = db.session.execute(upsert).scalar_one()
        delay = policy.delay(failures)
        if delay:
            db.session.execute(
                update(table).where(table.c.key == key).values(blocked_until=_datetime(now + delay))
            )
        return delay

    def succeeded(self, key: str) -> None:
        db.session.execute(delete(self.table).where(self.table.c.key == key))


#: One failure in Redis, atomically: forget a stale count, count, note when, wait, expire.
_REDIS_FAILED = """
local last = tonumber(redis.call('HGET', KEYS[1], 'last') or '0')
if last < tonumber(ARGV[1]) - tonumber(ARGV[2]) then redis.call('DEL', KEYS[1]) end
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
redis.call('HSET', KEYS[1], 'last', ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return failures
"""


class RedisStore:
    """Counts in Redis (REDIS_URL), one hash per pair that expires by itself."""

    def __init__(self, url: str):
        import redis

        self.client = redis.Redis.from_url(url)
        self.script = self.client.register_script(_REDIS_FAILED)

    def blocked_until(self, key: str) -> float:
        value = self.client.hget(REDIS_PREFIX + key, "until")
        return float(value) if value else 0.0

    def failed(self, key: str, now: float, policy: Policy) -> int:
        name = REDIS_PREFIX + key
        failures = int(self.script(keys=[name], args=[repr(now), policy.forget_after]))
        delay = policy.delay(failures)
        if delay:
            self.client.hset(name, "until", repr(now + delay))
        return delay

    def succeeded(self, key: str) -> None:
        self.client.delete(REDIS_PREFIX + key)


def _datetime(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _store() -> DatabaseStore | RedisStore:
    url = current_app.config.get("REDIS_URL")
    if not url:
        return DatabaseStore()
    stores = current_app.extensions.setdefault("sign_in_throttle", {})
    if url not in stores:
        stores[url] = RedisStore(url)
    return stores[url]


def wait_before_sign_in(email: str, address: str | None) -> int:
    """Seconds this account must wait before signing in from this address (0: go ahead)."""
    remaining = _store().blocked_until(pair_key(email, address)) - clock()
    return math.ceil(remaining) if remaining > 0 else 0


def sign_in_failed(email: str, address: str | None) -> int:
    """Count a wrong password; the seconds to wait before the next attempt (0: none)."""
    return _store().failed(pair_key(email, address), clock(), Policy.from_config())


def sign_in_succeeded(email: str, address: str | None) -> None:
    """The right password: this account's count at this address starts again."""
    _store().succeeded(pair_key(email, address))
