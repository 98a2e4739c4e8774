"""Benchmarks of a round as plain data: the one place where the pipeline runs and is cached.

The analysis is a one-way pipeline, each stage a pure function of the previous stage's frames:
load (:mod:`frame`: database -> frames) -> score (:mod:`scoring`: items -> indices, coverage) ->
compare (:mod:`peers`: groups, percentiles, panel trends, suppression) -> present (dashboards,
reports, API, exports). This module runs load and score once per round and data version (any
answer, state, expert or population change gives a new key) and keeps the result, and what the
compare stage derives from it, in a small per-process cache (``RoundScores.memo``).
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from datetime import datetime

import pandas as pd
from flask import current_app
from sqlalchemy import select

from surveyapp.analysis import frame, peers, scoring, similar, versions
from surveyapp.analysis.partners import Suggestion, suggest_partners
from surveyapp.db import as_utc
from surveyapp.extensions import db
from surveyapp.questionnaires.definition import Definition
from surveyapp.questionnaires.models import Questionnaire
from surveyapp.regions import queries as region_queries
from surveyapp.regions.models import Region
from surveyapp.rounds.models import Round


@dataclass
class RoundScores:
    round_id: int
    definition: Definition
    #: Counted assessments with their region's attributes (see frame.load_assessments), plus
    #: population (inhabitants on the round's reference day, NaN when unknown) and validated.
    assessments: pd.DataFrame
    #: Every scored item of every counted assessment: assessment_id, item_id, status, self,
    #: moderated (NaN = left out), expert, evidence, changed (scoring.item_scores).
    items: pd.DataFrame
    #: Dimension, aspect and C7 index scores: assessment_id, kind, key, self, moderated,
    #: coverage_self, coverage_moderated, counted, total, dk (scoring.group_scores).
    scores: pd.DataFrame
    #: Raw answers: assessment_id, item_id, value, evidence (the exports write them).
    answers: pd.DataFrame
    #: Raw answers of the priority-area items: assessment_id, item_id, value.
    priority_answers: pd.DataFrame
    #: Raw answers of the challenge items: assessment_id, item_id, value.
    challenge_answers: pd.DataFrame
    #: Experts' work: assessment_id, item_id, score, na_decision, confirmed (frame.load_moderated).
    moderated: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: The data version key the scores were computed for (versions.data_version).
    key: tuple = ()
    #: SHA-256 of the questionnaire version's content.
    questionnaire_hash: str = ""
    #: Figures derived from the scores alone, kept with them in the cache.
    memo: dict = field(default_factory=dict)
    #: The year of the round's reference day (populations and structural figures).
    reference_year: int = 0
    #: Of a closed round, what its figures were built from when it closed (populations,
    #: administrators' groups, structural figures); None: read as they are now.
    closing: frame.ClosingInputs | None = None


_cache: OrderedDict[tuple, RoundScores] = OrderedDict()
_cache_lock = threading.Lock()
CACHE_SIZE = 16


def round_scores(
    round_: Round, key: tuple | None = None, fresh_regions: bool = True
) -> RoundScores:
    """Scores of every counted assessment of the round (cached until its data change).

    The regions' attributes (name, category, partnerships) are read fresh every time, so an
    administrator's change shows at once (a closed round's categories and partnerships: as it
    kept them when it closed, frame.load_assessments); only the scores come from the cache.
    Callers that use only scores and assessment ids (trends) pass ``fresh_regions=False`` to
    skip that read.
    """
    key = key or versions.data_version(round_.id)
    with _cache_lock:
        cached = _cache.get(key)
        if cached is not None:
            _cache.move_to_end(key)
    if cached is not None:
        if not fresh_regions:
            return cached
        fresh = frame.load_assessments([round_.id])
        population = cached.assessments.set_index("assessment_id")["population"]
        fresh["population"] = fresh["assessment_id"].map(population).astype(float)
        return replace(cached, assessments=fresh)
    result = compute_round_scores(round_, key)
    with _cache_lock:
        _cache[key] = result
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return result


def compute_round_scores(round_: Round, key: tuple | None = None) -> RoundScores:
    """Load the round's frames and score them (no cache: see :func:`round_scores`)."""
    definition = round_.questionnaire.parsed
    # Load.
    answers = frame.load_answers(round_.id)
    moderated = frame.load_moderated(round_.id)
    closing = frame.closing_inputs(round_.id)
    assessments = frame.with_populations(
        frame.load_assessments([round_.id]), round_.reference_day.year, closing
    )
    # Score.
    items, scores = scoring.score(
        answers,
        definition,
        moderated,
        assessments.set_index("assessment_id")["population"],
        assessment_ids=assessments["assessment_id"],
    )
    return RoundScores(
        round_id=round_.id,
        definition=definition,
        assessments=assessments,
        items=items,
        scores=scores,
        answers=answers,
        priority_answers=answers[answers["item_id"].isin(definition.priority_areas)],
        challenge_answers=answers[answers["item_id"].isin(definition.challenge_items)],
        moderated=moderated,
        key=tuple(key) if key else tuple(versions.data_version(round_.id)),
        questionnaire_hash=round_.questionnaire.content_hash,
        reference_year=round_.reference_day.year,
        closing=closing,
    )


