"""METHOD.md §10, the worked example, as a unit test of scoring method 2.0 (issue 20).

A toy format-2 questionnaire with two dimensions A and B; the toy index is their mean. Every
number below is the one METHOD.md §10 works out by hand.
"""

import json
import math

import numpy as np
import pandas as pd
import pytest

from surveyapp.analysis import peers, scoring
from surveyapp.numbers import format_change, format_score
from surveyapp.questionnaires.definition import parse_definition

LEVELS = [{"level": n, "label": f"Level {n}", "anchor": f"Anchor {n}"} for n in range(6)]
ACTIONS = ["Do the next step."]


def scale(item_id, dimension, weight=1, **extra):
    return {
        "id": item_id,
        "type": "scale",
        "text": f"Question {item_id}",
        "dimension": dimension,
        "weight": weight,
        "levels": LEVELS,
        "actions": ACTIONS,
        **extra,
    }


TOY = {
    "format": 2,
    "slug": "toy",
    "version": 1,
    "title": "Worked example",
    "dimensions": [{"id": "a", "title": "A"}, {"id": "b", "title": "B"}],
    "aspects": [{"id": "asp", "title": "An aspect", "short_title": "Aspect"}],
    "sections": [
        {
            "id": "all",
            "title": "All",
            "items": [
                scale("a1", "a", 2),
                scale("a2", "a"),
                {
                    "id": "a3",
                    "type": "yes_no",
                    "text": "Yes or no?",
                    "scored": True,
                    "dimension": "a",
                    "actions": ACTIONS,
                },
                scale("a4", "a", allow_na=True, na_reason="Explain why it does not apply."),
                {
                    "id": "b1",
                    "type": "single_choice",
                    "text": "Role",
                    "dimension": "b",
                    "actions": ACTIONS,
                    "options": [
                        {"value": "none", "label": "None", "score": 0},
                        {"value": "member", "label": "Member", "score": 50},
                        {"value": "co_lead", "label": "Co-lead", "score": 90},
                        {"value": "lead", "label": "Lead", "score": 100},
                    ],
                },
                scale("b2", "b", show_if={"item": "b1", "in": ["member", "co_lead", "lead"]}),
                {
                    "id": "b3",
                    "type": "number",
                    "text": "Projects in the last 12 months",
                    "integer": True,
                    "min": 0,
                    "period": "last_12_months",
                    "target": {"per_million": 2.5, "exponent": 1, "floor": 1},
                    "dimension": "b",
                    "actions": ACTIONS,
                },
                scale("b4", "b", 2),
            ],
        }
    ],
}

ANSWERS = {"a1": 3, "a2": "dk", "a3": True, "a4": "na", "b1": "none", "b3": 3, "b4": 2}
A = (120 + 0 + 50) / 3.5
B = (0 + 0 + 80 + 80) / 5
INDEX = (A + B) / 2


@pytest.fixture(scope="module")
def toy():
    return parse_definition(TOY, source="toy")


def answers_of(*assessment_ids):
    rows = [(aid, item, value) for aid in assessment_ids for item, value in ANSWERS.items()]
    return pd.DataFrame(rows, columns=["assessment_id", "item_id", "value"])


def accepted_na(*assessment_ids):
    rows = [(aid, "a4", None, "accepted", False) for aid in assessment_ids]
    return pd.DataFrame(
        rows, columns=["assessment_id", "item_id", "score", "na_decision", "confirmed"]
    )


@pytest.fixture(scope="module")
def scored(toy):
    # Assessment 1 is the focal region, 2 its twin with identical answers.
    return scoring.score(
        answers_of(1, 2), toy, accepted_na(1, 2), pd.Series({1: 1_500_000, 2: 1_500_000})
    )


def row(scores, kind, key, assessment_id=1):
    found = scores[
        (scores.assessment_id == assessment_id) & (scores.kind == kind) & (scores.key == key)
    ]
    assert len(found) == 1
    return found.iloc[0]


def test_item_scores_and_statuses(toy, scored):
    items, _scores = scored
    mine = items[items.assessment_id == 1].set_index("item_id")
    assert dict(mine["status"]) == {
        "a1": "value",
        "a2": "dk",
        "a3": "value",
        "a4": "na_accepted",
        "b1": "value",
        "b2": "hidden",
        "b3": "value",
        "b4": "value",
    }
    expected = {"a1": 60, "a2": 0, "a3": 100, "b1": 0, "b2": 0, "b3": 80, "b4": 40}
    for item_id, value in expected.items():
        assert mine.loc[item_id, "moderated"] == pytest.approx(value), item_id
        assert mine.loc[item_id, "self"] == pytest.approx(value), item_id
    assert math.isnan(mine.loc["a4", "moderated"]) and math.isnan(mine.loc["a4", "self"])
    assert bool(mine.loc["a4", "expert"]) and not mine["changed"].any()


