"""Benchmarks of a round as plain data, computed from the database and cached by data version.

The pure parts live in :mod:`scoring`, :mod:`peers` and :mod:`partners`; this module loads the
frames, keeps each round's scores in a small per-process cache keyed by the round's data version
(any answer or state change gives a new key) and assembles what pages, the API and reports show.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field, replace

import pandas as pd
from flask import current_app
from sqlalchemy import select

from surveyapp.analysis import frame, peers, scoring
from surveyapp.analysis.partners import Suggestion, suggest_partners
from surveyapp.extensions import db
from surveyapp.questionnaires.definition import Definition
from surveyapp.questionnaires.models import Questionnaire
from surveyapp.regions.models import RegionGroup, region_group_members
from surveyapp.rounds.models import Round


@dataclass
class RoundScores:
    round_id: int
    definition: Definition
    #: Counted assessments with their region's attributes (see frame.load_assessments).
    assessments: pd.DataFrame
    #: Counted item scores: assessment_id, item_id, self, moderated.
    items: pd.DataFrame
    #: Dimension, aspect and overall scores: assessment_id, kind, key, self, moderated.
    scores: pd.DataFrame
    #: Raw answers: assessment_id, item_id, value (the exports write them).
    answers: pd.DataFrame
    #: Raw answers of the priority-area items: assessment_id, item_id, value.
    priority_answers: pd.DataFrame
    #: Raw answers of the challenge items: assessment_id, item_id, value.
    challenge_answers: pd.DataFrame
    #: Figures derived from the scores alone, kept with them in the cache.
    memo: dict = field(default_factory=dict)


_cache: OrderedDict[tuple, RoundScores] = OrderedDict()
_cache_lock = threading.Lock()
CACHE_SIZE = 16


def round_scores(
    round_: Round, key: tuple | None = None, fresh_regions: bool = True
) -> RoundScores:
    """Scores of every counted assessment of the round (cached until its data change).

    The regions' attributes (name, category, partnerships) are read fresh every time, so an
    administrator's change shows at once; only the scores come from the cache. Callers that use
    only scores and assessment ids (trends) pass ``fresh_regions=False`` to skip that read.
    """
    key = key or frame.data_version(round_.id)
    with _cache_lock:
        cached = _cache.get(key)
        if cached is not None:
            _cache.move_to_end(key)
    if cached is not None:
        if not fresh_regions:
            return cached
        return replace(cached, assessments=frame.load_assessments([round_.id]))
    result = compute_round_scores(round_)
    with _cache_lock:
        _cache[key] = result
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return result


def compute_round_scores(round_: Round) -> RoundScores:
    definition = round_.questionnaire.parsed
    answers = frame.load_answers(round_.id)
    items = scoring.item_scores(answers, definition, frame.load_moderated(round_.id))
    return RoundScores(
        round_id=round_.id,
        definition=definition,
        assessments=frame.load_assessments([round_.id]),
        items=items,
        scores=scoring.group_scores(items, definition),
        answers=answers,
        priority_answers=answers[answers["item_id"].isin(definition.priority_areas)],
        challenge_answers=answers[answers["item_id"].isin(definition.challenge_items)],
    )


def custom_groups() -> dict[str, list[int]]:
    """Administrator-defined peer groups: name -> region ids."""
    rows = db.session.execute(
        select(RegionGroup.name, region_group_members.c.region_id).join(
            region_group_members, region_group_members.c.group_id == RegionGroup.id
        )
    ).all()
    groups: dict[str, list[int]] = {}
    for name, region_id in rows:
        groups.setdefault(name, []).append(region_id)
    return groups


def wide_scores(results: RoundScores, column: str) -> pd.DataFrame:
    """The round's scores laid out for peers.describe_wide, computed once per cached round."""
    key = ("wide", column)
    if key not in results.memo:
        results.memo[key] = peers.wide_scores(results.scores, column)
    return results.memo[key]


def min_group_size() -> int:
    return current_app.config["MIN_GROUP_SIZE"]


def assessment_of(results: RoundScores, region_id: int) -> int | None:
    match = results.assessments.loc[results.assessments["region_id"] == region_id, "assessment_id"]
    return int(match.iloc[0]) if len(match) else None


@dataclass
class GroupBenchmark:
    group: peers.PeerGroup
    suppressed: bool
    #: index (kind, key); see peers.describe. None when suppressed.
    table: pd.DataFrame | None


def region_benchmark(
    results: RoundScores, region_id: int, column: str = "moderated"
) -> list[GroupBenchmark]:
    """The region's peer groups with their statistics (suppressed groups have no table)."""
    focal = assessment_of(results, region_id)
    if focal is None:
        return []
    threshold = min_group_size()
    everywhere = suppressed_groups(results)
    own_groups = peers.peer_groups(region_id, results.assessments, custom_groups())
    groups = peers.suppress(own_groups, threshold)
    groups = [peers.ShownGroup(g.group, g.suppressed or g.group.key in everywhere) for g in groups]
    by_region = results.assessments.set_index("region_id")["assessment_id"]
    benchmarks = []
    for shown in groups:
        if shown.suppressed:
            benchmarks.append(GroupBenchmark(shown.group, True, None))
            continue
        members = by_region.reindex(list(shown.group.members)).dropna().astype(int)
        table = peers.describe_wide(wide_scores(results, column), members, threshold, focal)
        benchmarks.append(GroupBenchmark(shown.group, False, table))
    return benchmarks


