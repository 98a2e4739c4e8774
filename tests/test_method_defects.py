"""One test per defect of issue 20 that scoring owns (1, 2, 3, 4, 5, 9, 13).

Each fails on the code before method 2.0 (commit c05df95) and passes now.
"""

from pathlib import Path

import pandas as pd
import pytest

from surveyapp.analysis import peers, queries, scoring
from surveyapp.assessments.models import AssessmentState
from surveyapp.assessments.operations import save_answer
from surveyapp.extensions import db
from surveyapp.questionnaires.loader import load_file

ROOT = Path(__file__).resolve().parent.parent / "questionnaires"


@pytest.fixture(scope="module")
def v1():
    return load_file(ROOT / "criterion7-interregional-v1.yaml")


@pytest.fixture(scope="module")
def v2():
    return load_file(ROOT / "criterion7-interregional-v2.yaml")


def full_response(definition, level=3) -> dict:
    """Every scored item answered: scales at ``level``, yes, the middle of a ladder, counts."""
    answers = {}
    for item in scoring.scored_items(definition):
        if item.type == "scale":
            answers[item.id] = level
        elif item.type == "yes_no":
            answers[item.id] = True
        elif item.type == "single_choice":
            answers[item.id] = item.config["options"][len(item.config["options"]) // 2]["value"]
        elif item.type in ("number", "percent"):
            answers[item.id] = 5
    return answers


def scores_of(definition, responses: dict[int, dict], method=None, population=2_000_000):
    rows = [(a, i, v) for a, answers in responses.items() for i, v in answers.items()]
    answers = pd.DataFrame(rows, columns=["assessment_id", "item_id", "value"])
    populations = pd.Series(dict.fromkeys(responses, population), dtype=float)
    items, scores = scoring.score(
        answers, definition, None, populations, assessment_ids=list(responses), method=method
    )
    return items, scores.set_index(["assessment_id", "kind", "key"])


def test_defect_1_a_blank_never_beats_no(v1, v2):
    """ES21 rose from 53.0 to 56.6 by deleting four "No" answers: a blank now counts as Don't
    know (0) and is flagged, in v2 and in v1 answers rescored under method 2.0."""
    for definition, method in ((v2, None), (v1, "2.0")):
        answered = full_response(definition)
        yes_no = [i.id for i in scoring.scored_items(definition) if i.type == "yes_no"]
        answered.update(dict.fromkeys(yes_no, False))
        blank = {k: v for k, v in answered.items() if k not in yes_no}
        items, scores = scores_of(definition, {1: answered, 2: blank}, method)
        for (kind, key), row in scores.loc[1].iterrows():
            assert scores.loc[(2, kind, key), "moderated"] <= row["moderated"], (kind, key)
        blanks = items[(items.assessment_id == 2) & items.item_id.isin(yes_no)]
        assert set(blanks["status"]) == {"blank"} and (blanks["moderated"] == 0).all()


def test_defect_2_thematic_partnership_membership_never_lowers_partnerships(v1, v2):
    """Non-member with a blank role 63.8, "None" 51.0, a member in the Learn phase 48.7."""
    for definition, method in ((v2, None), (v1, "2.0")):
        base = full_response(definition)
        ladder = [o["value"] for o in definition.item("par_tp_role").config["options"]]
        none = "none"
        member = next(v for v in ladder if v not in ("none",) and "lead" not in v)
        responses = {
            1: {**base, "par_tp_role": None},
            2: {**base, "par_tp_role": none},
            3: {**base, "par_tp_role": member, "par_tp_phase": "learn", "par_tp_activity": 0},
        }
        _items, scores = scores_of(definition, responses, method)
        blank, no, joined = (
            scores.loc[(n, "dimension", "partnerships"), "moderated"] for n in (1, 2, 3)
        )
        assert blank <= no <= joined, (definition.version, blank, no, joined)


def test_defect_3_not_applicable_pays_only_when_an_expert_accepts_it(v2):
    """Level 0 scored 0 while "not applicable" was left out: ticking N/A paid."""
    item = next(i for i in scoring.scored_items(v2) if i.allow_na and i.type == "scale")
    base = full_response(v2, level=4)
    responses = {1: {**base, item.id: 0}, 2: {**base, item.id: "na"}, 3: {**base, item.id: "dk"}}
    rows = [(a, i, v) for a, answers in responses.items() for i, v in answers.items()]
    answers = pd.DataFrame(rows, columns=["assessment_id", "item_id", "value"])
    pending = pd.DataFrame(
        columns=["assessment_id", "item_id", "score", "na_decision", "confirmed"]
    )
    _i, scores = scoring.score(answers, v2, pending, pd.Series({1: 2e6, 2: 2e6, 3: 2e6}))
    home = (item.home_kind, item.home)
    moderated = scores.set_index(["assessment_id", "kind", "key"])["moderated"]
    assert moderated[(2, *home)] == moderated[(1, *home)] == moderated[(3, *home)]
    accepted = pd.DataFrame(
        [(2, item.id, None, "accepted", False)],
        columns=["assessment_id", "item_id", "score", "na_decision", "confirmed"],
    )
    items, scores = scoring.score(answers, v2, accepted, pd.Series({1: 2e6, 2: 2e6, 3: 2e6}))
    moderated = scores.set_index(["assessment_id", "kind", "key"])["moderated"]
    assert moderated[(2, *home)] > moderated[(1, *home)]  # left out once accepted
    status = items.set_index(["assessment_id", "item_id"])["status"]
    assert status[(2, item.id)] == "na_accepted" and status[(3, item.id)] == "dk"


def test_defect_4_count_scores_scale_with_size_and_are_not_cumulative(v2):
    """Targets of 20 SMEs and 10 projects since 2021: large regions won, scores rose each
    round. v2 counts are per period, against a target relative to the population."""
    counts = [i for i in scoring.scored_items(v2) if i.type == "number"]
    assert counts
    for item in counts:
        assert item.period in ("last_12_months", "since_previous_round"), item.id
    table = scoring.item_frame(v2).set_index("item_id")
    relative = [i for i in counts if '"count"' in table.loc[i.id, "rule"]]
    assert relative, "a count scored against the region's size"
    item = relative[0]
    answers = pd.DataFrame([(1, item.id, 3), (2, item.id, 3)], columns=[*"ab", "value"])
    answers.columns = ["assessment_id", "item_id", "value"]
    items, _scores = scoring.score(answers, v2, None, pd.Series({1: 500_000, 2: 8_000_000}))
    small, large = items.set_index(["assessment_id", "item_id"])["self"][
        [(1, item.id), (2, item.id)]
    ]
    assert small > large  # the same count weighs more in the smaller region
    # Without a population the item is not scored (never guessed): coverage shows it.
    items, _scores = scoring.score(answers, v2, None, pd.Series({1: 500_000}))
    assert pd.isna(items.set_index(["assessment_id", "item_id"]).loc[(2, item.id), "self"])


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_defect_5_no_overall_and_each_aspect_one_number(version, request):
    """Overall mixed C7 with the aspects, and each aspect was reported twice (as a dimension
    and as an aspect) with different numbers."""
    definition = request.getfixturevalue(version)
    _items, scores = scores_of(definition, {1: full_response(definition)})
    scores = scores.reset_index()
    assert set(scores["kind"]) == {"dimension", "aspect", "index"}
    assert "overall" not in set(scores["key"])
    aspects = {a.id for a in definition.aspects}
    assert set(scores.loc[scores.kind == "aspect", "key"]) == aspects
    assert not aspects & set(scores.loc[scores.kind == "dimension", "key"])
    assert scores.groupby(["kind", "key"]).size().eq(1).all()
    dimensions = scores[scores.kind == "dimension"]
    assert len(dimensions) == 6
    c7 = scores.loc[scores.kind == "index", "moderated"].iloc[0]
    assert c7 == pytest.approx(dimensions["moderated"].mean())


def test_defect_9_trend_over_the_same_regions_with_n():
    """Round 1 had 33 regions, round 2 54: the change of medians said +10.0, the 29 regions in
    both rounds changed by less. The trend is the median change over the panel, with n."""
    before = pd.DataFrame({("dimension", "funding"): [40.0] * 29 + [20.0] * 4})
    before.index = range(33)
    after = pd.DataFrame({("dimension", "funding"): [45.0] * 29 + [80.0] * 30})
    after.index = [*range(29), *range(100, 130)]
    row = peers.panel_change(before, after, 5).loc[("dimension", "funding")]
    assert row["n"] == 29
    assert row["median_change"] == 5.0
    assert after.iloc[:, 0].median() - before.iloc[:, 0].median() == 40.0  # what it said


def test_defect_13_peer_statistics_count_validated_only_and_say_how_many_were_left_out(
    app, create_region, create_user, create_round, create_assessment
):
    round_ = create_round()
    writer = create_user(email="w13@example.org")
    states = [AssessmentState.validated] * 5 + [AssessmentState.submitted] * 2
    regions = []
    for number, state in enumerate(states):
        region = create_region(f"ES3{number}", f"R{number}")
        assessment = create_assessment(region=region, round_=round_)
        # The unreviewed ones score 100: they must not move the validated median.
        level = 5 if state != "validated" else number
        save_answer(assessment, "maturity", level, writer)
        save_answer(assessment, "budget_share", level * 20, writer)  # 3 of 4 weights: shown
        assessment.state = state
        regions.append(region)
    db.session.commit()
    results = queries.round_scores(round_)
    assert queries.peer_counts(results) == {"validated": 5, "left_out": 2, "validated_late": 0}
    assert results.assessments["validated"].sum() == 5
    benchmark = queries.region_benchmark(results, regions[0].id)
    everyone = next(b for b in benchmark if b.group.kind == peers.ALL)
    strategy = everyone.table.loc[("dimension", "strategy")]
    assert strategy["n"] == 5
    assert strategy["median"] == pytest.approx(40.0)  # levels 0..4 -> 0, 20, 40, 60, 80
    # An unvalidated region sees its value beside validated peers, without a rank.
    provisional = queries.region_benchmark(results, regions[-1].id)
    row = next(b for b in provisional if b.group.kind == peers.ALL).table.loc[
        ("dimension", "strategy")
    ]
    assert row["value"] == 100 and pd.isna(row["rank"]) and row["n"] == 5
