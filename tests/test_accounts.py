"""Sign-in throttling, administrator-issued password-reset links, deactivation."""

import re

import pytest

from config import TestingConfig
from surveyapp import create_app
from surveyapp.auth.models import Role
from surveyapp.db import dispose_engines
from surveyapp.extensions import db

PASSWORD = "correct horse battery staple"


@pytest.fixture
def officer(create_user, create_region):
    return create_user(email="olga@example.org", name="Olga", regions=[create_region()])


@pytest.fixture
def admin(create_user):
    return create_user(email="ada@example.org", name="Ada", role=Role.admin)


def sign_in(client, email, password=PASSWORD, address="10.0.0.1"):
    return client.post(
        "/login", data={"email": email, "password": password}, environ_base={"REMOTE_ADDR": address}
    )


def test_failed_logins_on_one_account_are_throttled(app, officer, caplog):
    """Per account and address (more in test_sign_in_throttle.py)."""
    client = app.test_client()
    free = app.config["LOGIN_FREE_FAILURES"]
    statuses = [sign_in(client, officer.email, "wrong").status_code for n in range(free + 2)]
    assert statuses == [422] * free + [429, 429]
    assert "event='login_failed'" in caplog.text and "email='olga@example.org'" in caplog.text
    assert "event='login_throttled'" in caplog.text
    # Another account is not affected, nor this one from another address.
    assert sign_in(client, "someone@example.org", "wrong").status_code == 422
    assert sign_in(client, officer.email, address="10.0.0.2").status_code == 302


def test_successful_logins_do_not_count_against_the_account(app, officer):
    client = app.test_client()
    for _ in range(15):
        assert sign_in(client, officer.email).status_code == 302
        client.post("/logout")


def test_one_address_is_throttled(app, officer):
    app.config["LOGIN_LIMIT_PER_ADDRESS"] = "5 per minute"
    client = app.test_client()
    statuses = [sign_in(client, f"user{n}@example.org", "wrong").status_code for n in range(7)]
    assert statuses == [422] * 5 + [429] * 2
    assert sign_in(client, officer.email, address="10.9.9.9").status_code == 302


def test_one_ipv6_network_is_throttled_as_one_address(app, officer):
    """A client holds a whole /64: stepping through its addresses does not escape the limit."""
    app.config["LOGIN_LIMIT_PER_ADDRESS"] = "3 per minute"
    client = app.test_client()
    statuses = [
        sign_in(client, f"user{n}@example.org", "wrong", address=f"2001:db8:0:7::{n + 1:x}")
        for n in range(5)
    ]
    assert [s.status_code for s in statuses] == [422] * 3 + [429] * 2
    assert sign_in(client, officer.email, address="2001:db8:0:8::1").status_code == 302


def test_the_throttle_message_is_friendly(app, officer):
    app.config["LOGIN_LIMIT_PER_ADDRESS"] = "1 per minute"
    client = app.test_client()
    sign_in(client, officer.email, "wrong")
    response = sign_in(client, officer.email, "wrong")
    assert response.status_code == 429
    assert "Too many attempts" in response.get_data(as_text=True)


def issue_link(client, admin, user):
    client.post("/login", data={"email": admin.email, "password": PASSWORD})
    page = client.post(f"/admin/users/{user.id}/reset-link").get_data(as_text=True)
    return re.search(r'value="http://localhost(/reset/[^"]+)"', page).group(1)


def test_admin_issues_a_one_time_reset_link(app, admin, officer):
    link = issue_link(app.test_client(), admin, officer)
    user_client = app.test_client()
    assert user_client.get(link).status_code == 200
    mismatch = user_client.post(
        link, data={"password": "a new long password", "confirm": "something else"}
    )
    assert mismatch.status_code == 422 and "The two passwords differ." in mismatch.get_data(True)
    short = user_client.post(link, data={"password": "short", "confirm": "short"})
    assert short.status_code == 422
    done = user_client.post(
        link, data={"password": "a new long password", "confirm": "a new long password"}
    )
    assert done.status_code == 302
    assert sign_in(user_client, officer.email, "a new long password").status_code == 302
    # Used once: the same link no longer works.
    assert app.test_client().get(link).status_code == 404


