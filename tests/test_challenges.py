"""Experts tag challenge answers with a shared taxonomy; the working group counts them."""

import pytest
from sqlalchemy import select

from surveyapp.assessments.models import AssessmentState
from surveyapp.assessments.operations import save_answer
from surveyapp.auth.models import Role
from surveyapp.challenges.models import ChallengeCategory, ChallengeTag
from surveyapp.challenges.operations import ensure_default_categories
from surveyapp.extensions import db


@pytest.fixture
def world(app, create_region, create_user, create_round, create_assessment):
    ensure_default_categories()
    first, second = create_round("2025 autumn"), create_round("2026 spring")
    expert = create_user(email="emil@example.org", role=Role.expert)
    assessments = {}
    for code in ("ES21", "ES22", "FR10"):
        region = create_region(code, f"Region {code}")
        officer = create_user(email=f"{code}@example.org", regions=[region])
        for round_ in (first, second):
            assessment = create_assessment(region=region, round_=round_)
            save_answer(assessment, "practice", f"{code} lacks staff and money.", officer)
            assessment.state = AssessmentState.submitted
            assessment.submitted_at = assessment.state_changed_at
            assessments[(code, round_.name)] = assessment
    draft_region = create_region("ES23", "Secret draft")
    draft = create_assessment(region=draft_region, round_=second)
    db.session.commit()
    categories = {c.name: c.id for c in db.session.scalars(select(ChallengeCategory))}
    return {
        "expert": expert,
        "assessments": assessments,
        "categories": categories,
        "rounds": (first, second),
        "draft": draft,
    }


def tag(client, assessment, categories, aspect=""):
    return client.post(
        f"/reviews/{assessment.id}/items/practice/challenges",
        data={"categories": [str(c) for c in categories], "aspect": aspect},
    )


def test_tags_are_counted_per_category_aspect_country_and_round(app, login, world):
    client = app.test_client()
    login(world["expert"], client=client)
    staff, funding = world["categories"]["Staff capacity"], world["categories"]["Funding"]
    spring = world["rounds"][1].name
    assert (
        tag(
            client, world["assessments"][("ES21", spring)], [staff, funding], "sme_adoption"
        ).status_code
        == 302
    )
    tag(client, world["assessments"][("ES22", spring)], [staff])
    tag(client, world["assessments"][("FR10", "2025 autumn")], [staff])
    # Tagging again replaces the earlier tags.
    tag(client, world["assessments"][("ES22", spring)], [funding])
    assert db.session.query(ChallengeTag).count() == 4

    page = client.get(f"/challenges?round={world['rounds'][1].id}").text
    assert "Staff capacity" in page
    from surveyapp.challenges.queries import challenge_counts

    counts = challenge_counts(world["rounds"][1].id)
    assert counts["per_category"] == {staff: 1, funding: 2}
    assert counts["by_aspect"][(staff, "sme_adoption")] == 1
    assert counts["by_country"][(funding, "ES")] == 2
    everything = challenge_counts(None)
    assert everything["per_category"][staff] == 2  # ES21 in spring, FR10 in autumn
    assert everything["by_round"][world["rounds"][0].id] == {staff: 1}

    answers = client.get(f"/challenges/{funding}").text
    assert "ES21 lacks staff and money." in answers and "Region ES22" in answers


def test_only_written_answers_of_submitted_assessments_are_tagged(app, login, world):
    client = app.test_client()
    login(world["expert"], client=client)
    staff = world["categories"]["Staff capacity"]
    assessment = world["assessments"][("ES21", "2026 spring")]
    refused = client.post(
        f"/reviews/{assessment.id}/items/maturity/challenges", data={"categories": [str(staff)]}
    )
    assert refused.status_code == 404
    assert tag(client, world["draft"], [staff]).status_code == 404  # drafts are invisible


def test_admins_keep_the_taxonomy(app, login, world, create_user):
    client = app.test_client()
    login(create_user(email="ada@example.org", role=Role.admin), client=client)
    refused = client.post("/admin/challenges", data={"name": "Funding"})
    assert refused.status_code == 422 and "already exists" in refused.text
    client.post("/admin/challenges", data={"name": "Language", "description": "Working languages."})
    language = db.session.scalar(select(ChallengeCategory).filter_by(name="Language"))
    client.post(f"/admin/challenges/{language.id}/active")
    db.session.expire_all()
    assert db.session.get(ChallengeCategory, language.id).active is False
    # A retired category is not offered, and cannot be tagged.
    expert = app.test_client()
    login(world["expert"], client=expert)
    assessment = world["assessments"][("ES21", "2026 spring")]
    tag(expert, assessment, [language.id])
    assert db.session.query(ChallengeTag).count() == 0
    assert "Language" not in expert.get(f"/reviews/{assessment.id}/sections/networks").text


def test_round_counts_match_the_overview_counts(app, world):
    """The working-group report's database counts agree with the overview's."""
    from surveyapp.challenges.operations import set_challenge_tags
    from surveyapp.challenges.queries import challenge_counts, round_counts

    staff, funding = world["categories"]["Staff capacity"], world["categories"]["Funding"]
    spring = world["rounds"][1]
    expert, assessments = world["expert"], world["assessments"]
    set_challenge_tags(
        assessments[("ES21", spring.name)], "practice", [staff, funding], "sme_adoption", expert
    )
    set_challenge_tags(assessments[("ES22", spring.name)], "practice", [staff], None, expert)
    set_challenge_tags(
        assessments[("FR10", spring.name)], "practice", [staff], "sme_adoption", expert
    )
    set_challenge_tags(assessments[("FR10", "2025 autumn")], "practice", [funding], None, expert)
    db.session.commit()
    per_category, by_aspect = round_counts(spring.id)
    overview = challenge_counts(spring.id)
    assert per_category == overview["per_category"] == {staff: 3, funding: 1}
    assert by_aspect == overview["by_aspect"]
    assert by_aspect[(staff, "sme_adoption")] == 2 and by_aspect[(staff, "")] == 1
