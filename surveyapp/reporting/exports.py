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
* ``codebook.csv`` (item texts and options) and ``wide.csv`` (one row per assessment, one column
  per item) for readers.

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
from decimal import Decimal

import pandas as pd
import xlsxwriter
from flask import current_app
from sqlalchemy import select

from surveyapp.analysis import peers, queries, scoring
from surveyapp.extensions import db
from surveyapp.numbers import format_change, format_score
from surveyapp.regions.models import RegionPopulation
from surveyapp.rounds.models import Round

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "{=")
#: Excel's limit on the characters in one cell.
XLSX_CELL_LIMIT = 32767
#: The CSV files of the bundle, in the order they are written (the manifest comes last).
TABLES = ("items", "answers", "regions", "results", "codebook", "wide")
RESULT_COLUMNS = [
    "record",  # score | group | trend
    "assessment",
    "group",
    "kind",
    "key",
    "self",
    "moderated",
    "self_shown",
    "moderated_shown",
    "coverage_self",
    "coverage_moderated",
    "counted",
    "total",
    "dk",
    "n",
    "median",
    "q1",
    "q3",
    "median_shown",
    "q1_shown",
    "q3_shown",
    "median_change",
    "median_change_shown",
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
        return "yes" if value else "no"
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
    return "yes" if bool(flag) and not pd.isna(flag) else "no"


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
    order = {item.id: n for n, item in enumerate(definition.items)}
    wide = answers.assign(value=answers["self_value"].map(_readable))
    wide = wide.pivot(index="assessment", columns="item_id", values="value")
    wide = wide.reindex(columns=sorted(wide.columns, key=lambda i: order.get(i, len(order))))
    wide = wide.reset_index().sort_values("assessment").reset_index(drop=True)
    wide.columns.name = None
    return ExportTables(
        items=items,
        answers=answers,
        regions=regions,
        results=table,
        codebook=_codebook(definition),
        wide=wide,
        manifest=_manifest(round_, results),
    )


def _readable(text: str):
    return _cell(json.loads(text)) if text else None


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
            "self_value": [_json(v) for v in table["value"]],
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
    year = round_.reference_day.year
    populations: dict[int, RegionPopulation] = {}
    for row in db.session.scalars(
        select(RegionPopulation)
        .where(
            RegionPopulation.region_id.in_([int(r) for r in assessments["region_id"]]),
            RegionPopulation.year <= year,
        )
        .order_by(RegionPopulation.year)
    ):
        populations[row.region_id] = row  # the latest year up to the reference year wins
    labels: dict[int, list[str]] = {int(r): [] for r in assessments["region_id"]}
    shown = set(_shown_groups(results))
    for group in peers.all_peer_groups(results.assessments, queries.custom_groups()):
        if group.key not in shown:
            continue
        for region_id in sorted(group.members):
            labels.setdefault(int(region_id), []).append(group.key)
    pseudonyms = dict(zip(assessments["region_id"], assessments["pseudonym"], strict=True))
    rows = []
    for row in assessments.itertuples():
        population = populations.get(int(row.region_id))
        named = bool(row.consent_named)
        nearest = queries.similar_regions(results, int(row.region_id)).regions
        rows.append(
            {
                "assessment": row.pseudonym,
                "region_code": row.code if named else "",
                "region_name": row.name if named else "",
                "state": row.state,
                "validated": _yes(row.state == "validated"),
                "population": population.population if population else None,
                "population_year": population.year if population else None,
                "population_source": population.source if population else "",
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
    table["self_shown"] = table["self"].map(_shown)
    table["moderated_shown"] = table["moderated"].map(_shown)
    for name in ("coverage_self", "coverage_moderated", "counted", "total", "dk"):
        table[name] = scores[name].to_numpy() if name in scores else None
    table["order"] = table["kind"].map(KIND_ORDER).fillna(len(KIND_ORDER))
    table = table.sort_values(["assessment", "order", "key"]).drop(columns="order")
    return table.reset_index(drop=True)


def _shown(value) -> str:
    return format_score(None if pd.isna(value) else float(value), "en")


def _shown_groups(results) -> list[str]:
    """Keys of the round's peer groups that pass suppression (groups of validated assessments,
    as the peer statistics count them)."""
    validated = results.assessments[results.assessments["validated"].astype(bool)]
    suppressed = queries.suppressed_groups(results)
    groups = peers.all_peer_groups(validated, queries.custom_groups())
    return [g.key for g in groups if g.key not in suppressed]


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
                entry[f"{name}_shown"] = _shown(value)
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
            "median_shown",
            "q1_shown",
            "q3_shown",
        ],
    )
    table["order"] = table["kind"].map(KIND_ORDER).fillna(len(KIND_ORDER))
    table = table.sort_values(["group", "order", "key"]).drop(columns="order")
    return table.reset_index(drop=True)


def _trend_rows(round_: Round) -> pd.DataFrame:
    """The change of the median over the panel of regions validated in both rounds, with n."""
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
                "median_change_shown": ""
                if suppressed
                else format_change(None if pd.isna(change) else float(change), "en"),
                "suppressed": _yes(suppressed),
                "cross_version": _yes(row["cross_version"]),
                "previous_round": previous.name,
            }
        )
    return pd.DataFrame(rows)


