"""What the dashboards (and later the reports) show, as plain data with translated labels.

Nothing here returns ORM objects or DataFrames: the same dictionaries feed the pages, the JSON
API and the PDF reports. Other regions are named only when they consented; otherwise a partner is
"a region in <country>" and a heat-map row is "Region <n>".
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from babel import Locale
from flask_babel import gettext as _

from surveyapp.analysis import charts, peers, queries, scoring
from surveyapp.labels import label
from surveyapp.regions.models import Region, RegionCategory
from surveyapp.regions.partnerships import PLATFORMS, THEMATIC_PARTNERSHIPS
from surveyapp.rounds.models import Round

STRENGTHS_SHOWN = 3
WEAK_ITEMS_SHOWN = 5


def country_name(code: str, lang: str) -> str:
    """The country's name in ``lang`` (Eurostat writes Greece as EL, ISO as GR)."""
    iso = {"EL": "GR"}.get(code, code)
    try:
        return Locale.parse(lang).territories.get(iso, code)
    except (ValueError, TypeError):
        return code


def group_label(group: peers.PeerGroup, lang: str) -> str:
    if group.kind == peers.ALL:
        return _("All regions")
    if group.kind == peers.COUNTRY:
        return _("Regions in %(country)s", country=country_name(group.value, lang))
    if group.kind == peers.CATEGORY:
        return _("Same category: %(category)s", category=label(RegionCategory(group.value)))
    if group.kind == peers.PARTNERSHIP:
        name = THEMATIC_PARTNERSHIPS.get(group.value, (None, group.value))[1]
        return _("Thematic Partnership: %(name)s", name=name)
    return _("Group: %(name)s", name=group.value)


def _value(number) -> float | None:
    return None if number is None or pd.isna(number) else round(float(number), 1)


@dataclass
class Labels:
    dimensions: dict[str, str]
    aspects: dict[str, str]

    def of(self, kind: str, key: str) -> str:
        if kind == scoring.OVERALL:
            return _("Overall")
        return (self.dimensions if kind == scoring.DIMENSION else self.aspects).get(key, key)


def _labels(definition, lang: str) -> Labels:
    return Labels(
        {g.id: g.localized("title", lang) for g in definition.dimensions},
        {g.id: g.localized("title", lang) for g in definition.aspects},
    )


def _rows(kind: str, keys: list[str], table: pd.DataFrame | None, own: pd.Series, labels):
    rows = []
    for key in keys:
        stats = table.loc[(kind, key)] if table is not None and (kind, key) in table.index else None
        rows.append(
            {
                "key": key,
                "label": labels.of(kind, key),
                "value": _value(own.get((kind, key))),
                "median": _value(stats["median"]) if stats is not None else None,
                "q1": _value(stats["q1"]) if stats is not None else None,
                "q3": _value(stats["q3"]) if stats is not None else None,
                "rank": _value(stats["rank"]) if stats is not None else None,
                "gap": _value(stats["gap"]) if stats is not None else None,
                "n": int(stats["n"]) if stats is not None else 0,
                "suppressed": bool(stats["suppressed"]) if stats is not None else True,
            }
        )
    return rows


