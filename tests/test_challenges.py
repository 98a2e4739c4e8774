"""Experts tag challenge answers with a shared taxonomy; the working group counts them."""

import re
from datetime import date

import pytest
from sqlalchemy import select

from surveyapp.assessments.models import AssessmentState
from surveyapp.assessments.operations import save_answer
from surveyapp.auth.models import Role
from surveyapp.challenges.models import ChallengeCategory, ChallengeTag
from surveyapp.challenges.operations import ensure_default_categories
from surveyapp.extensions import db
from surveyapp.regions.models import Region


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
    categories = {c.code: c.id for c in db.session.scalars(select(ChallengeCategory))}
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
    staff, funding = world["categories"]["staff_capacity"], world["categories"]["funding"]
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
    staff = world["categories"]["staff_capacity"]
    assessment = world["assessments"][("ES21", "2026 spring")]
    refused = client.post(
        f"/reviews/{assessment.id}/items/maturity/challenges", data={"categories": [str(staff)]}
    )
    assert refused.status_code == 404
    assert tag(client, world["draft"], [staff]).status_code == 404  # drafts are invisible


@pytest.mark.parametrize("category", ["\u00b2", str(2**64), "-1", "x"])
def test_a_category_that_is_no_id_is_ignored_not_a_server_error(app, login, world, category):
    """A digit that is no number ("²" passes str.isdigit) or a number beyond any id."""
    client = app.test_client()
    login(world["expert"], client=client)
    assessment = world["assessments"][("ES21", "2026 spring")]
    response = client.post(
        f"/reviews/{assessment.id}/items/practice/challenges", data={"categories": [category]}
    )
    assert response.status_code < 500


def test_admins_keep_the_taxonomy(app, login, world, create_user):
    client = app.test_client()
    login(create_user(email="ada@example.org", role=Role.admin), client=client)
    refused = client.post("/admin/challenges", data={"name": "Funding and co-financing"})
    assert refused.status_code == 422 and "already exists" in refused.text
    client.post("/admin/challenges", data={"name": "Seasonal", "description": "Tourism."})
    language = db.session.scalar(select(ChallengeCategory).filter_by(name="Seasonal"))
    assert language.code is None  # not a kind the questionnaire asks about
    client.post(f"/admin/challenges/{language.id}/active?to=retire")
    client.post(f"/admin/challenges/{language.id}/active?to=retire")  # a double submit
    db.session.expire_all()
    assert db.session.get(ChallengeCategory, language.id).active is False
    # A retired category is not offered, and cannot be tagged.
    expert = app.test_client()
    login(world["expert"], client=expert)
    assessment = world["assessments"][("ES21", "2026 spring")]
    tag(expert, assessment, [language.id])
    assert db.session.query(ChallengeTag).count() == 0
    assert "Seasonal" not in expert.get(f"/reviews/{assessment.id}/sections/networks").text


def test_round_counts_match_the_overview_counts(app, world):
    """The working-group report's database counts agree with the overview's."""
    from surveyapp.challenges.operations import set_challenge_tags
    from surveyapp.challenges.queries import challenge_counts, round_counts

    staff, funding = world["categories"]["staff_capacity"], world["categories"]["funding"]
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
    # The report's statistics count validated assessments only.
    assessments[("ES22", spring.name)].state = AssessmentState.validated
    db.session.commit()
    validated, _by_aspect = round_counts(spring.id, validated_only=True)
    assert validated == {staff: 1}


SHIPPED = "questionnaires/criterion7-interregional-v1.yaml"


def challenge_kinds(definition) -> dict[str, str]:
    """Option value -> label of the questionnaire's challenge-kinds question."""
    item = definition.item("gp_challenge_categories")
    assert item.id in definition.challenge_items
    return {option["value"]: option["label"] for option in item.config["options"]}


def test_the_taxonomy_is_the_questionnaires_kinds_of_challenge(app):
    """One taxonomy: each kind the questionnaire offers is exactly one active category, named
    as the questionnaire names it, and every category of a kind is one the questionnaire has."""
    from surveyapp.questionnaires.loader import load_file

    kinds = challenge_kinds(load_file(SHIPPED))
    assert len(kinds) == 9
    ensure_default_categories()
    ensure_default_categories()  # twice changes nothing
    categories = db.session.scalars(select(ChallengeCategory)).all()
    for code, label in kinds.items():
        (category,) = [c for c in categories if c.code == code]
        assert category.name == label and category.active
    assert {c.code for c in categories if c.code} == set(kinds)


