"""A round's export bundle (method 2.0, annex §9), written as CSV (zip) or XLSX.

The bundle holds enough to recompute every published figure without the application
(``scripts/recompute_round.py`` does so in CI):

* ``items.csv``: the annex's item table (``scoring.item_frame``): each scored item's home
  (dimension or aspect), type, weight, scoring rule (option scores, targets, rho and floor),
  "Don't know" score, gate (``show_if``), whether "not applicable" is allowed, related aspects;
* ``answers.csv``: per assessment and item, the status (value, dk, blank, hidden, na_pending,
  na_accepted, na_rejected), the region's answer (JSON), the expert's score and "not
  applicable" decision where given, the self and moderated item scores, evidence yes/no;
* ``regions.csv``: per assessment, its state, whether validated, the population with its year
  and source, and the labels of the peer groups it belongs to that pass suppression;
* ``results.csv``: every index of every assessment (self and moderated at full precision and as
  printed, coverage, counted and total items, "Don't know" count), the statistics of every
  group shown (n, median, quartiles from 10 regions) and the panel trend with its n;
* ``manifest.json``: method version, questionnaire slug, version and content SHA-256, round and
  reference date, the data snapshot id and the SHA-256 of each CSV file;
* ``codebook.csv``: every item's text, type, unit, min/max, options with their scores, ``show_if``
  condition, target, dimension, aspects and weight; ``columns.csv``: what every column of every
  table means (table, column, meaning); ``wide.csv`` (one row per assessment, one column per
  item) for readers.

Made to be used as they come (issue 25): CSV files are UTF-8 with a byte-order mark (Excel
opens "País Vasco" right; read them as ``utf-8-sig``). Every score column (``self``,
``median``, ``self_score``, ...) holds the score **rounded as the reports print it** (one
decimal, half away from zero on the value to 9 decimals, :func:`rounded`) and ``<column>_exact``
beside it every digit; in XLSX the rounded column's cell holds the full-precision number with a
one-decimal number format. Booleans are written ``yes``/``no`` in both formats (a bool never
reaches a file as True/1). Each XLSX sheet has its header row frozen, a filter and column widths
from its content (capped).

Only assessments a region submitted count (submitted, under review, validated); drafts never
appear. Assessments are identified by a **pseudonymous id**: the region's code where the region
agreed to be named (``consent_named``), otherwise ``R-`` and ten hex digits of an HMAC of the
round and the region under the application's secret key: stable within a round, different
across rounds, and it reveals nothing about the region.

Every text cell that a spreadsheet could read as a formula (starting with = + - @, a tab, a
carriage return, or ``{=``) is prefixed with an apostrophe; numbers stay numbers. Nothing is
truncated: a text longer than a spreadsheet cell can hold is an error, not a silent cut.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import math
import zipfile
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
import xlsxwriter
from flask import current_app

from surveyapp.analysis import peers, queries, scoring
from surveyapp.assessments.models import AssessmentState
from surveyapp.numbers import SCORE_QUANTUM, canonical
from surveyapp.rounds.models import Round

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "{=")
#: Excel's limit on the characters in one cell.
XLSX_CELL_LIMIT = 32767
#: The CSV files of the bundle, in the order they are written (the manifest comes last).
TABLES = ("items", "answers", "regions", "results", "codebook", "columns", "wide")
#: How every boolean of the bundle is written, in CSV and XLSX alike.
YES, NO = "yes", "no"
#: The suffix of the full-precision column beside a rounded score column.
EXACT = "_exact"
#: The score columns of each table: rounded as printed, with ``<name>_exact`` beside each.
ROUNDED = {
    "answers": ("expert_score", "self_score", "moderated_score"),
    "results": ("self", "moderated", "median", "q1", "q3", "median_change"),
}
#: Column widths of the XLSX sheets, in characters: from the content, within these bounds.
MIN_WIDTH, MAX_WIDTH = 6, 60
#: The number format of a rounded score cell in XLSX (its value has every digit).
ONE_DECIMAL = "0.0"
RESULT_COLUMNS = [
    "record",  # score | group | trend
    "assessment",
    "group",
    "kind",
    "key",
    "self",
    "self_exact",
    "moderated",
    "moderated_exact",
    "coverage_self",
    "coverage_moderated",
    "counted",
    "total",
    "dk",
    "n",
    "median",
    "median_exact",
    "q1",
    "q1_exact",
    "q3",
    "q3_exact",
    "median_change",
    "median_change_exact",
    "suppressed",
    "cross_version",
    "previous_round",
]
KIND_ORDER = {scoring.INDEX: 0, scoring.DIMENSION: 1, scoring.ASPECT: 2}


class ExportError(ValueError):
    """The data cannot be written without losing something."""


def _cell(value):
    """A stored answer as one readable cell: numbers stay numbers, lists joined, yes/no."""
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, float) and value.is_integer():
        return int(value)  # stored answers are whole numbers as int; pandas made it a float
    if isinstance(value, int | float):
        return value
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return value


def _json(value) -> str:
    """A stored answer as JSON ("" for no answer), a number written as a plain decimal with the
    digits it has (1250000, 0.00001: never 1.25e+06 or 1e-05)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else _plain(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _yes(flag) -> str:
    return YES if bool(flag) and not pd.isna(flag) else NO


def rounded(value) -> float | None:
    """A score as the reports print it (``numbers.format_score``'s rule: one decimal, half away
    from zero on the canonical value), as a number; None for no score."""
    if value is None or pd.isna(value):
        return None
    number = canonical(value).quantize(SCORE_QUANTUM, rounding=ROUND_HALF_UP)
    return float(abs(number) if number == 0 else number)


def with_rounded(table: pd.DataFrame, names) -> pd.DataFrame:
    """The table with each of these columns rounded as printed and its full-precision values
    in ``<name>_exact`` right after it."""
    columns = {}
    for name in table.columns:
        if name in names:
            exact = pd.to_numeric(table[name], errors="coerce").astype(float)
            # Rounded once per distinct value (Decimal arithmetic; scores repeat a lot).
            shown = {value: rounded(value) for value in exact.dropna().unique()}
            columns[name] = exact.map(shown).astype(float)
            columns[name + EXACT] = exact
        elif not (name.endswith(EXACT) and name[: -len(EXACT)] in names):
            columns[name] = table[name]
    return pd.DataFrame(columns, index=table.index)


def _plain(value):
    """A float as a plain decimal with the digits it has (0.00001, not 1e-05); others as is."""
    return format(Decimal(repr(value)), "f") if type(value) is float else value


def pseudonym(round_id: int, region_id: int, code: str, consent: bool) -> str:
    """The assessment's id in the bundle: the region code with consent, else an HMAC."""
    if consent:
        return code
    key = str(current_app.config["SECRET_KEY"]).encode()
    digest = hmac.new(key, f"export:{round_id}:{region_id}".encode(), hashlib.sha256)
    return "R-" + digest.hexdigest()[:10]


@dataclass
class ExportTables:
    items: pd.DataFrame
    answers: pd.DataFrame
    regions: pd.DataFrame
    results: pd.DataFrame
    codebook: pd.DataFrame
    wide: pd.DataFrame
    #: What each column of each table means (table, column, meaning).
    columns: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["table"]))
    #: Method, questionnaire, round and snapshot (the file hashes are added when written).
    manifest: dict = field(default_factory=dict)

    @property
    def long(self) -> pd.DataFrame:
        """Every answer, one row each (the earlier export's long table)."""
        return self.answers

    def named(self) -> dict[str, pd.DataFrame]:
        return {name: getattr(self, name) for name in TABLES}


