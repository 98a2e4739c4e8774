"""Choosing a password (issue 19, item 10): common and guessable passwords are refused, with a
message that says why, wherever a password is set: the reset link, the user's own change, the
administrator's new account and the CLI."""

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from surveyapp.audit.models import AuditEvent
from surveyapp.auth.models import Role, User
from surveyapp.auth.operations import check_new_password
from surveyapp.extensions import db

PASSWORD = "correct horse battery staple"
#: Common or guessable, each at least 12 characters (long enough by length alone).
WEAK = [
    "password1234",
    "Password1234!",
    "qwertyuiop12",
    "aaaaaaaaaaaaaaaa",
    "abcdefghijklmnop",
    "iloveyou2020",
]


@pytest.fixture
def admin(create_user):
    return create_user(email="ada@example.org", name="Ada", role=Role.admin)


@pytest.fixture
def officer(create_user, create_region):
    return create_user(email="olga.berg@example.org", name="Olga Berg", regions=[create_region()])


def reset_link(app, admin, user):
    client = app.test_client()
    client.post("/login", data={"email": admin.email, "password": PASSWORD})
    page = client.post(f"/admin/users/{user.id}/reset-link").text
    return re.search(r'value="http://localhost(/reset/[^"]+)"', page).group(1)


@pytest.mark.parametrize("password", WEAK)
def test_weak_passwords_are_refused_with_a_reason(app, password):
    with app.test_request_context():
        reason = check_new_password(password)
        assert reason is not None
        assert "guess" in str(reason) or "common" in str(reason)


def test_the_password_of_the_tests_and_passphrases_are_accepted(app):
    with app.test_request_context():
        for password in (PASSWORD, "a long enough password", "violet staircase under rain"):
            assert check_new_password(password) is None


def test_a_password_made_of_the_users_own_email_or_name_is_refused(app):
    with app.test_request_context():
        reason = check_new_password("olga.berg@example.org", ["olga.berg@example.org", "Olga"])
        assert "email address or name" in str(reason)
        # Name and email side by side, or with digits and signs: zxcvbn scored these strong.
        personal = ["admin@demo.example", "Ada Admin"]
        for password in (
            "Ada Admin admin@demo.example",
            "ADMIN@demo.example ada 2026!",
            "Ada Admin admin@demo.example 123456",  # a weak remainder, however long
            "Ada Admin admin@demo.example qwerty",
            "nimdA adA elpmaxe.omed@nimda",  # the same, reversed
        ):
            reason = check_new_password(password, personal)
            assert "email address or name" in str(reason), password
        # A passphrase that only begins with the name is the user's own choice.
        assert check_new_password("Ada violet staircase under rain", personal) is None


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(password=st.text(min_size=0, max_size=1100))
def test_any_text_gets_an_answer_not_an_error(app, password):
    """Long, short, surrogates, control characters: a reason or None, never an exception."""
    with app.test_request_context():
        reason = check_new_password(password, ["olga@example.org", "Olga"])
        assert reason is None or str(reason)
    if len(password) < 12 or len(password) > 1024:
        assert reason is not None


def test_the_reset_link_refuses_a_common_password(app, admin, officer):
    link = reset_link(app, admin, officer)
    client = app.test_client()
    refused = client.post(link, data={"password": "password1234", "confirm": "password1234"})
    assert refused.status_code == 422
    assert "common password" in refused.text
    # Nothing changed: the old password still works, the link still does.
    assert (
        client.post("/login", data={"email": officer.email, "password": PASSWORD}).status_code
        == 302
    )
    assert app.test_client().get(link).status_code == 200


def test_the_cli_refuses_a_common_password(app, cli):
    result = cli.invoke(
        args=[
            "users",
            "create",
            "--email",
            "e@example.org",
            "--name",
            "E",
            "--role",
            "expert",
            "--password-stdin",
        ],
        input="password1234\n",
    )
    assert result.exit_code != 0
    assert "common password" in result.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_users_change_their_own_password(app, officer):
    client = app.test_client()
    client.post("/login", data={"email": officer.email, "password": PASSWORD})
    other_session = app.test_client()
    other_session.post("/login", data={"email": officer.email, "password": PASSWORD})
    page = client.get("/account/password")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"

    new = "violet staircase under rain"
    wrong = client.post(
        "/account/password", data={"current": "not it at all", "password": new, "confirm": new}
    )
    assert wrong.status_code == 422 and "current password is not correct" in wrong.text
    weak = client.post(
        "/account/password",
        data={"current": PASSWORD, "password": "password1234", "confirm": "password1234"},
    )
    assert weak.status_code == 422 and "common password" in weak.text

    done = client.post(
        "/account/password", data={"current": PASSWORD, "password": new, "confirm": new}
    )
    assert done.status_code == 302
    assert client.get("/").status_code == 200  # still signed in here...
    assert other_session.get("/").status_code == 302  # ...and signed out everywhere else
    fresh = app.test_client()
    assert fresh.post("/login", data={"email": officer.email, "password": new}).status_code == 302
    actions = db.session.scalars(select(AuditEvent.action).filter_by(object_id=officer.id))
    assert "user.password_changed" in list(actions)