def test_reset_ends_existing_sessions(app, admin, officer):
    session_client = app.test_client()
    sign_in(session_client, officer.email)
    assert session_client.get("/").status_code == 200
    link = issue_link(app.test_client(), admin, officer)
    app.test_client().post(
        link, data={"password": "a new long password", "confirm": "a new long password"}
    )
    assert session_client.get("/").status_code == 302


def test_tampered_or_expired_links_are_refused(app, admin, officer):
    link = issue_link(app.test_client(), admin, officer)
    assert app.test_client().get(link[:-2] + "xx").status_code == 404
    app.config["PASSWORD_RESET_MAX_AGE"] = -1
    assert app.test_client().get(link).status_code == 404


def test_deactivation_by_an_admin_takes_effect_at_once(app, admin, officer):
    officer_client = app.test_client()
    sign_in(officer_client, officer.email)
    admin_client = app.test_client()
    sign_in(admin_client, admin.email, address="10.0.0.2")
    response = admin_client.post(f"/admin/users/{officer.id}/deactivate", follow_redirects=True)
    assert "is deactivated" in response.get_data(as_text=True)
    assert officer_client.get("/").status_code == 302
    assert sign_in(app.test_client(), officer.email).status_code == 422
    db.session.expire_all()
    assert not officer.active
    # A second submit (a double click) leaves the account deactivated; only "activate" undoes it.
    admin_client.post(f"/admin/users/{officer.id}/deactivate")
    db.session.expire_all()
    assert not officer.active
    admin_client.post(f"/admin/users/{officer.id}/activate")
    db.session.expire_all()
    assert officer.active


def test_admin_cannot_deactivate_themselves(app, admin):
    client = app.test_client()
    sign_in(client, admin.email)
    response = client.post(f"/admin/users/{admin.id}/deactivate", follow_redirects=True)
    assert "cannot deactivate your own account" in response.get_data(as_text=True)
    db.session.expire_all()
    assert admin.active


def test_throttling_can_use_redis(monkeypatch, officer, app, redis_url):
    """Several app servers share the counts when RATELIMIT_STORAGE_URI points at Redis."""
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", redis_url)
    servers = [create_app(TestingConfig) for _ in range(2)]
    for server in servers:
        server.config["LOGIN_LIMIT_PER_ADDRESS"] = "3 per minute"
    statuses = [
        sign_in(servers[n % 2].test_client(), "x@example.org", "wrong").status_code
        for n in range(4)
    ]
    assert statuses == [422, 422, 422, 429]
    for server in servers:
        with server.app_context():
            dispose_engines()


def test_behind_a_proxy_each_client_is_throttled_by_its_own_address(officer):
    """PROXIES=1 (docs/deploy.md): the limit counts the address nginx adds last to
    X-Forwarded-For, not the proxy's (every request's REMOTE_ADDR is 127.0.0.1)."""
    from config import TestingConfig
    from surveyapp import create_app

    app = create_app(TestingConfig, {"PROXIES": 1, "LOGIN_LIMIT_PER_ADDRESS": "3 per minute"})
    client = app.test_client()

    def through_proxy(client_address, email, password="wrong"):
        return client.post(
            "/login",
            data={"email": email, "password": password},
            environ_base={"REMOTE_ADDR": "127.0.0.1"},
            headers={"X-Forwarded-For": f"203.0.113.99, {client_address}"},
        )

    try:
        statuses = [
            through_proxy("198.51.100.7", f"u{n}@example.org").status_code for n in range(5)
        ]
        assert statuses == [422] * 3 + [429] * 2
        # another client behind the same proxy is not slowed by the first one's failures,
        # and what a client writes first in the header is not taken for its address
        assert through_proxy("198.51.100.8", officer.email, PASSWORD).status_code == 302
    finally:
        with app.app_context():
            dispose_engines()  # this second app's connections (PostgreSQL warns of open ones)
