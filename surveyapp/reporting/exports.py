"""A round's data as tables (long, wide, scores, codebook), written as CSV (zip) or XLSX.

Only assessments a region submitted count (submitted, under review, validated), as in the
benchmarks; drafts never appear. Exports are for experts and administrators: regions are named,
with a ``consent_named`` column saying which may be named outside the working group.

Every text cell that a spreadsheet could read as a formula (starting with = + - @, a tab, a
carriage return, or ``{=``) is prefixed with an apostrophe; numbers stay numbers. Nothing is
truncated: a text longer than a spreadsheet cell can hold is an error, not a silent cut.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd
import xlsxwriter

from surveyapp.analysis import queries
from surveyapp.rounds.models import Round

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "{=")
#: Excel's limit on the characters in one cell.
XLSX_CELL_LIMIT = 32767
REGION_COLUMNS = ["region_code", "region_name", "country", "category", "consent_named", "state"]


class ExportError(ValueError):
    """The data cannot be written without losing something."""


def safe_text(value):
    """Text that no spreadsheet evaluates; other values unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _cell(value):
    """A stored answer as one cell: numbers stay numbers, lists are joined, yes/no spelt out."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return int(value)  # stored answers are whole numbers as int; pandas made it a float
    if isinstance(value, int | float):
        return value
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return value


def _plain(value):
    """A float as a plain decimal with the digits it has (0.00001, not 1e-05); others as is."""
    return format(Decimal(repr(value)), "f") if type(value) is float else value


@dataclass
class ExportTables:
    long: pd.DataFrame
    wide: pd.DataFrame
    scores: pd.DataFrame
    codebook: pd.DataFrame

    def named(self) -> dict[str, pd.DataFrame]:
        return {
            "long": self.long,
            "wide": self.wide,
            "scores": self.scores,
            "codebook": self.codebook,
        }


def export_tables(round_: Round) -> ExportTables:
    results = queries.round_scores(round_)
    definition = results.definition
    regions = results.assessments.rename(columns={"code": "region_code", "name": "region_name"})
    regions = regions[["assessment_id", *REGION_COLUMNS]]
    long = results.answers.merge(regions, on="assessment_id").merge(
        results.items[["assessment_id", "item_id", "self", "moderated"]],
        on=["assessment_id", "item_id"],
        how="left",
    )
    order = {item.id: n for n, item in enumerate(definition.items)}
    long = long[long["item_id"].isin(order)]
    # A column of Python objects: a list of numbers alone would become floats again.
    long["value"] = pd.Series([_cell(v) for v in long["value"]], index=long.index, dtype=object)
    long = long.rename(columns={"self": "score_self", "moderated": "score_moderated"})
    long = long.assign(order=long["item_id"].map(order)).sort_values(["region_code", "order"])
    long = long[[*REGION_COLUMNS, "item_id", "value", "score_self", "score_moderated"]]
    long = long.reset_index(drop=True)

    wide = long.pivot(index="region_code", columns="item_id", values="value")
    wide = wide.reindex(columns=[i.id for i in definition.items if i.id in wide.columns])
    info = regions.drop(columns="assessment_id").set_index("region_code")
    wide = info.join(wide).reset_index().sort_values("region_code").reset_index(drop=True)

    scores = results.scores.merge(regions, on="assessment_id")
    scores = scores[[*REGION_COLUMNS, "kind", "key", "self", "moderated"]].rename(
        columns={"self": "score_self", "moderated": "score_moderated"}
    )
    scores = scores.sort_values(["region_code", "kind", "key"]).reset_index(drop=True)

    codebook = pd.DataFrame(
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
                "dimension": item.dimension or "",
                "aspects": "; ".join(item.aspects),
                "weight": item.weight if item.is_scored else None,
                "scored": "yes" if item.is_scored else "no",
                "required": "yes" if item.required else "no",
            }
            for item in definition.items
        ]
    )
    return ExportTables(long=long, wide=wide, scores=scores, codebook=codebook)


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
        if column.dtype.kind in "fO":  # floats and objects may hold NaN
            column = column.astype(object).where(column.notna(), None)
        columns.append(column.tolist())
    return zip(*columns, strict=True)


def write_csv_zip(tables: ExportTables, out) -> None:
    """One RFC 4180 CSV file per table (UTF-8, CRLF line ends), in a zip archive."""
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, table in tables.named().items():
            buffer = io.StringIO(newline="")
            writer = csv.writer(buffer, lineterminator="\r\n")
            writer.writerow(table.columns)
            # None is written as an empty field; floats as plain decimals, never 1e-05.
            writer.writerows(tuple(map(_plain, row)) for row in _rows(table))
            archive.writestr(f"{name}.csv", buffer.getvalue().encode("utf-8"))


def write_xlsx(tables: ExportTables, out) -> None:
    """One sheet per table, written by XlsxWriter in constant-memory mode."""
    workbook = new_workbook(out)
    try:
        header = workbook.add_format({"bold": True})
        for name, table in tables.named().items():
            write_sheet(workbook, name, table, header)
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
    """Write the round's tables to ``out`` (a path or a binary file) as "csv" (zip) or "xlsx"."""
    tables = export_tables(round_)
    if fmt == "csv":
        write_csv_zip(tables, out)
    elif fmt == "xlsx":
        write_xlsx(tables, out)
    else:
        raise ValueError(f"unknown export format {fmt!r} (csv or xlsx)")
