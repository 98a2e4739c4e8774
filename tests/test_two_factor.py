"""Two-factor authentication: required roles cannot sign in without it, codes are accepted once,
recovery codes once each, an administrator's reset is audited."""

import re
import time

import pyotp
import pytest
from sqlalchemy import select

from surveyapp.audit.models import AuditEvent
from surveyapp.auth.models import Role, User
from surveyapp.extensions import db
from tests.conftest import PASSWORD


@pytest.fixture
def require(app):
    app.config["REQUIRE_2FA_FOR"] = frozenset({"admin", "expert"})


def _sign_in(client, user):
    return client.post("/login", data={"email": user.email, "password": PASSWORD})


def _signed_in(client) -> bool:
    return client.get("/").status_code == 200


def _enrol(client):
    """Scan the page's key as an app would and confirm with its code; the recovery codes."""
    page = client.get("/login/setup").get_data(as_text=True)
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page).group(1)
    assert "<svg" in page and 'aria-label="QR code for your authenticator app"' in page
    # The code scales to its box (a viewBox, no fixed size): with a size, the stylesheet's
    # 12rem cropped it to one corner, and no app could scan it.
    svg = re.search(r'<figure class="qr-code"[^>]*>(<svg[^>]*>)', page).group(1)
    assert "viewBox=" in svg and " width=" not in svg and " height=" not in svg
    done = client.post("/login/setup", data={"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200, done.get_data(as_text=True)
    codes = re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", done.get_data(True))
    return secret, codes


@pytest.mark.parametrize("role", [Role.admin, Role.expert])
def test_a_required_role_cannot_sign_in_without_its_second_factor(app, require, create_user, role):
    user = create_user(email=f"{role}@example.org", role=role)
    client = app.test_client()
    answer = _sign_in(client, user)
    assert answer.headers["Location"] == "/login/setup"
    assert not _signed_in(client)  # the password alone opens nothing
    secret, codes = _enrol(client)
    assert _signed_in(client) and len(codes) == 10
    # the next sign-in asks for a code
    other = app.test_client()
    assert _sign_in(other, user).headers["Location"] == "/login/code"
    assert not _signed_in(other)
    wrong = other.post("/login/code", data={"code": "000000"})
    assert wrong.status_code == 422 and not _signed_in(other)
    code = pyotp.TOTP(secret).at(time.time() + 30)  # the next step: not used yet
    assert other.post("/login/code", data={"code": code}).status_code == 302
    assert _signed_in(other)
    # the same code again, in a third browser: refused (no replay)
    third = app.test_client()
    _sign_in(third, user)
    assert third.post("/login/code", data={"code": code}).status_code == 422
    assert not _signed_in(third)


def test_an_officer_chooses_and_a_recovery_code_works_once(app, require, create_user, login):
    officer = create_user(email="olga@example.org")
    client = app.test_client()
    assert _sign_in(client, officer).headers["Location"] == "/"  # not required for officers
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert "Off:" in page
    _secret, codes = _enrol(client)
    second = app.test_client()
    _sign_in(second, officer)
    answer = second.post("/login/code", data={"code": codes[0].upper()})
    assert answer.status_code == 302 and _signed_in(second)
    third = app.test_client()
    _sign_in(third, officer)
    assert third.post("/login/code", data={"code": codes[0]}).status_code == 422
    events = db.session.scalars(select(AuditEvent.action)).all()
    assert "user.two_factor_enabled" in events and "user.recovery_code_used" in events


def test_turning_it_off_needs_a_code_and_is_refused_where_required(app, require, create_user):
    officer = create_user(email="olga@example.org")
    client = app.test_client()
    _sign_in(client, officer)
    secret, _codes = _enrol(client)
    refused = client.post("/account/two-factor", data={"action": "disable", "code": "123456"})
    assert refused.status_code == 422
    code = pyotp.TOTP(secret).at(time.time() + 30)
    client.post("/account/two-factor", data={"action": "disable", "code": code})
    db.session.expire_all()
    assert db.session.get(User, officer.id).totp_enabled_at is None
    admin = create_user(email="admin@example.org", role=Role.admin)
    client = app.test_client()
    _sign_in(client, admin)
    secret, _codes = _enrol(client)
    code = pyotp.TOTP(secret).at(time.time() + 30)
    page = client.post("/account/two-factor", data={"action": "disable", "code": code})
    assert page.status_code == 422 and "it stays on" in page.get_data(as_text=True)


def test_an_administrator_resets_a_lost_factor_audited(app, require, create_user):
    expert = create_user(email="erik@example.org", role=Role.expert)
    admin = create_user(email="admin@example.org", role=Role.admin)
    expert_browser = app.test_client()
    _sign_in(expert_browser, expert)
    _enrol(expert_browser)
    admin_browser = app.test_client()
    _sign_in(admin_browser, admin)
    _enrol(admin_browser)
    assert "Reset two-factor" in admin_browser.get("/admin/users").get_data(as_text=True)
    answer = admin_browser.post(f"/admin/users/{expert.id}/reset-two-factor")
    assert answer.status_code == 302
    assert not _signed_in(expert_browser)  # every session of the expert ended
    event = db.session.scalars(select(AuditEvent).filter_by(action="user.two_factor_reset")).one()
    assert event.user_id == admin.id and event.object_id == expert.id
    # set up again at the next sign-in
    assert _sign_in(app.test_client(), expert).headers["Location"] == "/login/setup"


def test_wrong_codes_are_slowed_like_wrong_passwords(app, require, create_user):
    app.config["LOGIN_FREE_FAILURES"] = 2
    admin = create_user(email="admin@example.org", role=Role.admin)
    client = app.test_client()
    _sign_in(client, admin)
    _enrol(client)
    other = app.test_client()
    _sign_in(other, admin)
    statuses = [other.post("/login/code", data={"code": "111111"}).status_code for _ in range(4)]
    assert statuses[-1] == 429


def test_the_second_step_expires(app, require, create_user):
    admin = create_user(email="admin@example.org", role=Role.admin)
    app.config["TWO_FACTOR_PENDING_SECONDS"] = -1
    client = app.test_client()
    _sign_in(client, admin)
    answer = client.get("/login/setup")
    assert answer.status_code == 302 and answer.headers["Location"] == "/login"


def test_signing_in_again_does_not_reset_the_count_of_wrong_codes(app, require, create_user):
    """Someone with the password cannot guess the code by signing in again and again, nor by
    changing address: wrong codes are counted per account until a right code."""
    from surveyapp.auth.two_factor import FREE_CODE_FAILURES

    admin = create_user(email="admin@example.org", role=Role.admin)
    owner = app.test_client()
    _sign_in(owner, admin)
    secret, _codes = _enrol(owner)
    statuses = []
    for attempt in range(FREE_CODE_FAILURES + 2):
        attacker = app.test_client()
        attacker.environ_base["REMOTE_ADDR"] = f"198.51.100.{attempt}"
        assert _sign_in(attacker, admin).headers["Location"] == "/login/code"
        statuses.append(attacker.post("/login/code", data={"code": "000000"}).status_code)
    assert statuses[:FREE_CODE_FAILURES] == [422] * FREE_CODE_FAILURES
    assert statuses[-1] == 429
    # even the right code waits until the pause is over; then it works and clears the count
    late = app.test_client()
    _sign_in(late, admin)
    code = pyotp.TOTP(secret).at(time.time() + 30)
    assert late.post("/login/code", data={"code": code}).status_code == 429
    db.session.expire_all()
    user = db.session.get(User, admin.id)
    user.totp_blocked_until = None
    db.session.commit()
    assert late.post("/login/code", data={"code": code}).status_code == 302
    db.session.expire_all()
    assert db.session.get(User, admin.id).totp_failures == 0


def test_the_account_page_counts_wrong_codes_too(app, require, create_user):
    from surveyapp.auth.two_factor import FREE_CODE_FAILURES

    officer = create_user(email="olga@example.org")
    client = app.test_client()
    _sign_in(client, officer)
    _enrol(client)
    statuses = [
        client.post("/account/two-factor", data={"action": "renew", "code": "111111"}).status_code
        for _ in range(FREE_CODE_FAILURES + 2)
    ]
    assert statuses[-1] == 429 and statuses[0] == 422


def test_a_waiting_code_step_ends_with_a_password_change(app, require, create_user):
    from surveyapp.auth.operations import change_password

    admin = create_user(email="admin@example.org", role=Role.admin)
    owner = app.test_client()
    _sign_in(owner, admin)
    _enrol(owner)
    attacker = app.test_client()
    _sign_in(attacker, admin)
    change_password(db.session.get(User, admin.id), "an entirely new passphrase 9")
    db.session.commit()
    answer = attacker.post("/login/code", data={"code": "000000"})
    assert answer.status_code == 302 and answer.headers["Location"] == "/login"


def test_a_session_without_its_second_factor_ends_when_the_role_requires_one(
    app, require, create_user
):
    officer = create_user(email="olga@example.org")
    admin = create_user(email="admin@example.org", role=Role.admin)
    client = app.test_client()
    _sign_in(client, officer)
    assert _signed_in(client)
    officer.role = Role.admin  # promoted while signed in with a password alone
    db.session.commit()
    assert client.get("/admin/users").status_code == 302
    assert _sign_in(client, officer).headers["Location"] == "/login/setup"
    del admin


def test_a_reset_revokes_tokens_and_is_never_ones_own(app, require, create_user):
    from surveyapp.api.models import ApiToken
    from surveyapp.api.operations import issue_token

    expert = create_user(email="erik@example.org", role=Role.expert)
    admin = create_user(email="admin@example.org", role=Role.admin)
    token = issue_token(expert, "laptop")
    db.session.commit()
    admin_browser = app.test_client()
    _sign_in(admin_browser, admin)
    _enrol(admin_browser)
    admin_browser.post(f"/admin/users/{expert.id}/reset-two-factor")
    assert (
        app.test_client()
        .get("/api/v1/rounds", headers={"Authorization": f"Bearer {token}"})
        .status_code
        == 401
    )
    assert db.session.scalars(select(ApiToken).filter_by(user_id=expert.id)).all() == []
    own = admin_browser.post(f"/admin/users/{admin.id}/reset-two-factor")
    assert own.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, admin.id).totp_enabled_at is not None


@pytest.mark.parametrize("path", ["/language", "/login"])
def test_a_line_break_in_next_is_dropped_not_an_error(client, path):
    if path == "/language":
        answer = client.post(path, data={"language": "fr", "next": "/x\r\nSet-Cookie: a=b"})
        assert answer.status_code == 302 and answer.headers["Location"] == "/"
    else:
        assert client.get("/login?next=/x%0d%0aSet-Cookie:%20a=b").status_code == 200
