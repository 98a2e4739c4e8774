"""What the dashboards and the reports show, as plain data with translated labels (method 2.0).

Nothing here returns ORM objects or DataFrames: the same dictionaries feed the pages, the JSON
API and the PDF reports. Scores stay unrounded floats (None where there is none); every page,
chart and report writes them with :func:`surveyapp.numbers.format_score`.

What is shown follows METHOD §5-§7 and issue 20:

* the **criterion-7 index** (C7) always beside its six dimensions, and the four **critical-aspect
  indices** side by side, never averaged; there is no "overall";
* each index with its **coverage** ("k of m items (x % of weight)", Don't-know count); an index
  below the coverage threshold is "not applicable (accepted)", never 0;
* the aspects by their positive **short names** on every chart and table (the official wording
  stays in the text);
* a region's own results **self and moderated side by side**, "provisional" until validated, and
  no percentile rank before validation;
* peer statistics from **validated** assessments only; trends over the **panel** only.

Other regions are named only when they consented; otherwise a partner is "a region in
<country>" and a heat-map row is "Region <n>".
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
from babel import Locale
from babel.lists import format_list
from flask_babel import format_percent, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from surveyapp.analysis import charts, peers, queries, scoring, similar
from surveyapp.assessments.models import state_label
from surveyapp.i18n import label
from surveyapp.regions.models import Region, RegionCategory
from surveyapp.regions.partnerships import PLATFORMS, THEMATIC_PARTNERSHIPS
from surveyapp.rounds.models import Round

STRENGTHS_SHOWN = 3
#: Items listed under "Where to act".
ACTION_ITEMS_SHOWN = 5
#: A group shows its quartiles from this many regions on (below: the median only, METHOD §7).
QUARTILES_FROM = peers.QUARTILES_FROM
VALIDATED = "validated"


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
    if group.kind == peers.SIMILAR:
        return _("Structurally similar regions")
    return _("Group: %(name)s", name=group.value)


#: The structural indicators (analysis.similar) as a sentence names them.
INDICATOR_NAMES = {
    "population": _l("population"),
    "density": _l("population density"),
    "gdp_pps_per_head": _l("GDP per head in purchasing power standards"),
    "employment_agriculture": _l("share of employment in agriculture"),
    "employment_industry": _l("share of employment in industry"),
    "tertiary_attainment": _l("share of people aged 25-64 with tertiary education"),
}


def similar_statement(results, region_id: int, lang: str) -> str:
    """How the region's structurally similar regions were chosen (the indicators, years and
    sources), which they are when every one agreed to be named; or why it has none."""
    found = queries.similar_regions(results, region_id)
    basis = found.basis
    if not basis.years:
        return _(
            "No structurally similar regions: no structural indicators have been imported "
            "(flask indicators import)."
        )
    used = format_list(
        [
            _("%(indicator)s (%(year)s)", indicator=INDICATOR_NAMES[name], year=basis.years[name])
            for name in basis.indicators
        ],
        locale=lang,
    )
    if found.level is not None and found.level != 2:
        return _(
            "No structurally similar regions: they are found among NUTS 2 regions, the level "
            "Eurostat's regional indicators cover, and this region is at NUTS level %(level)d.",
            level=found.level,
        )
    if not found.placed:
        return _(
            "No structurally similar regions: the region has fewer than %(minimum)d of the "
            "structural indicators used (%(indicators)s).",
            minimum=similar.MIN_SHARED,
            indicators=used,
        )
    if not found.regions:
        return _(
            "No structurally similar regions: no validated region of the round shares at least "
            "%(minimum)d of the structural indicators used (%(indicators)s) with this one.",
            minimum=similar.MIN_SHARED,
            indicators=used,
        )
    method = ngettext(
        "Structurally similar regions: the %(num)d validated region of the round nearest to "
        "this one on %(indicators)s, each standardised over the NUTS-2 regions and weighted "
        "equally (Euclidean distance); scores play no part. Figures: %(sources)s.",
        "Structurally similar regions: the %(num)d validated regions of the round nearest to "
        "this one on %(indicators)s, each standardised over the NUTS-2 regions and weighted "
        "equally (Euclidean distance); scores play no part. Figures: %(sources)s.",
        len(found.regions),
        indicators=used,
        sources="; ".join(basis.sources),
    )
    rows = results.assessments.set_index("region_id")
    unnamed = sum(1 for r in found.regions if not bool(rows.loc[r, "consent_named"]))
    if unnamed:
        # Named members beside a count of unnamed ones would let a reader who ranks the public
        # figures tell which regions the unnamed ones are: then none is listed.
        return _(
            "%(method)s %(members)s",
            method=method,
            members=_("The regions are not listed: not all of them agreed to be named."),
        )
    names = [
        _("%(name)s (%(code)s)", name=rows.loc[r, "name"], code=rows.loc[r, "code"])
        for r in sorted(found.regions, key=lambda r: rows.loc[r, "code"])
    ]
    members = _("They are %(names)s.", names=format_list(names, locale=lang))
    return _("%(method)s %(members)s", method=method, members=members)


def _value(number) -> float | None:
    """A score as plain data: the unrounded float, None where there is none."""
    return None if number is None or pd.isna(number) else float(number)


@dataclass
class Labels:
    """What charts and tables call each index; ``titles`` keeps the aspects' official wording."""

    dimensions: dict[str, str]
    aspects: dict[str, str]
    titles: dict[str, str]

    def of(self, kind: str, key: str) -> str:
        if kind == scoring.INDEX:
            return _("Criterion-7 index")
        return (self.dimensions if kind == scoring.DIMENSION else self.aspects).get(key, key)


