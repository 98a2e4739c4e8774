"""Peer statistics and suppression, checked against numbers worked out by hand."""

import math

import numpy as np
import pandas as pd
import pytest

from surveyapp.analysis.peers import (
    ALL,
    CATEGORY,
    COUNTRY,
    CUSTOM,
    PARTNERSHIP,
    PeerGroup,
    all_peer_groups,
    band,
    describe,
    panel_change,
    peer_groups,
    suppress,
)


def scores_table(values: dict[int, float | None], kind="dimension", key="strategy"):
    rows = [(aid, kind, key, value, value) for aid, value in values.items()]
    return pd.DataFrame(rows, columns=["assessment_id", "kind", "key", "self", "moderated"])


def test_statistics_of_a_group_of_six_show_the_median_only():
    # Sorted: 10, 20, 30, 40, 50, 90.
    scores = scores_table({1: 40, 2: 10, 3: 90, 4: 30, 5: 20, 6: 50, 7: None})
    row = describe(scores, [1, 2, 3, 4, 5, 6, 7], "self", threshold=5, focal_assessment=1).loc[
        ("dimension", "strategy")
    ]
    assert row["n"] == 6  # the unanswered one does not count
    assert row["median"] == pytest.approx(35)
    # 5-9 regions: the median only (type-7 quartiles of so few are regions' own values).
    assert math.isnan(row["q1"]) and math.isnan(row["q3"])
    for never in ("mean", "min", "max"):
        assert never not in row.index
    # 40: three scores below, itself equal -> (3 + 0.5) / 6.
    assert row["rank"] == pytest.approx(100 * 3.5 / 6)
    assert row["gap"] == pytest.approx(5)
    assert row["band"] == "q3"
    assert not row["suppressed"]


def test_quartiles_from_ten_regions_type_7():
    values = {n: 10.0 * n for n in range(1, 11)}  # 10, 20, ..., 100
    row = describe(scores_table(values), list(values), "self", 5, focal_assessment=3).loc[
        ("dimension", "strategy")
    ]
    # Linear interpolation: position 0.25 * 9 = 2.25 -> 30 + 0.25 * 10; 0.75 * 9 = 6.75.
    assert (row["q1"], row["median"], row["q3"]) == (32.5, 55.0, 77.5)
    assert row["rank"] == pytest.approx(25) and row["band"] == "q2"


def test_a_region_not_in_the_group_gets_no_rank():
    scores = scores_table({1: 40, 2: 10, 3: 90, 4: 30, 5: 20, 6: 50})
    row = describe(scores, [2, 3, 4, 5, 6], "self", 5, focal_assessment=1).loc[
        ("dimension", "strategy")
    ]
    assert row["n"] == 5 and row["median"] == 30
    assert row["value"] == 40 and math.isnan(row["rank"]) and row["band"] is None


def test_ranks_and_ties_on_canonical_values():
    # 0.1 + 0.2 is 0.30000000000000004 in floating point: the same score as 0.3.
    ties = scores_table({1: 0.3, 2: 0.1 + 0.2, 3: 0.5, 4: 0.7})
    table = describe(ties, [1, 2, 3, 4], "self", 4, focal_assessment=1)
    assert table.loc[("dimension", "strategy"), "rank"] == pytest.approx(25)  # E = 2, not 1
    assert band(40.0, 40.0 + 1e-12, 90) == "at_median"
    assert band(41.0, 40.0, 24.9) == "q1" and band(41.0, 40.0, 75) == "q4"


def test_fewer_scores_than_the_threshold_are_suppressed():
    scores = scores_table({1: 40, 2: 10, 3: 90, 4: 30, 5: None})
    row = describe(scores, [1, 2, 3, 4, 5], "self", threshold=5, focal_assessment=1).loc[
        ("dimension", "strategy")
    ]
    assert row["suppressed"]
    assert row["n"] == 4
    for statistic in ("median", "q1", "q3", "rank", "gap"):
        assert math.isnan(row[statistic]), statistic
    assert row["value"] == 40  # the region's own score stays visible to it


def test_percentile_rank_counts_ties_as_half():
    def rank(values, focal):
        table = describe(scores_table(values), list(values), "self", 4, focal_assessment=focal)
        return table.loc[("dimension", "strategy"), "rank"]

    assert rank({1: 10, 2: 20, 3: 20, 4: 30}, 2) == pytest.approx(50)  # B = 1, E = 2, N = 4
    assert rank({1: 10, 2: 20, 3: 30, 4: 40}, 1) == pytest.approx(12.5)  # the lowest: 0.5 / 4
    assert rank({1: 10, 2: 20, 3: 30, 4: 40}, 4) == pytest.approx(87.5)


