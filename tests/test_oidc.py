"""Sign-in with OpenID Connect (issue 24, part 1) against a real OpenID provider: oidc-provider
from the npm registry, run by Node on 127.0.0.1 (tests/oidc/provider.mjs), driven end to end in
headless Chromium. Its sign-in page takes any password for the accounts the script lists."""

import logging
import os
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import urljoin

import pyotp
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from config import sign_in_problem
from surveyapp.audit.models import AuditEvent
from surveyapp.auth import two_factor
from surveyapp.auth.models import Role, User
from surveyapp.extensions import db

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "tests" / "oidc" / "provider.mjs"
MODULE = ROOT / "node_modules" / "oidc-provider"
CLIENT_ID = "surveyapp-tests"
CLIENT_SECRET = "a test client secret, not a real one"
LABEL = "Test Login"
CALLBACK = "/login/oidc/callback"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_listening(process, port: int, log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the OpenID provider stopped: {log.read_text()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"the OpenID provider did not start: {log.read_text()}")


@pytest.fixture
def provider(app, live_server, tmp_path):
    """oidc-provider on a free port, its one client sending people back to the live server;
    the app set to sign in through it. Stopped after the test."""
    node = shutil.which("node")
    if node is None or not MODULE.exists():
        if os.environ.get("CI"):
            pytest.fail("Node and oidc-provider are required in CI (npm ci)")
        pytest.skip("Node or oidc-provider is not installed (npm ci)")
    port = _free_port()
    log = tmp_path / "provider.log"
    with log.open("w") as output:
        process = subprocess.Popen(  # noqa: S603 - our own script, by its path
            [node, str(SCRIPT), str(port), live_server + CALLBACK],
            cwd=ROOT,
            env={**os.environ, "CLIENT_ID": CLIENT_ID, "CLIENT_SECRET": CLIENT_SECRET},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_listening(process, port, log)
        issuer = f"http://127.0.0.1:{port}"
        app.config.update(
            PUBLIC_URL=live_server,
            OIDC_ISSUER=issuer,
            OIDC_CLIENT_ID=CLIENT_ID,
            OIDC_CLIENT_SECRET=CLIENT_SECRET,
            OIDC_BUTTON_LABEL=LABEL,
        )
        yield issuer
    finally:
        process.terminate()
        process.wait(timeout=10)


def _at_provider(page, login: str) -> None:
    """The provider's own pages: sign in as ``login`` (any password), then consent."""
    page.wait_for_url(re.compile(r"http://127\.0\.0\.1:\d+/interaction/"))
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill("any password")
    page.get_by_role("button", name="Sign-in").click()
    page.get_by_role("button", name="Continue").click()


def sign_in_with_provider(page, live_server, login: str) -> None:
    page.goto(f"{live_server}/login")
    page.get_by_role("link", name=f"Sign in with {LABEL}").click()
    _at_provider(page, login)
    page.wait_for_url(re.compile(re.escape(live_server) + r"/(login)?$"))


def the_providers_answer(page, live_server, login: str) -> str:
    """Through the provider's pages to its answer, the callback address with the code and the
    state, kept from the app: the last steps are followed outside the page (the browser's
    cookies, no redirect followed), since a page's route never sees a redirect's target."""
    page.goto(f"{live_server}/login")
    page.get_by_role("link", name=f"Sign in with {LABEL}").click()
    page.wait_for_url(re.compile(r"http://127\.0\.0\.1:\d+/interaction/"))
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill("any password")
    page.get_by_role("button", name="Sign-in").click()
    consent = page.locator("form", has=page.get_by_role("button", name="Continue"))
    location = consent.get_attribute("action")
    response = page.request.post(location, form={"prompt": "consent"}, max_redirects=0)
    while True:
        location = urljoin(location, response.headers["location"])
        if location.startswith(live_server + CALLBACK):
            return location
        response = page.request.get(location, max_redirects=0)


def security_events(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "surveyapp.security"]


@pytest.fixture
def olga(create_region, create_user):
    return create_user(email="olga@example.org", name="Olga", regions=[create_region()])


@pytest.mark.browser
def test_an_account_signs_in_through_the_provider(live_server, provider, page, olga, caplog, shoot):
    caplog.set_level(logging.WARNING, "surveyapp.security")
    page.goto(f"{live_server}/login")
    shoot(page, "login-oidc")
    sign_in_with_provider(page, live_server, "olga")
    assert page.url == f"{live_server}/"
    expect(page.get_by_text("Olga · Regional officer")).to_be_visible()
    assert any("event='login'" in e and "method='oidc'" in e for e in security_events(caplog))


@pytest.mark.browser
def test_an_unknown_email_is_refused_where_accounts_are_linked(live_server, provider, page, caplog):
    caplog.set_level(logging.WARNING, "surveyapp.security")
    sign_in_with_provider(page, live_server, "nina")
    assert page.url == f"{live_server}/login"
    expect(
        page.get_by_text("No account here has the email address nina@example.org")
    ).to_be_visible()
    assert db.session.scalar(select(User).filter_by(email="nina@example.org")) is None
    assert any("reason='unknown_email'" in event for event in security_events(caplog))


@pytest.mark.browser
def test_an_unknown_email_gets_an_officer_account_without_a_region_where_created(
    app, live_server, provider, page
):
    app.config["OIDC_ACCOUNTS"] = "create"
    sign_in_with_provider(page, live_server, "nina")
    assert page.url == f"{live_server}/"
    expect(page.get_by_text("Your account is new")).to_be_visible()
    expect(page.get_by_text("Nina Newcomer · Regional officer")).to_be_visible()
    db.session.expire_all()
    user = db.session.scalar(select(User).filter_by(email="nina@example.org"))
    assert (user.role, user.regions, user.active) == (Role.officer, [], True)
    event = db.session.scalar(select(AuditEvent).filter_by(action="user.created"))
    assert (event.object_id, event.user_id) == (user.id, user.id)
    assert event.new_value == {
        "email": "nina@example.org",
        "role": "officer",
        "regions": [],
        "via": "oidc",
    }


@pytest.mark.browser
def test_an_unverified_email_is_refused_and_logged(
    live_server, provider, page, create_user, caplog
):
    caplog.set_level(logging.WARNING, "surveyapp.security")
    create_user(email="uma@example.org", name="Uma", role=Role.expert)
    sign_in_with_provider(page, live_server, "uma")
    assert page.url == f"{live_server}/login"
    expect(page.get_by_text("has not verified your email address uma@example.org")).to_be_visible()
    assert any(
        "event='oidc_refused'" in e and "reason='email_unverified'" in e
        for e in security_events(caplog)
    )
    page.goto(f"{live_server}/")
    assert page.url.startswith(f"{live_server}/login")  # not signed in


@pytest.mark.browser
def test_a_tampered_state_is_refused(live_server, provider, page, olga, caplog):
    caplog.set_level(logging.WARNING, "surveyapp.security")
    answer = the_providers_answer(page, live_server, "olga")
    assert "state=" in answer and "code=" in answer
    page.goto(re.sub(r"state=[^&]+", "state=forged", answer))
    assert page.url == f"{live_server}/login"
    expect(page.get_by_text("did not succeed")).to_be_visible()
    assert any("MismatchingStateError" in event for event in security_events(caplog))
    page.goto(f"{live_server}/")
    assert page.url.startswith(f"{live_server}/login")  # not signed in
    # The refusal was the state's alone: the genuine answer signs in.
    page.goto(answer)
    assert page.url == f"{live_server}/"


@pytest.mark.browser
def test_a_replayed_authorization_code_is_refused(
    live_server, provider, browser, page, olga, caplog
):
    caplog.set_level(logging.WARNING, "surveyapp.security")
    answer = the_providers_answer(page, live_server, "olga")
    cookies = page.context.cookies()  # the session with the state, before the callback
    page.goto(answer)
    assert page.url == f"{live_server}/"

    # The same answer again, from a browser that holds the session the first one held: the
    # state checks, so the code goes to the provider, which refuses a code used before.
    replay = browser.new_context()
    replay.add_cookies(cookies)
    again = replay.new_page()
    again.goto(answer)
    assert again.url == f"{live_server}/login"
    expect(again.get_by_text("did not succeed")).to_be_visible()
    assert any("invalid_grant" in event for event in security_events(caplog))
    again.goto(f"{live_server}/")
    assert again.url.startswith(f"{live_server}/login")  # not signed in
    replay.close()

    # And in the browser that signed in with it: its state is used up.
    page.goto(answer)
    expect(page.get_by_text("did not succeed")).to_be_visible()


@pytest.mark.browser
def test_an_account_with_two_factor_signs_in_without_the_code_step(
    app, live_server, provider, page, create_user
):
    app.config["REQUIRE_2FA_FOR"] = frozenset({"expert"})
    tess = create_user(email="tess@example.org", name="Tess", role=Role.expert)
    secret = two_factor.new_secret()
    two_factor.enable(tess, secret, pyotp.TOTP(secret).now())
    db.session.commit()
    visited = []
    page.on("request", lambda request: visited.append(request.url))
    sign_in_with_provider(page, live_server, "tess")
    assert page.url == f"{live_server}/"
    expect(page.get_by_text("Tess · Working-group expert")).to_be_visible()
    assert not [url for url in visited if "/login/code" in url or "/login/setup" in url]


@pytest.mark.browser
def test_without_local_passwords_only_the_provider_signs_in(app, live_server, provider, page, olga):
    app.config["LOCAL_PASSWORDS"] = False
    page.goto(f"{live_server}/login")
    expect(page.get_by_label("Password")).to_have_count(0)
    expect(page.get_by_role("link", name="Forgot your password?")).to_have_count(0)
    page.goto(f"{live_server}/language")  # a form's token of this browser's session
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    refused = page.request.post(
        f"{live_server}/login",
        form={"csrf_token": token, "email": olga.email, "password": "correct horse battery staple"},
    )
    assert refused.status == 403
    assert "does not sign in with passwords" in refused.text()
    assert page.request.get(f"{live_server}/forgot-password").status == 404
    page.goto(f"{live_server}/")
    assert page.url.startswith(f"{live_server}/login")  # the password did not sign in
    sign_in_with_provider(page, live_server, "olga")
    assert page.url == f"{live_server}/"


# --- without a browser ------------------------------------------------------------------------


def test_the_button_is_on_the_sign_in_page_only_with_an_issuer(app, client):
    assert "Sign in with" not in client.get("/login").get_data(as_text=True)
    app.config.update(OIDC_ISSUER="https://login.example.org", OIDC_CLIENT_ID="x")
    page = client.get("/login?next=/benchmarks").get_data(as_text=True)
    assert "Sign in with single sign-on" in page
    assert 'href="/login/oidc?next=/benchmarks"' in page
    app.config["OIDC_BUTTON_LABEL"] = "EU Login"
    assert "Sign in with EU Login" in client.get("/login").get_data(as_text=True)
    french = client.get("/login", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "EU Login" in french and "Sign in with EU Login" not in french


def test_without_local_passwords_no_password_is_accepted(app, client, olga, login):
    app.config.update(
        LOCAL_PASSWORDS=False, OIDC_ISSUER="https://login.example.org", OIDC_CLIENT_ID="x"
    )
    assert login(olga).status_code == 403
    assert client.get("/").status_code == 302  # not signed in
    assert client.get("/forgot-password").status_code == 404
    assert client.post("/forgot-password", data={"email": olga.email}).status_code == 404
    assert client.get("/reset/anything").status_code == 404
    page = client.get("/login").get_data(as_text=True)
    assert 'name="password"' not in page and "Sign in with single sign-on" in page


@pytest.mark.parametrize(
    ("environment", "problem"),
    [
        ({}, None),
        ({"LOCAL_PASSWORDS": "0"}, "LOCAL_PASSWORDS=0 needs OIDC_ISSUER"),
        ({"OIDC_ISSUER": "https://login.example.org"}, "OIDC_ISSUER needs OIDC_CLIENT_ID"),
        (
            {"OIDC_ISSUER": "https://x.eu", "OIDC_CLIENT_ID": "c", "OIDC_ACCOUNTS": "all"},
            "OIDC_ACCOUNTS is link or create",
        ),
        (
            {"OIDC_ISSUER": "https://x.eu", "OIDC_CLIENT_ID": "c", "LOCAL_PASSWORDS": "0"},
            None,
        ),
    ],
)
def test_sign_in_settings_are_checked_at_start(monkeypatch, environment, problem):
    for name in ("LOCAL_PASSWORDS", "OIDC_ISSUER", "OIDC_CLIENT_ID", "OIDC_ACCOUNTS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    found = sign_in_problem()
    if problem is None:
        assert found is None
    else:
        assert found.startswith(problem)


def test_a_provider_that_cannot_be_reached_is_told_and_logged(app, client, caplog):
    caplog.set_level(logging.WARNING, "surveyapp.security")
    app.config.update(
        OIDC_ISSUER=f"http://127.0.0.1:{_free_port()}", OIDC_CLIENT_ID="x", OIDC_TIMEOUT=2
    )
    response = client.get("/login/oidc")
    assert response.status_code == 302 and response.location.endswith("/login")
    page = client.get("/login").get_data(as_text=True)
    assert "Signing in through the identity provider did not succeed" in page
    assert any("ConnectionError" in event for event in security_events(caplog))


def test_without_local_passwords_the_account_has_no_password_pages(app, client, olga, login):
    """Signed in (here with a password, before passwords were switched off): the header offers
    neither Password nor Two-factor, and the password page is not there."""
    login(olga)
    assert 'href="/account/password"' in client.get("/").get_data(as_text=True)
    app.config.update(
        LOCAL_PASSWORDS=False, OIDC_ISSUER="https://login.example.org", OIDC_CLIENT_ID="x"
    )
    html = client.get("/").get_data(as_text=True)
    assert 'href="/account/password"' not in html and 'href="/account/two-factor"' not in html
    assert client.get("/account/password").status_code == 404


ISSUER = "https://login.example.eu"


def claims(sub, email="olga@example.org", verified=True, **more):
    return {"iss": ISSUER, "sub": sub, "email": email, "email_verified": verified, **more}


@pytest.fixture
def oidc_app(app):
    app.config.update(OIDC_ISSUER=ISSUER, OIDC_CLIENT_ID=CLIENT_ID, OIDC_ACCOUNTS="link")
    return app


def test_an_account_is_linked_to_the_providers_identity_and_found_by_it_after(oidc_app, olga, cli):
    from surveyapp.auth.oidc import SignInRefused, account_for

    with oidc_app.test_request_context():
        user, created = account_for(claims("sub-olga"))
        assert (user.id, created) == (olga.id, False)
        assert (user.oidc_issuer, user.oidc_subject) == (ISSUER, "sub-olga")
        db.session.commit()
        # The provider changed her address (even to one it has not verified yet): still her.
        moved, _ = account_for(claims("sub-olga", email="olga.new@example.org", verified=False))
        assert moved.id == olga.id
        # Her old address handed to someone else at the provider never signs them in here.
        with pytest.raises(SignInRefused) as refused:
            account_for(claims("sub-someone-else"))
        assert refused.value.reason == "linked_to_another_identity"
        actions = db.session.scalars(select(AuditEvent.action)).all()
        assert actions.count("user.oidc_linked") == 1
    # An administrator unlinks the account: the next sign-in links the identity it comes with.
    result = cli.invoke(args=["users", "unlink-provider", "olga@example.org"])
    assert result.exit_code == 0, result.output
    with oidc_app.test_request_context():
        user, _ = account_for(claims("sub-olga-2"))
        assert user.id == olga.id and user.oidc_subject == "sub-olga-2"


def test_a_linked_account_that_was_deactivated_is_refused(oidc_app, olga):
    from surveyapp.auth.oidc import SignInRefused, account_for

    with oidc_app.test_request_context():
        account_for(claims("sub-olga"))
        olga.active = False
        db.session.commit()
        with pytest.raises(SignInRefused) as refused:
            account_for(claims("sub-olga"))
        assert refused.value.reason == "deactivated"
