"""Benchmarks from stored assessments: drafts left out, small groups suppressed, consent kept."""

from datetime import date
from pathlib import Path

import pytest
import yaml

from surveyapp.analysis.dashboard import region_dashboard, working_group_dashboard
from surveyapp.assessments.models import Assessment, AssessmentState
from surveyapp.assessments.operations import save_answer
from surveyapp.auth.models import Role
from surveyapp.extensions import db
from surveyapp.questionnaires.operations import load_questionnaire
from tests.conftest import SCORED_REGIONS, resubmitted_with


def reviewed(scored_world, create_region, create_user) -> dict:
    """The scored world reviewed under method 2.0's rules.

    Each region also answers the share of its budget (20 x its level, as its maturity) and
    "no unit", so that strategy (3 of 4 weight counted) and governance are shown; ES21-ES25 are
    validated, ES26 only submitted (left out of every peer figure), and one validated region of
    another Member State (Norte, unnamed) is a possible partner.
    """
    writer = create_user(email="reviewer-writer@example.org")
    for code, (_name, level, _consent) in SCORED_REGIONS.items():
        assessment = scored_world["assessments"][code]
        assessment.state = AssessmentState.draft
        save_answer(assessment, "budget_share", 20 * level, writer)
        save_answer(assessment, "has_unit", False, writer)
        assessment.state = (
            AssessmentState.submitted if code == "ES26" else AssessmentState.validated
        )
    norte = create_region("PT11", "Norte", thematic_partnerships=["photonics"])
    assessment = Assessment(region=norte, round=scored_world["round"])
    db.session.add(assessment)
    db.session.flush()
    save_answer(assessment, "maturity", 3, writer)
    save_answer(assessment, "budget_share", 60, writer)
    save_answer(assessment, "has_unit", False, writer)
    save_answer(assessment, "role", "none", writer)
    assessment.state = AssessmentState.validated
    assessment.consent_named = False
    db.session.commit()
    scored_world["regions"]["PT11"] = norte
    scored_world["assessments"]["PT11"] = assessment
    return scored_world


@pytest.fixture
def world(scored_world, create_region, create_user):
    return reviewed(scored_world, create_region, create_user)


def test_region_statistics_from_validated_assessments_only(app, world):
    data = region_dashboard(world["regions"]["ES21"], world["round"], "en")
    strategy = next(row for row in data["dimensions"] if row["key"] == "strategy")
    # Validated: 20, 40, 60, 80, 100 and Norte's 60; neither the draft's 100 nor ES26's
    # unvalidated 0 is among them.
    assert strategy["n"] == 6
    assert strategy["value"] == 20
    assert strategy["median"] == 60
    assert strategy["q1"] is None and strategy["q3"] is None  # quartiles from 10 regions
    assert strategy["rank"] == pytest.approx(100 * 0.5 / 6)
    assert strategy["band"] == "lowest quarter"
    assert strategy["gap"] == -40
    assert data["weaknesses"][0]["key"] == "strategy"
    assert data["index"]["key"] == "c7" and "overall" not in data


def test_a_draft_has_no_dashboard(app, world):
    data = region_dashboard(world["draft"].region, world["round"], "en")
    assert data["available"] is False


def test_fewer_than_five_regions_show_no_statistics_on_the_page(
    app, world, client, login, create_user
):
    for code in ("ES25", "PT11"):
        world["assessments"][code].state = AssessmentState.submitted
    db.session.commit()
    officer = create_user(email="o@example.org", regions=[world["regions"]["ES21"]])
    login(officer)
    page = client.get(f"/benchmarks/rounds/{world['round'].id}/regions/ES21").text
    assert "too few regions to compare" in page
    data = region_dashboard(world["regions"]["ES21"], world["round"], "en")
    assert data["index"]["suppressed"] and data["index"]["median"] is None
    assert data["groups"]["columns"] == []
    assert data["strengths"] == data["weaknesses"] == []