def export_tables(round_: Round) -> ExportTables:
    results = queries.round_scores(round_)
    definition = results.definition
    assessments = results.assessments.copy()
    assessments["pseudonym"] = [
        pseudonym(round_.id, int(row.region_id), row.code, bool(row.consent_named))
        for row in assessments.itertuples()
    ]
    ids = assessments.set_index("assessment_id")["pseudonym"]
    items = _items(definition)
    answers = _answers(round_, results, ids)
    regions = _regions(round_, results, assessments)
    score_rows = _score_rows(results, ids)
    group_rows = _group_rows(results)
    trend_rows = _trend_rows(round_)
    frames = [f for f in (score_rows, group_rows, trend_rows) if len(f)]
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    table = table.reindex(columns=RESULT_COLUMNS)
    for name in ("counted", "total", "dk", "n"):
        table[name] = pd.to_numeric(table[name]).astype("Int64")
    table = with_rounded(table, ROUNDED["results"])
    answers = with_rounded(answers, ROUNDED["answers"])
    order = {item.id: n for n, item in enumerate(definition.items)}
    wide = answers.assign(value=_each_distinct(_readable, answers["self_value"]))
    wide = wide.pivot(index="assessment", columns="item_id", values="value")
    wide = wide.reindex(columns=sorted(wide.columns, key=lambda i: order.get(i, len(order))))
    wide = wide.reset_index().sort_values("assessment").reset_index(drop=True)
    wide.columns.name = None
    tables = ExportTables(
        items=items,
        answers=answers,
        regions=regions,
        results=table,
        codebook=_codebook(definition),
        columns=pd.DataFrame(columns=list(COLUMNS_COLUMNS)),
        wide=wide,
        manifest=_manifest(round_, results),
    )
    tables.columns = column_table(tables)
    return tables