def region_dashboard(
    region: Region, round_: Round, lang: str, column="moderated", officer_view: bool = False
) -> dict:
    """Everything the region dashboard shows; ``available`` is False without a counted answer.

    :param officer_view: for an officer: earlier rounds in the trend use moderated scores only
        where that round released them.
    """
    results = queries.round_scores(round_)
    focal = queries.assessment_of(results, region.id)
    context = {"region": {"code": region.code, "name": region.name}, "round": round_.name}
    if focal is None:
        return context | {"available": False}
    definition = results.definition
    labels = _labels(definition, lang)
    own = results.scores[results.scores["assessment_id"] == focal].set_index(["kind", "key"])[
        column
    ]
    benchmarks = queries.region_benchmark(results, region.id, column)
    primary = next((b for b in benchmarks if not b.suppressed), None)
    primary_table = primary.table if primary else None
    dimension_keys = [g.id for g in definition.dimensions]
    aspect_keys = [g.id for g in definition.aspects]
    dimensions = _rows(scoring.DIMENSION, dimension_keys, primary_table, own, labels)
    aspects = _rows(scoring.ASPECT, aspect_keys, primary_table, own, labels)
    overall = _rows(scoring.OVERALL, [scoring.OVERALL_KEY], primary_table, own, labels)[0]
    primary_label = group_label(primary.group, lang) if primary else None
    return context | {
        "available": True,
        "questionnaire": definition.localized("title", lang),
        "state": str(label(results.assessments.set_index("assessment_id").loc[focal, "state"])),
        "primary_group": primary_label,
        "overall": overall,
        "dimensions": dimensions,
        "aspects": aspects,
        "groups": _group_table(benchmarks, dimension_keys, aspect_keys, labels, lang),
        # Dimensions only: aspects have their own chart, and a questionnaire may have a
        # dimension per critical aspect too, which would name the same weakness twice.
        "strengths": _extremes(dimensions, strongest=True),
        "weaknesses": _extremes(dimensions, strongest=False),
        "weak_items": _weak_items(results, focal, definition, lang, column),
        "partners": _partners(results, region.id, labels, lang, column),
        "trend": _trend(round_, region.id, labels, dimension_keys, column, officer_view),
        "charts": {
            "radar": charts.radar(
                [_axis(row) for row in dimensions],
                _("Dimension scores against the peer median"),
                _(
                    "Blue area: the region's score per dimension (0-100). Dashed line: median "
                    "of %(group)s. Shaded band: their middle half (first to third quartile).",
                    group=primary_label or _("too few regions to compare"),
                ),
            ),
            "aspects": charts.bars(
                [_axis(row) for row in aspects],
                _("Critical aspects against the peer median"),
                _(
                    "Bars: the region's score per critical aspect. Grey tick: the peer median; "
                    "shaded band: first to third quartile."
                ),
            ),
        },
    }


def _axis(row: dict) -> charts.Axis:
    return charts.Axis(row["label"], row["value"], row["median"], row["q1"], row["q3"])


def _group_table(benchmarks, dimension_keys, aspect_keys, labels, lang) -> dict:
    """Percentile ranks: one column per peer group, one row per overall/dimension/aspect."""
    suppressed = [group_label(b.group, lang) for b in benchmarks if b.suppressed]
    benchmarks = [b for b in benchmarks if not b.suppressed]
    columns = [
        {"label": group_label(b.group, lang), "size": len(b.group.members)} for b in benchmarks
    ]
    keys = (
        [(scoring.OVERALL, scoring.OVERALL_KEY)]
        + [(scoring.DIMENSION, k) for k in dimension_keys]
        + [(scoring.ASPECT, k) for k in aspect_keys]
    )
    rows = []
    for kind, key in keys:
        cells = []
        for benchmark in benchmarks:
            table = benchmark.table
            if table is None or (kind, key) not in table.index:
                cells.append(None)
                continue
            stats = table.loc[(kind, key)]
            cells.append(
                None
                if stats["suppressed"]
                else {"median": _value(stats["median"]), "rank": _value(stats["rank"])}
            )
        rows.append({"label": labels.of(kind, key), "kind": kind, "cells": cells})
    return {"columns": columns, "rows": rows, "suppressed": suppressed}


def _extremes(rows: list[dict], strongest: bool) -> list[dict]:
    """The dimensions and aspects furthest above (or below) the peer median."""
    compared = [r for r in rows if r["gap"] is not None]
    compared.sort(key=lambda r: r["gap"], reverse=strongest)
    chosen = [r for r in compared if (r["gap"] > 0 if strongest else r["gap"] < 0)]
    return chosen[:STRENGTHS_SHOWN]


def _weak_items(results, focal: int, definition, lang: str, column: str) -> list[dict]:
    """The lowest-scoring items with the actions the questionnaire suggests for them."""
    items = results.items[results.items["assessment_id"] == focal]
    items = items.sort_values([column, "item_id"]).head(WEAK_ITEMS_SHOWN)
    sections = {s.id: s for s in definition.sections}
    weakest = []
    for row in items.itertuples():
        item = definition.item(row.item_id)
        section = sections[item.section_id]
        actions = item.actions or section.actions
        weakest.append(
            {
                "id": item.id,
                "text": item.localized("text", lang),
                "section": section.localized("title", lang),
                "score": _value(getattr(row, column)),
                "actions": [item.localize(action, lang) for action in actions],
            }
        )
    return weakest