def c7_dimensions(definition) -> tuple:
    """The six criterion-7 dimensions (format 1: the dimensions that are no aspect)."""
    groups = getattr(definition, "c7_dimensions", None)
    if groups is not None:
        return tuple(groups)
    aspects = {g.id for g in definition.aspects}
    return tuple(g for g in definition.dimensions if g.id not in aspects)


def _short_title(group, lang: str) -> str:
    if getattr(group, "short_title", None):
        return group.localized("short_title", lang)
    return group.localized("title", lang)


def labels_of(definition, lang: str) -> Labels:
    """Dimension titles, the aspects' positive short names, and the aspects' full titles."""
    return Labels(
        {g.id: g.localized("title", lang) for g in c7_dimensions(definition)},
        {g.id: _short_title(g, lang) for g in definition.aspects},
        {g.id: g.localized("title", lang) for g in definition.aspects},
    )


def index_keys(definition) -> list[tuple[str, str]]:
    """(kind, key) of every index in the order pages show them: C7, its dimensions, aspects."""
    return (
        [(scoring.INDEX, scoring.C7)]
        + [(scoring.DIMENSION, g.id) for g in c7_dimensions(definition)]
        + [(scoring.ASPECT, g.id) for g in definition.aspects]
    )


# --- coverage ------------------------------------------------------------------------------


def _coverage(own: dict | None, column: str) -> dict | None:
    """Coverage of one index of one assessment: counted and scored items, weight share, DK."""
    if own is None or pd.isna(own.get("total")) or not own.get("total"):
        return None
    share = own.get(f"coverage_{column}")

    def count(name: str) -> int:
        value = own.get(name)
        return 0 if value is None or pd.isna(value) else int(value)

    return {
        "counted": count("counted"),
        "total": count("total"),
        "percent": None if share is None or pd.isna(share) else 100 * float(share),
        "dk": count("dk"),
    }


def coverage_text(coverage: dict | None, index: bool = False) -> str:
    """ "k of m items (x % of weight), d Don't know" as a reader sees it.

    :param index: the criterion-7 index, whose coverage is its least covered dimension's
        (METHOD §12) while its items are all its dimensions': said so, or "32 of 33 items (82 %
        of weight)" reads as a miscount.
    """
    from surveyapp.numbers import format_number

    if not coverage:
        return ""
    percent = format_number(coverage["percent"] or 0, digits=0)
    counted, total = coverage["counted"], coverage["total"]
    if index:
        text = _(
            "%(counted)d of %(total)d items; the least covered dimension has %(percent)s %% "
            "of its weight",
            counted=counted,
            total=total,
            percent=percent,
        )
    else:
        text = _(
            "%(counted)d of %(total)d items (%(percent)s %% of weight)",
            counted=counted,
            total=total,
            percent=percent,
        )
    if coverage["dk"]:
        text += "; " + _("%(num)d Don't know", num=coverage["dk"])
    return text


# --- the region dashboard ----------------------------------------------------------------


def _band_label(band: str | None) -> str | None:
    return {
        "at_median": _("at the median"),
        "q1": _("lowest quarter"),
        "q2": _("second quarter"),
        "q3": _("third quarter"),
        "q4": _("highest quarter"),
    }.get(band or "")


def records(table: pd.DataFrame | None) -> dict[tuple[str, str], dict]:
    """A statistics or score table indexed by (kind, key) as plain dictionaries (looked up
    dozens of times per page: a dictionary is much cheaper than ``.loc``)."""
    if table is None or table.empty:
        return {}
    rows = table.to_dict("records")
    return {tuple(index): row for index, row in zip(table.index, rows, strict=True)}


def _stats(table: dict | None, kind: str, key: str) -> dict | None:
    return None if table is None else table.get((kind, key))


def _row(kind, key, own, stats, labels: Labels, column: str, rank_shown: bool) -> dict:
    """One index of the region: self and moderated, coverage, peer median, rank where allowed."""
    value = _value(own[column]) if own is not None else None
    coverage = _coverage(own, column)
    suppressed = stats is None or bool(stats["suppressed"])
    n = int(stats["n"]) if stats is not None and not pd.isna(stats["n"]) else 0
    median = None if suppressed else _value(stats["median"])
    quartiles = not suppressed and n >= QUARTILES_FROM
    rank = _value(stats.get("rank")) if rank_shown and not suppressed else None
    band = None
    if rank is not None and value is not None and median is not None:
        band = peers.band(value, median, rank)
    return {
        "kind": kind,
        "key": key,
        "label": labels.of(kind, key),
        "title": labels.titles.get(key, labels.of(kind, key))
        if kind == scoring.ASPECT
        else labels.of(kind, key),
        "self": _value(own["self"]) if own is not None else None,
        "moderated": _value(own["moderated"]) if own is not None else None,
        "value": value,
        # Below the coverage threshold (accepted N/A): never 0, "not applicable (accepted)".
        "not_applicable": value is None and coverage is not None,
        "coverage": coverage,
        "coverage_text": coverage_text(coverage, index=kind == scoring.INDEX),
        "median": median,
        "q1": _value(stats["q1"]) if quartiles else None,
        "q3": _value(stats["q3"]) if quartiles else None,
        "rank": rank,
        "band": _band_label(band),
        "gap": None if value is None or median is None else value - median,
        "n": n,
        "suppressed": suppressed,
    }