def suppressed_groups(results: RoundScores) -> set[str]:
    """Keys of the round's groups suppressed when every group of the round is considered.

    A page shows only one region's groups, but the API and exports can show any group of the
    round: a group close to *any* other group of the round is therefore suppressed everywhere,
    so that no two figures anyone can see differ by fewer than the threshold's regions.
    """
    groups = peers.all_peer_groups(results.assessments, custom_groups())
    return {g.group.key for g in peers.suppress(groups, min_group_size()) if g.suppressed}


def group_statistics(results: RoundScores, key: str, column: str = "moderated"):
    """One group's statistics by key (e.g. ``country:ES``): (group, table or None), or None."""
    groups = {g.key: g for g in peers.all_peer_groups(results.assessments, custom_groups())}
    group = groups.get(key)
    if group is None:
        return None
    if key in suppressed_groups(results):
        return group, None
    by_region = results.assessments.set_index("region_id")["assessment_id"]
    members = by_region.reindex(list(group.members)).dropna().astype(int)
    return group, peers.describe_wide(wide_scores(results, column), members, min_group_size())


def challenge_counts(results: RoundScores) -> pd.DataFrame:
    """Counted regions choosing each option of each challenge item: item_id, option, regions."""
    answers = results.challenge_answers
    chosen = answers.assign(option=answers["value"]).explode("option").dropna(subset=["option"])
    counts = chosen.groupby(["item_id", "option"])["assessment_id"].nunique()
    return counts.rename("regions").reset_index()


def region_areas(results: RoundScores) -> dict[int, set[str]]:
    """Region id -> its priority areas (chosen options) and Thematic Partnerships."""
    region_of = results.assessments.set_index("assessment_id")["region_id"]
    areas: dict[int, set[str]] = {
        int(row.region_id): {f"tp:{slug}" for slug in row.partnerships}
        for row in results.assessments.itertuples()
    }
    answers = results.priority_answers
    for assessment_id, item_id, value in zip(
        answers["assessment_id"], answers["item_id"], answers["value"], strict=True
    ):
        region_id = int(region_of.get(assessment_id, -1))
        if region_id in areas and isinstance(value, list):
            areas[region_id].update(f"{item_id}:{choice}" for choice in value if choice != "none")
    return areas


def partner_suggestions(
    results: RoundScores, region_id: int, limit: int = 5, column: str = "moderated"
) -> list[Suggestion]:
    dimensions = scoring.wide(results.scores, scoring.DIMENSION, column)
    region_of = results.assessments.set_index("assessment_id")["region_id"]
    dimensions.index = region_of.reindex(dimensions.index).to_numpy()
    return suggest_partners(region_id, dimensions, region_areas(results), limit=limit)


def comparable_rounds(round_: Round) -> list[Round]:
    """Rounds of the same questionnaire (any version) up to this one, oldest first."""
    return list(
        db.session.scalars(
            select(Round)
            .join(Questionnaire)
            .where(
                Questionnaire.slug == round_.questionnaire.slug,
                Round.opens_on <= round_.opens_on,
            )
            .order_by(Round.opens_on, Round.id)
        )
    )


@dataclass
class Trend:
    rounds: list[Round]
    #: index round_id; columns (kind, key) -> the region's scores.
    region: pd.DataFrame
    #: index round_id; columns (kind, key) -> median of all regions (NaN where suppressed).
    median: pd.DataFrame


def trend(
    round_: Round, region_id: int | None, column: str = "moderated", column_for=None
) -> Trend:
    """Scores across rounds, over the items every compared questionnaire version shares.

    Items are matched by id: an item whose meaning changes gets a new id (FORMAT.md), so items
    present in only some versions are left out of every round of the trend.

    :param column_for: optional round -> score column, when it differs by round (officers see
        a round's moderated scores only once they are released).
    """
    rounds = comparable_rounds(round_)
    keys = frame.data_versions([r.id for r in rounds])
    results = [round_scores(r, keys[r.id], fresh_regions=False) for r in rounds]
    common = set.intersection(*({i.id for i in r.definition.items} for r in results))
    threshold = min_group_size()
    region_rows, median_rows = {}, {}
    for r, result in zip(rounds, results, strict=True):
        used = column_for(r) if column_for else column
        if {i.id for i in result.definition.items} == common:
            scores = result.scores  # nothing to leave out: the round's own scores
        else:
            items = result.items[result.items["item_id"].isin(common)]
            scores = scoring.group_scores(items, result.definition)
        indexed = scores.set_index(["kind", "key"])
        focal = assessment_of(result, region_id) if region_id is not None else None
        if focal is not None:
            own = indexed[indexed["assessment_id"] == focal][used]
            region_rows[r.id] = own
        memo_key = ("trend-median", used, threshold, frozenset(common))
        if memo_key not in result.memo:
            everyone = result.assessments["assessment_id"]
            result.memo[memo_key] = peers.describe(scores, everyone, used, threshold)["median"]
        median_rows[r.id] = result.memo[memo_key]
    return Trend(
        rounds=rounds,
        region=pd.DataFrame(region_rows).T,
        median=pd.DataFrame(median_rows).T,
    )
