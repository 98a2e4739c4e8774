"""The compare stage: peer groups and their statistics, pure functions over the score table.

The rules (percentile rank, type-7 median and quartiles, minimum group size, median only for 5-9
regions, bands, suppression) are written out in :mod:`scoring`'s docstring, the method text.

* A region is compared with **peer groups** of the same round: all regions, the same country, the
  same category of region, each Thematic Partnership it belongs to and each custom group an
  administrator defined. The caller passes the groups' validated assessments (peer statistics
  count validated assessments only).
* For every dimension, aspect and the C7 index a group gives: the number of regions with a shown
  score (n), the median (from ``threshold`` regions) and the first and third quartiles (from
  ``QUARTILES_FROM`` regions), type 7 (numpy's linear, pandas' default); never a minimum, maximum
  or mean. For the region: its **percentile rank** PR = 100 (B + 0.5 E) / N on canonical values,
  its gap to the median and its band.
* **Suppression**: no statistic is shown for fewer than ``threshold`` regions, whether the group
  is small or only few of its regions have a shown score. And when two groups shown together
  differ by fewer than ``threshold`` regions (but are not the same regions), the smaller one is
  suppressed: subtracting one aggregate from the other would otherwise reveal those few regions.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from surveyapp.analysis.scoring import canonical, canonical_array

ALL = "all"
COUNTRY = "country"
CATEGORY = "category"
PARTNERSHIP = "partnership"
CUSTOM = "custom"
#: The region and the regions structurally most like it (analysis.similar): one region's own.
SIMILAR = "similar"

STATISTICS = ["n", "median", "q1", "q3"]
#: Quartiles are shown from this many regions (5-9 regions: the median only).
QUARTILES_FROM = 10
#: Bands of a region's value in its group.
AT_MEDIAN, Q1, Q2, Q3, Q4 = "at_median", "q1", "q2", "q3", "q4"


@dataclass(frozen=True)
class PeerGroup:
    #: all, country, category, partnership, custom or similar.
    kind: str
    #: The country code, category, partnership slug or custom group name ("" for all and
    #: similar).
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
    region_id: int,
    regions: pd.DataFrame,
    custom: dict[str, Iterable[int]] | None = None,
    similar: Iterable[int] | None = None,
) -> list[PeerGroup]:
    """The groups a region is compared with.

    :param regions: one row per region with a counted assessment: region_id, country, category
        (may be None) and partnerships (a list of slugs).
    :param custom: custom group name -> region ids; only groups holding the region are used.
    :param similar: the regions structurally most like it (analysis.similar), if it has any.
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
    if similar:
        members = (frozenset(similar) | {region_id}) & frozenset(regions.index)
        groups.append(PeerGroup(SIMILAR, "", members))
    return groups


def too_close(group: PeerGroup, others: Iterable[PeerGroup], threshold: int) -> bool:
    """Whether ``group`` differs from one of ``others`` by fewer than ``threshold`` regions (but
    some): shown beside it, the difference would reveal those regions (see suppress)."""
    return any(0 < len(group.members ^ other.members) < threshold for other in others)


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
        if too_small or too_close(group, shown, threshold):
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


def band(value: float, median: float, pr: float) -> str | None:
    """ "at_median" when the value equals the median (canonical values), else "q1" (lowest) when
    PR < 25, "q2" when < 50, "q3" when < 75, else "q4"; None without a value, median or PR."""
    if any(pd.isna(x) for x in (value, median, pr)):
        return None
    if canonical(value) == canonical(median):
        return AT_MEDIAN
    if pr < 25:
        return Q1
    if pr < 50:
        return Q2
    if pr < 75:
        return Q3
    return Q4


def describe(
    scores: pd.DataFrame,
    assessment_ids: Iterable[int],
    column: str,
    threshold: int,
    focal_assessment: int | None = None,
) -> pd.DataFrame:
    """Statistics of a group, per (kind, key) of the score table.

    :param scores: long score table (assessment_id, kind, key, self, moderated, ...).
    :param assessment_ids: the group's assessments (validated ones: the caller chooses).
    :param column: "self" or "moderated".
    :param focal_assessment: the compared region's assessment: adds value, rank, gap and band;
        a rank only when it is one of the group's assessments.
    :returns: index (kind, key); columns n, median, q1, q3, suppressed, and with a focal
        assessment value, rank, gap and band. See :func:`describe_wide`.
    """
    return describe_wide(wide_scores(scores, column), assessment_ids, threshold, focal_assessment)


def wide_scores(scores: pd.DataFrame, column: str) -> pd.DataFrame:
    """Assessments by (kind, key), canonical values: the layout :func:`describe_wide` works on
    (compute it once)."""
    wide = scores.pivot(index="assessment_id", columns=["kind", "key"], values=column)
    wide = wide.astype(float)
    return pd.DataFrame(canonical_array(wide.to_numpy()), index=wide.index, columns=wide.columns)


