"""Sign-in throttling per account and address (issue 19, item 3): an attacker guessing an
account's password is slowed down more and more, the owner is never locked out, and the
count is kept in one place that every worker shares (the database, or Redis)."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from config import TestingConfig
from surveyapp import create_app
from surveyapp.addresses import counted_address
from surveyapp.auth import throttle
from surveyapp.db import dispose_engines

PASSWORD = "correct horse battery staple"
ATTACKER = "203.0.113.66"
OWNER = "198.51.100.7"


class Clock:
    """time.time() for the throttle, moved on by hand."""

    def __init__(self):
        self.now = 1_800_000_000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    fake = Clock()
    monkeypatch.setattr(throttle, "clock", fake)
    return fake


@pytest.fixture
def owner(create_user, create_region):
    return create_user(email="olga@example.org", name="Olga", regions=[create_region()])


def sign_in(client, email, password=PASSWORD, address=ATTACKER):
    return client.post(
        "/login", data={"email": email, "password": password}, environ_base={"REMOTE_ADDR": address}
    )


def wait_for(email, address=ATTACKER):
    """Seconds the pair must still wait, as the throttle counts them.

    (The response's Retry-After is at least this: Flask-Limiter's per-address limit on the
    same view raises it to the end of its own window.)
    """
    return throttle.wait_before_sign_in(email, address)


def attack_until_slowed(client, email, limit=100):
    """Wrong passwords from the attacker's address until one is refused: that response and
    how many were tried."""
    for attempt in range(1, limit + 1):
        response = sign_in(client, email, "wrong guess")
        if response.status_code == 429:
            return response, attempt
        assert response.status_code == 422
    raise AssertionError(f"{limit} wrong passwords and never slowed down")


def test_the_owner_signs_in_from_another_address_while_an_attacker_is_slowed(app, owner, clock):
    client = app.test_client()
    for _ in range(3):  # the attacker keeps going, as a script would
        attack_until_slowed(client, owner.email)
        clock.now += wait_for(owner.email)
    refused = sign_in(client, owner.email, "wrong guess")
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= wait_for(owner.email) > 0
    assert "Too many wrong passwords" in refused.text
    # The right password from the attacker's address waits too: it is not even checked...
    assert sign_in(client, owner.email).status_code == 429
    # ...but the owner, elsewhere, signs in at once.
    assert sign_in(app.test_client(), owner.email, address=OWNER).status_code == 302


def test_the_first_refusal_comes_after_the_configured_failures(app, owner, clock):
    _response, attempts = attack_until_slowed(app.test_client(), owner.email)
    assert attempts == app.config["LOGIN_FREE_FAILURES"] + 1


def test_the_wait_grows_with_each_failure_up_to_a_ceiling(app, owner, clock):
    client = app.test_client()
    waits = []
    for _ in range(15):
        refused, _attempts = attack_until_slowed(client, owner.email)
        waits.append(wait_for(owner.email))
        assert int(refused.headers["Retry-After"]) >= waits[-1] - 1  # whole seconds
        clock.now += waits[-1]
    assert waits == sorted(waits) and waits[0] < waits[-1]
    assert waits[-1] == app.config["LOGIN_DELAY_MAX"]


def test_after_the_wait_the_owner_gets_in_and_the_count_starts_again(app, owner, clock):
    client = app.test_client()
    _refused, attempts = attack_until_slowed(client, owner.email)
    clock.now += wait_for(owner.email)
    assert sign_in(client, owner.email).status_code == 302
    client.post("/logout")
    # A correct password reset the count for this account and address.
    _refused, again = attack_until_slowed(client, owner.email)
    assert again == attempts


def test_failures_are_forgotten_after_a_quiet_period(app, owner, clock):
    client = app.test_client()
    _refused, attempts = attack_until_slowed(client, owner.email)
    clock.now += app.config["LOGIN_FAILURES_FORGOTTEN_AFTER"] + 1
    _refused, again = attack_until_slowed(client, owner.email)
    assert again == attempts


def test_unknown_accounts_are_slowed_like_known_ones(app, owner, clock):
    """The response does not tell whether an account exists."""
    _known, known_attempts = attack_until_slowed(app.test_client(), owner.email)
    _unknown, attempts = attack_until_slowed(app.test_client(), "nobody@example.org")
    assert attempts == known_attempts


@given(failures=st.integers(min_value=0, max_value=10_000))
def test_the_delay_schedule(failures):
    policy = throttle.Policy(free=5, first_delay=2, maximum=900, forget_after=86400)
    delay = policy.delay(failures)
    assert 0 <= delay <= policy.maximum
    assert (delay == 0) == (failures <= policy.free)
    assert policy.delay(failures + 1) >= delay


def test_ipv6_addresses_of_one_network_count_together():
    key = counted_address
    assert key("2001:db8:1:2::1") == key("2001:db8:1:2:ffff::9")
    assert key("2001:db8:1:3::1") != key("2001:db8:1:2::1")
    assert key("192.0.2.1") != key("192.0.2.2")
    # Behind a NAT64 gateway each client is the IPv4 address its address carries.
    assert key("64:ff9b::c000:201") == "192.0.2.1" != key("64:ff9b::c000:202")
    assert key("::ffff:192.0.2.1") == "192.0.2.1"
    assert key("::1") == "::1" != key("::2")


def _second_app(**config):
    other = create_app(TestingConfig)
    other.config.update(config)
    return other


#: A second worker: its own process and app, on the same database (TEST_DATABASE_URL).
WORKER = """
import sys
from config import TestingConfig
from surveyapp import create_app