def _readable(text: str):
    return _cell(json.loads(text)) if text else None


#: Types whose equal values are written alike (unlike Decimal("1.0") and Decimal("1.00")).
_KEPT_TYPES = frozenset({str, int, float, bool, type(None)})


def _each_distinct(function, values) -> list:
    """``function`` of each value, called once per distinct value (a round's 45,000 answers
    hold a few thousand distinct ones). Values of different types stay apart (True, 1), and so
    do 0.0 and -0.0; lists (multiple choice) and other types are passed one by one."""
    done: dict = {}
    out = []
    for value in values:
        kind = type(value)
        if kind not in _KEPT_TYPES or (kind is float and value == 0):
            out.append(function(value))
            continue
        key = (kind, value)
        if key not in done:
            done[key] = function(value)
        out.append(done[key])
    return out


def _items(definition) -> pd.DataFrame:
    """The annex's item table, "not applicable" allowed written yes/no."""
    items = scoring.item_frame(definition)
    return items.assign(allow_na=items["allow_na"].map(_yes))


def _answers(round_: Round, results, ids: pd.Series) -> pd.DataFrame:
    """One row per assessment and scored item (with its status and scores), and one per other
    answered item (gates may be context items: the recomputation needs them)."""
    scored = results.items.copy()
    raw = results.answers[["assessment_id", "item_id", "value"]]
    expert = _expert_decisions(results)
    table = scored.merge(raw, on=["assessment_id", "item_id"], how="left")
    others = raw[~raw["item_id"].isin(set(scored["item_id"]))]
    table = pd.concat([table, others], ignore_index=True)
    table = table[table["assessment_id"].isin(ids.index)]
    table = table.merge(expert, on=["assessment_id", "item_id"], how="left")
    order = {item.id: n for n, item in enumerate(results.definition.items)}
    frame = pd.DataFrame(
        {
            "round": round_.name,
            "assessment": table["assessment_id"].map(ids).to_numpy(),
            "item_id": table["item_id"].to_numpy(),
            "status": table["status"].fillna("").to_numpy(),
            "self_value": _each_distinct(_json, table["value"]),
            "expert_score": table["expert_score"].to_numpy(dtype=float),
            "na_decision": table["na_decision"].fillna("").to_numpy(),
            "self_score": table["self"].to_numpy(dtype=float),
            "moderated_score": table["moderated"].to_numpy(dtype=float),
            "evidence": [
                _yes(v) if s else ""
                for v, s in zip(table["evidence"], table["status"].notna(), strict=True)
            ],
            "order": table["item_id"].map(order).fillna(len(order)).to_numpy(),
        }
    )
    frame = frame.sort_values(["assessment", "order", "item_id"]).drop(columns="order")
    return frame.reset_index(drop=True)


def _expert_decisions(results) -> pd.DataFrame:
    """The experts' item scores and "not applicable" decisions (inputs of the moderated score)."""
    columns = ["assessment_id", "item_id", "expert_score", "na_decision"]
    moderated = results.moderated
    if not len(moderated):
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    frame = moderated.rename(columns={"score": "expert_score"}).reindex(columns=columns)
    frame["expert_score"] = pd.to_numeric(frame["expert_score"], errors="coerce").astype(float)
    return frame


def _regions(round_: Round, results, assessments: pd.DataFrame) -> pd.DataFrame:
    populations = queries.population_rows(results, assessments["region_id"])
    labels: dict[int, list[str]] = {int(r): [] for r in assessments["region_id"]}
    shown = set(_shown_groups(results))
    for group in peers.all_peer_groups(results.assessments, queries.custom_groups(results)):
        if group.key not in shown:
            continue
        for region_id in sorted(group.members):
            labels.setdefault(int(region_id), []).append(group.key)
    pseudonyms = dict(zip(assessments["region_id"], assessments["pseudonym"], strict=True))
    similar = queries.similar_regions_of(results, [int(r) for r in assessments["region_id"]])
    rows = []
    for row in assessments.itertuples():
        population = populations.get(int(row.region_id))
        named = bool(row.consent_named)
        nearest = similar[int(row.region_id)].regions
        rows.append(
            {
                "assessment": row.pseudonym,
                "region_code": row.code if named else "",
                "region_name": row.name if named else "",
                "state": row.state,
                # Counted as validated in the round's figures: validated by the time the round
                # closed (one validated later keeps its state and counts as not validated here).
                "validated": _yes(bool(row.validated)),
                "validated_late": _yes(bool(row.validated_late)),
                "population": population[0] if population else None,
                "population_year": population[1] if population else None,
                "population_source": population[2] if population else "",
                "groups": "; ".join(labels.get(int(row.region_id), [])),
                # The structurally similar regions (manifest "similar"), nearest first.
                "similar_regions": "; ".join(pseudonyms[r] for r in nearest if r in pseudonyms),
            }
        )
    frame = pd.DataFrame(rows, columns=list(rows[0]) if rows else ["assessment"])
    for name in ("population", "population_year"):
        if name in frame:
            frame[name] = frame[name].astype("Int64")
    return frame.sort_values("assessment").reset_index(drop=True)