def _moderation(assessment_id: int, lang: str) -> dict | None:
    """How much of the assessment an expert reviewed and changed (None if not available), and
    the changed items as plain data (their question in ``lang``)."""
    from surveyapp.assessments.models import Assessment
    from surveyapp.extensions import db

    try:
        from surveyapp.reviews.queries import moderation_summary
    except ImportError:  # the reviews package does not offer it (yet)
        return None
    assessment = db.session.get(Assessment, assessment_id)
    if assessment is None:
        return None
    summary = dict(moderation_summary(assessment))
    summary["changes"] = [
        {
            "id": change["item"].id,
            "text": change["item"].localized("text", lang),
            "self": change["self"],
            "moderated": change["moderated"],
            "rationale": change["rationale"],
        }
        for change in summary.get("changes", [])
    ]
    return summary


def region_dashboard(
    region: Region,
    round_: Round,
    lang: str,
    column="moderated",
    officer_view: bool = False,
    domestic: bool = False,
) -> dict:
    """Everything the region dashboard shows; ``available`` is False without a counted answer.

    :param column: the score the reader may see: "moderated" (experts, or once the round
        released it) shows self and moderated side by side; "self" shows the region's own only.
    :param officer_view: for an officer: earlier rounds count with the scores they released.
    :param domestic: partner suggestions include regions of its own Member State (marked).
    """
    results = queries.round_scores(round_)
    focal = queries.assessment_of(results, region.id)
    context = {"region": {"code": region.code, "name": region.name}, "round": round_.name}
    if focal is None:
        return context | {"available": False}
    definition = results.definition
    labels = labels_of(definition, lang)
    own = results.assessments.set_index("assessment_id").loc[focal]
    state = own["state"]
    validated = str(state) == VALIDATED
    # Validated after the round closed: the round's figures, frozen then, do not count it, so
    # it has no rank among them (METHOD §12); its own scores are validated all the same.
    late = bool(own["validated_late"])
    moderated_visible = column == "moderated"
    # Before validation the region sees its self scores beside the validated peers' median,
    # labelled provisional, with no rank (METHOD §6, D13).
    shown = column if validated else "self"
    rank_shown = validated and moderated_visible and not late
    own_rows = records(
        results.scores[results.scores["assessment_id"] == focal].set_index(["kind", "key"])
    )
    benchmarks = queries.region_benchmark(results, region.id, "moderated")
    primary = next((b for b in benchmarks if not b.suppressed), None)
    primary_table = records(primary.table) if primary else None
    primary_label = group_label(primary.group, lang) if primary else None

    def row(kind, key):
        own = own_rows.get((kind, key))
        return _row(kind, key, own, _stats(primary_table, kind, key), labels, shown, rank_shown)

    index = row(scoring.INDEX, scoring.C7)
    dimensions = [row(scoring.DIMENSION, g.id) for g in c7_dimensions(definition)]
    aspects = [row(scoring.ASPECT, g.id) for g in definition.aspects]
    moderation = _moderation(focal, lang) if moderated_visible else None
    return context | {
        "available": True,
        "questionnaire": definition.localized("title", lang),
        "state": state_label(state),
        "validated": validated,
        # Has a place among the round's validated regions (not validated after it closed).
        "ranked": validated and not late,
        "provisional": not validated,
        "moderated_visible": moderated_visible,
        "shown": shown,
        "primary_group": primary_label,
        "index": index,
        "dimensions": dimensions,
        "aspects": aspects,
        "moderation": moderation,
        "moderated_items": int(
            results.items.loc[results.items["assessment_id"] == focal, "expert"].sum()
        ),
        "groups": _group_table(benchmarks, definition, labels, lang)
        if rank_shown
        else {
            "columns": [],
            "rows": [],
            "suppressed": [],
            "withheld": True,
            # Why: the assessment is not validated yet, or was validated after the round closed,
            # or (validated) the round's moderated scores are not released to this reader yet.
            "withheld_until": "validation" if not validated else ("never" if late else "release"),
        },
        "similar": similar_statement(results, region.id, lang),
        # C7 dimensions only: the aspects have their own chart.
        "strengths": _extremes(dimensions, strongest=True),
        "weaknesses": _extremes(dimensions, strongest=False),
        "where_to_act": where_to_act(results, focal, primary, shown, lang),
        "partners": _partners(results, region.id, labels, lang, "moderated", domestic),
        "partners_domestic": domestic,
        "trend": _region_trend(round_, region.id, labels, definition, column, officer_view),
        "charts": {
            "radar": charts.chart(
                "radar",
                [_axis(r) for r in dimensions],
                _("Criterion-7 dimensions against the peer median"),
                _(
                    "Blue area: the region's score per dimension (0-100, rings every 20 "
                    "points). Dashed line: median of %(group)s. Shaded band: their middle half "
                    "(first to third quartile, from 10 regions on).",
                    group=primary_label or _("too few regions to compare"),
                ),
                legend=charts.Legend(
                    _("%(region)s, moderated scores", region=region.name)
                    if shown == "moderated"
                    else _("%(region)s, self-assessed scores", region=region.name),
                    _("Peer median: %(group)s", group=primary_label or ""),
                    _(
                        "Peer middle half, first to third quartile: %(group)s",
                        group=primary_label or "",
                    ),
                ),
            ),
            "aspects": charts.chart(
                "bars",
                [_axis(r) for r in aspects],
                _("Critical aspects against the peer median"),
                _(
                    "Bars: the region's score per critical aspect, each an index of its own "
                    "(never averaged). Grey tick: the peer median; shaded band: first to third "
                    "quartile."
                ),
            ),
        },
    }


