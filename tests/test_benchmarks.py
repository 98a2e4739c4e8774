"""Benchmarks from stored assessments: drafts left out, small groups suppressed, consent kept."""

from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from surveyapp.analysis.dashboard import region_dashboard, working_group_dashboard
from surveyapp.assessments.models import Answer, Assessment, AssessmentState
from surveyapp.assessments.operations import save_answer
from surveyapp.auth.models import Role
from surveyapp.extensions import db
from surveyapp.questionnaires.operations import load_questionnaire
from tests.conftest import SCORED_REGIONS


@pytest.fixture
def world(scored_world):
    return scored_world


def test_region_statistics_from_submitted_assessments_only(app, world):
    data = region_dashboard(world["regions"]["ES21"], world["round"], "en")
    strategy = next(row for row in data["dimensions"] if row["key"] == "strategy")
    # Scores 0, 20, 40, 60, 80, 100: the draft's 100 is not among them.
    assert strategy["n"] == 6
    assert strategy["value"] == 20
    assert strategy["median"] == 50
    assert strategy["q1"] == 25 and strategy["q3"] == 75
    assert strategy["rank"] == pytest.approx(100 * 1.5 / 6, abs=0.05)
    assert strategy["gap"] == -30
    assert data["weaknesses"][0]["key"] == "strategy"


def test_a_draft_has_no_dashboard(app, world):
    data = region_dashboard(world["draft"].region, world["round"], "en")
    assert data["available"] is False


def test_fewer_than_five_regions_show_no_statistics_on_the_page(
    app, world, client, login, create_user
):
    for code in ("ES25", "ES26"):
        world["assessments"][code].state = AssessmentState.draft
    db.session.commit()
    officer = create_user(email="o@example.org", regions=[world["regions"]["ES21"]])
    login(officer)
    page = client.get(f"/benchmarks/rounds/{world['round'].id}/regions/ES21").text
    assert "too few regions to compare" in page
    data = region_dashboard(world["regions"]["ES21"], world["round"], "en")
    assert data["overall"]["suppressed"] and data["overall"]["median"] is None
    assert data["groups"]["columns"] == []
    assert data["strengths"] == data["weaknesses"] == []


def test_any_answer_change_gives_fresh_figures(app, world):
    before = region_dashboard(world["regions"]["ES21"], world["round"], "en")
    answer = db.session.scalar(
        select(Answer).filter_by(assessment_id=world["assessments"]["ES26"].id, item_id="maturity")
    )
    answer.value = 5  # 0 -> 100: the median of 20..100 becomes 70
    db.session.commit()
    after = region_dashboard(world["regions"]["ES21"], world["round"], "en")
    assert before["dimensions"][0]["median"] == 50
    assert after["dimensions"][0]["median"] == 70


def test_partners_are_named_only_with_consent(app, world):
    data = region_dashboard(world["regions"]["ES23"], world["round"], "en")
    names = [partner["name"] for partner in data["partners"]]
    assert names, "every region shares the photonics partnership"
    for code, (name, _level, consent) in SCORED_REGIONS.items():
        if code == "ES23":
            continue
        if not consent:
            assert not any(name in n for n in names)
    assert "A region in Spain" in names
    assert {"Navarra (Spain)", "País Vasco (Spain)"} & set(names)


def test_working_group_heat_map_names_only_consenting_regions(
    app, world, client, login, create_user
):
    data = working_group_dashboard(world["round"], "en")
    labels = [row["label"] for row in data["heat_map"]["rows"]]
    assert "Navarra (ES22)" in labels and "País Vasco (ES21)" in labels
    # Four unnamed regions are fewer than five: they would be recognisable, so they get no row.
    assert labels == ["País Vasco (ES21)", "Navarra (ES22)"]
    assert data["heat_map"]["unnamed_hidden"] == 4
    assert data["participation"]["assessments"] == 6
    app.config["MIN_GROUP_SIZE"] = 4  # enough of them now: numbered rows, by score
    data = working_group_dashboard(world["round"], "en")
    unnamed = [row for row in data["heat_map"]["rows"] if row["label"].startswith("Region ")]
    assert [row["label"] for row in unnamed] == [f"Region {n}" for n in (1, 2, 3, 4)]
    firsts = [row["values"][0] for row in unnamed]
    assert firsts == sorted(firsts, key=lambda v: -(v if v is not None else -1))
    assert data["heat_map"]["unnamed_hidden"] == 0
    app.config["MIN_GROUP_SIZE"] = 5
    login(create_user(email="expert@example.org", role=Role.expert))
    page = client.get(f"/benchmarks/rounds/{world['round'].id}").text
    assert "Navarra" in page
    for name in ("La Rioja", "Aragón", "Cantabria", "Asturias", "Ile-de-France"):
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
    for number, choice in enumerate(chosen):
        assessment = Assessment(region=create_region(f"ES2{number}", "R"), round=round_)
        db.session.add(assessment)
        db.session.flush()
        save_answer(assessment, "maturity", 3, writer)
        if choice:
            save_answer(assessment, "platforms", choice, writer)
        assessment.state = AssessmentState.submitted
    db.session.commit()
    data = working_group_dashboard(round_, "en")
    rows = {row["label"]: (row["regions"], row["share"]) for row in data["challenges"][0]["rows"]}
    assert rows == {
        "Energy": (3, 50),
        "Blue Economy": (2, 33),
        "Agri-Food": (1, 17),
        "Industrial Modernisation": (0, 0),
    }


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
    assessment.state = AssessmentState.submitted
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
    assert trend.region[("dimension", "strategy")].iloc[0] == 100
    hidden = region_dashboard(world["regions"]["ES21"], round_, "en", "self", officer_view=True)
    assert hidden["trend"]["rows"][1]["region"] == [20.0]  # strategy: the region's own 20
    round_.moderated_released = True
    db.session.commit()
    shown = region_dashboard(world["regions"]["ES21"], round_, "en", "moderated", officer_view=True)
    assert shown["trend"]["rows"][1]["region"] == [100.0]