def _score_rows(results, ids: pd.Series) -> pd.DataFrame:
    scores = results.scores[results.scores["assessment_id"].isin(ids.index)].copy()
    table = pd.DataFrame(
        {
            "record": "score",
            "assessment": scores["assessment_id"].map(ids).to_numpy(),
            "kind": scores["kind"].to_numpy(),
            "key": scores["key"].to_numpy(),
            "self": scores["self"].to_numpy(dtype=float),
            "moderated": scores["moderated"].to_numpy(dtype=float),
        }
    )
    for name in ("coverage_self", "coverage_moderated", "counted", "total", "dk"):
        table[name] = scores[name].to_numpy() if name in scores else None
    table["order"] = table["kind"].map(KIND_ORDER).fillna(len(KIND_ORDER))
    table = table.sort_values(["assessment", "order", "key"]).drop(columns="order")
    return table.reset_index(drop=True)


def _shown_groups(results) -> list[str]:
    """Keys of the round's peer groups that pass suppression (groups of validated assessments,
    as the peer statistics count them)."""
    suppressed = queries.suppressed_groups(results)
    return [g.key for g in queries.round_peer_groups(results) if g.key not in suppressed]


def _group_rows(results) -> pd.DataFrame:
    """Statistics of every group of the round that passes suppression (moderated scores)."""
    rows = []
    for key in _shown_groups(results):
        found = queries.group_statistics(results, key, "moderated")
        if found is None or found[1] is None:
            continue
        for (kind, key), row in found[1].iterrows():
            if row["suppressed"]:
                continue
            entry = {"record": "group", "group": found[0].key, "kind": kind, "key": key}
            entry["n"] = int(row["n"])
            for name in ("median", "q1", "q3"):
                value = row.get(name)
                entry[name] = None if value is None or pd.isna(value) else float(value)
            rows.append(entry)
    table = pd.DataFrame(
        rows,
        columns=[
            "record",
            "group",
            "kind",
            "key",
            "n",
            "median",
            "q1",
            "q3",
        ],
    )
    table["order"] = table["kind"].map(KIND_ORDER).fillna(len(KIND_ORDER))
    table = table.sort_values(["group", "order", "key"]).drop(columns="order")
    return table.reset_index(drop=True)


def _trend_rows(round_: Round) -> pd.DataFrame:
    """The change of the median over the panel of regions validated in both rounds, with n
    (the earlier round's late validations count: see regions.csv's validated_late)."""
    rounds = queries.comparable_rounds(round_)
    earlier = [r for r in rounds if r.id != round_.id]
    if not earlier:
        return pd.DataFrame()
    previous = earlier[-1]
    table = queries.panel_trend(round_, previous, "moderated").reset_index()
    rows = []
    for row in table.to_dict("records"):
        change = row.get("median_change")
        suppressed = bool(row.get("suppressed"))
        rows.append(
            {
                "record": "trend",
                "kind": row["kind"],
                "key": row["key"],
                "n": int(row["n"]),
                "median_change": None if suppressed or pd.isna(change) else float(change),
                "suppressed": _yes(suppressed),
                "cross_version": _yes(row["cross_version"]),
                "previous_round": previous.name,
            }
        )
    return pd.DataFrame(rows)


def _codebook(definition) -> pd.DataFrame:
    """One row per item of the questionnaire: what it asks, how it is answered and scored."""
    aspect_ids = {aspect.id for aspect in definition.aspects}
    table = pd.DataFrame([_codebook_row(item, aspect_ids) for item in definition.items])
    for name in ("min", "max", "target", "target_floor"):
        values = pd.to_numeric(table[name], errors="coerce")
        whole = values.dropna()
        table[name] = values.astype("Int64") if (whole == whole.round()).all() else values
    return table