def _axis(row: dict) -> charts.Axis:
    return charts.Axis(row["label"], row["value"], row["median"], row["q1"], row["q3"])


def _group_table(benchmarks, definition, labels: Labels, lang: str) -> dict:
    """Percentile ranks of a validated region: one column per peer group, one row per index."""
    suppressed = [group_label(b.group, lang) for b in benchmarks if b.suppressed]
    benchmarks = [b for b in benchmarks if not b.suppressed]
    tables = [records(b.table) for b in benchmarks]
    columns = [
        {"label": group_label(b.group, lang), "size": len(b.group.members)} for b in benchmarks
    ]
    rows = []
    for kind, key in index_keys(definition):
        cells = []
        for table in tables:
            stats = _stats(table, kind, key)
            if stats is not None and not stats["suppressed"] and pd.isna(stats.get("rank")):
                # The group is shown, but the region has no value for the index (below its
                # coverage: an accepted "not applicable"), so no rank: said so, not "too few".
                cells.append({"not_applicable": True})
                continue
            if stats is None or stats["suppressed"]:
                cells.append(None)
                continue
            cells.append(
                {
                    "median": _value(stats["median"]),
                    "rank": _value(stats["rank"]),
                    # The regions of the group the rank is among: those with a value for the
                    # index (fewer than the group where some are not applicable).
                    "n": int(stats["n"]),
                }
            )
        rows.append({"label": labels.of(kind, key), "kind": kind, "cells": cells})
    return {"columns": columns, "rows": rows, "suppressed": suppressed, "withheld": False}


def _extremes(rows: list[dict], strongest: bool) -> list[dict]:
    """The dimensions furthest above (or below) the peer median, compared on the canonical
    values as every score is: a region at the median (its band says so) is neither, never
    "0.0 points below" by a float's last digit."""
    compared = [(scoring.canonical(r["gap"]), r) for r in rows if r["gap"] is not None]
    compared.sort(key=lambda e: (-e[0] if strongest else e[0], e[1]["key"]))
    chosen = [r for gap, r in compared if (gap > 0 if strongest else gap < 0)]
    return chosen[:STRENGTHS_SHOWN]


# --- where to act ------------------------------------------------------------------------


def where_to_act(results, focal: int, primary, column: str, lang: str) -> list[dict]:
    """Items ranked by weight x gap to the peer group's median (METHOD, issue 20 defect 11).

    gap = the validated peers' median moderated item score minus the region's own item score,
    only where positive; ties by item id. Each item with its own suggested actions (a v1 item
    without any falls back to its section's).
    """
    members = primary.group.members if primary is not None else None
    medians = queries.peer_item_medians(results, members, queries.min_group_size())
    own = results.items[results.items["assessment_id"] == focal].set_index("item_id")[column]
    own = own.dropna()
    definition = results.definition
    ranked = []
    for item_id, score in own.items():
        median = medians.get(item_id)
        if median is None or pd.isna(median):
            continue
        gap = float(median) - float(score)
        if scoring.canonical(gap) <= 0:
            continue
        item = definition.item(item_id)
        ranked.append((float(item.weight) * gap, item_id, item, float(score), float(median)))
    ranked.sort(key=lambda entry: (-scoring.canonical(entry[0]), entry[1]))
    sections = {s.id: s for s in definition.sections}
    labels = labels_of(definition, lang)
    chosen = []
    for priority, item_id, item, score, median in ranked[:ACTION_ITEMS_SHOWN]:
        section = sections[item.section_id]
        actions = item.actions or section.actions
        home = getattr(item, "home_kind", None), getattr(item, "home", None)
        chosen.append(
            {
                "id": item_id,
                "text": item.localized("text", lang),
                # The index the item counts in, by the name the report's tables give it (a
                # section's title named the same aspect three ways).
                "section": labels.of(*home) if home[0] else section.localized("title", lang),
                "weight": float(item.weight),
                "score": score,
                "median": median,
                "gap": median - score,
                "priority": priority,
                "own_actions": bool(item.actions),
                "actions": [item.localize(action, lang) for action in actions],
            }
        )
    return chosen


