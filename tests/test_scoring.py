"""Scores computed by hand on the small questionnaire (tests/fixtures/small-v1.yaml)."""

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


def test_item_scores_leave_out_unscored_not_applicable_and_hidden_items(definition):
    scores = item_scores(answers_frame(ANSWERS), definition)
    counted = {(row.assessment_id, row.item_id): row.self for row in scores.itertuples()}
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
    assert (scores["moderated"] == scores["self"]).all()


def test_dimension_aspect_and_overall_scores_are_weighted_means(definition):
    scores = group_scores(item_scores(answers_frame(ANSWERS), definition), definition)
    assert score_of(scores, 1, "dimension", "strategy") == pytest.approx((60 * 2 + 30 + 80) / 4)
    assert score_of(scores, 1, "dimension", "governance") == pytest.approx(200 / 3)
    assert score_of(scores, 1, "aspect", "sme_adoption") == pytest.approx(60)
    assert score_of(scores, 1, "overall", "overall") == pytest.approx((57.5 + 200 / 3) / 2)
    # Nothing counted in the strategy dimension: no score at all, not zero.
    assert score_of(scores, 2, "dimension", "strategy") is None
    assert score_of(scores, 2, "aspect", "sme_adoption") is None
    assert score_of(scores, 2, "dimension", "governance") == pytest.approx(50)
    assert score_of(scores, 2, "overall", "overall") == pytest.approx(50)


def test_moderated_scores_replace_the_regions_own_where_an_expert_gave_one(definition):
    moderated = pd.DataFrame(
        [(1, "has_unit", 0.0), (2, "maturity", 40.0)],
        columns=["assessment_id", "item_id", "score"],
    )
    items = item_scores(answers_frame(ANSWERS), definition, moderated)
    scores = group_scores(items, definition)
    assert score_of(scores, 1, "dimension", "governance", "moderated") == pytest.approx(100 / 3)
    assert score_of(scores, 1, "dimension", "governance", "self") == pytest.approx(200 / 3)
    # The region said "not applicable"; the expert scored it: only the moderated score has it.
    assert score_of(scores, 2, "dimension", "strategy", "moderated") == pytest.approx(40)
    assert score_of(scores, 2, "dimension", "strategy", "self") is None or math.isnan(
        score_of(scores, 2, "dimension", "strategy", "self")
    )
    assert score_of(scores, 2, "overall", "overall", "moderated") == pytest.approx(45)
    assert score_of(scores, 2, "overall", "overall", "self") == pytest.approx(50)


def test_no_answers_give_empty_tables(definition):
    empty = pd.DataFrame([], columns=["assessment_id", "item_id", "value"])
    assert group_scores(item_scores(empty, definition), definition).empty
