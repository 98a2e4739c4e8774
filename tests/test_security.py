"""Security properties the foundation already promises (see ../shared/RELIABILITY.md)."""

import re
from importlib.metadata import version
from pathlib import Path

import pytest
from packaging.version import Version

from config import ProductionConfig
from surveyapp import create_app
from surveyapp.auth.models import Role
from surveyapp.db import dispose_engines
from surveyapp.extensions import db


@pytest.fixture
def prod_app(monkeypatch, app):
    monkeypatch.setenv("SECRET_KEY", "production-secret")
    monkeypatch.setenv("DATABASE_URL", app.config["SQLALCHEMY_DATABASE_URI"])
    prod = create_app(ProductionConfig)
    prod.config["WTF_CSRF_ENABLED"] = False
    yield prod
    with prod.app_context():
        dispose_engines()


@pytest.mark.parametrize("path", ["/login", "/no-such-page", "/static/app.css"])
def test_security_headers_on_every_response(client, path):
    response = client.get(path)
    response.close()
    headers = response.headers
    csp = headers["Content-Security-Policy"]
    for directive in ("default-src 'self'", "object-src 'none'", "base-uri 'none'"):
        assert directive in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"


def test_hsts_and_secure_cookies_in_production(prod_app, create_user):
    create_user(email="e@example.org", role=Role.expert)
    db.session.commit()
    response = prod_app.test_client().post(
        "/login",
        base_url="https://surveyapp.example",
        data={"email": "e@example.org", "password": "correct horse battery staple"},
    )
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_authenticated_pages_are_not_cached(client, login, create_user):
    login(create_user(role=Role.expert))
    assert client.get("/").headers["Cache-Control"] == "no-store"


def test_login_regenerates_the_session(client, create_user):
    user = create_user(role=Role.expert)
    with client.session_transaction() as session:
        session["marker"] = "planted before login"
    client.post("/login", data={"email": user.email, "password": "correct horse battery staple"})
    with client.session_transaction() as session:
        assert "marker" not in session
        assert session["_user_id"].startswith(f"{user.id}:")


def test_passwords_are_hashed_with_scrypt(create_user):
    user = create_user()
    assert user.password_hash.startswith("scrypt:")
    assert "correct horse" not in user.password_hash


def test_production_error_page_reveals_nothing(prod_app):
    @prod_app.route("/boom")
    def boom():
        raise RuntimeError("SELECT secret FROM users")

    response = prod_app.test_client().get("/boom")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "Traceback" not in body and "SELECT" not in body and "secret" not in body
    assert "Your saved answers are safe." in body


@pytest.mark.parametrize(
    ("package", "floor"),
    [("weasyprint", "70.0"), ("werkzeug", "3.0.6"), ("flask", "3.1")],
)
def test_dependency_floors(package, floor):
    assert Version(version(package)) >= Version(floor)


@pytest.mark.parametrize(
    ("login_ago", "seen_ago", "signed_in"),
    [
        (60, 30, True),
        (3 * 3600, 30 * 60, True),
        (60 * 60 * 13, 60, False),
        (3 * 3600, 2 * 3600 + 5, False),
    ],
)
def test_sessions_end_when_idle_or_too_old(
    client, login, create_user, login_ago, seen_ago, signed_in
):
    import time

    login(create_user(role=Role.expert))
    now = int(time.time())
    with client.session_transaction() as session:
        session["login_at"], session["seen_at"] = now - login_ago, now - seen_ago
    assert client.get("/").status_code == (200 if signed_in else 302)


def test_every_declared_section_field_is_rendered(
    client, login, create_user, create_region, create_assessment
):
    """No form field exists that the page does not show (it would be blanked on save)."""
    from surveyapp.assessments.forms import section_form

    region = create_region()
    login(create_user(regions=[region]))
    assessment = create_assessment(region=region)
    questionnaire = assessment.round.questionnaire
    for section in questionnaire.parsed.sections:
        page = client.get(f"/assessments/{assessment.id}/sections/{section.id}").get_data(True)
        with client.application.test_request_context():
            form = section_form(questionnaire.content_hash, section, "en", meta={"csrf": False})
        for name in form._fields:
            assert f'name="{name}"' in page, f"{section.id}: {name} is not on the page"


def test_security_events_are_logged_without_secrets(app, client, create_user, caplog):
    user = create_user(role=Role.expert)
    client.post("/login", data={"email": "a\nFAKE event=login", "password": "secret words 1"})
    client.post("/login", data={"email": user.email, "password": "correct horse battery staple"})
    client.get("/admin/users")  # an expert may not: 403
    app.config["WTF_CSRF_ENABLED"] = True
    client.post("/logout")  # no token
    records = [r for r in caplog.records if r.name == "surveyapp.security"]
    assert [r.event for r in records] == ["login_failed", "login", "forbidden", "csrf_failed"]
    assert all(r.ip == "127.0.0.1" for r in records)
    assert records[2].user_id == str(user.id) and records[2].path == "/admin/users"
    for record in records:
        message = record.getMessage()
        assert "\n" not in message
        assert "secret words" not in message and "correct horse" not in message