def regions_frame():
    rows = [
        (1, "ES", "transition", ["photonics"]),
        (2, "ES", "more_developed", ["photonics", "bioenergy"]),
        (3, "ES", "transition", []),
        (4, "FR", "transition", ["photonics"]),
        (5, "FR", None, []),
        (6, "PT", "transition", None),
    ]
    return pd.DataFrame(rows, columns=["region_id", "country", "category", "partnerships"])


def test_peer_groups_of_a_region():
    groups = {g.key: g.members for g in peer_groups(1, regions_frame(), {"south": [1, 3, 6, 9]})}
    assert groups == {
        ALL: frozenset({1, 2, 3, 4, 5, 6}),
        f"{COUNTRY}:ES": frozenset({1, 2, 3}),
        f"{CATEGORY}:transition": frozenset({1, 3, 4, 6}),
        f"{PARTNERSHIP}:photonics": frozenset({1, 2, 4}),
        # Region 9 has no counted assessment in the round.
        f"{CUSTOM}:south": frozenset({1, 3, 6}),
    }
    assert peer_groups(99, regions_frame()) == []
    # A custom group the region is not in is not its peer group.
    assert CUSTOM + ":north" not in {g.key for g in peer_groups(1, regions_frame(), {"north": [2]})}


def group(kind, members):
    return PeerGroup(kind, kind, frozenset(members))


def test_suppression_of_small_groups_and_of_groups_that_differ_by_a_few_regions():
    everyone = group(ALL, range(20))
    country = group(COUNTRY, range(17))  # differs from everyone by 3 regions: suppressed
    category = group(CATEGORY, range(10))  # differs from everyone by 10: shown
    same = group(PARTNERSHIP, range(10))  # the very same regions as category: nothing revealed
    small = group(CUSTOM, range(4))  # too small
    result = {
        s.group.kind: s.suppressed for s in suppress([everyone, country, category, same, small], 5)
    }
    assert result == {ALL: False, COUNTRY: True, CATEGORY: False, PARTNERSHIP: False, CUSTOM: True}


def test_differencing_guard_also_looks_at_groups_that_only_overlap():
    first = group(COUNTRY, range(0, 10))
    second = group(CATEGORY, range(2, 11))  # symmetric difference {0, 1, 10}: 3 regions
    result = {s.group.kind: s.suppressed for s in suppress([first, second], 5)}
    assert result == {COUNTRY: False, CATEGORY: True}


def test_all_peer_groups_of_a_round():
    groups = {g.key: g.members for g in all_peer_groups(regions_frame(), {"south": [1, 3, 9]})}
    assert groups == {
        ALL: frozenset({1, 2, 3, 4, 5, 6}),
        f"{COUNTRY}:ES": frozenset({1, 2, 3}),
        f"{COUNTRY}:FR": frozenset({4, 5}),
        f"{COUNTRY}:PT": frozenset({6}),
        f"{CATEGORY}:transition": frozenset({1, 3, 4, 6}),
        f"{CATEGORY}:more_developed": frozenset({2}),
        f"{PARTNERSHIP}:photonics": frozenset({1, 2, 4}),
        f"{PARTNERSHIP}:bioenergy": frozenset({2}),
        f"{CUSTOM}:south": frozenset({1, 3}),
    }


def test_a_group_without_scores_has_no_statistics():
    empty = pd.DataFrame(columns=["assessment_id", "kind", "key", "self", "moderated"])
    assert describe(empty, [], "self", threshold=5, focal_assessment=1).empty
    assert describe(scores_table({1: 50}), [2], "self", threshold=5).empty


def test_the_rest_of_a_partition_is_never_a_small_group():
    # 20 regions: ES 10, IT 9, MT 1. All minus ES minus IT would reveal Malta's one region.
    countries = {"ES": range(0, 10), "IT": range(10, 19), "MT": range(19, 20)}
    groups = [PeerGroup(ALL, "", frozenset(range(20)))]
    groups += [PeerGroup(COUNTRY, code, frozenset(ids)) for code, ids in countries.items()]
    result = {s.group.key: s.suppressed for s in suppress(groups, 5)}
    assert result == {"all": False, "country:ES": False, "country:IT": True, "country:MT": True}


def test_panel_change_uses_only_regions_shown_in_both_rounds():
    before = pd.DataFrame({("dimension", "funding"): [10.0, 20.0, 30.0, 40.0, 50.0, 0.0]})
    before.index = [1, 2, 3, 4, 5, 6]
    after = pd.DataFrame({("dimension", "funding"): [15.0, 25.0, 35.0, 45.0, np.nan, 90.0]})
    after.index = [1, 2, 3, 4, 5, 7]  # 5 not shown now, 6 left, 7 joined
    row = panel_change(before, after, 3).loc[("dimension", "funding")]
    assert row["n"] == 4 and row["median_change"] == 5.0
    assert (row["median_before"], row["median_after"]) == (25.0, 30.0)
    assert panel_change(before, after, 5).loc[("dimension", "funding")]["suppressed"]