client = create_app(TestingConfig).test_client()
for _ in range(int(sys.argv[2])):
    response = client.post(
        "/login",
        data={"email": sys.argv[1], "password": "wrong guess"},
        environ_base={"REMOTE_ADDR": sys.argv[3]},
    )
    print(response.status_code)
"""


def test_the_count_is_shared_by_two_workers(app, owner):
    """Failures counted by another worker process count here too: the first refusal comes
    after the configured number of failures, not that number in each worker."""
    free = app.config["LOGIN_FREE_FAILURES"]
    worker = subprocess.run(  # noqa: S603 - our own script, our own arguments
        [sys.executable, "-c", WORKER, owner.email, str(free), ATTACKER],
        cwd=Path(__file__).resolve().parents[1],
        capture_output=True,
        text=True,
        check=True,
    )
    assert worker.stdout.split() == ["422"] * free
    assert sign_in(app.test_client(), owner.email, "wrong guess").status_code == 429
    assert sign_in(app.test_client(), owner.email, address=OWNER).status_code == 302


def test_the_count_can_be_kept_in_redis(app, create_user, clock, redis_url):
    """With REDIS_URL, both apps count in Redis (and nothing in the database)."""
    from sqlalchemy import func, select

    from surveyapp.auth.models import SignInFailure
    from surveyapp.extensions import db

    email = f"{uuid.uuid4().hex[:12]}@example.org"  # keys of its own on a shared Redis
    create_user(email=email)
    app.config["REDIS_URL"] = redis_url
    other = _second_app(REDIS_URL=redis_url)
    try:
        clients = [app.test_client(), other.test_client()]
        free = app.config["LOGIN_FREE_FAILURES"]
        statuses = [
            sign_in(clients[n % 2], email, "wrong guess").status_code for n in range(free + 1)
        ]
        assert statuses[-1] == 429 and set(statuses[:-1]) == {422}
        assert db.session.scalar(select(func.count()).select_from(SignInFailure)) == 0
        assert sign_in(app.test_client(), email, address=OWNER).status_code == 302
        assert sign_in(clients[1], email, "wrong guess").status_code == 429
        clock.now += wait_for(email)
        assert sign_in(clients[0], email).status_code == 302
        # The correct password reset the count in Redis too.
        _refused, attempts = attack_until_slowed(other.test_client(), email)
        assert attempts == free + 1
    finally:
        with other.app_context():
            dispose_engines()


def test_the_per_address_limit_counts_in_redis_when_there_is_one(monkeypatch, app):
    """With REDIS_URL (and no RATELIMIT_STORAGE_URI of its own), Flask-Limiter's per-address
    limit counts there too, not in each worker's memory."""
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/13")
    monkeypatch.delenv("RATELIMIT_STORAGE_URI", raising=False)
    assert TestingConfig.from_environment()["RATELIMIT_STORAGE_URI"] == os.environ["REDIS_URL"]
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "memory://")
    assert TestingConfig.from_environment()["RATELIMIT_STORAGE_URI"] == "memory://"


def test_concurrent_failures_are_all_counted(app):
    """Workers failing at the same moment: one atomic statement each, no count lost."""
    import threading

    from sqlalchemy import select

    from surveyapp.auth.models import SignInFailure
    from surveyapp.extensions import db

    threads, each = 6, 5

    def fail():
        with app.app_context():
            for _ in range(each):
                throttle.sign_in_failed("olga@example.org", ATTACKER)
                db.session.commit()
            db.session.remove()

    workers = [threading.Thread(target=fail) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    key = throttle.pair_key("olga@example.org", ATTACKER)
    db.session.expire_all()
    assert db.session.scalar(select(SignInFailure.failures).filter_by(key=key)) == threads * each
