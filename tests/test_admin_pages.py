"""Administrators manage rounds and accounts through pages."""

from sqlalchemy import select

from surveyapp.auth.models import Role, User
from surveyapp.extensions import db
from surveyapp.rounds.models import Round, RoundState


def admin_client(app, login, create_user):
    client = app.test_client()
    login(create_user(email="ada@example.org", role=Role.admin), client=client)
    return client


def test_plan_open_and_close_a_round(app, login, create_user, small_questionnaire):
    client = admin_client(app, login, create_user)
    data = {
        "name": "2027 spring",
        "questionnaire": str(small_questionnaire.id),
        "opens_on": "2027-03-01",
        "closes_on": "2027-02-01",
    }
    refused = client.post("/admin/rounds", data=data)
    assert refused.status_code == 422
    assert "The round cannot close before it opens." in refused.text
    assert 'value="2027 spring"' in refused.text  # what was typed stays
    data["closes_on"] = "2027-05-31"
    assert client.post("/admin/rounds", data=data).status_code == 302
    round_ = db.session.scalar(select(Round).filter_by(name="2027 spring"))
    assert round_.state == RoundState.planned
    again = client.post("/admin/rounds", data=data)
    assert "A round with this name already exists." in again.text
    assert client.post(f"/admin/rounds/{round_.id}/close").status_code == 409
    client.post(f"/admin/rounds/{round_.id}/open")
    db.session.expire_all()
    assert db.session.get(Round, round_.id).state == RoundState.open
    client.post(f"/admin/rounds/{round_.id}/close")
    db.session.expire_all()
    assert db.session.get(Round, round_.id).state == RoundState.closed


def test_create_an_account_with_a_one_time_link(app, login, create_user, create_region):
    create_region("ES21", "País Vasco")
    client = admin_client(app, login, create_user)
    no_region = client.post(
        "/admin/users/new", data={"email": "olga@example.org", "name": "Olga", "role": "officer"}
    )
    assert no_region.status_code == 422
    assert "An officer needs at least one region." in no_region.text
    created = client.post(
        "/admin/users/new",
        data={"email": "Olga@Example.org", "name": "Olga", "role": "officer", "codes": "es21"},
    )
    assert created.status_code == 200 and "/reset/" in created.text
    user = db.session.scalar(select(User).filter_by(email="olga@example.org"))
    assert [r.code for r in user.regions] == ["ES21"]
    duplicate = client.post(
        "/admin/users/new",
        data={"email": "olga@example.org", "name": "Olga", "role": "expert"},
    )
    assert "This email is not valid or is already used." in duplicate.text


def test_role_and_region_changes_apply_at_once(app, login, create_user, create_region):
    region = create_region("ES21", "País Vasco")
    officer = create_user(email="olga@example.org", regions=[region])
    own = app.test_client()
    login(officer, client=own)
    assert own.get("/reviews").status_code == 403
    admin = admin_client(app, login, create_user)
    response = admin.post(
        f"/admin/users/{officer.id}/edit", data={"name": "Olga", "role": "expert", "codes": ""}
    )
    assert response.status_code == 302
    assert own.get("/reviews").status_code == 200  # the next request already sees the new role


def test_admins_cannot_demote_themselves(app, login, create_user):
    client = admin_client(app, login, create_user)
    me = db.session.scalar(select(User).filter_by(email="ada@example.org"))
    response = client.post(f"/admin/users/{me.id}/edit", data={"name": "Ada", "role": "expert"})
    assert "You cannot remove your own administrator role." in response.text
    db.session.expire_all()
    assert db.session.get(User, me.id).role == Role.admin
