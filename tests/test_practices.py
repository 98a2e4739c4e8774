"""Good practices: experts mark written answers; the library respects state and consent."""

import pytest
from sqlalchemy import func, select

from surveyapp.assessments.models import AssessmentState
from surveyapp.assessments.operations import save_answer
from surveyapp.auth.models import Role
from surveyapp.extensions import db
from surveyapp.practices.models import GoodPractice
from surveyapp.practices.operations import parse_tags


@pytest.fixture
def world(app, create_region, create_user, create_round, create_assessment):
    round_ = create_round()
    expert = create_user(email="emil@example.org", name="Emil", role=Role.expert)
    regions, officers, assessments = {}, {}, {}
    for code, name, state, consent in (
        ("ES21", "País Vasco", AssessmentState.validated, True),
        ("ES22", "Navarra", AssessmentState.validated, False),
        ("ES23", "La Rioja", AssessmentState.under_review, True),
        ("ES24", "Aragón", AssessmentState.submitted, True),
    ):
        region = create_region(code, name)
        officer = create_user(email=f"{code.lower()}@example.org", regions=[region])
        assessment = create_assessment(region=region, round_=round_)
        save_answer(assessment, "practice", f"{name} runs staff exchanges on hydrogen.", officer)
        assessment.state, assessment.consent_named = state, consent
        assessment.submitted_at = assessment.state_changed_at
        regions[code], officers[code], assessments[code] = region, officer, assessment
    db.session.commit()
    return {"expert": expert, "officers": officers, "assessments": assessments}


def client_for(app, login, user):
    client = app.test_client()
    login(user, client=client)
    return client


def mark_all(app, login, world):
    expert = client_for(app, login, world["expert"])
    for code, assessment in world["assessments"].items():
        response = expert.post(
            f"/reviews/{assessment.id}/items/practice/practice",
            data={
                "title": f"Exchanges in {code}",
                "summary": "Staff exchanges.",
                "aspects": ["sme_adoption", "not-an-aspect"],
                "tags": "Hydrogen, staff exchange, hydrogen",
            },
        )
        assert response.status_code == 302, response.text
    return expert


def test_experts_mark_practices_with_aspects_and_tags(app, login, world):
    mark_all(app, login, world)
    practice = db.session.scalar(select(GoodPractice).filter_by(title="Exchanges in ES21"))
    assert practice.aspects == ["sme_adoption"]  # unknown ids are dropped
    assert practice.tags == ["hydrogen", "staff exchange"]


def test_officers_see_their_own_and_consenting_validated_practices_only(app, login, world):
    mark_all(app, login, world)
    officer = client_for(app, login, world["officers"]["ES23"])
    page = officer.get("/good-practices").text
    assert "Exchanges in ES21" in page  # validated and named
    assert "Exchanges in ES23" in page  # their own, still under review
    assert "Exchanges in ES22" not in page and "Navarra" not in page  # no consent
    assert "Exchanges in ES24" not in page  # not validated
    expert_page = client_for(app, login, world["expert"]).get("/good-practices").text
    assert all(f"Exchanges in {code}" in expert_page for code in world["assessments"])
    assert "did not agree to be named" in expert_page


def test_library_search_and_filters(app, login, world):
    expert = mark_all(app, login, world)
    assert "4 practices." in expert.get("/good-practices?q=HYDROGEN").text
    assert "1 practice." in expert.get("/good-practices?q=exchanges+es22").text
    assert "0 practices." in expert.get("/good-practices?dimension=governance").text
    # An aspect the questionnaire does not have is no filter; its select says so.
    unknown = expert.get("/good-practices?aspect=other").text
    assert "4 practices." in unknown and 'id="aspect-error">Choose one of the options.' in unknown
    assert "4 practices." in expert.get("/good-practices?aspect=sme_adoption").text
    assert "0 practices." in expert.get("/good-practices?country=FR").text


def test_bad_input_is_shown_at_the_field(app, login, world):
    expert = client_for(app, login, world["expert"])
    aid = world["assessments"]["ES21"].id
    response = expert.post(f"/reviews/{aid}/items/practice/practice", data={"summary": "x"})
    assert response.status_code == 422 and "Give the practice a title." in response.text
    # Only written answers can be practices.
    response = expert.post(
        f"/reviews/{aid}/items/maturity/practice", data={"title": "T", "summary": "x"}
    )
    assert response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(GoodPractice)) == 0


def test_officers_cannot_mark_or_edit(app, login, world):
    mark_all(app, login, world)
    officer = client_for(app, login, world["officers"]["ES21"])
    aid = world["assessments"]["ES21"].id
    assert (
        officer.post(f"/reviews/{aid}/items/practice/practice", data={"title": "T"}).status_code
        == 403
    )
    practice = db.session.scalar(select(GoodPractice))
    assert officer.post(f"/good-practices/{practice.id}/delete").status_code == 403


def test_tags_are_parsed_and_capped():
    assert parse_tags(" A ,b;  a\nC  d ") == ["a", "b", "c d"]
    assert len(parse_tags(",".join(f"t{n}" for n in range(50)))) == 20


def mark_again(client, assessment, title):
    return client.post(
        f"/reviews/{assessment.id}/items/practice/practice",
        data={"title": title, "summary": "Staff exchanges, again."},
    )


def test_an_answer_is_marked_as_a_good_practice_once(app, login, world):
    expert = mark_all(app, login, world)
    assessment = world["assessments"]["ES21"]
    existing = db.session.scalar(select(GoodPractice).filter_by(title="Exchanges in ES21"))
    again = mark_again(expert, assessment, "Exchanges in ES21")
    # The existing entry opens, with a message that says why; no second entry.
    assert again.status_code == 303
    assert again.headers["Location"].endswith(f"/good-practices/{existing.id}/edit")
    page = expert.get(again.headers["Location"]).text
    assert "already in the good-practice library" in page
    count = select(func.count()).select_from(GoodPractice).filter_by(assessment_id=assessment.id)
    assert db.session.scalar(count) == 1


def test_a_second_practice_for_the_same_answer_is_refused_by_the_operation(app, world):
    from surveyapp.practices.operations import DuplicatePractice, save_good_practice

    assessment, expert = world["assessments"]["ES21"], world["expert"]
    fields = {"title": "One", "summary": "Text.", "aspects": [], "dimensions": [], "tags": ""}
    first = save_good_practice(None, assessment, "practice", expert, **fields)
    db.session.commit()
    with pytest.raises(DuplicatePractice) as refused:
        save_good_practice(None, assessment, "practice", expert, **(fields | {"title": "Two"}))
    assert refused.value.existing.id == first.id
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(GoodPractice)) == 1


def test_the_database_holds_one_practice_per_answer(app, world):
    from sqlalchemy.exc import IntegrityError

    assessment, expert = world["assessments"]["ES21"], world["expert"]
    for title in ("One", "Two"):
        db.session.add(
            GoodPractice(
                assessment=assessment,
                item_id="practice",
                title=title,
                summary="S",
                created_by=expert,
            )
        )
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_the_review_page_offers_no_second_practice_for_an_answer(app, login, world):
    expert = mark_all(app, login, world)
    assessment = world["assessments"]["ES23"]  # under review
    page = expert.get(f"/reviews/{assessment.id}/sections/networks").text
    assert "Exchanges in ES23" in page  # the existing entry, linked
    assert f"/reviews/{assessment.id}/items/practice/practice" not in page
    assert "Mark as a good practice" not in page
