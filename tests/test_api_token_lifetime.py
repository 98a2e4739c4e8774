"""How long an API token lives (issue 19, item 5): revoked when the password is reset or
changed or the account deactivated, and optionally expiring on a date chosen when it is made."""

import re
from datetime import timedelta

import pytest
from flask_babel import format_datetime
from sqlalchemy import func, select

from surveyapp.api.models import ApiToken
from surveyapp.api.operations import issue_token
from surveyapp.audit.models import AuditEvent
from surveyapp.auth.models import Role
from surveyapp.db import utcnow
from surveyapp.extensions import db

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "violet staircase under rain"


@pytest.fixture
def admin(create_user):
    return create_user(email="ada@example.org", name="Ada", role=Role.admin)


@pytest.fixture
def expert(create_user):
    return create_user(email="erik@example.org", name="Erik", role=Role.expert)


def token_headers(user, **kwargs):
    token = issue_token(user, "script", **kwargs)
    db.session.commit()
    return {"Authorization": f"Bearer {token}"}


def api_status(app, headers):
    response = app.test_client().get("/api/v1/rounds", headers=headers)
    return response.status_code, response


def revocations(user):
    return db.session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .filter_by(action="api_token.revoked", object_id=user.id)
    )


def signed_in(app, user, password=PASSWORD):
    client = app.test_client()
    assert (
        client.post("/login", data={"email": user.email, "password": password}).status_code == 302
    )
    return client


def test_a_password_reset_revokes_the_users_tokens(app, admin, expert):
    headers = token_headers(expert)
    assert api_status(app, headers)[0] == 200
    page = signed_in(app, admin).post(f"/admin/users/{expert.id}/reset-link").text
    link = re.search(r'value="http://localhost(/reset/[^"]+)"', page).group(1)
    done = app.test_client().post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302
    status, response = api_status(app, headers)
    assert status == 401 and response.is_json
    assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 0
    assert revocations(expert) == 1


def test_changing_ones_password_revokes_ones_tokens(app, expert):
    headers = token_headers(expert)
    client = signed_in(app, expert)
    done = client.post(
        "/account/password",
        data={"current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert done.status_code == 302
    assert api_status(app, headers)[0] == 401
    assert revocations(expert) == 1


def test_deactivation_revokes_the_tokens_for_good(app, admin, expert):
    headers = token_headers(expert)
    admin_client = signed_in(app, admin)
    admin_client.post(f"/admin/users/{expert.id}/deactivate")  # deactivated
    assert api_status(app, headers)[0] == 401
    admin_client.post(f"/admin/users/{expert.id}/activate")  # active again: the token stays dead
    assert api_status(app, headers)[0] == 401
    assert revocations(expert) == 1


def test_an_expired_token_gets_401_in_json(app, expert):
    headers = token_headers(expert, expires_at=utcnow() + timedelta(days=1))
    assert api_status(app, headers)[0] == 200
    token = db.session.scalar(select(ApiToken))
    token.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    status, response = api_status(app, headers)
    assert status == 401 and response.is_json and response.json["detail"]
    listing = signed_in(app, expert).get("/account/api-tokens").text
    assert "expired: it no longer works" in listing


def test_the_expiry_is_chosen_when_creating_and_shown(app, expert):
    client = signed_in(app, expert)
    page = client.get("/account/api-tokens").text
    assert 'name="expires_in"' in page
    made = client.post("/account/api-tokens", data={"name": "nightly", "expires_in": "30"})
    assert made.status_code == 302
    token = db.session.scalar(select(ApiToken).filter_by(name="nightly"))
    expires_at = token.expires_at.replace(tzinfo=utcnow().tzinfo)
    assert abs(expires_at - (utcnow() + timedelta(days=30))) < timedelta(minutes=5)
    listing = client.get("/account/api-tokens").text
    with app.test_request_context():
        shown = format_datetime(expires_at, "short")
    assert "Expires" in listing and shown in listing
    never = client.post("/account/api-tokens", data={"name": "forever", "expires_in": ""})
    assert never.status_code == 302
    assert db.session.scalar(select(ApiToken.expires_at).filter_by(name="forever")) is None
    bad = client.post("/account/api-tokens", data={"name": "odd", "expires_in": "-3"})
    assert bad.status_code == 422 and "odd" in bad.text  # the name typed is kept
    assert db.session.scalar(select(ApiToken).filter_by(name="odd")) is None


def test_the_cli_issues_a_token_with_an_expiry(app, cli, expert):
    result = cli.invoke(args=["users", "token", expert.email, "--expires-in", "7"])
    assert result.exit_code == 0, result.output
    expires_at = db.session.scalar(select(ApiToken.expires_at)).replace(tzinfo=utcnow().tzinfo)
    assert abs(expires_at - (utcnow() + timedelta(days=7))) < timedelta(minutes=5)
    refused = cli.invoke(args=["users", "token", expert.email, "--expires-in", "0"])
    assert refused.exit_code != 0