# --- partners ----------------------------------------------------------------------------


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


def _partners(
    results, region_id: int, labels: Labels, lang: str, column: str, domestic: bool = False
) -> list[dict]:
    rows = results.assessments.set_index("region_id")
    # A region that did not agree to be named is given by country only where enough regions of
    # that country took part for it not to be recognised; otherwise not even the country.
    per_country = results.assessments["country"].value_counts()
    threshold = queries.min_group_size()
    alike = set(queries.similar_regions(results, region_id).regions)
    suggestions = []
    found = queries.partner_suggestions(results, region_id, column=column, domestic=domestic)
    for suggestion in found:
        other = rows.loc[suggestion.region_id]
        named = bool(other["consent_named"])
        country = country_name(other["country"], lang)
        if named:
            name = _("%(name)s (%(country)s)", name=other["name"], country=country)
        elif per_country.get(other["country"], 0) >= threshold:
            name = _("A region in %(country)s", country=country)
        elif suggestion.domestic:
            continue  # "a region of your Member State" among so few could be recognised
        else:
            name = _("A region in another Member State")
        suggestions.append(
            {
                "name": name,
                # Unnamed, and its Member State not given either (too few of its regions).
                "abroad_unnamed": bool(
                    not named and per_country.get(other["country"], 0) < threshold
                ),
                "code": other["code"] if named else None,
                # 0-100, unrounded as every score here (written with format_score: one decimal,
                # half away from zero, never Python's half-to-even round()).
                "match": 100 * suggestion.match,
                # Its two parts (the match is their mean), each 0-100.
                "shared_part": 100 * suggestion.shared_score,
                "complementarity_part": 100 * suggestion.complementarity,
                "why": _explain(suggestion, results.definition, labels, lang),
                "shared": [area_label(a, results.definition, lang) for a in suggestion.shared],
                "domestic": suggestion.domestic,
                # Said of named regions only: of one that is not, it would help tell which it is.
                "similar": named and suggestion.region_id in alike,
                # To ask to be put in touch without the page naming the region (contacts).
                "contact_token": queries.partner_handle(
                    results.round_id, region_id, suggestion.region_id
                ),
            }
        )
    return suggestions


def _explain(suggestion, definition, labels: Labels, lang: str) -> str:
    """What the regions share and what each could learn from the other: on the criterion-7
    dimensions, then on the critical aspects; whole sentences, each naming its list after a
    colon (a label set into a sentence took the wrong case in German: "bei Partnerschaften
    und Netzwerke")."""
    shared = [area_label(a, definition, lang) for a in suggestion.shared[:3]]
    theirs = [labels.of(scoring.DIMENSION, d) for d in suggestion.their_strengths[:2]]
    yours = [labels.of(scoring.DIMENSION, d) for d in suggestion.your_strengths[:2]]
    their_aspects = [labels.of(scoring.ASPECT, a) for a in suggestion.their_aspects[:2]]
    your_aspects = [labels.of(scoring.ASPECT, a) for a in suggestion.your_aspects[:2]]
    sentences = []
    if shared:
        sentences.append(
            _("Shared priority areas and partnerships: %(areas)s.", areas=listed(shared, lang))
        )
    if theirs:
        sentences.append(_("Stronger than your region: %(names)s.", names=listed(theirs, lang)))
    if yours:
        sentences.append(_("Your region is stronger: %(names)s.", names=listed(yours, lang)))
    if shared and not theirs and not yours:
        sentences.append(_("Similar scores on the criterion-7 dimensions."))
    if not sentences:
        sentences.append(_("A complementary profile across the dimensions."))
    if their_aspects:
        sentences.append(
            _(
                "Critical aspects where it is stronger: %(names)s.",
                names=listed(their_aspects, lang),
            )
        )
    if your_aspects:
        sentences.append(
            _(
                "Critical aspects where your region is stronger: %(names)s.",
                names=listed(your_aspects, lang),
            )
        )
    return " ".join(sentences)


def listed(names: list[str], lang: str) -> str:
    """Names as a list in the reader's language ("A, B and C"), or with semicolons when a name
    has a comma or the list's own "and" ("Partnerships and networks; Funding synergies"):
    never ambiguous."""
    between = format_list(["\x00", "\x01"], locale=lang).split("\x00", 1)[1].split("\x01")[0]
    if len(names) > 1 and any("," in name or between in name for name in names):
        return "; ".join(names)
    return format_list(names, locale=lang)


# --- trends ------------------------------------------------------------------------------


def released_column(round_: Round) -> str:
    """The score a round shows outside the working group: moderated once released."""
    return "moderated" if round_.moderated_released else "self"


def _previous_round(round_: Round) -> Round | None:
    rounds = queries.comparable_rounds(round_)
    earlier = [r for r in rounds if r.id != round_.id]
    return earlier[-1] if earlier else None


