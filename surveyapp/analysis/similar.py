"""Structurally similar regions: the regions a region is compared with because they resemble
it, not because they score like it (method D16).

After Navarro et al. (2014), *Regional benchmarking in the smart specialisation process:
identification of reference regions based on structural similarity* (S3 Working Paper Series
03/2014, JRC-IPTS with Orkestra): reference regions are chosen by slow-changing structural
conditions, never by performance, and our own scores are not used. The method, as it runs:

1. **Indicators.** Six figures Eurostat publishes for NUTS-2 regions: population (logarithm),
   population density (logarithm), GDP per head in purchasing power standards, the shares of
   employment in agriculture (NACE A) and in industry (NACE B-E), and the share of people aged
   25-64 with tertiary education (ISCED 5-8).
2. **Year.** For each indicator, the latest year up to the round's reference year for which at
   least 80% of the regions with a figure for it (in any year up to then) have one; every
   region's figure is of that year, so all regions are compared on the same year (a region
   without a figure that year has the indicator missing); when no year reaches 80%, the year
   with figures for the most regions (the latest of equals).
3. **Standardised.** Each indicator (after the logarithm) minus its mean over the NUTS-2
   regions with a figure, divided by its standard deviation over them (population standard
   deviation); an indicator that does not vary is left out.
4. **Distance.** Euclidean over the indicators both regions have, all weighted equally, scaled
   by the square root of (indicators used / indicators both have), so that a pair is not
   nearer for sharing fewer figures; a pair sharing fewer than ``MIN_SHARED`` indicators is not
   compared, and a region with fewer than ``MIN_SHARED`` has no similar regions.
5. **Group.** The region and the ``NEAREST`` regions nearest to it among the candidates (the
   regions whose assessment is validated in the round), ties broken by NUTS code, for the
   round's data and the figures as stored (a corrected figure changes an open round's; a closed
   round keeps those it closed with: rounds.closing); per index only its
   regions with a shown value count, and it follows the suppression rules of every peer group
   (:mod:`peers`). Only NUTS-2 regions are compared (the level Eurostat's regional indicators
   cover); a country or NUTS-1 respondent has no similar regions.

Pure functions over DataFrames; the caller reads the figures (analysis.queries).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

#: The indicators, in the order the method text names them.
INDICATORS = (
    "population",
    "density",
    "gdp_pps_per_head",
    "employment_agriculture",
    "employment_industry",
    "tertiary_attainment",
)
#: Indicators taken as their logarithm (sizes spread over orders of magnitude).
LOGGED = frozenset({"population", "density"})
#: Regions in a similar-regions group besides the region itself.
NEAREST = 9
#: Indicators two regions must both have to be compared.
MIN_SHARED = 4
#: The year of an indicator is the latest one with figures for this share of its regions.
YEAR_COVERAGE = 0.8


@dataclass(frozen=True)
class Basis:
    """What the standardised table was built from: the method's statement in a report."""

    #: Indicator -> the year its figures are of (indicators with no figure are absent).
    years: dict[str, int]
    #: Regions with at least one standardised figure.
    regions: int
    #: Where the figures used come from (as recorded at import), sorted.
    sources: tuple[str, ...] = ()

    @property
    def indicators(self) -> tuple[str, ...]:
        return tuple(name for name in INDICATORS if name in self.years)


def indicator_years(figures: pd.DataFrame, reference_year: int) -> dict[str, int]:
    """Indicator -> the year used (step 2 of the method).

    :param figures: region_id, indicator, year, value (any indicators, any years).
    """
    years: dict[str, int] = {}
    usable = figures[(figures["year"] <= reference_year) & figures["value"].notna()]
    for name, part in usable.groupby("indicator"):
        if name not in INDICATORS:
            continue
        regions = part["region_id"].nunique()
        per_year = part.groupby("year")["region_id"].nunique()
        enough = per_year[per_year >= YEAR_COVERAGE * regions]
        if enough.empty:  # figures spread over years: the year with the most, latest of equals
            enough = per_year[per_year == per_year.max()]
        years[str(name)] = int(enough.index.max())
    return years


def standardised(figures: pd.DataFrame, reference_year: int) -> tuple[pd.DataFrame, Basis]:
    """Region id x indicator table of standardised figures (NaN: missing), and its basis.

    :param figures: region_id, indicator, year, value and source of NUTS-2 regions (the
        population the figures are standardised over).
    """
    years = indicator_years(figures, reference_year)
    columns = {}
    sources: set[str] = set()
    for name, year in list(years.items()):
        part = figures[(figures["indicator"] == name) & (figures["year"] == year)]
        values = part.set_index("region_id")["value"].astype(float)
        if name in LOGGED:
            values = np.log(values.where(values > 0))
        values = values.dropna()
        spread = values.std(ddof=0)
        if len(values) < 2 or not spread > 0:
            del years[name]
            continue
        columns[name] = (values - values.mean()) / spread
        if "source" in part:
            sources.update(part.loc[part["region_id"].isin(values.index), "source"].dropna())
    order = [name for name in INDICATORS if name in columns]
    table = pd.DataFrame({name: columns[name] for name in order}, dtype=float)
    table = table.dropna(how="all")
    return table, Basis({name: years[name] for name in order}, len(table), tuple(sorted(sources)))


def distances(table: pd.DataFrame, region_id: int, candidates: Iterable[int]) -> pd.Series:
    """Candidate region id -> its structural distance to ``region_id`` (step 4), for the
    candidates that can be compared with it (none when the region has too few figures)."""
    if region_id not in table.index:
        return pd.Series(dtype=float)
    own = table.loc[region_id].to_numpy(dtype=float)
    ids = [c for c in dict.fromkeys(candidates) if c != region_id and c in table.index]
    if np.count_nonzero(~np.isnan(own)) < MIN_SHARED or not ids:
        return pd.Series(dtype=float)
    others = table.loc[ids].to_numpy(dtype=float)
    gaps = others - own
    shared = np.count_nonzero(~np.isnan(gaps), axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        squared = np.nansum(gaps**2, axis=1) * (table.shape[1] / shared)
    result = pd.Series(np.sqrt(squared), index=ids, dtype=float)
    return result[shared >= MIN_SHARED]


def placed(table: pd.DataFrame, region_id: int) -> bool:
    """Whether the region has enough standardised figures to be compared (MIN_SHARED)."""
    if region_id not in table.index:
        return False
    return int(table.loc[region_id].notna().sum()) >= MIN_SHARED


def nearest_regions(
    table: pd.DataFrame,
    codes: dict[int, str],
    region_id: int,
    candidates: Iterable[int],
    count: int = NEAREST,
) -> list[int]:
    """The ``count`` candidates nearest to ``region_id`` (step 5), nearest first, ties broken
    by NUTS code; empty when the region cannot be compared."""
    found = distances(table, region_id, candidates)
    ranked = sorted(found.items(), key=lambda pair: (_rounded(pair[1]), codes.get(pair[0], "")))
    return [int(region) for region, _distance in ranked[:count]]


def _rounded(distance: float) -> float:
    """Distances equal but for floating-point noise count as a tie (broken by code)."""
    return round(distance, 9) if math.isfinite(distance) else math.inf