def _codebook_row(item, aspect_ids: set[str]) -> dict:
    config = item.config
    options = config.get("options", ())
    levels = config.get("levels", ())
    relative = getattr(item, "relative_target", None) or (
        config.get("target") if isinstance(config.get("target"), dict) else None
    )
    absolute = config.get("target") if not isinstance(config.get("target"), dict) else None
    bounds = {"scale": (0, 5), "percent": (0, 100)}.get(
        item.type, (config.get("min"), config.get("max"))
    )
    unit = item.localize(config["unit"], "en") if config.get("unit") else ""
    if item.type == "percent" and not unit:
        unit = "%"
    home_kind, home = item.home_kind or "", item.home or ""
    if not home_kind and item.is_scored and item.dimension:  # format 1
        home_kind = scoring.ASPECT if item.dimension in aspect_ids else scoring.DIMENSION
        home = item.dimension
    aspects = [home] if home_kind == scoring.ASPECT else []
    aspects += [a for a in item.aspects if a not in aspects]
    return {
        "item_id": item.id,
        "section": item.section_id,
        "text": item.localized("text", "en"),
        "type": item.type,
        "unit": unit,
        "min": bounds[0],
        "max": bounds[1],
        "options": " | ".join(f"{o['value']}={item.localize(o['label'], 'en')}" for o in options)
        or " | ".join(f"{lv['level']}={item.localize(lv['label'], 'en')}" for lv in levels)
        or (f"{YES} | {NO}" if item.type == "yes_no" else ""),
        "option_scores": _option_scores(item) if item.is_scored else "",
        "show_if": json.dumps(item.show_if, sort_keys=True) if item.show_if else "",
        "target": absolute if item.is_scored else None,
        "target_per_million": relative.get("per_million") if relative else None,
        "target_exponent": relative.get("exponent", 0.5) if relative else None,
        "target_floor": relative.get("floor", 1) if relative else None,
        "period": item.period or "",
        "dimension": home if home_kind == scoring.DIMENSION else "",
        "aspects": "; ".join(aspects),
        "relates_to": "; ".join(item.relates_to or ()),
        "home_kind": home_kind,
        "home": home,
        "weight": float(item.weight) if item.is_scored else None,
        "scored": _yes(item.is_scored),
        "context": _yes(getattr(item, "is_context", False)),
        "required": _yes(item.required),
        "allow_dk": _yes(item.allow_dk),
        "allow_na": _yes(item.allow_na or config.get("allow_na", False)),
    }


def _option_scores(item) -> str:
    """The score (0-100) of each answer of a scored item with a fixed set of answers."""
    if item.type == "scale":
        return " | ".join(f"{level}={20 * level}" for level in range(6))
    if item.type == "yes_no":
        return f"{YES}=100 | {NO}=0"
    options = item.config.get("options", ())
    if options and all("score" in o for o in options):
        return " | ".join(f"{o['value']}={_plain(o['score'])}" for o in options)
    return ""


