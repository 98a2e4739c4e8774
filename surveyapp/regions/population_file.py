"""Read regions' populations from Eurostat's demo_r_d2jan file or from a simple CSV.

Two layouts, told apart by the header:

- Eurostat's TSV (``demo_r_d2jan.tsv``, gzipped or not): the first column joins the dimensions
  with commas (``freq,unit,sex,age,geo\\TIME_PERIOD``; older files ``unit,sex,age,geo\\time``),
  one column per year after it. Only the rows for the whole population are read (unit ``NR``,
  sex ``T``, age ``TOTAL``). A value may carry flags (``1234 p``: provisional) and ``:`` means
  not available (skipped, never guessed).
- A CSV with the columns ``code,year,population`` and optionally ``source``.

Every problem is collected with its line, and nothing is returned unless the whole file is
valid: the caller writes all of it or none.
"""

from __future__ import annotations

import csv
import gzip
import io
import os
import re
from dataclasses import dataclass
from pathlib import Path

from surveyapp.regions.nuts_file import DataFileError, decode_utf8

#: The source recorded for figures from Eurostat's file (unless another is named).
EUROSTAT_SOURCE = "Eurostat demo_r_d2jan"
#: The rows of Eurostat's file that hold the whole population of a unit.
WHOLE_POPULATION = {"unit": "NR", "sex": "T", "age": "TOTAL"}
CSV_COLUMNS = ("code", "year", "population")
MAX_SOURCE = 200  # the region_populations.source column
#: Years a population can be for (Eurostat's series start in 1960).
YEARS = range(1900, 2201)
#: More than any NUTS unit (the EU has about 450 million inhabitants).
MAX_POPULATION = 2_000_000_000
#: A Eurostat value: digits, then optional flags (letters), or ":" (not available) with flags.
EUROSTAT_VALUE = re.compile(r"(?P<number>[0-9]+(?:\.0+)?)\s*(?P<flags>[a-z]*)|:\s*[a-z]*")
CODE = re.compile(r"[A-Z]{2}[A-Z0-9]{0,3}")


@dataclass(frozen=True)
class PopulationRow:
    """One region's population on 1 January of a year, as read from the file."""

    line: int
    code: str
    year: int
    population: int
    source: str
    #: Eurostat's flags on the value (e.g. "p" provisional, "e" estimated), "" when none.
    flags: str = ""


class PopulationFileError(DataFileError):
    """A population file is invalid; ``errors`` holds every problem as "line N: reason"."""


@dataclass(frozen=True)
class PopulationFile:
    """What a file holds: its rows, its layout, and how many values were not available."""

    rows: list[PopulationRow]
    layout: str  # "eurostat" or "csv"
    missing: int = 0


def read_population_file(
    path: str | os.PathLike[str], source: str | None = None, years: frozenset[int] = frozenset()
) -> PopulationFile:
    """Read either layout, raising PopulationFileError with every problem found.

    :param source: where the figures come from; required for a CSV (used where a row names
        none), Eurostat's name by default for its file.
    :param years: only these years (all when empty).
    """
    path = Path(path)
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as error:
            raise PopulationFileError([f"not a readable gzip file ({error})"], path.name) from None
    errors: list[tuple[int, str]] = []
    text = decode_utf8(data, errors)
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), "")
    if "\t" in first and "\\" in first.split("\t", 1)[0]:
        result = _read_eurostat(lines, (source or "").strip() or EUROSTAT_SOURCE, years, errors)
    else:
        if not (source or "").strip():
            errors.append((0, "name the source of the figures (--source) for a CSV file"))
        result = _read_csv(text, (source or "").strip(), years, errors)
    if source and len(source.strip()) > MAX_SOURCE:
        errors.append((0, f"the source is longer than {MAX_SOURCE} characters"))
    if errors:
        ordered = sorted(set(errors))
        raise PopulationFileError(
            [f"line {line}: {reason}" if line else reason for line, reason in ordered], path.name
        )
    return result


def _year(text: str) -> int | None:
    text = text.strip()
    if text.isascii() and text.isdigit() and int(text) in YEARS:
        return int(text)
    return None


