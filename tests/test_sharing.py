"""Who does what (issue 25, part 3): sections given to the region's officers, and who else is
at work in a section now (refreshed by the autosave's requests)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from surveyapp.assessments.models import SectionAssignment, SectionPresence
from surveyapp.audit.models import AuditEvent
from surveyapp.auth.models import Role
from surveyapp.extensions import db
from tests.conftest import PASSWORD


@pytest.fixture
def team(create_region, create_user, create_assessment):
    region, other = create_region("ES21", "País Vasco"), create_region("ES22", "Navarra")
    return {
        "assessment": create_assessment(region=region),
        "olga": create_user(email="olga@example.org", name="Olga", regions=[region]),
        "oskar": create_user(email="oskar@example.org", name="Oskar", regions=[region]),
        "nora": create_user(email="nora@example.org", name="Nora", regions=[other]),
        "emil": create_user(email="emil@example.org", name="Emil", role=Role.expert),
    }


def as_user(app, user):
    client = app.test_client()
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    return client


def share(client, assessment, **chosen):
    data = {f"section__{section}": value for section, value in chosen.items()}
    return client.post(f"/assessments/{assessment.id}/assignments", data=data)


def test_an_officer_gives_a_section_to_a_colleague_who_sees_it_is_theirs(app, team):
    assessment, olga, oskar = team["assessment"], team["olga"], team["oskar"]
    client = as_user(app, olga)
    form = client.get(f"/assessments/{assessment.id}/assignments").get_data(as_text=True)
    assert "Oskar" in form and "Nora" not in form  # the region's officers only
    assert share(client, assessment, basics=oskar.id, networks="").status_code == 302
    overview = client.get(f"/assessments/{assessment.id}").get_data(as_text=True)
    assert "Oskar" in overview
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "section.assigned"))
    assert event.new_value == {"section": "basics", "user": "Oskar", "user_id": oskar.id}
    history = client.get(f"/assessments/{assessment.id}/history").get_data(as_text=True)
    assert "Gave the section Basics to Oskar." in history

    colleague = as_user(app, oskar)
    home = colleague.get("/").get_data(as_text=True)
    assert "Assigned to you" in home
    assert f"/assessments/{assessment.id}/sections/basics" in home
    page = colleague.get(f"/assessments/{assessment.id}/sections/basics").get_data(as_text=True)
    assert "This section is assigned to you." in page
    page = client.get(f"/assessments/{assessment.id}/sections/basics").get_data(as_text=True)
    assert "This section is assigned to Oskar." in page

    again = share(client, assessment, basics=oskar.id)
    assert again.status_code == 302
    assert "Nothing changed" in client.get(f"/assessments/{assessment.id}").get_data(as_text=True)
    # Given back to nobody: one more event, and the home page has nothing for Oskar.
    assert share(client, assessment, basics="").status_code == 302
    assert db.session.scalar(select(SectionAssignment)) is None
    assert "Assigned to you" not in colleague.get("/").get_data(as_text=True)
    assert "Took the section Basics back: nobody is given it now." in client.get(
        f"/assessments/{assessment.id}/history"
    ).get_data(as_text=True)


def test_only_the_regions_officers_are_given_sections_and_by_them_only(app, team):
    assessment = team["assessment"]
    client = as_user(app, team["olga"])
    refused = share(client, assessment, basics=team["nora"].id)
    assert refused.status_code == 422
    assert "Not a valid choice" in refused.get_data(as_text=True)
    assert db.session.scalar(select(SectionAssignment)) is None
    assert share(as_user(app, team["nora"]), assessment, basics="").status_code == 404
    assert share(as_user(app, team["emil"]), assessment, basics="").status_code == 404


def test_who_else_saved_in_a_section_lately_is_named_there_and_in_the_saves_reply(app, team):
    assessment = team["assessment"]
    olga, oskar = as_user(app, team["olga"]), as_user(app, team["oskar"])
    url = f"/assessments/{assessment.id}/answers/maturity"
    saved = olga.post(url, json={"value": ["2"], "version": 0})
    assert saved.status_code == 200 and saved.json["present"] == ""  # nobody else yet
    # The next saves within half a minute write no presence and say nothing of it.
    again = olga.post(url, json={"value": ["3"], "version": 1})
    assert again.status_code == 200 and "present" not in again.json
    page = oskar.get(f"/assessments/{assessment.id}/sections/basics").get_data(as_text=True)
    assert "Also at work on this section: Olga (saved" in page
    own = olga.get(f"/assessments/{assessment.id}/sections/basics").get_data(as_text=True)
    assert "Also at work on this section" not in own  # never oneself
    reply = oskar.post(
        f"/assessments/{assessment.id}/answers/has_unit", json={"value": ["yes"], "version": 0}
    )
    assert reply.status_code == 200
    assert reply.json["present"].startswith("Also at work on this section: Olga (saved")
    assert db.session.scalar(select(db.func.count()).select_from(SectionPresence)) == 2
    # Past the window, nobody is named any more.
    app.config["PRESENCE_WINDOW_SECONDS"] = 0
    page = oskar.get(f"/assessments/{assessment.id}/sections/basics").get_data(as_text=True)
    assert "Also at work on this section" not in page
    # Another section shows nobody.
    page = oskar.get(f"/assessments/{assessment.id}/sections/networks").get_data(as_text=True)
    assert "Also at work on this section" not in page


def test_someone_deactivated_or_erased_is_neither_named_nor_given_sections(app, team):
    from surveyapp.privacy.operations import erase_user

    assessment, oskar = team["assessment"], team["oskar"]
    client = as_user(app, team["olga"])
    share(client, assessment, basics=oskar.id)
    as_user(app, oskar).post(
        f"/assessments/{assessment.id}/answers/maturity", json={"value": ["2"], "version": 0}
    )
    oskar.active = False
    db.session.commit()
    page = client.get(f"/assessments/{assessment.id}/sections/basics").get_data(as_text=True)
    assert "assigned to Oskar" not in page and "Also at work" not in page
    overview = client.get(f"/assessments/{assessment.id}").get_data(as_text=True)
    assert "<td>Oskar</td>" not in overview
    # Saving the sharing-out for another section writes nothing about his.
    events = db.session.scalar(select(db.func.count(AuditEvent.id)))
    assert share(client, assessment, networks=team["olga"].id).status_code == 302
    assert db.session.scalar(select(db.func.count(AuditEvent.id))) == events + 1
    # Erased, the history names him by his pseudonym only.
    erase_user(oskar, team["emil"])
    db.session.commit()
    history = client.get(f"/assessments/{assessment.id}/history").get_data(as_text=True)
    assert "Oskar" not in history and f"Former user {oskar.id}" in history
    assert db.session.scalar(select(SectionPresence).filter_by(user_id=oskar.id)) is None


def test_someone_moved_to_another_region_is_no_longer_named_there(app, team, create_assessment):
    """Moved to a region that has an assessment of its own: the check that the named person is
    an officer of *this* assessment's region must not be satisfied by any other assessment."""
    assessment, oskar = team["assessment"], team["oskar"]
    client = as_user(app, team["olga"])
    share(client, assessment, basics=oskar.id)
    as_user(app, oskar).post(
        f"/assessments/{assessment.id}/answers/maturity", json={"value": ["2"], "version": 0}
    )
    page = client.get(f"/assessments/{assessment.id}/sections/basics").get_data(as_text=True)
    assert "assigned to Oskar" in page and "Also at work on this section: Oskar" in page
    navarra = team["nora"].regions[0]
    create_assessment(region=navarra, round_=assessment.round)
    oskar.regions = [navarra]
    db.session.commit()
    page = client.get(f"/assessments/{assessment.id}/sections/basics").get_data(as_text=True)
    assert "assigned to Oskar" not in page and "Also at work" not in page
    saved = client.post(
        f"/assessments/{assessment.id}/answers/has_unit", json={"value": ["yes"], "version": 0}
    )
    assert saved.status_code == 200 and saved.json["present"] == ""
