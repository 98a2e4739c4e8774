"""Contact between regions: asking to be put in touch from a suggestion or a good practice,
answering, and the consent rules throughout (issue 22, part 4)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from surveyapp.analysis.dashboard import partner_list
from surveyapp.assessments.models import AssessmentState
from surveyapp.audit.models import AuditEvent
from surveyapp.auth.models import Role
from surveyapp.contacts.models import ContactRequest, ContactState
from surveyapp.extensions import db
from tests.test_similar_regions import REGIONS, import_structure, structure
from tests.test_similar_regions import world as world  # the fixture


@pytest.fixture
def officers(create_user, world):
    regions = world["regions"]
    return {
        code: create_user(
            email=f"{code.lower()}@example.org",
            name=f"Officer of {code}",
            role=Role.officer,
            regions=[regions[code]],
        )
        for code in regions
    }


def unnamed_suggestion(world, code="ES12"):
    """A partner suggested to ``code`` that did not agree to be named, and its page token."""
    found = partner_list(world["regions"][code], world["round"], "en")
    row = next(p for p in found if p["code"] is None)
    token = row["contact_token"]
    # Which region it is, found as the server finds it (the page never says).
    from surveyapp.contacts.queries import suggested_target

    target = suggested_target(world["round"], world["regions"][code].id, token)
    code_of = {r.id: c for c, r in world["regions"].items()}
    return token, code_of[target.region_id]


def ask(client, world, token, message="We would like to compare our EDP practice.", code="ES12"):
    url = f"/contacts/new?round={world['round'].id}&from={code}&target={token}"
    page = client.get(url)
    return (
        url,
        page,
        client.post(url, data={"from_region_id": world["regions"][code].id, "message": message}),
    )


def test_a_request_to_an_unnamed_region_is_routed_without_naming_it(
    app, client, login, world, officers
):
    token, target = unnamed_suggestion(world)
    target_name = REGIONS[target][0]
    login(officers["ES12"])
    _url, page, sent = ask(client, world, token)
    assert page.status_code == 200
    assert target not in page.text and target_name not in page.text
    assert "not named to you" in page.text
    assert sent.status_code == 302
    listing = client.get("/contacts").text
    assert "A suggested region, named once it accepts" in listing
    assert target not in listing and target_name not in listing
    request = db.session.scalar(select(ContactRequest))
    assert request.state == ContactState.pending and request.message.startswith("We would")
    assert request.reasons["shared"]  # the suggestion's reasons kept with it
    # The asked region's officers are told, and see who asks and why.
    client.post("/logout")
    login(officers[target])
    notes = client.get("/notifications").text
    assert "Officer of ES12 of Region ES12 asks to be put in touch with your region." in notes
    received = client.get("/contacts").text
    assert "Region ES12 (ES12)" in received and "We would like to compare" in received
    assert "Shared priority areas and partnerships" in received
    assert "es12@example.org" not in received  # contact details only once accepted
    # It accepts: both sides see each other's contact person, and the asker learns who it is.
    assert client.post(f"/contacts/{request.id}/accept").status_code == 302
    assert "es12@example.org" in client.get("/contacts").text
    client.post("/logout")
    login(officers["ES12"])
    listing = client.get("/contacts").text
    assert f"{target_name} ({target})" in listing
    assert f"{target.lower()}@example.org" in listing
    assert (
        f"{target_name} accepted your request to be put in touch."
        in client.get("/notifications").text
    )
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.object_type == "contact_request")
    ).all()
    assert sorted(actions) == ["contact.accepted", "contact.requested"]


def test_a_declined_request_reveals_nothing(app, client, login, world, officers):
    token, target = unnamed_suggestion(world)
    target_name = REGIONS[target][0]
    login(officers["ES12"])
    ask(client, world, token)
    request = db.session.scalar(select(ContactRequest))
    client.post("/logout")
    login(officers[target])
    client.post(f"/contacts/{request.id}/decline")
    client.post("/logout")
    login(officers["ES12"])
    listing = client.get("/contacts").text
    notes = client.get("/notifications").text
    assert "Declined" in listing
    assert "A request of your region to be put in touch was declined." in notes
    for text in (listing, notes):
        assert target not in text and target_name not in text
        assert f"{target.lower()}@example.org" not in text
    # Nor can it be answered again, or withdrawn now.
    assert (
        "already been answered"
        in client.post(f"/contacts/{request.id}/withdraw", follow_redirects=True).text
    )


def test_only_the_regions_concerned_see_and_answer(app, client, login, world, officers):
    token, target = unnamed_suggestion(world)
    login(officers["ES12"])
    ask(client, world, token)
    request = db.session.scalar(select(ContactRequest))
    # The asker cannot accept its own request; a third region cannot see or answer it.
    assert (
        "Only an officer of the asked region"
        in client.post(f"/contacts/{request.id}/accept", follow_redirects=True).text
    )
    bystander = next(c for c in officers if c not in ("ES12", target))
    client.post("/logout")
    login(officers[bystander])
    assert client.post(f"/contacts/{request.id}/accept").status_code == 404
    assert "Region ES12" not in client.get("/contacts").text
    db.session.refresh(request)
    assert request.state == ContactState.pending


def test_bad_requests_are_refused_at_the_field_and_nothing_is_saved(
    app, client, login, world, officers
):
    token, _target = unnamed_suggestion(world)
    login(officers["ES12"])
    _url, _page, too_long = ask(client, world, token, message="x" * 2001)
    assert too_long.status_code == 422
    assert re.search(r'id="message-error"[^>]*>[^<]*2,?000', too_long.text)
    assert db.session.scalar(select(func.count(ContactRequest.id))) == 0
    ask(client, world, token)
    _url, _page, again = ask(client, world, token)
    assert again.status_code == 422
    assert "already asked this region" in again.text
    assert db.session.scalar(select(func.count(ContactRequest.id))) == 1
    # A token that stands for no current suggestion names nothing and asks no one.
    stale = client.get(
        f"/contacts/new?round={world['round'].id}&from=ES12&target=0123456789abcdef",
        follow_redirects=True,
    )
    assert "no longer current" in stale.text
    # Nor can an officer ask on behalf of another region.
    assert (
        client.get(f"/contacts/new?round={world['round'].id}&from=FR12&target={token}").status_code
        == 404
    )


def test_the_dashboard_and_the_library_lead_to_a_request(
    app, cli, client, login, world, officers, create_user, tmp_path
):
    import_structure(cli, tmp_path, structure())
    login(officers["ES12"])
    page = client.get(f"/benchmarks/rounds/{world['round'].id}/regions/ES12").text
    links = re.findall(r'href="(/contacts/new\?[^"]+)"', page)
    assert links and all("target=" in link for link in links)
    # The links carry no region id or code of the suggested regions.
    for code in REGIONS:
        if code != "ES12":
            assert all(code not in link for link in links)
    # An expert sees the dashboard without the link (only a region's officers ask).
    client.post("/logout")
    login(create_user(email="expert@example.org", role=Role.expert))
    page = client.get(f"/benchmarks/rounds/{world['round'].id}/regions/ES12").text
    assert "/contacts/new" not in page


def test_the_api_gives_a_region_its_own_requests_only(app, client, login, world, officers):
    token, target = unnamed_suggestion(world)
    login(officers["ES12"])
    ask(client, world, token)
    body = client.get("/api/v1/contact-requests").get_json()
    (sent,) = body["sent"]
    assert body["received"] == []
    assert sent["state"] == "pending" and sent["contact"] is None
    assert target not in str(body) and REGIONS[target][0] not in str(body)
    client.post("/logout")
    login(officers[target])
    (received,) = client.get("/api/v1/contact-requests").get_json()["received"]
    assert received["region"] == "Region ES12 (ES12)"
    client.post(f"/contacts/{received['id']}/accept")
    assert client.get("/api/v1/contact-requests").get_json()["received"][0]["contact"] == {
        "name": "Officer of ES12",
        "email": "es12@example.org",
    }
    bystander = next(c for c in officers if c not in ("ES12", target))
    client.post("/logout")
    login(officers[bystander])
    assert client.get("/api/v1/contact-requests").get_json() == {"received": [], "sent": []}


def test_a_good_practice_of_a_named_region_leads_to_a_request(app, client, login, world, officers):
    from surveyapp.assessments.models import Assessment
    from surveyapp.practices.models import GoodPractice

    named = world["regions"]["IT12"]  # agreed to be named
    assessment = db.session.scalar(select(Assessment).filter_by(region_id=named.id))
    practice = GoodPractice(
        assessment_id=assessment.id, title="Joint innovation vouchers", summary="How it works."
    )
    db.session.add(practice)
    db.session.commit()
    login(officers["ES12"])
    library = client.get("/good-practices").text
    assert f"/contacts/new?practice={practice.id}" in library
    page = client.get(f"/contacts/new?practice={practice.id}")
    assert "Region IT12 (IT12)" in page.text and "Joint innovation vouchers" in page.text
    sent = client.post(
        f"/contacts/new?practice={practice.id}",
        data={"from_region_id": world["regions"]["ES12"].id, "message": ""},
    )
    assert sent.status_code == 302
    request = db.session.scalar(select(ContactRequest))
    assert request.to_region_id == named.id and request.practice_id == practice.id
    assert "About the good practice: Joint innovation vouchers" in client.get("/contacts").text
    # The officer's own region's practices offer no request.
    own = db.session.scalar(select(Assessment).filter_by(region_id=world["regions"]["ES12"].id))
    mine = GoodPractice(assessment_id=own.id, title="Our own", summary="Ours.")
    db.session.add(mine)
    db.session.commit()
    assert f"/contacts/new?practice={mine.id}" not in client.get("/good-practices").text


def test_odd_tokens_and_another_of_the_officers_regions_are_refused(
    app, client, login, world, officers, create_user
):
    token, _target = unnamed_suggestion(world)
    both = create_user(
        email="both@example.org",
        role=Role.officer,
        regions=[world["regions"]["ES12"], world["regions"]["PL13"]],
    )
    login(both)
    base = f"/contacts/new?round={world['round'].id}&from=ES12"
    for odd in ("%C3%A9", "Z" * 32, token.upper(), token + "0"):
        response = client.get(f"{base}&target={odd}", follow_redirects=True)
        assert response.status_code == 200 and "no longer current" in response.text
    # The suggestion was ES12's: PL13 cannot send it (with ES12's reasons) under its name.
    page = client.get(f"{base}&target={token}").text
    assert "Region PL13" not in page
    sent = client.post(
        f"{base}&target={token}", data={"from_region_id": world["regions"]["PL13"].id}
    )
    assert sent.status_code == 422
    assert db.session.scalar(select(func.count(ContactRequest.id))) == 0


def test_a_refusal_never_tells_which_region_an_unnamed_suggestion_is(
    app, client, login, world, officers, create_round, create_assessment
):
    """Asked once through a suggestion that does not name it, the same region reached again
    where it is named (its good practice in another round) is asked again, not refused: a
    refusal would tell the asker which region the suggestion was."""
    from surveyapp.practices.models import GoodPractice

    token, target = unnamed_suggestion(world)
    login(officers["ES12"])
    ask(client, world, token)
    later = create_round("2026 autumn")
    assessment = create_assessment(region=world["regions"][target], round_=later)
    assessment.state = AssessmentState.validated
    assessment.consent_named = True
    practice = GoodPractice(assessment_id=assessment.id, title="Vouchers", summary="How.")
    db.session.add(practice)
    db.session.commit()
    again = client.post(
        f"/contacts/new?practice={practice.id}",
        data={"from_region_id": world["regions"]["ES12"].id},
    )
    assert again.status_code == 302
    assert db.session.scalar(select(func.count(ContactRequest.id))) == 2
    # Where both routes name the region, asking twice is refused.
    twice = client.post(
        f"/contacts/new?practice={practice.id}",
        data={"from_region_id": world["regions"]["ES12"].id},
    )
    assert twice.status_code == 422 and "already asked this region" in twice.text


def test_partner_figures_are_written_as_scores(client, login, world, officers):
    """The match and its two parts are 0-100 scores and written as every score is: one
    decimal, half away from zero on the canonical value (method D11), never Python's round()."""
    from surveyapp.analysis import queries
    from surveyapp.numbers import format_score

    round_, region = world["round"], world["regions"]["ES12"]
    found = queries.partner_suggestions(queries.round_scores(round_), region.id, column="moderated")
    assert found
    login(officers["ES12"])
    page = client.get(f"/benchmarks/rounds/{round_.id}/regions/ES12").text
    cells = re.findall(r'<td class="number">([^<]*)<br><span class="meta">shared ([^<]*)<', page)
    written = [(match.strip(), shared.strip()) for match, shared in cells]
    expected = [(format_score(100 * s.match), format_score(100 * s.shared_score)) for s in found]
    assert written == expected


def test_a_requests_reasons_name_their_lists_after_a_colon(app):
    """German read "Die anfragende Region ist stärker in Partnerschaften und Netzwerke" (a
    label set into a sentence, in the wrong case), as the partner suggestions did."""
    from flask_babel import force_locale

    from surveyapp.contacts.queries import reasons_text
    from surveyapp.questionnaires.loader import load_file

    definition = load_file("questionnaires/criterion7-interregional-v2.yaml")
    reasons = {"from_strengths": ["partnerships"], "to_strengths": ["governance", "funding"]}
    with app.test_request_context(), force_locale("de"):
        german = reasons_text(reasons, definition, "de")
    assert german[0].startswith("Wo die anfragende Region stärker ist: ")
    assert german[1].startswith("Wo die angefragte Region stärker ist: ")
    assert " und " in german[1]  # the reader's list form, not a comma