def snapshot_id(results: RoundScores) -> str:
    """The data snapshot a figure was computed from: "YYYYMMDDTHHMMSSZ-<12 hex>".

    The time is the latest change in the round's data version (state, answer or expert work);
    the hex digits begin the SHA-256 of the data version key and the questionnaire's content
    hash, so two figures with the same id come from the same data under the same questionnaire.
    """
    moment = versions.changed_at(results.key)
    stamp = moment.strftime("%Y%m%dT%H%M%SZ") if moment else "00000000T000000Z"
    digest = hashlib.sha256(
        repr((tuple(map(str, results.key)), results.questionnaire_hash)).encode()
    ).hexdigest()
    return f"{stamp}-{digest[:12]}"


def validated_ids(
    results: RoundScores, with_late: bool = False, late_until: datetime | None = None
) -> pd.Series:
    """Assessment ids of the round's validated assessments (peer statistics count only these).

    :param with_late: also those validated after the round closed, which the round's own
        figures leave out (frozen when it closed) and the next round's figures count: the
        change since this round (METHOD §12) ...
    :param late_until: ... validated by then: the next round's close, after which its figures
        are frozen in turn (None: it is still open, every late validation so far counts).
    """
    assessments = results.assessments
    keep = assessments["validated"].astype(bool)
    if with_late:
        late = assessments["validated_late"].astype(bool)
        if late_until is not None:
            until = as_utc(late_until)
            late &= assessments["validated_at"].map(lambda at: at is not None and at <= until)
        keep |= late
    return assessments.loc[keep, "assessment_id"]


def peer_counts(results: RoundScores) -> dict[str, int]:
    """How many counted assessments the peer statistics use (validated) and leave out, and how
    many of those left out were validated after the round closed (its figures froze then)."""
    validated = int(results.assessments["validated"].astype(bool).sum())
    return {
        "validated": validated,
        "left_out": len(results.assessments) - validated,
        "validated_late": int(results.assessments["validated_late"].astype(bool).sum()),
    }


def custom_groups(results: RoundScores) -> dict[str, list[int]]:
    """Administrator-defined peer groups: name -> region ids; of a closed round, as they were
    when it closed."""
    if results.closing is not None:
        return results.closing.custom_groups
    return region_queries.custom_group_members()


def population_rows(results: RoundScores, region_ids) -> dict[int, tuple[int, int, str]]:
    """Region id -> (inhabitants, year, source) that the round's size-relative targets use: of a
    closed round, as kept when it closed; else the latest up to its reference year."""
    if results.closing is not None:
        return results.closing.populations
    return region_queries.population_rows(region_ids, results.reference_year)


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


def _validated_regions(results: RoundScores, region_id: int | None = None) -> pd.DataFrame:
    """Validated assessments' region rows, plus the focal region's own row (its groups)."""
    assessments = results.assessments
    keep = assessments["validated"].astype(bool)
    if region_id is not None:
        keep = keep | (assessments["region_id"] == region_id)
    return assessments[keep]