def test_count_target_relative_to_size():
    # b3: target = max(1, 2.5 x 1.5) = 3.75, score min(100, 300 / 3.75) = 80.
    assert scoring.count_target(
        {"per_million": 2.5, "exponent": 1, "floor": 1}, 1_500_000
    ) == pytest.approx(3.75)
    assert scoring.count_target({"per_million": 2.5, "exponent": 1, "floor": 1}, 100_000) == 1


def test_dimensions_coverage_and_index(scored):
    _items, scores = scored
    a, b, index = (
        row(scores, "dimension", "a"),
        row(scores, "dimension", "b"),
        row(scores, "index", "c7"),
    )
    assert a["coverage_moderated"] == pytest.approx(3.5 / 4.5)  # 77.8 %: shown
    assert (a["counted"], a["total"], a["dk"]) == (3, 4, 1)
    assert a["moderated"] == pytest.approx(A) and format_score(a["moderated"], "en") == "48.6"
    assert b["coverage_moderated"] == 1 and b["moderated"] == pytest.approx(32.0)
    assert (b["counted"], b["total"], b["dk"]) == (4, 4, 0)
    assert index["moderated"] == pytest.approx(INDEX)
    assert format_score(index["moderated"], "en") == "40.3"
    assert index["coverage_moderated"] == pytest.approx(3.5 / 4.5)  # the lowest dimension's
    assert (index["counted"], index["total"], index["dk"]) == (7, 8, 1)
    assert index["self"] == pytest.approx(INDEX)  # the claimed N/A is left out of self too
    assert set(scores["kind"]) == {"dimension", "index"}  # the aspect has no item; no overall


def test_percentile_rank_band_and_type_7_quartiles(scored):
    _items, scores = scored
    focal = float(row(scores, "index", "c7")["moderated"])
    others = {3: 25.0, 4: 40.25, 5: 55.0, 6: 70.0}
    table = pd.concat(
        [
            scores[scores.kind == "index"],
            pd.DataFrame(
                [(aid, "index", "c7", v, v) for aid, v in others.items()],
                columns=["assessment_id", "kind", "key", "self", "moderated"],
            ),
        ]
    )
    stats = peers.describe(table, [1, 2, 3, 4, 5, 6], "moderated", 5, focal_assessment=1).loc[
        ("index", "c7")
    ]
    assert stats["n"] == 6
    # B = 2 (40.25 is below at full precision, though it also displays "40.3"), E = 2.
    assert stats["rank"] == pytest.approx(50.0)
    assert stats["median"] == pytest.approx(40.285714, abs=1e-6)
    assert stats["band"] == "at_median"  # the band rule alone would say Q3
    assert peers.band(focal, 40.0, 50.0) == "q3"
    # A group of six shows its median only.
    assert math.isnan(stats["q1"]) and math.isnan(stats["q3"])
    for statistic in ("mean", "min", "max"):
        assert statistic not in stats.index
    values = scoring.canonical_array([25.0, 40.25, focal, focal, 55.0, 70.0])
    q1, median, q3 = np.percentile(values, [25, 50, 75], method="linear")
    assert (round(q1, 6), round(median, 6), round(q3, 6)) == (40.258929, 40.285714, 51.321429)


def test_precision_rounds_half_away_from_zero_on_canonical_values():
    assert format_score(40.25, "en") == "40.3"
    assert round(40.25, 1) == 40.2  # what Python's round() would print: wrong
    assert 63.05 - 60.2 == 2.8499999999999943
    assert format_score(63.05 - 60.2, "en") == "2.9"
    assert format_change(63.05 - 60.2, "en") == "+2.9"
    assert format_change(60.2 - 63.05, "en") == "-2.9"
    assert format_score(float("nan"), "en") == "" and format_score(None, "en") == ""
    assert str(scoring.canonical(2.8499999999999943)) == "2.850000000"


def test_item_table_holds_every_rule(toy):
    table = scoring.item_frame(toy).set_index("item_id")
    assert list(table.columns) == [
        "home_kind",
        "home",
        "type",
        "weight",
        "rule",
        "dk_score",
        "gate",
        "allow_na",
        "relates_to",
    ]
    assert json.loads(table.loc["b3", "rule"]) == {
        "kind": "count",
        "per_million": 2.5,
        "exponent": 1.0,
        "floor": 1.0,
    }
    assert json.loads(table.loc["b1", "rule"])["scores"] == {
        "none": 0,
        "member": 50,
        "co_lead": 90,
        "lead": 100,
    }
    assert json.loads(table.loc["b2", "gate"]) == {
        "item": "b1",
        "in": ["member", "co_lead", "lead"],
    }
    assert table.loc["a3", "weight"] == 0.5 and table.loc["a1", "weight"] == 2
    assert bool(table.loc["a4", "allow_na"]) and not bool(table.loc["a1", "allow_na"])
    assert set(table["home_kind"]) == {"dimension"} and (table["dk_score"] == 0).all()