def area_label(area: str, definition, lang: str) -> str:
    """'item:option' or 'tp:slug' as a reader names it."""
    source, _sep, value = area.partition(":")
    if source == "tp":
        return str(THEMATIC_PARTNERSHIPS.get(value, (None, value))[1])
    item = definition.items_by_id.get(source)
    if item is not None:
        for option in item.config.get("options", ()):
            if option["value"] == value:
                return item.localize(option["label"], lang)
    return str(PLATFORMS.get(value, value))


def _partners(results, region_id: int, labels: Labels, lang: str, column: str) -> list[dict]:
    rows = results.assessments.set_index("region_id")
    # A region that did not agree to be named is given by country only where enough regions of
    # that country took part for it not to be recognised; otherwise not even the country.
    per_country = results.assessments["country"].value_counts()
    threshold = queries.min_group_size()
    suggestions = []
    for suggestion in queries.partner_suggestions(results, region_id, column=column):
        other = rows.loc[suggestion.region_id]
        named = bool(other["consent_named"])
        country = country_name(other["country"], lang)
        if named:
            name = _("%(name)s (%(country)s)", name=other["name"], country=country)
        elif per_country.get(other["country"], 0) >= threshold:
            name = _("A region in %(country)s", country=country)
        else:
            name = _("A region in another Member State")
        suggestions.append(
            {
                "name": name,
                "code": other["code"] if named else None,
                "match": round(100 * suggestion.match),
                "why": _explain(suggestion, results.definition, labels, lang),
                "shared": [area_label(a, results.definition, lang) for a in suggestion.shared],
            }
        )
    return suggestions


def _explain(suggestion, definition, labels: Labels, lang: str) -> str:
    """One sentence: what the regions share and what each could learn from the other."""
    shared = ", ".join(area_label(a, definition, lang) for a in suggestion.shared[:3])
    theirs = ", ".join(labels.of(scoring.DIMENSION, d) for d in suggestion.their_strengths[:2])
    yours = ", ".join(labels.of(scoring.DIMENSION, d) for d in suggestion.your_strengths[:2])
    if shared and theirs and yours:
        return _(
            "Shares %(shared)s; stronger in %(theirs)s, while your region is stronger in "
            "%(yours)s.",
            shared=shared,
            theirs=theirs,
            yours=yours,
        )
    if shared and theirs:
        return _("Shares %(shared)s and is stronger in %(theirs)s.", shared=shared, theirs=theirs)
    if theirs and yours:
        return _(
            "Stronger in %(theirs)s, while your region is stronger in %(yours)s.",
            theirs=theirs,
            yours=yours,
        )
    if shared:
        return _("Shares %(shared)s, with a similar profile.", shared=shared)
    return _("A complementary profile across the dimensions.")


def released_column(round_: Round) -> str:
    """The score a round shows outside the working group: moderated once released."""
    return "moderated" if round_.moderated_released else "self"


def _trend(round_, region_id, labels: Labels, dimension_keys, column: str, officer_view) -> dict:
    trend = queries.trend(round_, region_id, column, released_column if officer_view else None)
    names = [r.name for r in trend.rounds]
    key = (scoring.OVERALL, scoring.OVERALL_KEY)

    def values(frame: pd.DataFrame, wanted) -> list[float | None]:
        if wanted not in frame.columns:
            return [None] * len(trend.rounds)
        return [_value(frame[wanted].get(r.id)) for r in trend.rounds]

    rows = []
    for kind_key in [key] + [(scoring.DIMENSION, k) for k in dimension_keys]:
        rows.append(
            {
                "label": labels.of(*kind_key),
                "region": values(trend.region, kind_key),
                "median": values(trend.median, kind_key),
            }
        )
    overall = rows[0]
    chart = charts.lines(
        names,
        [
            charts.Series(_("Your region"), overall["region"]),
            charts.Series(_("Median of all regions"), overall["median"], dashed=True),
        ],
        _("Overall score across rounds"),
        _("The region's overall score in each round it submitted, and the median of all regions."),
    )
    return {"rounds": names, "rows": rows, "chart": chart}