def _codebook(definition) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "item_id": item.id,
                "section": item.section_id,
                "text": item.localized("text", "en"),
                "type": item.type,
                "options": " | ".join(
                    f"{o['value']}={item.localize(o['label'], 'en')}"
                    for o in item.config.get("options", ())
                )
                or " | ".join(
                    f"{level['level']}={item.localize(level['label'], 'en')}"
                    for level in item.config.get("levels", ())
                ),
                "home_kind": item.home_kind or "",
                "home": item.home or "",
                "weight": item.weight if item.is_scored else None,
                "scored": _yes(item.is_scored),
                "context": _yes(getattr(item, "is_context", False)),
                "required": _yes(item.required),
            }
            for item in definition.items
        ]
    )


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
        "assessments": {
            "counted": len(results.assessments),
            **results.assessments["state"].value_counts().sort_index().to_dict(),
        },
        "rules": {
            "coverage": "3 x counted weight >= 2 x scored weight",
            "c7": "mean of the six dimensions, shown only when all six are shown",
            "groups": "validated assessments, moderated scores; at least 5 values; "
            "quartiles (type 7) from 10",
            "display": "one decimal, half away from zero, on the value to 9 decimals",
        },
        "disclosure": DISCLOSURE,
        "similar": _similar_basis(results),
    }


def _similar_basis(results) -> dict:
    """What the regions' structurally similar regions were chosen by (analysis.similar)."""
    basis = queries.structural_table(results.reference_year).basis
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


def _rows(table: pd.DataFrame):
    """Rows of Python values, missing ones None (columns to lists, zipped: the fast way)."""
    columns = []
    for _name, column in neutralised(table).items():
        if column.dtype.kind in "fO" or str(column.dtype) == "Int64":
            column = column.astype(object).where(column.notna(), None)
        columns.append(column.tolist())
    return zip(*columns, strict=True)


def csv_bytes(table: pd.DataFrame) -> bytes:
    """One RFC 4180 CSV file (UTF-8, CRLF line ends)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(table.columns)
    # None is written as an empty field; floats as plain decimals, never 1e-05.
    writer.writerows(tuple(map(_plain, row)) for row in _rows(table))
    return buffer.getvalue().encode("utf-8")


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
    """The table as a sheet: numbers as numbers, text as text; over-long text is an error."""
    sheet = workbook.add_worksheet(name)
    sheet.write_row(0, 0, [str(c) for c in table.columns], header)
    write_number, write_string = sheet.write_number, sheet.write_string
    for r, row in enumerate(_rows(table), start=1):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, int | float):
                if isinstance(value, float) and math.isnan(value):
                    continue
                write_number(r, c, value)
                continue
            text = str(value)
            if len(text) > XLSX_CELL_LIMIT:
                raise ExportError(
                    f"{name} row {r} column {table.columns[c]}: {len(text)} characters,"
                    f" more than a spreadsheet cell holds ({XLSX_CELL_LIMIT})"
                )
            write_string(r, c, text)


def export_round(round_: Round, fmt: str, out) -> None:
    """Write the round's bundle to ``out`` (a path or a binary file) as "csv" (zip) or "xlsx"."""
    tables = export_tables(round_)
    if fmt == "csv":
        write_csv_zip(tables, out)
    elif fmt == "xlsx":
        write_xlsx(tables, out)
    else:
        raise ValueError(f"unknown export format {fmt!r} (csv or xlsx)")