ROUNDED_MEANING = (
    "; rounded as the reports print it (one decimal, half away from zero on the value to 9"
    " decimals); {name}_exact holds every digit"
)
YES_NO = f" ({YES}/{NO})"
#: The columns of the tables (and of the columns table itself), each with its meaning. A score
#: column's ``_exact`` twin is described from it.
COLUMNS_COLUMNS = {
    "table": "the table (CSV file or XLSX sheet) the column is in",
    "column": "the column's name",
    "meaning": "what the column holds",
}
COLUMN_MEANINGS = {
    "items": {
        "item_id": "the scored item's id (codebook item_id)",
        "home_kind": "what the item scores in: dimension or aspect",
        "home": "the id of the dimension or aspect the item scores in",
        "type": "the item's question type",
        "weight": "the item's weight in its dimension or aspect index",
        "rule": "the scoring rule as JSON: kind (scale, yes_no, percent, choice, target, count)"
        " with option scores, target, or per_million, exponent and floor",
        "dk_score": 'the score of "Don\'t know", a blank or a hidden item (method 2.0)',
        "gate": "the show_if condition as JSON (empty: always shown)",
        "allow_na": 'whether "not applicable" is an answer' + YES_NO,
        "relates_to": "ids of the aspects whose page lists the item, joined with ;",
    },
    "answers": {
        "round": "the round's name",
        "assessment": "the assessment's id: the region code where the region agreed to be named,"
        " otherwise R- and ten hex digits (stable within the round only)",
        "item_id": "the item's id (codebook item_id)",
        "status": "how the answer counts: value, dk, blank, hidden, na_pending, na_accepted,"
        " na_rejected (empty for an unscored item)",
        "self_value": "the region's answer as JSON (yes/no answers true/false; \"dk\": Don't"
        ' know; "na": not applicable; empty: no answer)',
        "expert_score": "the score 0-100 an expert gave the item (empty: none)",
        "na_decision": 'the expert\'s decision on "not applicable": accepted or rejected',
        "self_score": "the item's score 0-100 from the region's answer",
        "moderated_score": "the item's score 0-100 after the experts' review",
        "evidence": "whether evidence was given" + YES_NO,
    },
    "regions": {
        "assessment": "the assessment's id (see answers)",
        "region_code": "the NUTS code, where the region agreed to be named",
        "region_name": "the region's name, where the region agreed to be named",
        "state": "the assessment's state: submitted, under_review or validated",
        "validated": "whether the assessment counts as validated in the round's figures: "
        "validated by the time the round closed (the figures are frozen then)" + YES_NO,
        "validated_late": "whether the experts validated it after the round closed: it counts "
        "in none of the round's figures, and in the change to the next round if validated "
        "before that round closed" + YES_NO,
        "population": "the region's population",
        "population_year": "the year of the population",
        "population_source": "where the population comes from",
        "groups": "the peer groups the region belongs to that are shown, joined with ;",
        "similar_regions": "the ids of its structurally similar regions, nearest first",
    },
    "results": {
        "record": "score (an index of an assessment), group (a group's statistics) or trend"
        " (the change of the median over the panel)",
        "assessment": "the assessment's id (score rows)",
        "group": "the peer group's key (group rows)",
        "kind": "index, dimension or aspect",
        "key": "the index's id (c7, a dimension or an aspect)",
        "self": "the index from the region's own answers",
        "moderated": "the index after the experts' review",
        "coverage_self": "the counted share of the index's weight, self",
        "coverage_moderated": "the counted share of the index's weight, moderated",
        "counted": "items counted in the moderated index",
        "total": "items of the index",
        "dk": 'items counted as "Don\'t know"',
        "n": "regions with a value (group and trend rows)",
        "median": "the group's median of the validated moderated scores",
        "q1": "the first quartile (type 7, from 10 regions)",
        "q3": "the third quartile (type 7, from 10 regions)",
        "median_change": "the change of the panel's median since previous_round",
        "suppressed": "whether the trend is suppressed (too few regions)" + YES_NO,
        "cross_version": "whether the trend compares two questionnaire versions" + YES_NO,
        "previous_round": "the round the trend compares with",
    },
    "codebook": {
        "item_id": "the item's id",
        "section": "the id of the item's section",
        "text": "the question (English)",
        "type": "the question type: scale, yes_no, number, percent, single_choice,"
        " multi_choice, text, long_text, url_list",
        "unit": "the unit of a number (% for a percent)",
        "min": "the smallest answer allowed",
        "max": "the largest answer allowed",
        "options": "the answers with their labels (value=label, joined with |)",
        "option_scores": "the score 0-100 of each answer of a scored item (value=score)",
        "show_if": "the condition under which the item is shown, as JSON (empty: always)",
        "target": "the absolute target of a scored count: 100 x answer / target",
        "target_per_million": "a count's target relative to the region's size: rho in"
        " max(floor, rho x P^exponent), P the population in millions",
        "target_exponent": "the exponent of the relative target",
        "target_floor": "the floor of the relative target",
        "period": "the period a count is asked for",
        "dimension": "the dimension the item scores in",
        "aspects": "the critical aspects the item scores in, joined with ;",
        "relates_to": "the aspects whose page lists the item (not scored there)",
        "home_kind": "dimension or aspect: what the item scores in",
        "home": "the id of that dimension or aspect",
        "weight": "the item's weight (scored items)",
        "scored": "whether the item is scored" + YES_NO,
        "context": "whether the item is context only (never scored)" + YES_NO,
        "required": "whether an answer is required" + YES_NO,
        "allow_dk": 'whether "Don\'t know" is an answer' + YES_NO,
        "allow_na": 'whether "not applicable" is an answer' + YES_NO,
    },
    "columns": COLUMNS_COLUMNS,
    "wide": {
        "assessment": "the assessment's id (see answers)",
        "<item_id>": "one column per item: the region's answer as read (lists joined with ;,"
        f" yes/no answers {YES}/{NO}); dk (Don't know) and na (not applicable) may stand in"
        " any item's column, numeric ones included, and the answers table's status says how"
        " each counts; see the codebook",
    },
}


def column_table(tables: ExportTables) -> pd.DataFrame:
    """table, column, meaning of every column of the bundle's tables (the wide table's item
    columns as one row ``<item_id>``)."""
    rows = []
    for name in TABLES:
        meanings = COLUMN_MEANINGS.get(name, {})
        columns = list(getattr(tables, name).columns) if name != "columns" else list(meanings)
        if name == "wide":
            columns = ["assessment", "<item_id>"]
        for column in columns:
            if column in meanings:
                meaning = meanings[column]
                if column in ROUNDED.get(name, ()):
                    meaning += ROUNDED_MEANING.format(name=column)
            elif column.endswith(EXACT) and column[: -len(EXACT)] in meanings:
                meaning = f"{column[: -len(EXACT)]} with every digit (full precision)"
            else:
                meaning = ""
            rows.append({"table": name, "column": column, "meaning": meaning})
    return pd.DataFrame(rows, columns=list(COLUMNS_COLUMNS))


