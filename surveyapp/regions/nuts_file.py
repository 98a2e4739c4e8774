"""Read and validate a CSV of NUTS regions in Eurostat's layout."""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

COUNTRY, CODE, LABEL, LEVEL = "Country code", "NUTS Code", "NUTS label", "NUTS level"
REQUIRED = (CODE, LABEL, LEVEL)
CODE_PATTERN = re.compile(r"^[A-Z]{2}[A-Z0-9]{0,3}$")
MAX_LEVEL = 3

Errors = list[tuple[int, str]]
Record = tuple[int, list[str]]


@dataclass(frozen=True)
class NutsRow:
    """One NUTS unit read from the file."""

    code: str
    name: str
    country: str
    level: int


class DataFileError(Exception):
    """A data file is invalid; ``errors`` holds every problem as "line N: reason"."""

    def __init__(self, errors: list[str], filename: str) -> None:
        super().__init__(errors, filename)
        self.errors = errors
        self.filename = filename

    def __str__(self) -> str:
        return "\n".join(f"{self.filename}: {error}" for error in self.errors)


class RegionFileError(DataFileError):
    """A region file is invalid; errors holds every problem as "line N: reason"."""


@dataclass(frozen=True)
class _Header:
    """Where each known column sits in the file, and how many columns the header has."""

    columns: dict[str, int]
    width: int


def read_nuts_csv(path: str | os.PathLike[str]) -> list[NutsRow]:
    """Read a NUTS CSV, raising RegionFileError that lists every problem found."""
    path = Path(path)
    errors: Errors = []
    text = decode_utf8(path.read_bytes(), errors, "not valid UTF-8 (save the file as CSV UTF-8)")
    records = list(_records(text, errors))
    rows = _parse(records, errors)
    if errors:
        ordered = sorted(errors, key=lambda error: error[0])
        raise RegionFileError([f"line {line}: {reason}" for line, reason in ordered], path.name)
    return rows


def decode_utf8(
    data: bytes, errors: list[tuple[int, str]], problem: str = "not valid UTF-8"
) -> str:
    """Decode UTF-8 with or without a BOM, reporting ``problem`` for every line that is not
    UTF-8 (the region, population and indicator files share it)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        for number, line in enumerate(data.split(b"\n"), start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                errors.append((number, problem))
        # Keep going so the other problems are reported in the same pass.
        return data.decode("utf-8-sig", errors="replace")


def _delimiter(text: str) -> str:
    """Pick ";" or "," by counting them in the first non-blank line (the header)."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    return ";" if header.count(";") > header.count(",") else ","


def _records(text: str, errors: Errors) -> Iterator[Record]:
    """Yield each non-blank CSV record with the physical line it starts on."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    start = 1
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                yield start, cells
            # A quoted field may span lines, so the next record starts after line_num.
            start = reader.line_num + 1
    except csv.Error as error:
        errors.append((start, f"malformed CSV: {error}"))


def _parse(records: list[Record], errors: Errors) -> list[NutsRow]:
    """Validate the header and all data records, collecting errors."""
    if not records:
        errors.append((1, "the file is empty; expected a header and regions"))
        return []
    (header_line, header_cells), body = records[0], records[1:]
    header = _header(header_cells, header_line, errors)
    if header is None:
        return []
    if not body:
        errors.append((header_line, "the file has a header but no regions"))
        return []
    return _rows(body, header, errors)


def _header(cells: list[str], line: int, errors: Errors) -> _Header | None:
    """Locate the known columns by name, or report the missing ones."""
    wanted = {name.casefold(): name for name in (COUNTRY, *REQUIRED)}
    columns: dict[str, int] = {}
    for index, cell in enumerate(cells):
        name = wanted.get(cell.strip().casefold())
        if name in columns:
            errors.append((line, f"column {name!r} appears twice"))
        elif name:
            columns[name] = index
    missing = [name for name in REQUIRED if name not in columns]
    if missing:
        listed = ", ".join(repr(name) for name in missing)
        errors.append((line, f"missing required column{'s' * (len(missing) > 1)}: {listed}"))
        return None
    return _Header(columns, len(cells))


def _rows(body: list[Record], header: _Header, errors: Errors) -> list[NutsRow]:
    """Validate each data record, then the parent of each unit."""
    rows: list[NutsRow] = []
    first_seen: dict[str, int] = {}
    for line, cells in body:
        row, problems = _row(cells, header)
        code = _field(cells, header, CODE)
        if code in first_seen:
            problems.append(f"duplicate NUTS Code {code!r}, first on line {first_seen[code]}")
        elif code:
            first_seen[code] = line
        errors.extend((line, problem) for problem in problems)
        if row and not problems:
            rows.append(row)
    errors.extend(_missing_parents(first_seen))
    return rows


def _field(cells: list[str], header: _Header, name: str) -> str:
    """Return a column's stripped value, or "" when the column or cell is absent."""
    index = header.columns.get(name)
    return cells[index].strip() if index is not None and index < len(cells) else ""


MAX_LABEL = 200  # the regions.name column


def _has_control(text: str) -> bool:
    return any(ord(char) < 32 for char in text)


def _row(cells: list[str], header: _Header) -> tuple[NutsRow | None, list[str]]:
    """Validate one record on its own, returning the row and its problems."""
    code, name = _field(cells, header, CODE), _field(cells, header, LABEL)
    level_text = _field(cells, header, LEVEL)
    level = _level(level_text)
    country = _field(cells, header, COUNTRY) or code[:2]
    problems = [
        *_code_problems(code, level, country),
        *(["empty NUTS label"] if not name else []),
        *([f"NUTS label longer than {MAX_LABEL} characters"] if len(name) > MAX_LABEL else []),
        *(["NUTS label contains a control character"] if _has_control(name) else []),
        *([f"NUTS level {level_text!r} is not an integer 0-3"] if level is None else []),
        *_extra_cells(cells, header),
    ]
    if problems or level is None:
        return None, problems
    return NutsRow(code, name, country, level), problems


def _code_problems(code: str, level: int | None, country: str) -> list[str]:
    """Check the code's format and its agreement with the level and country."""
    if not code:
        return ["empty NUTS Code"]
    if not CODE_PATTERN.fullmatch(code):
        return [
            f"invalid NUTS Code {code!r}: expected 2 capital letters, "
            "then up to 3 capital letters or digits"
        ]
    problems = []
    if level is not None and level != len(code) - 2:
        problems.append(
            f"NUTS level {level} does not match NUTS Code {code!r} (level {len(code) - 2})"
        )
    if country != code[:2]:
        problems.append(f"Country code {country!r} does not match NUTS Code {code!r}")
    return problems


def _level(text: str) -> int | None:
    """Parse a NUTS level, or return None if it is not an integer 0-3."""
    if text.isascii() and text.isdigit() and int(text) <= MAX_LEVEL:
        return int(text)
    return None


def _extra_cells(cells: list[str], header: _Header) -> list[str]:
    """Report non-empty cells beyond the header, the usual sign of an unquoted delimiter."""
    if any(cell.strip() for cell in cells[header.width :]):
        return [
            f"{len(cells)} fields but the header has {header.width} "
            "(a label containing the delimiter must be quoted)"
        ]
    return []


def _missing_parents(first_seen: dict[str, int]) -> Errors:
    """Report units whose parent is absent, for countries whose level-0 unit is present."""
    return [
        (line, f"parent {code[:-1]!r} of {code!r} is not in the file")
        for code, line in first_seen.items()
        if len(code) > 2
        and CODE_PATTERN.fullmatch(code)
        and code[:2] in first_seen
        and code[:-1] not in first_seen
    ]