def working_group_dashboard(
    round_: Round, lang: str, column="moderated", released_only: bool = False
) -> dict:
    """The working group's view of a round: participation, distributions, heat map, change.

    :param released_only: for readers outside the working group (the published report): earlier
        rounds count with the score they released.
    """
    results = queries.round_scores(round_)
    definition = round_.questionnaire.parsed
    labels = _labels(definition, lang)
    threshold = queries.min_group_size()
    assessments = results.assessments
    table = peers.describe_wide(
        queries.wide_scores(results, column), assessments["assessment_id"], threshold
    )
    dimension_keys = [g.id for g in definition.dimensions]
    aspect_keys = [g.id for g in definition.aspects]

    def distribution(kind: str, keys: list[str]) -> list[dict]:
        rows = []
        for key in keys:
            stats = table.loc[(kind, key)] if (kind, key) in table.index else None
            rows.append(
                {"label": labels.of(kind, key), "n": int(stats["n"]) if stats is not None else 0}
                | {
                    name: _value(stats[name]) if stats is not None else None
                    for name in ("min", "q1", "median", "q3", "max", "mean")
                }
            )
        return rows

    dimensions = distribution(scoring.DIMENSION, dimension_keys)
    aspects = distribution(scoring.ASPECT, aspect_keys)
    heat_rows, unnamed_hidden = _heat_rows(results, aspect_keys, column, threshold)
    change = _change(round_, dimension_keys, labels, column, released_only)
    challenges = _challenges(round_, results, definition, lang, threshold)
    return {
        "round": round_.name,
        "questionnaire": definition.localized("title", lang),
        "threshold": threshold,
        "participation": {
            "assessments": len(assessments),
            "countries": int(assessments["country"].nunique()),
            "named": int(assessments["consent_named"].sum()),
            "states": {
                str(label(state)): int(count)
                for state, count in assessments["state"].value_counts().sort_index().items()
            },
        },
        "suppressed": len(assessments) < threshold,
        "dimensions": dimensions,
        "aspects": aspects,
        "heat_map": {"columns": [labels.of(scoring.ASPECT, k) for k in aspect_keys]}
        | {"rows": heat_rows, "unnamed_hidden": unnamed_hidden},
        "change": change,
        "challenges": challenges,
        "charts": {
            "dimensions": _boxes(dimensions, _("Distribution of dimension scores")),
            "aspects": _boxes(aspects, _("Distribution of critical-aspect scores")),
            "heat_map": charts.heat_map(
                [row["label"] for row in heat_rows],
                [labels.of(scoring.ASPECT, k) for k in aspect_keys],
                [row["values"] for row in heat_rows],
                _("Critical-aspect scores per region"),
                _(
                    "One row per region, one column per critical aspect; darker is higher. "
                    "Regions that did not agree to be named are numbered."
                ),
            ),
        },
    }


def _challenges(round_: Round, results, definition, lang: str, threshold: int) -> list[dict]:
    """Per challenge item: how many regions chose each option, now and in the previous round.

    Counts of regions, not scores, but still about few regions when the round is small: below
    the threshold of counted regions nothing is shown.
    """
    if len(results.assessments) < threshold:
        return []
    current = challenge_counts_by_option(results)
    rounds = queries.comparable_rounds(round_)
    previous = None
    if len(rounds) > 1:
        earlier = queries.round_scores(rounds[-2])
        if len(earlier.assessments) >= threshold:
            previous = (
                rounds[-2].name,
                challenge_counts_by_option(earlier),
                len(earlier.assessments),
            )
    total = len(results.assessments)
    items = []
    for item_id in definition.challenge_items:
        item = definition.item(item_id)
        rows = []
        for option in item.config["options"]:
            count = current.get((item_id, option["value"]), 0)
            before = previous[1].get((item_id, option["value"]), 0) if previous else None
            rows.append(
                {
                    "label": item.localize(option["label"], lang),
                    "regions": count,
                    "share": round(100 * count / total),
                    "previous": before,
                    "previous_share": round(100 * before / previous[2]) if previous else None,
                }
            )
        rows.sort(key=lambda row: -row["regions"])
        items.append(
            {
                "text": item.localized("text", lang),
                "rows": rows,
                "previous_round": previous[0] if previous else None,
                "chart": charts.bars(
                    [charts.Axis(row["label"], row["share"]) for row in rows],
                    item.localized("text", lang),
                    _("Share of the submitted regions that chose each answer, in percent."),
                ),
            }
        )
    return items