def test_rate_limited_views_are_marked():
    """Views without the mark skip the limiter: limits must go through extensions.rate_limit."""
    package = Path(__file__).resolve().parents[1] / "surveyapp"
    direct = [
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if path.name != "extensions.py"
        and re.search(r"limiter\.(limit|shared_limit)\(", path.read_text())
    ]
    assert direct == []


def test_views_without_limits_skip_the_limiter(app):
    from surveyapp.extensions import _without_limits

    with app.test_request_context("/login", method="POST"):
        assert _without_limits() is False  # the login form is limited
    with app.test_request_context("/published"):
        assert _without_limits() is True
    app.config["RATELIMIT_DEFAULT"] = "100/minute"
    with app.test_request_context("/published"):
        assert _without_limits() is False  # limits for every view: nothing skips


def test_a_database_that_cannot_be_reached_gives_503_and_a_plain_message(
    app, client, login, create_user, create_region, create_assessment, monkeypatch
):
    """A restart or failover of the database: 503 with Retry-After, for pages and autosaves
    alike (the page retries by itself), not the 500 page; nothing saved is touched."""
    from sqlalchemy.exc import OperationalError

    from surveyapp.assessments import views

    region = create_region()
    officer = create_user(regions=[region])
    assessment = create_assessment(region=region)
    db.session.commit()
    login(officer)

    def unreachable(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))

    monkeypatch.setattr(views, "load_assessment_and_answer", unreachable)
    monkeypatch.setattr(views, "load_assessment", unreachable)
    saved = client.post(
        f"/assessments/{assessment.id}/answers/maturity", json={"value": ["3"], "version": 0}
    )
    assert saved.status_code == 503 and saved.headers["Retry-After"] == "5"
    assert "cannot be reached" in saved.json["error"]
    page = client.get(f"/assessments/{assessment.id}")
    assert page.status_code == 503 and page.headers["Retry-After"] == "5"
    assert "The database cannot be reached just now." in page.text
    assert "Traceback" not in page.text and "SELECT" not in page.text
    # The signed-in user cannot be read either: still the 503, kept out of shared caches.
    from surveyapp.extensions import login_manager

    monkeypatch.setattr(login_manager, "_user_callback", unreachable)
    for response in (client.get("/"), client.get(f"/assessments/{assessment.id}")):
        assert response.status_code == 503 and response.headers["Cache-Control"] == "no-store"
    monkeypatch.undo()
    assert client.get(f"/assessments/{assessment.id}").status_code == 200  # usable again at once


def test_a_database_without_the_tables_this_version_uses_is_an_error_not_a_wait(
    app, client, login, create_user, create_region, create_assessment, monkeypatch, caplog
):
    """An app started without ``flask db upgrade`` does not tell officers to try again in a
    moment (SQLite calls a missing table an OperationalError, as it does a locked database):
    the 500 page, and the log says what to do."""
    from sqlalchemy import text

    from surveyapp.assessments import views

    region = create_region()
    officer = create_user(regions=[region])
    assessment = create_assessment(region=region)
    db.session.commit()
    login(officer)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: the error page, not a raise

    def missing_table(*args, **kwargs):
        db.session.execute(text("SELECT id FROM table_of_a_later_version"))

    monkeypatch.setattr(views, "load_assessment", missing_table)
    page = client.get(f"/assessments/{assessment.id}")
    assert page.status_code == 500 and "Retry-After" not in page.headers
    assert "Your saved answers are safe." in page.text and "cannot be reached" not in page.text
    monkeypatch.undo()
    assert client.get(f"/assessments/{assessment.id}").status_code == 200
    if db.engine.dialect.name == "sqlite":
        assert "flask db upgrade" in caplog.text


def test_production_cookies_carry_the_host_prefix(prod_app, create_user):
    """__Host-: sent only over HTTPS, for this host only (no Domain), for every path."""
    create_user(email="e@example.org", role=Role.expert)
    db.session.commit()
    response = prod_app.test_client().post(
        "/login",
        base_url="https://surveyapp.example",
        data={"email": "e@example.org", "password": "correct horse battery staple"},
    )
    assert response.status_code == 302
    for cookie in response.headers.getlist("Set-Cookie"):
        name, _sep, attributes = cookie.partition("=")
        assert name.startswith("__Host-"), cookie
        assert "Secure" in attributes and "Path=/;" in attributes + ";"
        assert "Domain=" not in attributes
    assert prod_app.config["REMEMBER_COOKIE_NAME"].startswith("__Host-")


def test_reset_link_pages_are_never_cached(app, client, create_user):
    """The link's token is a secret in the address: no cache keeps its pages."""
    from surveyapp.auth.operations import issue_reset_token

    admin = create_user(email="a@example.org", role=Role.admin)
    user = create_user(email="u@example.org", role=Role.expert)
    token = issue_reset_token(user, admin)
    db.session.commit()
    shown = client.get(f"/reset/{token}")
    refused = client.post(f"/reset/{token}", data={"password": "short", "confirm": "short"})
    unknown = client.get("/reset/not-a-token")
    assert [shown.status_code, refused.status_code, unknown.status_code] == [200, 422, 404]
    for response in (shown, refused, unknown):
        assert response.headers["Cache-Control"] == "no-store"
