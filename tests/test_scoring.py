"""Scores computed by hand on the small format-1 questionnaire (tests/fixtures/small-v1.yaml):
method 1.0's item rules in method 2.0's structure (issue 20)."""

import math

import pandas as pd
import pytest

from surveyapp.analysis.scoring import group_scores, item_scores
from surveyapp.questionnaires.loader import load_file


@pytest.fixture(scope="module")
def definition():
    from pathlib import Path

    return load_file(Path(__file__).parent / "fixtures" / "small-v1.yaml")


def answers_frame(answers: dict[int, dict]) -> pd.DataFrame:
    rows = [
        (assessment_id, item_id, value)
        for assessment_id, values in answers.items()
        for item_id, value in values.items()
    ]
    return pd.DataFrame(rows, columns=["assessment_id", "item_id", "value"])


ANSWERS = {
    1: {
        "maturity": 3,  # 60, weight 2, strategy, sme_adoption
        "budget_share": 30,  # 30, strategy
        "has_unit": True,  # 100, governance
        "unit_staff": 2,  # 2 of a target of 4: 50, governance (shown: has_unit is yes)
        "role": "member",  # 50, governance
        "platforms": ["energy", "blue"],  # 40 + 40, strategy
        "practice": "A long text is never scored.",
    },
    2: {
        "maturity": "na",  # not applicable: left out
        "has_unit": False,  # 0, governance
        "unit_staff": 10,  # hidden (has_unit is no): left out although stored
        "role": "lead",  # 100, governance
    },
}


def score_of(scores, assessment_id, kind, key, column="self"):
    row = scores[
        (scores.assessment_id == assessment_id) & (scores.kind == kind) & (scores.key == key)
    ]
    return None if row.empty else float(row[column].iloc[0])


def test_format_1_items_keep_v1_rules_blank_not_applicable_and_hidden_left_out(definition):
    items = item_scores(answers_frame(ANSWERS), definition)
    assert len(items) == 12  # every scored item of both assessments, with a status
    counted = {
        (row.assessment_id, row.item_id): row.self
        for row in items.itertuples()
        if not math.isnan(row.self)
    }
    assert counted == {
        (1, "maturity"): 60.0,
        (1, "budget_share"): 30.0,
        (1, "has_unit"): 100.0,
        (1, "unit_staff"): 50.0,
        (1, "role"): 50.0,
        (1, "platforms"): 80.0,
        (2, "has_unit"): 0.0,
        (2, "role"): 100.0,
    }
    status = {(row.assessment_id, row.item_id): row.status for row in items.itertuples()}
    assert status[(2, "maturity")] == "na_pending"
    assert status[(2, "unit_staff")] == "hidden"  # stored, but has_unit is no
    assert status[(2, "budget_share")] == "blank"
    assert not items["changed"].any() and not items["expert"].any()


def test_dimensions_are_weighted_means_with_coverage_and_c7_their_mean(definition):
    scores = group_scores(item_scores(answers_frame(ANSWERS), definition), definition)
    assert set(scores["kind"]) == {"dimension", "index"}  # no overall; no aspect-home item
    assert score_of(scores, 1, "dimension", "strategy") == pytest.approx((60 * 2 + 30 + 80) / 4)
    assert score_of(scores, 1, "dimension", "governance") == pytest.approx(200 / 3)
    assert score_of(scores, 1, "index", "c7") == pytest.approx((57.5 + 200 / 3) / 2)
    # Strategy of assessment 2: N/A and blanks leave nothing counted: not shown, not zero.
    assert math.isnan(score_of(scores, 2, "dimension", "strategy"))
    assert score_of(scores, 2, "dimension", "strategy", "coverage_self") == 0
    # Governance: the hidden item is out of the scored items (format 1), 2 of 2 counted.
    assert score_of(scores, 2, "dimension", "governance") == pytest.approx(50)
    assert score_of(scores, 2, "dimension", "governance", "total") == 2
    # C7 needs every dimension shown.
    assert math.isnan(score_of(scores, 2, "index", "c7"))