def challenge_counts_by_option(results) -> dict[tuple[str, str], int]:
    """Regions per chosen option of each challenge item (kept with the round's cached scores)."""
    if "challenge_counts" not in results.memo:
        counts = queries.challenge_counts(results)
        results.memo["challenge_counts"] = {
            (item_id, option): int(regions)
            for item_id, option, regions in counts.itertuples(index=False)
        }
    return results.memo["challenge_counts"]


def _boxes(rows: list[dict], title: str):
    return charts.box_plots(
        [charts.Box(r["label"], r["min"], r["q1"], r["median"], r["q3"], r["max"]) for r in rows],
        title,
        _(
            "For each row: the line runs from the lowest to the highest score, the box from the "
            "first to the third quartile, the mark inside it is the median."
        ),
    )


def _heat_rows(
    results, aspect_keys: list[str], column: str, threshold: int
) -> tuple[list[dict], int]:
    """Named regions by country and code, then the unnamed ones numbered in order of score.

    Unnamed regions are not sorted by country: their neighbours in the list would tell it. When
    fewer than ``threshold`` regions are unnamed, anyone who knows who took part could tell them
    apart, so they get no row at all: the second value counts them.
    """
    wide = scoring.wide(results.scores, scoring.ASPECT, column).reindex(columns=aspect_keys)
    regions = results.assessments.sort_values(["country", "code"])
    table = wide.reindex(regions["assessment_id"]).astype(float).round(1)
    values = table.astype(object).where(table.notna(), None).to_numpy().tolist()
    named, unnamed = [], []
    for consent, name, code, row, assessment_id in zip(
        regions["consent_named"],
        regions["name"],
        regions["code"],
        values,
        regions["assessment_id"],
        strict=True,
    ):
        if consent:
            named.append({"label": f"{name} ({code})", "values": row})
        else:
            unnamed.append((row, assessment_id))
    if len(unnamed) < threshold:
        return named, len(unnamed)
    # Ties broken by the assessment's id, which says nothing of the region's country.
    unnamed.sort(key=lambda pair: ([-(v if v is not None else -1) for v in pair[0]], pair[1]))
    return named + [
        {"label": _("Region %(number)d", number=number), "values": row}
        for number, (row, _id) in enumerate(unnamed, start=1)
    ], 0


def _change(
    round_: Round, dimension_keys: list[str], labels: Labels, column: str, released_only: bool
) -> dict:
    """Median per dimension in this round and the one before (suppressed medians are None)."""
    trend = queries.trend(round_, None, column, released_column if released_only else None)
    if len(trend.rounds) < 2:
        return {"previous": None, "rows": []}
    previous, current = trend.rounds[-2], trend.rounds[-1]
    rows = []
    for kind, key in [(scoring.OVERALL, scoring.OVERALL_KEY)] + [
        (scoring.DIMENSION, k) for k in dimension_keys
    ]:
        column_key = (kind, key)
        before = (
            _value(trend.median[column_key].get(previous.id))
            if column_key in trend.median
            else None
        )
        now = (
            _value(trend.median[column_key].get(current.id)) if column_key in trend.median else None
        )
        rows.append(
            {
                "label": labels.of(kind, key),
                "before": before,
                "now": now,
                "change": None if before is None or now is None else round(now - before, 1),
            }
        )
    return {"previous": previous.name, "rows": rows}


def partner_list(region: Region, round_: Round, lang: str, column="moderated") -> list | None:
    """Only the partner suggestions (None when the region has no counted assessment)."""
    results = queries.round_scores(round_)
    if queries.assessment_of(results, region.id) is None:
        return None
    return _partners(results, region.id, _labels(results.definition, lang), lang, column)