#: What the bundle may reveal, written into its manifest for whoever receives a copy.
DISCLOSURE = (
    "For the working group (experts and administrators) only; do not publish as is. Regions that "
    "did not agree to be named have pseudonymous ids, but regions.csv keeps their population, "
    "their peer groups (country, category) and their structurally similar regions so that every "
    "figure can be recomputed, and a population with a country, or a region's nearest neighbours "
    "on Eurostat's public figures, can identify a region."
)


def _manifest(round_: Round, results) -> dict:
    definition = results.definition
    questionnaire = round_.questionnaire
    return {
        "method": definition.method,
        "questionnaire": {
            "slug": questionnaire.slug,
            "version": questionnaire.version,
            "format": definition.format,
            "content_sha256": questionnaire.content_hash,
        },
        "round": {
            "id": round_.id,
            "name": round_.name,
            "reference_date": round_.reference_day.isoformat(),
        },
        "snapshot": queries.snapshot_id(results),
        "c7_dimensions": [g.id for g in definition.c7_dimensions],
        "aspects": [g.id for g in definition.aspects],
        "assessments": _assessment_counts(results.assessments),
        "rules": {
            "coverage": "3 x counted weight >= 2 x scored weight",
            "c7": "mean of the six dimensions, shown only when all six are shown",
            "groups": "assessments validated by the round's close, moderated scores; at least "
            "5 values; quartiles (type 7) from 10",
            "validated_late": "validated after the round closed: in no figure of the round "
            "(METHOD section 12); 'validated' counts those validated by the close",
            "display": "one decimal, half away from zero, on the value to 9 decimals",
            "score_columns": "rounded as displayed; <column>_exact holds every digit (in XLSX "
            "the rounded column's cell value has every digit, formatted with one decimal)",
            "booleans": f"{YES} / {NO}, the same in CSV and XLSX",
            "encoding": "CSV: UTF-8 with a byte-order mark, comma-separated, CRLF line ends",
        },
        "disclosure": DISCLOSURE,
        "similar": _similar_basis(results),
    }


def _assessment_counts(assessments: pd.DataFrame) -> dict:
    """How many assessments the bundle holds, per state; the validated ones apart from those
    validated after the round closed (``validated_late``), which no figure of the round counts."""
    late = assessments["validated_late"].astype(bool)
    states = assessments.loc[~late, "state"].value_counts().sort_index().to_dict()
    # Both always given: a round whose experts validated only after its close counts none.
    states.setdefault(str(AssessmentState.validated), 0)
    return {"counted": len(assessments), **states, "validated_late": int(late.sum())}


def _similar_basis(results) -> dict:
    """What the regions' structurally similar regions were chosen by (analysis.similar)."""
    basis = queries.structural_table(results.reference_year, results.closing).basis
    return {
        "method": "the 9 validated regions nearest on standardised structural indicators "
        "(z-scores over the NUTS-2 regions, equal weights, Euclidean distance over the "
        "indicators both have, scaled; at least 4 shared); scores play no part",
        "indicators": dict(basis.years),
        "sources": list(basis.sources),
    }


def neutralised(table: pd.DataFrame) -> pd.DataFrame:
    """The table with every text cell a spreadsheet would evaluate prefixed by an apostrophe.

    Only columns of Python objects can hold text; each distinct value is checked once (names,
    countries and states repeat on every row), numbers are left as they are.
    """
    columns = {}
    for name in table.columns:
        column = table[name]
        if column.dtype == object:
            dangerous = {
                value
                for value in column.unique()
                if isinstance(value, str) and value.startswith(FORMULA_STARTS)
            }
            if dangerous:
                column = column.map(lambda v, d=dangerous: "'" + v if v in d else v)
        columns[name] = column
    return pd.DataFrame(columns, columns=table.columns)


def _spelled(value):
    """A boolean as the bundle writes it (yes/no), anything else as it is."""
    if isinstance(value, bool | np.bool_):
        return YES if value else NO
    return value


def _rows(table: pd.DataFrame, plain: bool = False):
    """Rows of Python values, missing ones None, booleans yes/no (columns to lists, zipped: the
    fast way); with ``plain``, floats as plain decimals (_plain, once per distinct value)."""
    columns = []
    for _name, column in neutralised(table).items():
        if column.dtype.kind == "b" or str(column.dtype) == "boolean":
            column = column.astype(object).map(_spelled, na_action="ignore")
        elif column.dtype == object and any(
            isinstance(v, bool | np.bool_) for v in column.unique()
        ):
            column = column.map(_spelled)
        if column.dtype.kind in "fO" or str(column.dtype) == "Int64":
            floats = column.dtype.kind in "fO"
            column = column.astype(object).where(column.notna(), None)
            if plain and floats:
                columns.append(_each_distinct(_plain, column.tolist()))
                continue
        columns.append(column.tolist())
    return zip(*columns, strict=True)