def panel_change(round_: Round, labels: Labels, definition, column: str) -> dict:
    """Median change over the panel (regions validated and shown in both rounds), per index.

    Each row states its n; a change over fewer than the minimum group is suppressed. A change
    from a v1 round to a v2 round rests on the items both versions share and is flagged for the
    footnote.
    """
    previous = _previous_round(round_)
    if previous is None:
        return {"previous": None, "rows": [], "cross_version": False}
    table = records(queries.panel_trend(round_, previous, column))
    compared = _items_compared(definition, previous.questionnaire.parsed)
    rows = []
    cross_version = False
    for kind, key in index_keys(definition):
        entry = _stats(table, kind, key)
        items = compared.get((kind, key), (0, 0))
        if entry is None:
            rows.append(
                {
                    "label": labels.of(kind, key),
                    "n": 0,
                    "change": None,
                    "suppressed": True,
                    "items_compared": items,
                }
            )
            continue
        suppressed = bool(entry["suppressed"])
        cross_version = cross_version or bool(entry.get("cross_version", False))
        rows.append(
            {
                "label": labels.of(kind, key),
                "kind": kind,
                "n": int(entry["n"]),
                "change": None if suppressed else _value(entry["median_change"]),
                "suppressed": suppressed,
                # Across versions: (items both versions share, items of the index now).
                "items_compared": items,
            }
        )
    return {"previous": previous.name, "rows": rows, "cross_version": cross_version}


def _items_compared(definition, earlier) -> dict[tuple[str, str], tuple[int, int]]:
    """Per index: how many of its scored items the earlier version asks too, and how many it
    has (the criterion-7 index: its six dimensions'). A change across versions rests on the
    first number alone, which the table states beside it."""
    shared = set(queries.shared_item_ids(definition, earlier))
    counts: dict[tuple[str, str], tuple[int, int]] = {}
    for kind, key in index_keys(definition):
        if kind == scoring.INDEX:
            dimensions = {group.id for group in c7_dimensions(definition)}
            items = [
                item
                for item in scoring.scored_items(definition)
                if item.home_kind == scoring.DIMENSION and item.home in dimensions
            ]
        else:
            items = list(definition.home_items(kind, key))
        counts[(kind, key)] = (sum(item.id in shared for item in items), len(items))
    return counts


def _region_trend(round_, region_id, labels: Labels, definition, column, officer_view) -> dict:
    """The region's own scores in each round of the questionnaire, and the panel's change.

    Across questionnaire versions every round is scored on the items the versions share, under
    the newest version's rules (queries.trend), and the table is footnoted.
    """
    trend = queries.trend(round_, region_id, column, released_column if officer_view else None)
    names = [r.name for r in trend.rounds]

    def values(kind_key) -> list[float | None]:
        if kind_key not in trend.region.columns:
            return [None] * len(trend.rounds)
        return [_value(trend.region[kind_key].get(r.id)) for r in trend.rounds]

    rows = [
        {"label": labels.of(kind, key), "kind": kind, "region": values((kind, key))}
        for kind, key in index_keys(definition)
    ]
    provisional = tuple(r.id in trend.provisional for r in trend.rounds)
    chart = charts.chart(
        "lines",
        names,
        [charts.Series(_("Your region"), rows[0]["region"])],
        _("Criterion-7 index across rounds"),
        _("The region's criterion-7 index in each round it took part in."),
        y_title=rows[0]["label"],
        provisional=provisional,
        provisional_label=_("Hollow point: provisional, not validated by the experts")
        if any(provisional)
        else "",
    )
    return {
        "rounds": names,
        # Per round: the region's assessment there is submitted, not validated (its scores are
        # provisional, and are marked so beside the validated rounds').
        "provisional": [r.id in trend.provisional for r in trend.rounds],
        "rows": rows,
        "chart": chart,
        "cross_version": bool(trend.cross_version),
        "panel": panel_change(round_, labels, definition, "moderated"),
    }


# --- the working group's view ------------------------------------------------------------


def _distribution(table: dict, kind: str, key: str, labels: Labels) -> dict:
    stats = _stats(table, kind, key)
    n = int(stats["n"]) if stats is not None else 0
    suppressed = stats is None or bool(stats["suppressed"])
    quartiles = not suppressed and n >= QUARTILES_FROM
    return {
        "kind": kind,
        "key": key,
        "label": labels.of(kind, key),
        "n": n,
        "median": None if suppressed else _value(stats["median"]),
        "q1": _value(stats["q1"]) if quartiles else None,
        "q3": _value(stats["q3"]) if quartiles else None,
        "suppressed": suppressed,
    }


def _series(results, ids, column: str, threshold: int, definition, labels: Labels) -> dict:
    """Distributions of every index over one set of assessments."""
    table = records(peers.describe_wide(queries.wide_scores(results, column), ids, threshold))
    rows = {
        kind: [
            _distribution(table, kind, key, labels)
            for k, key in index_keys(definition)
            if k == kind
        ]
        for kind in (scoring.INDEX, scoring.DIMENSION, scoring.ASPECT)
    }
    return {
        "n": len(ids),
        "index": rows[scoring.INDEX][0],
        "dimensions": rows[scoring.DIMENSION],
        "aspects": rows[scoring.ASPECT],
    }