def _read_eurostat(
    lines: list[str], source: str, years: frozenset[int], errors: list[tuple[int, str]]
) -> PopulationFile:
    header_line = next(number for number, line in enumerate(lines, start=1) if line.strip())
    header = lines[header_line - 1].split("\t")
    dimensions = [name.strip().lower() for name in header[0].split("\\", 1)[0].split(",")]
    missing_dimensions = [name for name in (*WHOLE_POPULATION, "geo") if name not in dimensions]
    if missing_dimensions:
        errors.append(
            (header_line, f"the first column names no {', '.join(missing_dimensions)} dimension")
        )
        return PopulationFile([], "eurostat")
    columns: dict[int, int] = {}
    for index, cell in enumerate(header[1:], start=1):
        year = _year(cell)
        if year is None:
            errors.append((header_line, f"column {index + 1} ({cell.strip()!r}) is not a year"))
        elif year in columns.values():
            errors.append((header_line, f"the year {year} has two columns"))
        else:
            columns[index] = year
    rows: list[PopulationRow] = []
    seen: dict[str, int] = {}
    missing = 0
    for number, line in enumerate(lines[header_line:], start=header_line + 1):
        if not line.strip():
            continue
        cells = line.split("\t")
        keys = [key.strip() for key in cells[0].split(",")]
        if len(keys) != len(dimensions):
            errors.append(
                (number, f"{len(keys)} codes in the first column, expected {len(dimensions)}")
            )
            continue
        key = dict(zip(dimensions, keys, strict=True))
        if any(key[name] != wanted for name, wanted in WHOLE_POPULATION.items()):
            continue  # a breakdown by sex or age, or another unit
        code = key["geo"]
        if not CODE.fullmatch(code):
            continue  # aggregates such as EU27_2020 or EA20: not a NUTS unit
        if code in seen:
            errors.append((number, f"{code} appears twice, first on line {seen[code]}"))
            continue
        seen[code] = number
        if len(cells) > len(header):
            errors.append((number, f"{len(cells)} columns but the header has {len(header)}"))
            continue
        for index, year in columns.items():
            if years and year not in years:
                continue
            cell = cells[index].strip() if index < len(cells) else ":"
            match = EUROSTAT_VALUE.fullmatch(cell)
            if match is None:
                errors.append((number, f"{code} {year}: {cell!r} is not a population"))
            elif match["number"] is None:
                missing += 1
            else:
                population = int(match["number"].split(".")[0])
                if not 0 < population <= MAX_POPULATION:
                    errors.append((number, f"{code} {year}: {cell!r} is not a population"))
                    continue
                rows.append(
                    PopulationRow(number, code, year, population, source, match["flags"] or "")
                )
    return PopulationFile(rows, "eurostat", missing)


def _read_csv(
    text: str, source: str, years: frozenset[int], errors: list[tuple[int, str]]
) -> PopulationFile:
    header_seen = False
    columns: dict[str, int] = {}
    rows: list[PopulationRow] = []
    seen: dict[tuple[str, int], int] = {}
    reader = csv.reader(io.StringIO(text, newline=""))
    start = 1
    try:
        for cells in reader:
            number, start = start, reader.line_num + 1
            if not any(cell.strip() for cell in cells):
                continue
            if not header_seen:
                header_seen = True
                names = [cell.strip().lower() for cell in cells]
                for name in (*CSV_COLUMNS, "source"):
                    if name in names:
                        columns[name] = names.index(name)
                absent = [name for name in CSV_COLUMNS if name not in columns]
                if absent:
                    errors.append(
                        (
                            number,
                            "expected the columns code,year,population (and optionally "
                            f"source); missing: {', '.join(absent)}",
                        )
                    )
                    return PopulationFile([], "csv")
                continue
            row, problem = _csv_row(number, cells, columns, source)
            if problem:
                errors.append((number, problem))
                continue
            if years and row.year not in years:
                continue
            if (row.code, row.year) in seen:
                errors.append(
                    (
                        number,
                        f"{row.code} {row.year} appears twice, first on line "
                        f"{seen[row.code, row.year]}",
                    )
                )
                continue
            seen[row.code, row.year] = number
            rows.append(row)
    except csv.Error as error:
        errors.append((start, f"malformed CSV: {error}"))
    if not header_seen:
        errors.append((1, "the file is empty; expected the header code,year,population"))
    return PopulationFile(rows, "csv")


def _csv_row(
    number: int, cells: list[str], columns: dict[str, int], source: str
) -> tuple[PopulationRow | None, str | None]:
    def cell(name: str) -> str:
        index = columns.get(name)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    code, year_text, population_text = cell("code").upper(), cell("year"), cell("population")
    if not CODE.fullmatch(code):
        return None, f"{code or '(empty)'!r} is not a NUTS code"
    year = _year(year_text)
    if year is None:
        return None, f"{code}: {year_text!r} is not a year"
    text = population_text.replace(" ", "").replace("_", "")
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) <= MAX_POPULATION:
        return None, (
            f"{code} {year}: {population_text!r} is not a population "
            f"(a whole number from 1 to {MAX_POPULATION:,})"
        )
    row_source = cell("source") or source
    if len(row_source) > MAX_SOURCE:
        return None, f"{code} {year}: the source is longer than {MAX_SOURCE} characters"
    return PopulationRow(number, code, year, int(text), row_source), None