def csv_bytes(table: pd.DataFrame) -> bytes:
    """One RFC 4180 CSV file (UTF-8 with a byte-order mark, for Excel; CRLF line ends)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(table.columns)
    # None is written as an empty field; floats as plain decimals, never 1e-05.
    writer.writerows(_rows(table, plain=True))
    return buffer.getvalue().encode("utf-8-sig")


def _files(tables: ExportTables) -> tuple[dict[str, bytes], dict]:
    files = {f"{name}.csv": csv_bytes(table) for name, table in tables.named().items()}
    manifest = tables.manifest | {
        "files": {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}
    }
    return files, manifest


def write_csv_zip(tables: ExportTables, out) -> None:
    """The CSV files and ``manifest.json`` (with each file's SHA-256) in a zip archive."""
    files, manifest = _files(tables)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
        archive.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False))


def write_xlsx(tables: ExportTables, out) -> None:
    """One sheet per table and a manifest sheet, written by XlsxWriter in constant-memory mode.

    The manifest's hashes are those of the CSV files of the same data (the workbook itself is
    not byte-reproducible).
    """
    _data, manifest = _files(tables)
    workbook = new_workbook(out)
    try:
        header = workbook.add_format({"bold": True})
        for name, table in tables.named().items():
            write_sheet(workbook, name, table, header)
        rows = [(key, json.dumps(value, ensure_ascii=False)) for key, value in manifest.items()]
        write_sheet(workbook, "manifest", pd.DataFrame(rows, columns=["key", "value"]), header)
    finally:
        workbook.close()


def new_workbook(out) -> xlsxwriter.Workbook:
    return xlsxwriter.Workbook(
        out, {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    )


def write_sheet(workbook: xlsxwriter.Workbook, name: str, table: pd.DataFrame, header) -> None:
    """The table as a sheet: numbers as numbers, text as text; over-long text is an error.

    A rounded score column (one with a ``<name>_exact`` twin) gets the full-precision value
    with a one-decimal number format. The header row is frozen (and the wide table's first
    column) and repeated on every printed page, every column has a filter and a width from its
    longest cell (capped).
    """
    sheet = workbook.add_worksheet(name)
    headers = [str(c) for c in table.columns]
    sheet.write_row(0, 0, headers, header)
    exact_of = {c: headers.index(h + EXACT) for c, h in enumerate(headers) if h + EXACT in headers}
    one_decimal = workbook.add_format({"num_format": ONE_DECIMAL}) if exact_of else None
    widths = [len(h) for h in headers]
    write_number, write_string = sheet.write_number, sheet.write_string
    r = 0
    for r, row in enumerate(_rows(table), start=1):
        for c, value in enumerate(row):
            if c in exact_of:
                exact = row[exact_of[c]]
                value = exact if isinstance(exact, int | float) else value
            if value is None:
                continue
            if isinstance(value, int | float):
                if isinstance(value, float) and math.isnan(value):
                    continue
                if c in exact_of:
                    write_number(r, c, value, one_decimal)
                    width = len(f"{value:.1f}")
                else:
                    write_number(r, c, value)
                    width = len(str(_plain(value)))
                if width > widths[c]:
                    widths[c] = width
                continue
            text = str(value)
            if len(text) > XLSX_CELL_LIMIT:
                raise ExportError(
                    f"{name} row {r} column {table.columns[c]}: {len(text)} characters,"
                    f" more than a spreadsheet cell holds ({XLSX_CELL_LIMIT})"
                )
            write_string(r, c, text)
            if len(text) > widths[c]:
                widths[c] = len(text)
    if headers:
        sheet.freeze_panes(1, 1 if name == "wide" else 0)
        sheet.repeat_rows(0)  # printed (or converted to PDF): the header on every page
        sheet.autofilter(0, 0, r, len(headers) - 1)
        for c, width in enumerate(widths):
            # + 2 for the filter's button beside the header
            sheet.set_column(c, c, min(MAX_WIDTH, max(MIN_WIDTH, width + 2)))


def export_round(round_: Round, fmt: str, out) -> None:
    """Write the round's bundle to ``out`` (a path or a binary file) as "csv" (zip) or "xlsx"."""
    tables = export_tables(round_)
    if fmt == "csv":
        write_csv_zip(tables, out)
    elif fmt == "xlsx":
        write_xlsx(tables, out)
    else:
        raise ValueError(f"unknown export format {fmt!r} (csv or xlsx)")