def region_benchmark(
    results: RoundScores, region_id: int, column: str = "moderated"
) -> list[GroupBenchmark]:
    """The region's peer groups with their statistics (suppressed groups have no table).

    Statistics are of validated assessments' moderated scores; the region's value is its
    ``column`` score; its percentile rank and band are given only when its assessment is
    validated and ``column`` is "moderated" (else it is provisional: no rank).
    """
    focal = assessment_of(results, region_id)
    if focal is None:
        return []
    threshold = min_group_size()
    everywhere = suppressed_groups(results)
    regions = _validated_regions(results, region_id)
    validated_regions = set(regions.loc[regions["validated"].astype(bool), "region_id"])
    nearest = similar_regions(results, region_id).regions
    own_groups = [
        peers.PeerGroup(g.kind, g.value, g.members & frozenset(validated_regions))
        for g in peers.peer_groups(region_id, regions, custom_groups(results), nearest)
    ]
    groups = peers.suppress(own_groups, threshold)
    groups = [
        peers.ShownGroup(g.group, g.suppressed or _hidden(results, g.group, everywhere))
        for g in groups
    ]
    by_region = results.assessments.set_index("region_id")["assessment_id"]
    focal_validated = bool(
        results.assessments.loc[results.assessments["assessment_id"] == focal, "validated"].iloc[0]
    )
    statistics = wide_scores(results, "moderated")
    own = wide_scores(results, column)
    focal_values = own.loc[focal] if focal in own.index else pd.Series(dtype=float)
    benchmarks = []
    for shown in groups:
        if shown.suppressed:
            benchmarks.append(GroupBenchmark(shown.group, True, None))
            continue
        members = by_region.reindex(list(shown.group.members)).dropna().astype(int)
        table = peers.describe_wide(
            statistics,
            members,
            threshold,
            focal,
            focal_values=focal_values,
            rank=focal_validated and column == "moderated",
        )
        benchmarks.append(GroupBenchmark(shown.group, False, table))
    return benchmarks


def _hidden(results: RoundScores, group: peers.PeerGroup, everywhere: set[str]) -> bool:
    """Whether the round-wide suppression hides ``group``: a group of the round suppressed
    everywhere, or a region's similar-regions group too close to a group the round shows (the
    API and exports could show that one beside it)."""
    if group.kind != peers.SIMILAR:
        return group.key in everywhere
    shown = [g for g in round_peer_groups(results) if g.key not in everywhere]
    return peers.too_close(group, shown, min_group_size())


def round_peer_groups(results: RoundScores) -> list[peers.PeerGroup]:
    """Every group of the round's validated assessments (peers.all_peer_groups), built once per
    cached round and set of custom groups: suppression, group statistics and exports ask for
    them once per group."""
    custom = custom_groups(results)
    key = ("peer-groups", tuple(sorted((name, frozenset(ids)) for name, ids in custom.items())))
    if key not in results.memo:
        results.memo[key] = peers.all_peer_groups(_validated_regions(results), custom)
    return results.memo[key]


def suppressed_groups(results: RoundScores) -> set[str]:
    """Keys of the round's groups suppressed when every group of the round is considered.

    A page shows only one region's groups, but the API and exports can show any group of the
    round: a group close to *any* other group of the round is therefore suppressed everywhere,
    so that no two figures anyone can see differ by fewer than the threshold's regions. Groups
    are of validated assessments (the ones peer statistics count).
    """
    # Kept under the groups themselves (their kinds, names and members, from the regions' rows
    # as read now, or as a closed round kept them), so that a region's new country, category or
    # partnership is never judged by an earlier round of suppression.
    groups = round_peer_groups(results)
    key = ("suppressed-groups", min_group_size(), frozenset(groups))
    if key not in results.memo:
        results.memo[key] = {
            g.group.key for g in peers.suppress(groups, min_group_size()) if g.suppressed
        }
    return results.memo[key]


def group_statistics(results: RoundScores, key: str, column: str = "moderated"):
    """One group's statistics by key (e.g. ``country:ES``): (group, table or None), or None.

    The group and its statistics are of validated assessments only.
    """
    groups = {g.key: g for g in round_peer_groups(results)}
    group = groups.get(key)
    if group is None:
        return None
    if key in suppressed_groups(results):
        return group, None
    by_region = results.assessments.set_index("region_id")["assessment_id"]
    members = by_region.reindex(list(group.members)).dropna().astype(int)
    return group, peers.describe_wide(wide_scores(results, column), members, min_group_size())