def describe_wide(
    wide: pd.DataFrame,
    assessment_ids: Iterable[int],
    threshold: int,
    focal_assessment: int | None = None,
    *,
    focal_values: pd.Series | None = None,
    rank: bool = True,
) -> pd.DataFrame:
    """:func:`describe` on a table from :func:`wide_scores`.

    Statistics of fewer than ``threshold`` shown scores are NaN with suppressed = True; the
    quartiles need ``QUARTILES_FROM`` scores. The rank counts the focal assessment among the
    group's (it must be one of ``assessment_ids`` and have a shown value).

    :param focal_values: the value to show for the focal region, per (kind, key), when it is not
        its row of ``wide`` (e.g. its self-assessed scores beside validated peers' moderated
        ones); no rank is given then unless ``rank`` is True and the values are its own row's.
    :param rank: False: no percentile rank and band (e.g. the region is not validated yet).
    """
    ids = list(assessment_ids)
    rows = wide.index.isin(ids)
    values = wide.to_numpy()[rows]
    with_focal = focal_assessment is not None
    if values.size == 0 and not with_focal:
        empty = pd.MultiIndex.from_tuples([], names=["kind", "key"])
        return pd.DataFrame(columns=[*STATISTICS, "suppressed"], index=empty)
    if values.size == 0:
        values = np.full((0, len(wide.columns)), np.nan)
    present = ~np.isnan(values)
    n = present.sum(axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns give NaN, as wanted
        if len(values):
            q1, median, q3 = np.nanpercentile(values, [25, 50, 75], axis=0)
        else:
            q1 = median = q3 = np.full(len(wide.columns), np.nan)
    table = pd.DataFrame({"n": n, "median": median, "q1": q1, "q3": q3}, index=wide.columns)
    table.index.names = ["kind", "key"]
    table["suppressed"] = table["n"] < threshold
    table.loc[table["suppressed"], "median"] = np.nan
    table.loc[table["n"] < max(QUARTILES_FROM, threshold), ["q1", "q3"]] = np.nan
    if with_focal:
        if focal_values is not None:
            own = canonical_array(focal_values.reindex(wide.columns).to_numpy(dtype=float))
        elif focal_assessment in wide.index:
            own = wide.loc[focal_assessment].to_numpy(dtype=float)
        else:
            own = np.full(len(wide.columns), np.nan)
        in_group = focal_assessment in ids and focal_assessment in wide.index
        below = np.where(present, values < own, False).sum(axis=0)
        equal = np.where(present, values == own, False).sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            ranks = 100.0 * (below + 0.5 * equal) / n
        ranks = np.where(np.isnan(own) | (not (rank and in_group)), np.nan, ranks)
        table["value"] = own
        table["rank"] = ranks
        table.loc[table["suppressed"], "rank"] = np.nan
        table["gap"] = table["value"] - table["median"]
        table["band"] = [
            band(v, m, r)
            for v, m, r in zip(table["value"], table["median"], table["rank"], strict=True)
        ]
        table = table[(table["n"] > 0) | table["value"].notna()]
    else:
        table = table[table["n"] > 0]
    return table


PANEL_COLUMNS = [
    "n",
    "median_change",
    "median_before",
    "median_after",
    "suppressed",
    "cross_version",
]


def panel_change(
    before: pd.DataFrame, after: pd.DataFrame, threshold: int, *, cross_version: bool = False
) -> pd.DataFrame:
    """Change between two rounds over the panel of regions shown in both, per (kind, key).

    :param before, after: regions (validated ones) by (kind, key), canonical values (NaN = not
        shown); the index identifies the region in both rounds.
    :returns: index (kind, key); columns n (regions shown in both rounds), median_change (the
        median of the regions' own changes), median_before and median_after (the panel's
        medians), suppressed (n < threshold: nothing else is given) and cross_version.
    """
    columns = [c for c in after.columns if c in before.columns]
    panel = after.index.intersection(before.index)
    rows = []
    for kind_key in columns:
        now = after.loc[panel, kind_key].to_numpy(dtype=float)
        then = before.loc[panel, kind_key].to_numpy(dtype=float)
        both = ~np.isnan(now) & ~np.isnan(then)
        n = int(both.sum())
        suppressed = n < threshold
        change, median_before, median_after = (
            (np.nan, np.nan, np.nan)
            if suppressed
            else (
                float(np.median(canonical_array(now[both] - then[both]))),
                float(np.median(then[both])),
                float(np.median(now[both])),
            )
        )
        rows.append((*kind_key, n, change, median_before, median_after, suppressed, cross_version))
    table = pd.DataFrame(rows, columns=["kind", "key", *PANEL_COLUMNS])
    return table.set_index(["kind", "key"])


def item_medians(
    items: pd.DataFrame, assessments: pd.DataFrame, members: frozenset[int] | None, threshold: int
) -> pd.Series:
    """Median moderated item score of the group's validated assessments, per item.

    ``items`` and ``assessments`` are a round's score frames; ``members`` the group's region ids
    (None: all regions). Items fewer than ``threshold`` peers were scored on have no median
    (suppressed, left out of the result).
    """
    validated = assessments[assessments["validated"].astype(bool)]
    if members is not None:
        validated = validated[validated["region_id"].isin(members)]
    scored = items[items["assessment_id"].isin(validated["assessment_id"])]
    grouped = scored.groupby("item_id")["moderated"]
    return grouped.median().where(grouped.count() >= threshold).dropna()
