"""Publishing a round's report and releasing its moderated scores ask first (a confirmation
page that works without JavaScript); asking changes nothing."""

import re

import pytest
from sqlalchemy import func, select

from surveyapp.assessments.models import AssessmentState
from surveyapp.auth.models import Role
from surveyapp.extensions import db
from surveyapp.publication.models import Publication
from surveyapp.rounds.models import Round, RoundState


@pytest.fixture
def admin_client(app, login, create_user):
    client = app.test_client()
    login(create_user(email="admin@example.org", role=Role.admin), client=client)
    return client


@pytest.fixture
def closed_round(scored_world):
    round_ = scored_world["round"]
    round_.state = RoundState.closed
    for code, assessment in scored_world["assessments"].items():
        # One validated, five still submitted (in review).
        validated = code == "ES21"
        assessment.state = AssessmentState.validated if validated else AssessmentState.submitted
    db.session.commit()
    return round_


def publications():
    return db.session.scalar(select(func.count()).select_from(Publication))


def released(round_):
    db.session.expire_all()
    return db.session.get(Round, round_.id).moderated_released


def test_publishing_asks_first(admin_client, closed_round):
    rid = closed_round.id
    rounds = admin_client.get("/admin/rounds").text
    assert f'href="/admin/rounds/{rid}/publication"' in rounds
    assert f'action="/admin/rounds/{rid}/publication' not in rounds  # no one-click publish
    confirm = admin_client.get(f"/admin/rounds/{rid}/publication")
    assert confirm.status_code == 200
    assert "Publish the working-group report of 2026 spring?" in confirm.text
    assert "Anyone, without signing in, can then read" in confirm.text
    # What the report counts: its participation, and the assessments its figures count.
    figures = re.findall(r"<dt>([^<]+)</dt><dd>(\d+)</dd>", confirm.text)
    assert figures == [
        ("Assessments received from the regions", "6"),
        ("Validated: counted in this report", "1"),
    ]
    assert f'action="/admin/rounds/{rid}/publication?to=publish"' in confirm.text
    assert publications() == 0
    assert admin_client.post(f"/admin/rounds/{rid}/publication").status_code == 302  # no step
    assert publications() == 0
    assert admin_client.post(f"/admin/rounds/{rid}/publication?to=publish").status_code == 302
    assert publications() == 1
    # Published: the page offers to withdraw (one click), and asking again says so.
    again = admin_client.get(f"/admin/rounds/{rid}/publication", follow_redirects=True)
    assert "This round&#39;s report is published already." in again.text


def test_an_open_round_is_not_offered_for_publication(admin_client, scored_world):
    rid = scored_world["round"].id
    refused = admin_client.get(f"/admin/rounds/{rid}/publication", follow_redirects=True)
    assert "Only a closed round can be published" in refused.text
    assert publications() == 0


def test_releasing_moderated_scores_asks_first(admin_client, closed_round):
    rid = closed_round.id
    rounds = admin_client.get("/admin/rounds").text
    assert f'href="/admin/rounds/{rid}/release"' in rounds
    assert f'action="/admin/rounds/{rid}/release' not in rounds  # no one-click release
    confirm = admin_client.get(f"/admin/rounds/{rid}/release")
    assert confirm.status_code == 200
    assert "Release the moderated scores of 2026 spring to the officers?" in confirm.text
    # Five of the six submitted assessments are not validated yet.
    assert "5 submitted assessments are not validated yet" in confirm.text
    assert f'action="/admin/rounds/{rid}/release?to=release"' in confirm.text
    assert not released(closed_round)
    admin_client.post(f"/admin/rounds/{rid}/release?to=release")
    admin_client.post(f"/admin/rounds/{rid}/release?to=release")  # a double submit: still released
    assert released(closed_round)
    # Withholding again asks first too (it was one click).
    rounds = admin_client.get("/admin/rounds").text
    assert f'action="/admin/rounds/{rid}/release?to=withhold"' not in rounds
    assert f'href="/admin/rounds/{rid}/withhold"' in rounds
    confirm = admin_client.get(f"/admin/rounds/{rid}/withhold")
    assert "Hide the moderated scores of 2026 spring from the officers again?" in confirm.text
    assert f'action="/admin/rounds/{rid}/release?to=withhold"' in confirm.text
    back = admin_client.get(f"/admin/rounds/{rid}/release", follow_redirects=True)
    assert "Officers already see the moderated scores of 2026 spring." in back.text


@pytest.mark.parametrize(
    ("role", "url", "expected"),
    [
        (None, "/admin/rounds/{rid}/publication", 302),
        (Role.officer, "/admin/rounds/{rid}/publication", 403),
        (Role.expert, "/admin/rounds/{rid}/publication", 403),
        (Role.admin, "/admin/rounds/{rid}/publication", 200),
        (None, "/admin/rounds/{rid}/release", 302),
        (Role.officer, "/admin/rounds/{rid}/release", 403),
        (Role.expert, "/admin/rounds/{rid}/release", 403),
        (Role.admin, "/admin/rounds/{rid}/release", 200),
    ],
)
def test_only_administrators_are_asked(app, login, create_user, closed_round, role, url, expected):
    client = app.test_client()
    if role is not None:
        login(create_user(email="someone@example.org", role=role), client=client)
    assert client.get(url.format(rid=closed_round.id)).status_code == expected
    assert publications() == 0 and not released(closed_round)


def test_withdrawing_a_published_report_asks_first(app, admin_client, closed_round):
    rid = closed_round.id
    admin_client.post(f"/admin/rounds/{rid}/publication?to=publish")
    rounds = admin_client.get("/admin/rounds").text
    assert f'action="/admin/rounds/{rid}/publication?to=withdraw"' not in rounds  # one click
    assert f'href="/admin/rounds/{rid}/publication/withdraw"' in rounds
    confirm = admin_client.get(f"/admin/rounds/{rid}/publication/withdraw")
    assert "Withdraw the published report of 2026 spring?" in confirm.text
    assert f'action="/admin/rounds/{rid}/publication?to=withdraw"' in confirm.text