@dataclass(frozen=True)
class Structural:
    """The standardised structural figures for a reference year (similar.standardised)."""

    #: The figures' version and the year: what is computed from them is kept under it.
    key: tuple
    table: pd.DataFrame
    basis: similar.Basis


_structural: OrderedDict[tuple, Structural] = OrderedDict()


def structural_table(reference_year: int, closing: frame.ClosingInputs | None = None) -> Structural:
    """The standardised structural figures for a reference year, kept until a figure
    changes; of a closed round (``closing``), the figures it kept when it closed."""
    if closing is not None:
        key: tuple = ("closing", closing.digest, reference_year)
    else:
        key = (frame.structural_version(), reference_year)
    with _cache_lock:
        cached = _structural.get(key)
    if cached is None:
        figures = closing.structural if closing is not None else frame.load_structural_figures()
        table, basis = similar.standardised(figures, reference_year)
        cached = Structural(key, table, basis)
        with _cache_lock:
            _structural[key] = cached
            while len(_structural) > 4:
                _structural.popitem(last=False)
    return cached


@dataclass(frozen=True)
class SimilarRegions:
    """A region's structurally similar regions in a round, and what they were chosen by."""

    #: Region ids, nearest first (the region itself not included); empty: none could be found.
    regions: tuple[int, ...]
    basis: similar.Basis
    #: Whether the region itself has enough figures to be compared (else: no group for it).
    placed: bool = True
    #: The region's NUTS level: the method compares NUTS-2 regions only.
    level: int | None = None


def similar_regions(results: RoundScores, region_id: int) -> SimilarRegions:
    """The regions of the round, validated, structurally nearest to ``region_id`` (the method:
    analysis.similar), for the round's data and the structural figures as they are now (a new
    import moves an open round's data version: its reports and dashboards follow), or, of a
    closed round, as they were when it closed."""
    return similar_regions_of(results, [region_id])[region_id]


def similar_regions_of(results: RoundScores, region_ids: list[int]) -> dict[int, SimilarRegions]:
    """similar_regions for several regions, with the structural figures' version read once
    (an export of the round asks for every region's)."""
    structural = structural_table(results.reference_year, results.closing)
    keys = {region_id: ("similar", region_id, structural.key) for region_id in region_ids}
    missing = [region_id for region_id, key in keys.items() if key not in results.memo]
    if missing:
        validated = _validated_regions(results)
        codes = dict(
            zip(results.assessments["region_id"], results.assessments["code"], strict=True)
        )
        if results.closing is not None:
            levels = results.closing.levels
        else:
            levels = dict(
                db.session.execute(
                    select(Region.id, Region.level).where(Region.id.in_(missing))
                ).all()
            )
        for region_id in missing:
            nearest = similar.nearest_regions(
                structural.table, codes, region_id, validated["region_id"]
            )
            results.memo[keys[region_id]] = SimilarRegions(
                tuple(nearest),
                structural.basis,
                similar.placed(structural.table, region_id),
                levels.get(region_id),
            )
    return {region_id: results.memo[key] for region_id, key in keys.items()}


def challenge_counts(results: RoundScores, assessment_ids=None) -> pd.DataFrame:
    """Regions choosing each option of each challenge item: item_id, option, regions; of the
    given assessments (default: every counted one)."""
    answers = results.challenge_answers
    if assessment_ids is not None:
        answers = answers[answers["assessment_id"].isin(set(assessment_ids))]
    chosen = answers.assign(option=answers["value"]).explode("option").dropna(subset=["option"])
    counts = chosen.groupby(["item_id", "option"])["assessment_id"].nunique()
    return counts.rename("regions").reset_index()


def challenge_counts_by_option(
    results: RoundScores, assessment_ids: frozenset[int]
) -> dict[tuple[str, str], int]:
    """Regions per chosen option of each challenge item among ``assessment_ids``, kept with the
    round's scores."""
    key = ("challenge-counts", assessment_ids)
    if key not in results.memo:
        counts = challenge_counts(results, assessment_ids)
        results.memo[key] = {
            (item_id, option): int(regions)
            for item_id, option, regions in counts.itertuples(index=False)
        }
    return results.memo[key]


