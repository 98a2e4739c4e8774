"""Structurally similar regions (analysis.similar, method D16): the pure functions."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from surveyapp.analysis import similar


def figures_of(table: dict[int, dict[str, float]], year: int = 2022) -> pd.DataFrame:
    """region id -> indicator -> value, as the long frame the method reads."""
    rows = [
        {"region_id": region, "indicator": name, "year": year, "value": value}
        for region, values in table.items()
        for name, value in values.items()
    ]
    return pd.DataFrame(rows, columns=["region_id", "indicator", "year", "value"])


FULL = {
    "population": 1_000_000,
    "density": 100,
    "gdp_pps_per_head": 30_000,
    "employment_agriculture": 5,
    "employment_industry": 20,
    "tertiary_attainment": 35,
}


def test_worked_example_by_hand():
    # Four indicators vary; the other two are the same for every region and are left out.
    varying = {
        "gdp_pps_per_head": [10_000, 20_000, 30_000, 40_000],
        "tertiary_attainment": [20, 30, 40, 30],
        "employment_agriculture": [2, 4, 6, 4],
        "employment_industry": [30, 20, 10, 20],
    }
    table = {
        region: FULL | {name: values[region - 1] for name, values in varying.items()}
        for region in (1, 2, 3, 4)
    }
    standardised, basis = similar.standardised(figures_of(table), 2026)
    assert set(basis.indicators) == set(varying)
    z = {}
    for name, values in varying.items():
        values = np.array(values, dtype=float)
        z[name] = (values - values.mean()) / values.std()
        assert standardised[name].to_numpy() == pytest.approx(z[name])
    found = similar.distances(standardised, 2, [1, 3, 4])
    for other in (1, 3, 4):
        expected = math.sqrt(sum((z[name][other - 1] - z[name][1]) ** 2 for name in varying))
        assert found[other] == pytest.approx(expected)
    codes = {1: "AA11", 2: "AA12", 3: "AA13", 4: "AA14"}
    # 4 differs from 2 on one indicator only; 1 and 3 are equally far: the tie goes by code.
    assert similar.nearest_regions(standardised, codes, 2, [4, 3, 1], count=3) == [4, 1, 3]


def test_missing_indicators_scale_the_distance_up():
    """Only indicators both regions have count, scaled by sqrt(used / shared): a pair is not
    nearer for missing one; a pair sharing fewer than MIN_SHARED is not compared."""
    columns = list(similar.INDICATORS[:5])
    table = pd.DataFrame(
        [[0.0] * 5, [1.0, 1.0, 1.0, 1.0, np.nan], [1.0, 1.0, np.nan, np.nan, np.nan]],
        index=[1, 2, 3],
        columns=columns,
    )
    found = similar.distances(table, 1, [2, 3])
    assert found[2] == pytest.approx(math.sqrt(4 * 5 / 4))
    assert 3 not in found.index


def test_logged_indicators_are_compared_by_ratio():
    # Density 10 -> 100 is as far as 100 -> 1000 once logged.
    table = {
        region: FULL | {"density": density, "gdp_pps_per_head": 20_000 + region}
        for region, density in {1: 10, 2: 100, 3: 1000}.items()
    }
    standardised, _basis = similar.standardised(figures_of(table), 2026)
    density = standardised["density"]
    assert density[2] - density[1] == pytest.approx(density[3] - density[2])


def test_year_is_the_latest_with_most_regions():
    rows = []
    for region in range(1, 11):
        rows.append({"region_id": region, "indicator": "density", "year": 2021, "value": region})
        rows.append({"region_id": region, "indicator": "density", "year": 2022, "value": region})
    # 2023: only 7 of the 10 regions have a figure (below 80%); 2027 is after the reference year.
    for region in range(1, 8):
        rows.append({"region_id": region, "indicator": "density", "year": 2023, "value": region})
    rows.append({"region_id": 1, "indicator": "density", "year": 2027, "value": 1})
    years = similar.indicator_years(pd.DataFrame(rows), 2026)
    assert years == {"density": 2022}
    assert similar.indicator_years(pd.DataFrame(rows), 2021) == {"density": 2021}


def test_too_few_indicators_no_group():
    sparse = {"population": 2_000_000, "density": 50, "gdp_pps_per_head": 20_000}
    table = {1: sparse} | {region: FULL | {"density": 10 * region} for region in range(2, 8)}
    standardised, _basis = similar.standardised(figures_of(table), 2026)
    codes = {region: f"AA{region:02d}" for region in table}
    assert similar.nearest_regions(standardised, codes, 1, range(2, 8)) == []
    # Nor is the sparse region a candidate of another.
    assert 1 not in similar.nearest_regions(standardised, codes, 2, range(1, 8))


def test_no_figures_no_basis():
    standardised, basis = similar.standardised(figures_of({}), 2026)
    assert basis.years == {} and standardised.empty
    assert similar.nearest_regions(standardised, {}, 1, [2, 3]) == []


indicator_values = st.fixed_dictionaries(
    {
        "population": st.floats(1e4, 2e7),
        "density": st.floats(1, 10_000),
        "gdp_pps_per_head": st.floats(5_000, 100_000),
        "employment_agriculture": st.floats(0, 40),
        "employment_industry": st.floats(0, 50),
        "tertiary_attainment": st.floats(5, 70),
    }
)
regions_tables = st.dictionaries(st.integers(1, 400), indicator_values, min_size=3, max_size=30)


@settings(max_examples=60, deadline=None)
@given(regions_tables, st.data())
def test_group_properties(table, data):
    standardised, _basis = similar.standardised(figures_of(table), 2026)
    codes = {region: f"XX{region:03d}" for region in table}
    focal = data.draw(st.sampled_from(sorted(table)))
    candidates = data.draw(st.lists(st.sampled_from(sorted(table)), unique=True))
    nearest = similar.nearest_regions(standardised, codes, focal, candidates)
    assert focal not in nearest
    assert set(nearest) <= set(candidates)
    assert len(nearest) == min(similar.NEAREST, len(set(candidates) - {focal}))
    # Nearest first: nobody left out is nearer than the farthest chosen.
    found = similar.distances(standardised, focal, candidates)
    if nearest:
        farthest = found[nearest[-1]]
        assert all(found[r] >= farthest - 1e-9 for r in found.index if r not in nearest)
        assert list(found[nearest]) == sorted(found[nearest])


@settings(max_examples=40, deadline=None)
@given(regions_tables, st.data())
def test_distance_is_symmetric_and_unit_free(table, data):
    regions = sorted(table)
    a, b = data.draw(st.sampled_from(regions)), data.draw(st.sampled_from(regions))
    standardised, _basis = similar.standardised(figures_of(table), 2026)
    ab = similar.distances(standardised, a, [b])
    ba = similar.distances(standardised, b, [a])
    assert list(ab) == pytest.approx(list(ba))
    # The same figures in other units (GDP in thousands, a share as a fraction) give the same
    # distances: every indicator is standardised.
    rescaled = {
        region: values
        | {
            "gdp_pps_per_head": values["gdp_pps_per_head"] / 1000,
            "tertiary_attainment": values["tertiary_attainment"] / 100,
        }
        for region, values in table.items()
    }
    again, _basis = similar.standardised(figures_of(rescaled), 2026)
    assert list(similar.distances(again, a, [b])) == pytest.approx(list(ab), abs=1e-6)


@settings(max_examples=40, deadline=None)
@given(regions_tables, st.data())
def test_a_farther_candidate_changes_nothing(table, data):
    """Adding a candidate farther than the group's farthest member leaves the group as it is
    (the figures, and so the standardisation, unchanged)."""
    standardised, _basis = similar.standardised(figures_of(table), 2026)
    codes = {region: f"XX{region:03d}" for region in table}
    focal = data.draw(st.sampled_from(sorted(table)))
    others = [r for r in sorted(table) if r != focal]
    candidates = data.draw(st.lists(st.sampled_from(others), unique=True, min_size=1))
    nearest = similar.nearest_regions(standardised, codes, focal, candidates, count=2)
    found = similar.distances(standardised, focal, others)
    if len(nearest) < 2:
        return  # a group not yet full takes any candidate added
    farther = [r for r in others if r not in candidates and found[r] > found[nearest].max() + 1e-9]
    if farther:
        extra = data.draw(st.sampled_from(farther))
        again = similar.nearest_regions(standardised, codes, focal, [*candidates, extra], count=2)
        assert again == nearest


def test_figures_spread_over_years_take_the_year_with_the_most():
    """No year reaches 80% of the regions: the year with figures for the most (the latest of
    equals), never a failure."""
    rows = [
        {"region_id": region, "indicator": "density", "year": year, "value": region}
        for region, year in ((1, 2023), (2, 2024), (3, 2025), (4, 2024))
    ]
    assert similar.indicator_years(pd.DataFrame(rows), 2026) == {"density": 2024}
    spread = [{**row, "year": 2020 + row["region_id"]} for row in rows]
    assert similar.indicator_years(pd.DataFrame(spread), 2026) == {"density": 2024}


def test_placed_says_whether_a_region_can_be_compared():
    table = pd.DataFrame(
        [[0.0] * 4 + [np.nan] * 2, [0.0] * 3 + [np.nan] * 3],
        index=[1, 2],
        columns=list(similar.INDICATORS),
    )
    assert similar.placed(table, 1) and not similar.placed(table, 2)
    assert not similar.placed(table, 3)