def working_group_dashboard(
    round_: Round,
    lang: str,
    column="moderated",
    released_only: bool = False,
    internal: bool = False,
) -> dict:
    """The working group's view of a round: participation, distributions, heat map, change.

    Figures count **validated** assessments only (moderated scores); the counted assessments left
    out are stated by state.

    :param released_only: for readers outside the working group (the published report).
    :param internal: the working group's own page: the submitted (not yet validated)
        assessments as a second series with its own n, never mixed into the validated one.
    """
    results = queries.round_scores(round_)
    definition = results.definition
    labels = labels_of(definition, lang)
    threshold = queries.min_group_size()
    assessments = results.assessments
    is_validated = assessments["validated"].astype(bool)
    # Validated after the round closed: counted neither as validated (the round's figures were
    # frozen when it closed) nor as awaiting validation.
    is_late = assessments["validated_late"].astype(bool)
    validated = assessments[is_validated]
    pending = assessments[~is_validated & ~is_late]
    ids = list(validated["assessment_id"])
    main = _series(results, ids, column, threshold, definition, labels)
    submitted = (
        _series(results, list(pending["assessment_id"]), column, threshold, definition, labels)
        if internal
        else None
    )
    heat_rows, unnamed_hidden = _heat_rows(results, validated, definition, column, threshold)
    aspect_labels = [labels.of(scoring.ASPECT, g.id) for g in definition.aspects]
    change = panel_change(round_, labels, definition, column)
    challenges = _challenges(round_, results, definition, lang, threshold)
    left_out = {
        state_label(state): int(count)
        for state, count in pending["state"].value_counts().sort_index().items()
    }
    return {
        "round": round_.name,
        "questionnaire": definition.localized("title", lang),
        "threshold": threshold,
        "participation": {
            "assessments": len(assessments),
            "validated": len(validated),
            "left_out": len(pending),
            "left_out_by_state": left_out,
            "validated_late": int(is_late.sum()),
            "countries": int(validated["country"].nunique()),
            "named": int(validated["consent_named"].sum()),
            "states": {
                state_label(state): int(count)
                for state, count in assessments["state"].value_counts().sort_index().items()
            },
        },
        "suppressed": len(validated) < threshold,
        "index": main["index"],
        "dimensions": main["dimensions"],
        "aspects": main["aspects"],
        "aspect_titles": [
            {"label": labels.of(scoring.ASPECT, g.id), "title": labels.titles[g.id]}
            for g in definition.aspects
        ],
        "submitted": submitted,
        "heat_map": {"columns": aspect_labels, "rows": heat_rows, "unnamed_hidden": unnamed_hidden},
        "change": change,
        "challenges": challenges,
        "charts": {
            "dimensions": _boxes(
                [main["index"], *main["dimensions"]],
                _("Criterion-7 index and its dimensions across validated regions"),
            ),
            "aspects": _boxes(
                main["aspects"], _("Critical-aspect indices across validated regions")
            ),
            "heat_map": charts.chart(
                "heat_map",
                [row["label"] for row in heat_rows],
                aspect_labels,
                [row["values"] for row in heat_rows],
                _("Critical-aspect indices per validated region"),
                heat_map_description(),
                lang=lang,
            ),
        },
    }


def not_applicable_mark() -> str:
    """What a heat-map cell or table says for an index below the coverage threshold."""
    return _("n/a")


def heat_map_description() -> str:
    return _(
        "One row per validated region, one column per critical aspect; darker is higher. "
        "n/a: not applicable (accepted), too few items counted. Regions that did not agree to "
        "be named are numbered."
    )


def _share(count: int, total: int) -> int:
    """A share in whole percent, half away from zero (as every figure of the reports)."""
    return int((Decimal(100 * count) / Decimal(total)).quantize(Decimal(1), ROUND_HALF_UP))