def peer_item_medians(
    results: RoundScores, members: frozenset[int] | None, threshold: int
) -> pd.Series:
    """The validated peers' median moderated score per item (peers.item_medians), kept with
    the round's scores."""
    key = ("item-medians", members, threshold)
    if key not in results.memo:
        results.memo[key] = peers.item_medians(
            results.items, results.assessments, members, threshold
        )
    return results.memo[key]


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
    results: RoundScores,
    region_id: int,
    limit: int = 5,
    column: str = "moderated",
    domestic: bool = False,
) -> list[Suggestion]:
    """Partners for a region among the validated regions of other Member States (and of its
    own, marked so, with ``domestic``).

    Candidates' complementarity uses their moderated C7 dimension scores; the region's own are
    its ``column`` scores.
    """
    dimensions = scoring.wide(results.scores, scoring.DIMENSION, "moderated")
    dimensions = dimensions.reindex(columns=scoring.c7_dimension_ids(results.definition))
    assessments = results.assessments
    region_of = assessments.set_index("assessment_id")["region_id"]
    focal = assessment_of(results, region_id)
    if focal is None:
        return []
    validated = set(validated_ids(results))
    dimensions = dimensions[dimensions.index.isin(validated | {focal})]
    if column != "moderated":
        own = scoring.wide(results.scores, scoring.DIMENSION, column)
        if focal in own.index:
            dimensions.loc[focal] = own.loc[focal].reindex(dimensions.columns)
    dimensions.index = region_of.reindex(dimensions.index).to_numpy()
    aspects = scoring.wide(results.scores, scoring.ASPECT, "moderated")
    aspects = aspects[aspects.index.isin(validated | {focal})]
    if column != "moderated":
        own_aspects = scoring.wide(results.scores, scoring.ASPECT, column)
        if focal in own_aspects.index:
            aspects.loc[focal] = own_aspects.loc[focal].reindex(aspects.columns)
    aspects.index = region_of.reindex(aspects.index).to_numpy()
    countries = dict(zip(assessments["region_id"], assessments["country"], strict=True))
    return suggest_partners(
        region_id,
        dimensions,
        region_areas(results),
        limit=limit,
        countries=countries,
        domestic=domestic,
        aspects=aspects,
    )


def partner_handle(round_id: int, region_id: int, partner_id: int) -> str:
    """An opaque handle of a suggested partner for the page that shows the suggestion (a keyed
    hash with the app's secret key): the page, its links and the API never carry the partner's
    identity; contacts.queries finds the partner again by recomputing the suggestions."""
    key = current_app.secret_key
    key = key.encode() if isinstance(key, str) else key
    message = f"contact:{round_id}:{region_id}:{partner_id}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


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
    #: index round_id; columns (kind, key) -> median of the validated regions (NaN where
    #: suppressed).
    median: pd.DataFrame
    #: True when the rounds use different questionnaire versions: every round is scored on the
    #: items all of them share, under the newest version's rules (footnote it).
    cross_version: bool = False
    #: The rounds whose scores of the region are provisional: its assessment there counts (it
    #: was submitted) but the experts have not validated it.
    provisional: frozenset[int] = frozenset()


def shared_item_ids(newer: Definition, older: Definition) -> list[str]:
    """The newer version's scored items that the older version also asks (same id)."""
    asked = {item.id for item in older.items}
    return [item.id for item in scoring.scored_items(newer) if item.id in asked]


def rescored(results: RoundScores, definition: Definition, item_ids) -> pd.DataFrame:
    """The round's score table on ``item_ids`` only, under ``definition``'s homes and rules
    (cross-version trends); memoised with the round."""
    key = ("rescored", id(definition), tuple(item_ids))
    if key not in results.memo:
        _items, scores = scoring.score(
            results.answers,
            definition,
            results.moderated,
            results.assessments.set_index("assessment_id")["population"],
            assessment_ids=results.assessments["assessment_id"],
            item_ids=item_ids,
        )
        results.memo[key] = scores
    return results.memo[key]


def _same_version(a: RoundScores, b: RoundScores) -> bool:
    if a.definition is b.definition:
        return True
    return bool(a.questionnaire_hash) and a.questionnaire_hash == b.questionnaire_hash