def test_an_index_below_two_thirds_coverage_is_not_shown(definition):
    # Strategy weights: maturity 2, budget_share 1, platforms 1 (4). Counted 3 of 4: shown.
    three = answers_frame({1: {"maturity": 3, "budget_share": 30}})
    scores = group_scores(item_scores(three, definition), definition)
    assert score_of(scores, 1, "dimension", "strategy") == pytest.approx(150 / 3)
    assert score_of(scores, 1, "dimension", "strategy", "coverage_self") == 0.75
    # Counted 2 of 4 (maturity alone): below 2/3, not shown.
    two = answers_frame({1: {"maturity": 3}})
    scores = group_scores(item_scores(two, definition), definition)
    assert math.isnan(score_of(scores, 1, "dimension", "strategy"))
    assert score_of(scores, 1, "dimension", "strategy", "coverage_self") == 0.5


def test_moderated_scores_replace_the_regions_own_where_an_expert_gave_one(definition):
    moderated = pd.DataFrame(
        [(1, "has_unit", 0.0), (2, "maturity", 40.0), (2, "budget_share", 20.0)],
        columns=["assessment_id", "item_id", "score"],
    )
    items = item_scores(answers_frame(ANSWERS), definition, moderated)
    scores = group_scores(items, definition)
    assert score_of(scores, 1, "dimension", "governance", "moderated") == pytest.approx(100 / 3)
    assert score_of(scores, 1, "dimension", "governance", "self") == pytest.approx(200 / 3)
    # The region said "not applicable"; the expert scored it: only the moderated score has it.
    assert score_of(scores, 2, "dimension", "strategy", "moderated") == pytest.approx(100 / 3)
    assert math.isnan(score_of(scores, 2, "dimension", "strategy", "self"))
    changed = items[items["changed"]]
    assert set(zip(changed.assessment_id, changed.item_id, strict=True)) == {
        (1, "has_unit"),
        (2, "maturity"),
        (2, "budget_share"),
    }
    assert items["expert"].sum() == 3


def test_no_answers_give_empty_tables(definition):
    empty = pd.DataFrame([], columns=["assessment_id", "item_id", "value"])
    assert group_scores(item_scores(empty, definition), definition).empty


def test_method_sections_come_from_the_docstring():
    from surveyapp.analysis import scoring

    sections = dict(scoring.method_sections())
    assert "Coverage and aggregation" in sections and "Trends" in sections
    assert any(
        "3 x counted weight >= 2 x scored weight" in p for p in sections["Coverage and aggregation"]
    )
    assert all(isinstance(p, str) and "\n" not in p for ps in sections.values() for p in ps)


@pytest.mark.parametrize("method", ["1.0", "2.0"])
def test_a_reports_annex_gives_its_own_methods_rules_only(method):
    """A format-1 round's annex said counts are "never cumulatively" asked and blanks count as
    Don't know: method 2.0's rules, which that round does not follow."""
    from surveyapp.analysis import scoring

    other = "2.0" if method == "1.0" else "1.0"
    everything = scoring.method_sections()
    own = scoring.method_sections(method)
    headings = [heading for heading, _paragraphs in own]
    assert any(heading.endswith(f"(method {method})") for heading in headings)
    assert not any(heading.endswith(f"(method {other})") for heading in headings)
    paragraphs = [p for _heading, ps in own for p in ps]
    assert not any(p.startswith("Method ") for p in paragraphs)
    # Every unmarked paragraph of the sections kept is in both methods' annexes.
    for heading, ps in everything:
        if not heading.endswith(")"):
            kept = dict(own)[heading]
            assert [p for p in ps if not p.startswith("Method ")] == [p for p in kept if p in ps]
    text = " ".join(paragraphs)
    if method == "1.0":
        assert "never cumulatively" not in text and "Don't know" not in text
        assert "cumulative" in text and "other EU Member States" in text
    else:
        assert "never cumulatively" in text and "Don't know" in text


def test_method_1_counts_no_dont_know_where_an_expert_scored_a_blank_0(definition):
    """Method 1.0 has no "Don't know": a blank item an expert scored 0 is an item scored 0, and
    the coverage does not call it "Don't know" (method 2.0 would: a blank is "Don't know")."""
    moderated = pd.DataFrame(
        [(2, "budget_share", 0.0)], columns=["assessment_id", "item_id", "score"]
    )
    items = item_scores(answers_frame(ANSWERS), definition, moderated)
    assert items.set_index(["assessment_id", "item_id"]).loc[(2, "budget_share"), "status"] == (
        "blank"
    )
    scores = group_scores(items, definition)
    assert score_of(scores, 2, "dimension", "strategy", "counted") == 1  # the expert's 0
    assert (scores["dk"] == 0).all()