def test_any_answer_change_gives_fresh_figures(app, world):
    before = region_dashboard(world["regions"]["ES21"], world["round"], "en")
    # 100 -> 0 after a send-back: the validated median of 20, 40, 60, 80, 100, 60 falls to 50.
    resubmitted_with(world["assessments"]["ES25"], "maturity", 0)
    after = region_dashboard(world["regions"]["ES21"], world["round"], "en")
    assert before["dimensions"][0]["median"] == 60
    assert after["dimensions"][0]["median"] == 50


def test_partners_are_named_only_with_consent_and_come_from_other_member_states(app, world):
    data = region_dashboard(world["regions"]["ES23"], world["round"], "en")
    names = [partner["name"] for partner in data["partners"]]
    assert names, "Norte shares the photonics partnership"
    for name, _level, _consent in SCORED_REGIONS.values():
        assert not any(name in n for n in names)  # Spain's regions: the same Member State
    # Norte did not agree to be named, and alone from Portugal it is not even placed.
    assert names == ["A region in another Member State"]


def test_working_group_heat_map_names_only_consenting_validated_regions(
    app, world, client, login, create_user
):
    data = working_group_dashboard(world["round"], "en")
    labels = [row["label"] for row in data["heat_map"]["rows"]]
    assert labels == ["País Vasco (ES21)", "Navarra (ES22)"]
    # La Rioja, Aragón, Cantabria and Norte are unnamed; four are fewer than five: no rows.
    assert data["heat_map"]["unnamed_hidden"] == 4
    assert data["participation"]["assessments"] == 7
    assert data["participation"]["validated"] == 6 and data["participation"]["left_out"] == 1
    app.config["MIN_GROUP_SIZE"] = 4  # enough of them now: numbered rows, by score
    data = working_group_dashboard(world["round"], "en")
    unnamed = [row for row in data["heat_map"]["rows"] if row["label"].startswith("Region ")]
    assert [row["label"] for row in unnamed] == [f"Region {n}" for n in (1, 2, 3, 4)]
    assert data["heat_map"]["unnamed_hidden"] == 0
    app.config["MIN_GROUP_SIZE"] = 5
    login(create_user(email="expert@example.org", role=Role.expert))
    page = client.get(f"/benchmarks/rounds/{world['round'].id}").text
    assert "Navarra" in page
    for name in ("La Rioja", "Aragón", "Cantabria", "Asturias", "Ile-de-France", "Norte"):
        assert name not in page


def test_challenge_counts_per_option(
    app, tmp_path, fixture_path, create_region, create_user, create_round
):
    data = yaml.safe_load(Path(fixture_path("small-v1.yaml")).read_text())
    data["slug"], data["challenge_items"] = "small-challenges", ["platforms"]
    path = tmp_path / "small-challenges-v1.yaml"
    path.write_text(yaml.safe_dump(data))
    round_ = create_round(questionnaire=load_questionnaire(path).questionnaire)
    writer = create_user(email="w@example.org")
    chosen = [["energy"], ["energy", "blue"], ["blue"], ["energy"], ["agri_food"], None]
    # The last one is submitted, not validated: counted nowhere, as every statistic.
    chosen.append(["agri_food", "energy"])
    for number, choice in enumerate(chosen):
        assessment = Assessment(region=create_region(f"ES2{number}", "R"), round=round_)
        db.session.add(assessment)
        db.session.flush()
        save_answer(assessment, "maturity", 3, writer)
        if choice:
            save_answer(assessment, "platforms", choice, writer)
        validated = number < len(chosen) - 1
        assessment.state = AssessmentState.validated if validated else AssessmentState.submitted
    db.session.commit()
    data = working_group_dashboard(round_, "en")
    assert data["challenges"][0]["n"] == 6
    rows = {row["label"]: (row["regions"], row["share"]) for row in data["challenges"][0]["rows"]}
    assert rows == {
        "Energy": (3, 50),
        "Blue Economy": (2, 33),
        "Agri-Food": (1, 17),
        "Industrial Modernisation": (0, 0),
    }