def test_former_categories_take_their_kind_and_keep_their_tags(app, world):
    """A database with the six former categories: they take the questionnaire's words, the
    three missing kinds are added, and the tags stay where they were."""
    from surveyapp.challenges.operations import FORMER_NAMES, set_challenge_tags
    from surveyapp.questionnaires.loader import load_file

    db.session.execute(ChallengeTag.__table__.delete())
    db.session.execute(ChallengeCategory.__table__.delete())
    former = {code: ChallengeCategory(name=name) for code, name in FORMER_NAMES.items()}
    db.session.add_all(former.values())
    db.session.flush()
    assessment = world["assessments"][("ES21", "2026 spring")]
    set_challenge_tags(assessment, "practice", [former["funding"].id], None, world["expert"])
    db.session.commit()

    ensure_default_categories()
    db.session.commit()
    kinds = challenge_kinds(load_file(SHIPPED))
    funding = db.session.get(ChallengeCategory, former["funding"].id)
    assert (funding.code, funding.name) == ("funding", kinds["funding"])
    assert db.session.scalar(select(ChallengeTag.category_id)) == funding.id
    assert {c.code for c in db.session.scalars(select(ChallengeCategory))} == set(kinds)


def test_the_challenges_page_counts_the_kinds_regions_chose_beside_the_tags(
    app, login, create_region, create_user, create_round, create_assessment
):
    from surveyapp.questionnaires.operations import load_questionnaire

    ensure_default_categories()
    questionnaire = load_questionnaire(SHIPPED).questionnaire
    round_ = create_round("2026 autumn", questionnaire=questionnaire)
    expert = create_user(email="emil@example.org", role=Role.expert)
    chosen = {"ES21": ["funding", "language_culture"], "ES22": ["funding"], "ES23": []}
    for code, kinds in chosen.items():
        region = create_region(code, f"Region {code}")
        officer = create_user(email=f"{code}@example.org", regions=[region])
        assessment = create_assessment(region=region, round_=round_)
        save_answer(assessment, "gp_challenge_categories", kinds or None, officer)
        assessment.state = AssessmentState.submitted
    draft = create_assessment(region=create_region("ES24", "Draft"), round_=round_)
    save_answer(draft, "gp_challenge_categories", ["funding"], None)
    db.session.commit()

    from surveyapp.challenges.queries import chosen_counts

    assert chosen_counts(round_.id) == {"funding": 2, "language_culture": 1}
    client = app.test_client()
    login(expert, client=client)
    page = client.get(f"/challenges?round={round_.id}").text
    row = re.search(r"<tr><th scope=\"row\">.*?Funding and co-financing.*?</tr>", page, re.S)
    assert row and "<td>2</td>" in row.group(0)


@pytest.mark.parametrize("lang", ["de", "fr", "pl"])
def test_the_report_names_each_kind_of_challenge_in_the_readers_language(
    app, lang, create_region, create_user, create_round, create_assessment
):
    """The working group's report named the experts' tags in English in every language: a kind
    of challenge reads in the questionnaire's own words in the reader's language; a category
    the working group renamed or added keeps the name it was given."""
    from surveyapp.challenges.operations import set_challenge_tags
    from surveyapp.challenges.queries import category_label
    from surveyapp.questionnaires.operations import load_questionnaire
    from surveyapp.reporting.context import tagged_challenges

    ensure_default_categories()
    questionnaire = load_questionnaire("questionnaires/criterion7-interregional-v2.yaml")
    definition = questionnaire.questionnaire.parsed
    item = definition.item("gp_challenge_categories")
    words = {o["value"]: item.localize(o["label"], lang) for o in item.config["options"]}
    categories = {c.code: c for c in db.session.scalars(select(ChallengeCategory))}
    for code, category in categories.items():
        assert category_label(category, definition, lang) == words[code] != category.name

    round_ = create_round("2026 autumn", questionnaire=questionnaire.questionnaire)
    expert = create_user(email="emil@example.org", role=Role.expert)
    assessment = create_assessment(region=create_region("ES21", "País Vasco"), round_=round_)
    assessment.state = AssessmentState.validated
    renamed, added = categories["data"], ChallengeCategory(name="Brexit")
    renamed.name = "Evidence gaps"
    db.session.add(added)
    db.session.flush()
    tagged = [categories["funding"].id, renamed.id, added.id]
    set_challenge_tags(assessment, "gp_main_challenges", tagged, None, expert)
    db.session.commit()
    labels = {row["label"] for row in tagged_challenges(round_, lang)["rows"]}
    assert labels == {words["funding"], "Evidence gaps", "Brexit"}