def _challenges(round_: Round, results, definition, lang: str, threshold: int) -> list[dict]:
    """Per challenge item: how many validated regions chose each option; and, for the regions
    validated both in this round and in the previous one, the same count then and now.

    Counts of regions, not scores, but still about few regions: below the threshold of
    regions nothing is shown, for either comparison.
    """
    validated = results.assessments[results.assessments["validated"].astype(bool)]
    total = len(validated)
    if total < threshold:
        return []
    current = queries.challenge_counts_by_option(
        results, frozenset(int(i) for i in validated["assessment_id"])
    )
    rounds = queries.comparable_rounds(round_)
    panel = None
    earlier_definition = None
    if len(rounds) > 1:
        earlier = queries.round_scores(rounds[-2])
        earlier_definition = earlier.definition
        # The earlier round with its late validations: they count in the next round's figures,
        # frozen when it closes in turn.
        counted = queries.validated_ids(earlier, with_late=True, late_until=round_.closed_at)
        before = earlier.assessments[
            earlier.assessments["assessment_id"].isin(set(counted))
            & earlier.assessments["region_id"].isin(set(validated["region_id"]))
        ]
        now = validated[validated["region_id"].isin(set(before["region_id"]))]
        if len(before) >= threshold:
            panel = {
                "round": rounds[-2].name,
                "n": len(before),
                "then": queries.challenge_counts_by_option(
                    earlier, frozenset(int(i) for i in before["assessment_id"])
                ),
                "now": queries.challenge_counts_by_option(
                    results, frozenset(int(i) for i in now["assessment_id"])
                ),
            }
    items = []
    for item_id in definition.challenge_items:
        item = definition.item(item_id)
        rows = []
        for option in item.config["options"]:
            key = (item_id, option["value"])
            count = current.get(key, 0)
            row = {
                "label": item.localize(option["label"], lang),
                "regions": count,
                "share": _share(count, total),
            }
            row["share_text"] = format_percent(row["share"] / 100)
            if panel:
                then, now = panel["then"].get(key, 0), panel["now"].get(key, 0)
                row |= {
                    "then": then,
                    "then_share_text": format_percent(_share(then, panel["n"]) / 100),
                    "now": now,
                    "now_share_text": format_percent(_share(now, panel["n"]) / 100),
                }
            rows.append(row)
        rows.sort(key=lambda row: -row["regions"])
        items.append(
            {
                "text": item.localized("text", lang),
                "rows": rows,
                "n": total,
                "previous_round": panel["round"] if panel else None,
                "panel_n": panel["n"] if panel else None,
                # The earlier round asked it in other words or with other options: then and
                # now answer different questions, and the table says so.
                "reworded": bool(panel) and _reworded(item, earlier_definition),
                "chart": charts.chart(
                    "bars",
                    [charts.Axis(row["label"], row["share"]) for row in rows],
                    item.localized("text", lang),
                    ngettext(
                        "Share of the %(num)d validated region that chose each answer, in percent.",
                        "Share of the %(num)d validated regions that chose each answer, in "
                        "percent.",
                        total,
                    ),
                    value_text="percent",
                ),
            }
        )
    return items


def _reworded(item, earlier_definition) -> bool:
    """Whether the earlier questionnaire asked the item in other words or options (English)."""
    before = earlier_definition.items_by_id.get(item.id) if earlier_definition else None
    if before is None:
        return True

    def asked(asked_item) -> tuple:
        options = tuple(
            (option["value"], asked_item.localize(option["label"], "en"))
            for option in asked_item.config.get("options", ())
        )
        return asked_item.localized("text", "en"), options

    return asked(before) != asked(item)


def _boxes(rows: list[dict], title: str):
    return charts.chart(
        "box_plots",
        [charts.Box(r["label"], r["q1"], r["median"], r["q3"]) for r in rows],
        title,
        _(
            "For each row: the mark is the median, the box runs from the first to the third "
            "quartile (shown from 10 regions on). The boxes have no whiskers: a group's lowest "
            "and highest scores are each one region's own score."
        ),
        legend=_(
            "Mark and number: the median. Box: first to third quartile, shown from 10 regions "
            "on; a mark without a box is a median of fewer regions."
        ),
    )


def _heat_rows(
    results, validated: pd.DataFrame, definition, column: str, threshold: int
) -> tuple[list[dict], int]:
    """Named regions by country and code, then the unnamed ones numbered in order of score.

    Unnamed regions are not sorted by country: their neighbours in the list would tell it. When
    fewer than ``threshold`` regions are unnamed, anyone who knows who took part could tell them
    apart, so they get no row at all: the second value counts them. A cell below the coverage
    threshold reads "n/a", never 0.
    """
    aspect_keys = [g.id for g in definition.aspects]
    aspects = results.scores[results.scores["kind"] == scoring.ASPECT]
    values = aspects.pivot(index="assessment_id", columns="key", values=column)
    totals = aspects.pivot(index="assessment_id", columns="key", values="total")
    regions = validated.sort_values(["country", "code"])
    values = values.reindex(index=regions["assessment_id"], columns=aspect_keys).astype(float)
    totals = totals.reindex(index=regions["assessment_id"], columns=aspect_keys).astype(float)
    cells = np.where(
        values.notna(),
        values.to_numpy(dtype=object),
        np.where(totals > 0, not_applicable_mark(), None),
    ).tolist()
    named, unnamed = [], []
    for consent, name, code, row, assessment_id in zip(
        regions["consent_named"],
        regions["name"],
        regions["code"],
        cells,
        regions["assessment_id"],
        strict=True,
    ):
        row = [None if isinstance(v, float) and np.isnan(v) else v for v in row]
        if consent:
            named.append({"label": f"{name} ({code})", "values": row})
        else:
            unnamed.append((row, assessment_id))
    if len(unnamed) < threshold:
        return named, len(unnamed)

    def order(value) -> float:
        return -value if isinstance(value, float) else 1.0

    # Ties broken by the assessment's id, which says nothing of the region's country.
    unnamed.sort(key=lambda pair: ([order(v) for v in pair[0]], pair[1]))
    return named + [
        {"label": _("Region %(number)d", number=number), "values": row}
        for number, (row, _id) in enumerate(unnamed, start=1)
    ], 0


def partner_list(
    region: Region, round_: Round, lang: str, column="moderated", domestic: bool = False
) -> list | None:
    """Only the partner suggestions (None when the region has no counted assessment)."""
    results = queries.round_scores(round_)
    if queries.assessment_of(results, region.id) is None:
        return None
    labels = labels_of(results.definition, lang)
    return _partners(results, region.id, labels, lang, column, domestic)