def test_challenge_changes_follow_the_regions_validated_in_both_rounds(
    app, tmp_path, fixture_path, create_region, create_user, create_round
):
    """The previous round's column compares like with like: the regions validated in both
    rounds, their answers then and now; a region new in this round is in neither."""
    data = yaml.safe_load(Path(fixture_path("small-v1.yaml")).read_text())
    data["slug"], data["challenge_items"] = "small-challenges", ["platforms"]
    path = tmp_path / "small-challenges-v1.yaml"
    path.write_text(yaml.safe_dump(data))
    questionnaire = load_questionnaire(path).questionnaire
    spring = create_round(name="spring", questionnaire=questionnaire)
    autumn = create_round(name="autumn", questionnaire=questionnaire)
    autumn.opens_on, autumn.closes_on = date(2026, 9, 1), date(2026, 11, 30)
    writer = create_user(email="w@example.org")
    regions = [create_region(f"ES2{n}", "R") for n in range(7)]
    then = [["energy"]] * 5 + [["blue"], None]  # ES26 not validated in spring
    now = [["blue"]] * 3 + [["energy"]] * 3 + [["energy"]]  # ES26 new: energy
    for round_, chosen in ((spring, then), (autumn, now)):
        for number, (region, choice) in enumerate(zip(regions, chosen, strict=True)):
            assessment = Assessment(region=region, round=round_)
            db.session.add(assessment)
            db.session.flush()
            save_answer(assessment, "maturity", 3, writer)
            if choice:
                save_answer(assessment, "platforms", choice, writer)
            in_panel = round_ is autumn or number < 6
            assessment.state = AssessmentState.validated if in_panel else AssessmentState.submitted
    db.session.commit()
    item = working_group_dashboard(autumn, "en")["challenges"][0]
    assert (item["n"], item["panel_n"], item["previous_round"]) == (7, 6, "spring")
    rows = {row["label"]: (row["regions"], row["then"], row["now"]) for row in item["rows"]}
    assert rows["Energy"] == (4, 5, 3)
    assert rows["Blue Economy"] == (3, 1, 3)


def test_a_non_consenting_region_of_a_small_country_is_not_even_placed(
    app, world, create_region, create_user
):
    writer = create_user(email="mt@example.org")
    malta = create_region("MT00", "Malta", thematic_partnerships=["photonics"])
    assessment = Assessment(region=malta, round=world["round"])
    db.session.add(assessment)
    db.session.flush()
    # Weak where ES23 is strong and strong where it is weak: the best match.
    save_answer(assessment, "maturity", 0, writer)
    save_answer(assessment, "role", "lead", writer)
    assessment.state = AssessmentState.validated
    db.session.commit()
    data = region_dashboard(world["regions"]["ES23"], world["round"], "en")
    names = [partner["name"] for partner in data["partners"]]
    assert not any("Malta" in name for name in names)
    assert "A region in another Member State" in names


def test_officers_trend_uses_moderated_scores_only_of_released_rounds(app, world, create_user):
    from surveyapp.analysis import queries
    from surveyapp.reviews.models import ModeratedScore

    expert = create_user(email="e@example.org", role=Role.expert)
    db.session.add(
        ModeratedScore(
            assessment_id=world["assessments"]["ES21"].id,
            item_id="maturity",
            score=100,
            rationale="x",
            expert=expert,
        )
    )
    db.session.commit()
    round_ = world["round"]
    trend = queries.trend(round_, world["regions"]["ES21"].id, "moderated")
    # Strategy: maturity (weight 2) moderated to 100 beside the budget share's 20.
    moderated = (2 * 100 + 20) / 3
    assert trend.region[("dimension", "strategy")].iloc[0] == pytest.approx(moderated)
    hidden = region_dashboard(world["regions"]["ES21"], round_, "en", "self", officer_view=True)
    assert hidden["trend"]["rows"][1]["label"] == "Strategy"
    assert hidden["trend"]["rows"][1]["region"] == [20.0]  # strategy: the region's own 20
    round_.moderated_released = True
    db.session.commit()
    shown = region_dashboard(world["regions"]["ES21"], round_, "en", "moderated", officer_view=True)
    assert shown["trend"]["rows"][1]["region"] == [pytest.approx(moderated)]