def test_a_then_and_now_across_a_reworded_question_says_so(
    app, create_region, create_user, create_round, create_assessment
):
    """Version 2 widened "partners in other Member States" to "outside your Member State":
    the working group's then-and-now column compared answers to two questions unannounced."""
    from surveyapp.analysis.dashboard import working_group_dashboard
    from surveyapp.questionnaires.operations import load_questionnaire
    from surveyapp.rounds.models import RoundState

    versions = [
        load_questionnaire(f"questionnaires/criterion7-interregional-v{n}.yaml").questionnaire
        for n in (1, 2)
    ]
    first = create_round("2026 spring", questionnaire=versions[0])
    second = create_round("2026 autumn", questionnaire=versions[1])
    second.opens_on, second.closes_on = date(2026, 9, 1), date(2026, 11, 30)
    officer = create_user(email="o@example.org")
    for number in range(5):
        region = create_region(f"ES4{number}", f"Region {number}")
        for round_ in (first, second):
            assessment = create_assessment(region=region, round_=round_)
            save_answer(assessment, "fun_barriers", ["state_aid"], officer)
            assessment.state = AssessmentState.validated
    first.state = RoundState.closed
    db.session.commit()
    items = {i["text"]: i for i in working_group_dashboard(second, "en")["challenges"]}
    asked = {
        item_id: [v.parsed.item(item_id).localized("text", "en") for v in versions]
        for item_id in versions[1].parsed.challenge_items
    }
    assert any(then != now for then, now in asked.values())  # fun_barriers was reworded
    for then, now in asked.values():
        shown = items[now]
        assert shown["previous_round"] == "2026 spring"
        if then != now:
            assert shown["reworded"]
    # The same version on both sides: nothing to say.
    third = create_round("2027 spring", questionnaire=versions[1])
    third.opens_on, third.closes_on = date(2027, 3, 1), date(2027, 5, 31)
    for number in range(5):
        region = db.session.scalar(select(Region).filter_by(code=f"ES4{number}"))
        assessment = create_assessment(region=region, round_=third)
        save_answer(assessment, "fun_barriers", ["state_aid"], officer)
        assessment.state = AssessmentState.validated
    second.state = RoundState.closed
    db.session.commit()
    later = working_group_dashboard(third, "en")["challenges"]
    assert later and all(item["previous_round"] == "2026 autumn" for item in later)
    assert not any(item["reworded"] for item in later)


def test_the_challenge_pages_name_each_kind_of_challenge_in_the_readers_language(
    app, login, create_user, create_round
):
    """/challenges and the action plans named the categories in English for a French reader,
    while the working group's report named them in French."""
    from surveyapp.questionnaires.operations import load_questionnaire

    ensure_default_categories()
    questionnaire = load_questionnaire("questionnaires/criterion7-interregional-v2.yaml")
    create_round("2026 autumn", questionnaire=questionnaire.questionnaire)
    item = questionnaire.questionnaire.parsed.item("gp_challenge_categories")
    french = {o["value"]: item.localize(o["label"], "fr") for o in item.config["options"]}
    funding = db.session.scalar(select(ChallengeCategory).filter_by(code="funding"))
    assert french["funding"] != funding.name
    client = app.test_client()
    login(create_user(email="emil@example.org", role=Role.expert), client=client)
    headers = {"Accept-Language": "fr"}
    overview = client.get("/challenges", headers=headers).text
    assert french["funding"] in overview and funding.name not in overview
    answers = client.get(f"/challenges/{funding.id}", headers=headers).text
    assert f"<h1>{french['funding']}</h1>" in answers
