"""Peer groups and their statistics: pure functions over pandas DataFrames.

* A region is compared with **peer groups** of the same round: all regions, the same country, the
  same category of region, each Thematic Partnership it belongs to and each custom group an
  administrator defined. A group holds the region itself.
* For every dimension, aspect and the overall score a group gives: the number of regions with a
  score (n), median, first and third quartiles (linear interpolation between the closest ranks,
  pandas' default), mean, minimum and maximum; and for the region its **percentile rank** (the
  share of the group scoring below it, counting ties as half: 0 = lowest, 100 = highest) and its
  gap to the median.
* **Suppression**: no statistic is shown for fewer than ``threshold`` regions, whether the group
  is small or only few of its regions answered that dimension. And when two groups shown together
  differ by fewer than ``threshold`` regions (but are not the same regions), the smaller one is
  suppressed: subtracting one aggregate from the other would otherwise reveal those few regions.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

ALL = "all"
COUNTRY = "country"
CATEGORY = "category"
PARTNERSHIP = "partnership"
CUSTOM = "custom"

STATISTICS = ["n", "median", "q1", "q3", "mean", "min", "max"]


@dataclass(frozen=True)
class PeerGroup:
    #: all, country, category, partnership or custom.
    kind: str
    #: The country code, category, partnership slug or custom group name ("" for all).
    value: str
    #: Region ids with a counted assessment in the round.
    members: frozenset[int]

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.value}" if self.value else self.kind


@dataclass(frozen=True)
class ShownGroup:
    group: PeerGroup
    #: True when the group's statistics must not be shown (too few regions).
    suppressed: bool


def peer_groups(
    region_id: int, regions: pd.DataFrame, custom: dict[str, Iterable[int]] | None = None
) -> list[PeerGroup]:
    """The groups a region is compared with.

    :param regions: one row per region with a counted assessment: region_id, country, category
        (may be None) and partnerships (a list of slugs).
    :param custom: custom group name -> region ids; only groups holding the region are used.
    """
    regions = regions.set_index("region_id")
    if region_id not in regions.index:
        return []
    own = regions.loc[region_id]
    groups = [PeerGroup(ALL, "", frozenset(regions.index))]
    same_country = regions.index[regions["country"] == own["country"]]
    groups.append(PeerGroup(COUNTRY, own["country"], frozenset(same_country)))
    if own["category"]:
        same_category = regions.index[regions["category"] == own["category"]]
        groups.append(PeerGroup(CATEGORY, own["category"], frozenset(same_category)))
    for slug in sorted(own["partnerships"] or ()):
        members = [rid for rid, slugs in regions["partnerships"].items() if slug in (slugs or ())]
        groups.append(PeerGroup(PARTNERSHIP, slug, frozenset(members)))
    for name, member_ids in sorted((custom or {}).items()):
        members = frozenset(member_ids) & frozenset(regions.index)
        if region_id in members:
            groups.append(PeerGroup(CUSTOM, name, members))
    return groups


def all_peer_groups(
    regions: pd.DataFrame, custom: dict[str, Iterable[int]] | None = None
) -> list[PeerGroup]:
    """Every group any region of the round is compared with (same rules as peer_groups)."""
    present = frozenset(regions["region_id"])
    groups = [PeerGroup(ALL, "", present)]
    for country, part in regions.groupby("country"):
        groups.append(PeerGroup(COUNTRY, str(country), frozenset(part["region_id"])))
    for category, part in regions.dropna(subset=["category"]).groupby("category"):
        groups.append(PeerGroup(CATEGORY, str(category), frozenset(part["region_id"])))
    exploded = regions[["region_id", "partnerships"]].explode("partnerships").dropna()
    for slug, part in exploded.groupby("partnerships"):
        groups.append(PeerGroup(PARTNERSHIP, str(slug), frozenset(part["region_id"])))
    for name, member_ids in sorted((custom or {}).items()):
        members = frozenset(member_ids) & present
        if members:
            groups.append(PeerGroup(CUSTOM, name, members))
    return groups


def suppress(groups: list[PeerGroup], threshold: int) -> list[ShownGroup]:
    """Mark the groups that are too small, or too close to another shown group, to show.

    Larger groups are considered first, so when two groups differ by only a few regions the
    smaller one is the one suppressed. Then, when "all" is shown, for each kind whose shown groups
    do not overlap (countries, categories), the regions outside them are "all" minus their union:
    while that
    remainder holds fewer than ``threshold`` regions (but some), the smallest shown group of the
    kind is suppressed too. The order of ``groups`` is kept in the result.
    """
    shown: list[PeerGroup] = []
    suppressed: set[str] = set()
    for group in sorted(groups, key=lambda g: (-len(g.members), g.key)):
        too_small = len(group.members) < threshold
        too_close = any(0 < len(group.members ^ other.members) < threshold for other in shown)
        if too_small or too_close:
            suppressed.add(group.key)
        else:
            shown.append(group)
    everyone = next((g.members for g in shown if g.kind == ALL), None)
    changed = everyone is not None  # without "all" shown there is nothing to subtract from
    while changed:
        changed = False
        for kind in sorted({g.kind for g in shown} - {ALL}):
            same = [g for g in shown if g.kind == kind]
            union = frozenset().union(*(g.members for g in same))
            if sum(len(g.members) for g in same) != len(union):
                continue  # overlapping groups (partnerships): no simple remainder
            if 0 < len(everyone - union) < threshold:
                smallest = min(same, key=lambda g: (len(g.members), g.key))
                shown.remove(smallest)
                suppressed.add(smallest.key)
                changed = True
    return [ShownGroup(group, group.key in suppressed) for group in groups]


def percentile_rank(values: Iterable[float], value: float) -> float:
    """Share of ``values`` below ``value`` (ties count half), 0-100."""
    array = np.asarray([v for v in values if not pd.isna(v)], dtype=float)
    if not len(array) or pd.isna(value):
        return float("nan")
    below = np.count_nonzero(array < value)
    equal = np.count_nonzero(array == value)
    return 100.0 * (below + 0.5 * equal) / len(array)


def describe(
    scores: pd.DataFrame,
    assessment_ids: Iterable[int],
    column: str,
    threshold: int,
    focal_assessment: int | None = None,
) -> pd.DataFrame:
    """Statistics of a group, per (kind, key) of the score table.

    :param scores: long score table (assessment_id, kind, key, self, moderated).
    :param assessment_ids: the group's assessments.
    :param column: "self" or "moderated".
    :param focal_assessment: the compared region's assessment: adds value, rank and gap.
    :returns: index (kind, key); columns n, median, q1, q3, mean, min, max, suppressed, and with
        a focal assessment value, rank and gap. Statistics of fewer than ``threshold`` scores are
        NaN with suppressed = True.
    """
    return describe_wide(wide_scores(scores, column), assessment_ids, threshold, focal_assessment)


def wide_scores(scores: pd.DataFrame, column: str) -> pd.DataFrame:
    """Assessments by (kind, key): the layout :func:`describe_wide` works on (compute it once)."""
    wide = scores.pivot(index="assessment_id", columns=["kind", "key"], values=column)
    return wide.astype(float)


def describe_wide(
    wide: pd.DataFrame,
    assessment_ids: Iterable[int],
    threshold: int,
    focal_assessment: int | None = None,
) -> pd.DataFrame:
    """:func:`describe` on a table from :func:`wide_scores`."""
    rows = wide.index.isin(list(assessment_ids))
    values = wide.to_numpy()[rows]
    if values.size == 0:  # nobody in the group has any score
        columns = [*STATISTICS, "suppressed"] + (
            ["value", "rank", "gap"] if focal_assessment else []
        )
        empty = pd.MultiIndex.from_tuples([], names=["kind", "key"])
        return pd.DataFrame(columns=columns, index=empty)
    present = ~np.isnan(values)
    n = present.sum(axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns give NaN, as wanted
        q1, median, q3 = np.nanpercentile(values, [25, 50, 75], axis=0)
        table = pd.DataFrame(
            {
                "n": n,
                "median": median,
                "q1": q1,
                "q3": q3,
                "mean": np.nanmean(values, axis=0),
                "min": np.nanmin(values, axis=0) if len(values) else np.nan,
                "max": np.nanmax(values, axis=0) if len(values) else np.nan,
            },
            index=wide.columns,
        )
    table = table[n > 0]
    table.index.names = ["kind", "key"]
    table["suppressed"] = table["n"] < threshold
    if focal_assessment is not None:
        if focal_assessment in wide.index:
            own = wide.loc[focal_assessment].to_numpy()
        else:
            own = np.full(len(wide.columns), np.nan)
        below = np.where(present, values < own, False).sum(axis=0)
        equal = np.where(present, values == own, False).sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            rank = 100.0 * (below + 0.5 * equal) / n
        rank = np.where(np.isnan(own), np.nan, rank)
        focal = pd.DataFrame({"value": own, "rank": rank}, index=wide.columns)
        focal.index.names = ["kind", "key"]
        table["value"] = focal["value"].reindex(table.index)
        table["rank"] = focal["rank"].reindex(table.index)
        table["gap"] = table["value"] - table["median"]
    hidden = [c for c in table.columns if c not in ("n", "suppressed", "value")]
    table.loc[table["suppressed"], hidden] = np.nan
    return table