def trend(
    round_: Round, region_id: int | None, column: str = "moderated", column_for=None
) -> Trend:
    """Scores across rounds, over the items every compared questionnaire version shares.

    Items are matched by id: an item whose meaning changes gets a new id (FORMAT.md), so items
    present in only some versions are left out of every round of the trend, and every round is
    then scored under the newest version's rules. Medians are of validated assessments.

    :param column_for: optional round -> score column, when it differs by round (officers see
        a round's moderated scores only once they are released).
    """
    rounds = comparable_rounds(round_)
    keys = versions.data_versions([r.id for r in rounds])
    results = [round_scores(r, keys[r.id], fresh_regions=False) for r in rounds]
    newest = results[-1].definition
    common = [item.id for item in scoring.scored_items(newest)]
    for result in results[:-1]:
        shared = set(shared_item_ids(newest, result.definition))
        common = [i for i in common if i in shared]
    cross = any(not _same_version(result, results[-1]) for result in results[:-1])
    threshold = min_group_size()
    region_rows, median_rows, provisional = {}, {}, set()
    for r, result in zip(rounds, results, strict=True):
        used = column_for(r) if column_for else column
        scores = rescored(result, newest, common) if cross else result.scores
        indexed = scores.set_index(["kind", "key"])
        focal = assessment_of(result, region_id) if region_id is not None else None
        if focal is not None:
            region_rows[r.id] = indexed[indexed["assessment_id"] == focal][used]
            # Validated after its round closed is validated all the same (its own scores).
            if focal not in set(validated_ids(result, with_late=True)):
                provisional.add(r.id)
        memo_key = ("trend-median", used, threshold, cross, tuple(common) if cross else ())
        if memo_key not in result.memo:
            validated = validated_ids(result)
            result.memo[memo_key] = peers.describe(scores, validated, used, threshold)["median"]
        median_rows[r.id] = result.memo[memo_key]
    return Trend(
        rounds=rounds,
        region=pd.DataFrame(region_rows).T,
        median=pd.DataFrame(median_rows).T,
        cross_version=cross,
        provisional=frozenset(provisional),
    )


def panel_trend(round_: Round, previous_round: Round, column: str = "moderated") -> pd.DataFrame:
    """Change from ``previous_round`` to ``round_`` over the same regions, per (kind, key).

    The panel is the regions validated in both rounds with a shown score in both. Columns: n
    (the panel's size), median_change (median of the regions' own changes), median_before and
    median_after (the panel's medians), suppressed (n below the minimum group size: no change
    shown) and cross_version (the rounds use different questionnaire versions: both are scored
    on the items they share, under the newer version's rules; footnote it). Canonical values.
    """
    keys = versions.data_versions([previous_round.id, round_.id])
    now = round_scores(round_, keys[round_.id], fresh_regions=False)
    before = round_scores(previous_round, keys[previous_round.id], fresh_regions=False)
    threshold = min_group_size()
    memo_key = ("panel-trend", before.key, column, threshold)
    if memo_key in now.memo:
        return now.memo[memo_key]
    cross = not _same_version(now, before)
    if cross:
        shared = shared_item_ids(now.definition, before.definition)
        scores_now = rescored(now, now.definition, shared)
        scores_before = rescored(before, now.definition, shared)
    else:
        scores_now, scores_before = now.scores, before.scores
    table = peers.panel_change(
        # The earlier round with its late validations: they count in the next round's figures,
        # frozen when the next round closes.
        _by_region(before, scores_before, column, with_late=True, late_until=round_.closed_at),
        _by_region(now, scores_now, column),
        threshold,
        cross_version=cross,
    )
    now.memo[memo_key] = table
    return table


def _by_region(
    results: RoundScores,
    scores: pd.DataFrame,
    column: str,
    with_late: bool = False,
    late_until: datetime | None = None,
) -> pd.DataFrame:
    """Validated regions by (kind, key), canonical values of one score column.

    :param with_late: the earlier round of a change: its late validations made by
        ``late_until`` count too (see validated_ids).
    """
    wide = peers.wide_scores(scores, column)
    ids = validated_ids(results, with_late, late_until)
    wide = wide[wide.index.isin(set(ids))]
    region_of = results.assessments.set_index("assessment_id")["region_id"]
    wide.index = region_of.reindex(wide.index).to_numpy()
    return wide
