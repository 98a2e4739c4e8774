"""Peer statistics and suppression, checked against numbers worked out by hand."""

import math

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
    describe,
    peer_groups,
    percentile_rank,
    suppress,
)


def scores_table(values: dict[int, float | None], kind="dimension", key="strategy"):
    rows = [(aid, kind, key, value, value) for aid, value in values.items()]
    return pd.DataFrame(rows, columns=["assessment_id", "kind", "key", "self", "moderated"])


def test_statistics_of_a_group():
    # Sorted: 10, 20, 30, 40, 50, 90.
    scores = scores_table({1: 40, 2: 10, 3: 90, 4: 30, 5: 20, 6: 50, 7: None})
    row = describe(scores, [1, 2, 3, 4, 5, 6, 7], "self", threshold=5, focal_assessment=1).loc[
        ("dimension", "strategy")
    ]
    assert row["n"] == 6  # the unanswered one does not count
    assert row["median"] == pytest.approx(35)
    # Linear interpolation: position 0.25 * 5 = 1.25 -> 20 + 0.25 * 10; 0.75 * 5 = 3.75.
    assert row["q1"] == pytest.approx(22.5)
    assert row["q3"] == pytest.approx(47.5)
    assert row["mean"] == pytest.approx(40)
    assert (row["min"], row["max"]) == (10, 90)
    # 40: three scores below, itself equal -> (3 + 0.5) / 6.
    assert row["rank"] == pytest.approx(100 * 3.5 / 6)
    assert row["gap"] == pytest.approx(5)
    assert not row["suppressed"]


def test_fewer_scores_than_the_threshold_are_suppressed():
    scores = scores_table({1: 40, 2: 10, 3: 90, 4: 30, 5: None})
    row = describe(scores, [1, 2, 3, 4, 5], "self", threshold=5, focal_assessment=1).loc[
        ("dimension", "strategy")
    ]
    assert row["suppressed"]
    assert row["n"] == 4
    for statistic in ("median", "q1", "q3", "mean", "min", "max", "rank", "gap"):
        assert math.isnan(row[statistic]), statistic
    assert row["value"] == 40  # the region's own score stays visible to it


def test_percentile_rank_counts_ties_as_half():
    assert percentile_rank([10, 20, 20, 30], 20) == pytest.approx(50)
    assert percentile_rank([10, 20, 30, 40], 5) == 0
    assert percentile_rank([10, 20, 30, 40], 50) == 100
    assert math.isnan(percentile_rank([], 50))


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
