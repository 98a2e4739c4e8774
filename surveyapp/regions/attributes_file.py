"""Read a CSV of region attributes an administrator maintains (``flask regions attributes
import``).

The layout, one row per region (UTF-8, comma-separated, a header first)::

    code,category,partnerships,strategies,source
    AT13,more_developed,,eusdr,Commission Implementing Decision (EU) 2021/1130
    ES21,more_developed,photonics:lead;bioeconomy,,S3 Platform partnership pages 2024

- ``code`` (required): the region's NUTS code, a region already imported.
- ``category``: ``less_developed``, ``transition`` or ``more_developed`` (spaces or hyphens
  for underscores are accepted); empty: not set.
- ``partnerships``: Thematic Partnership slugs separated by ``;``, each optionally with its
  role ``:lead`` or ``:member`` (member when none is given); empty: none.
- ``strategies``: macro-regional strategies separated by ``;`` (``eusbsr``, ``eusdr``,
  ``eusair``, ``eusalp``, any case); empty: none.
- ``source`` (optional): where the row's facts come from; rows without one take the source
  named for the whole file (``--source``).

Only the attribute columns present in the header are changed, and for every region the file
names they are replaced by the row's values; regions the file does not name keep theirs.
Every problem is reported with its line, and nothing is returned unless the whole file is
valid: the caller writes all of it or none.
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass, field
from pathlib import Path

from surveyapp.regions.models import MacroRegionalStrategy, PartnershipRole, RegionCategory
from surveyapp.regions.nuts_file import DataFileError
from surveyapp.regions.partnerships import THEMATIC_PARTNERSHIPS
from surveyapp.regions.population_file import CODE

#: The attribute columns a file may hold (at least one of them).
ATTRIBUTE_COLUMNS = ("category", "partnerships", "strategies")
COLUMNS = ("code", *ATTRIBUTE_COLUMNS, "source")
MAX_SOURCE = 200  # the source columns


class AttributesFileError(DataFileError):
    """An attributes file is invalid; ``errors`` holds every problem as "line N: reason"."""


@dataclass(frozen=True)
class AttributesRow:
    """One region's attributes as read from the file (only those of the file's columns)."""

    line: int
    code: str
    source: str
    category: RegionCategory | None = None
    #: Partnership slug -> role.
    partnerships: dict[str, PartnershipRole] = field(default_factory=dict)
    strategies: frozenset[MacroRegionalStrategy] = frozenset()


@dataclass(frozen=True)
class AttributesFile:
    """The file's rows, and which attributes it sets (its attribute columns)."""

    rows: list[AttributesRow]
    columns: frozenset[str]


def read_attributes_file(path: str | os.PathLike[str], source: str | None = None) -> AttributesFile:
    """Read the file, raising AttributesFileError with every problem found.

    :param source: where the facts come from, for rows that name none (then required).
    """
    path = Path(path)
    data = path.read_bytes()
    errors: list[tuple[int, str]] = []
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        for number, line in enumerate(data.split(b"\n"), start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                errors.append((number, "not valid UTF-8 (save the file as CSV UTF-8)"))
        text = data.decode("utf-8-sig", errors="replace")
    source = (source or "").strip()
    if len(source) > MAX_SOURCE:
        errors.append((0, f"the source is longer than {MAX_SOURCE} characters"))
    result = _read(text, source, errors)
    if errors:
        ordered = sorted(set(errors))
        raise AttributesFileError(
            [f"line {line}: {reason}" if line else reason for line, reason in ordered], path.name
        )
    return result


def _read(text: str, source: str, errors: list[tuple[int, str]]) -> AttributesFile:
    columns: dict[str, int] = {}
    rows: list[AttributesRow] = []
    seen: dict[str, int] = {}
    reader = csv.reader(io.StringIO(text, newline=""))
    start = 1
    try:
        for cells in reader:
            number, start = start, reader.line_num + 1
            if not any(cell.strip() for cell in cells):
                continue
            if not columns:
                columns = _header(cells, number, errors)
                if not columns:
                    return AttributesFile([], frozenset())
                continue
            if len(cells) > len(columns) and any(c.strip() for c in cells[len(columns) :]):
                errors.append((number, f"{len(cells)} columns but the header has {len(columns)}"))
                continue
            row, problems = _row(number, cells, columns, source)
            errors.extend((number, problem) for problem in problems)
            if row is None:
                continue
            if row.code in seen:
                errors.append((number, f"{row.code} appears twice, first on line {seen[row.code]}"))
                continue
            seen[row.code] = number
            rows.append(row)
    except csv.Error as error:
        errors.append((start, f"malformed CSV: {error}"))
    if not columns:
        errors.append((1, f"the file is empty; expected the header {','.join(COLUMNS)}"))
    return AttributesFile(rows, frozenset(columns) & frozenset(ATTRIBUTE_COLUMNS))


def _header(cells: list[str], number: int, errors: list[tuple[int, str]]) -> dict[str, int]:
    names = [cell.strip().lower() for cell in cells]
    problems = []
    unknown = [name or "(empty)" for name in names if name not in COLUMNS]
    if unknown:
        problems.append(
            f"unknown columns {', '.join(unknown)}; the columns are {', '.join(COLUMNS)}"
        )
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        problems.append(f"the columns {', '.join(twice)} appear twice")
    if "code" not in names:
        problems.append("no code column")
    if not set(ATTRIBUTE_COLUMNS) & set(names):
        problems.append(f"no attribute column (one of {', '.join(ATTRIBUTE_COLUMNS)})")
    if problems:
        errors.extend((number, problem) for problem in problems)
        return {}
    return {name: index for index, name in enumerate(names)}


def _row(
    number: int, cells: list[str], columns: dict[str, int], default_source: str
) -> tuple[AttributesRow | None, list[str]]:
    def cell(name: str) -> str:
        index = columns.get(name)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    code = cell("code").upper()
    if not CODE.fullmatch(code):
        return None, [f"{code or '(empty)'!r} is not a NUTS code"]
    problems = []
    source = cell("source") or default_source
    if not source:
        problems.append(f"{code}: no source (give the file's source with --source)")
    elif len(source) > MAX_SOURCE:
        problems.append(f"{code}: the source is longer than {MAX_SOURCE} characters")
    category = None
    if cell("category"):
        category = parse_category(cell("category"))
        if category is None:
            problems.append(
                f"{code}: {cell('category')!r} is no category of region "
                f"({', '.join(RegionCategory)})"
            )
    partnerships, partnership_problems = parse_partnerships(cell("partnerships"))
    strategies, strategy_problems = parse_strategies(cell("strategies"))
    problems += [f"{code}: {problem}" for problem in partnership_problems + strategy_problems]
    if problems:
        return None, problems
    return AttributesRow(number, code, source, category, partnerships, strategies), []


def parse_category(text: str) -> RegionCategory | None:
    """The category written as ``less_developed``, "Less developed", ``more-developed``..."""
    value = "_".join(text.strip().lower().replace("-", " ").split())
    return RegionCategory(value) if value in RegionCategory.__members__ else None


def parse_partnerships(text: str) -> tuple[dict[str, PartnershipRole], list[str]]:
    """``slug[:role]`` entries separated by ``;`` (or new lines): slug -> role, and problems."""
    found: dict[str, PartnershipRole] = {}
    problems = []
    for entry in text.replace("\n", ";").split(";"):
        slug, _, role_text = (part.strip() for part in entry.strip().partition(":"))
        slug = slug.lower()
        if not slug:
            continue
        if slug not in THEMATIC_PARTNERSHIPS:
            problems.append(f"{slug!r} is no known Thematic Partnership")
            continue
        role_text = role_text.lower() or PartnershipRole.member.value
        if role_text not in PartnershipRole.__members__:
            problems.append(f"{slug}: {role_text!r} is no role (lead or member)")
            continue
        if slug in found:
            problems.append(f"{slug} is named twice")
            continue
        found[slug] = PartnershipRole(role_text)
    return found, problems


def parse_strategies(text: str) -> tuple[frozenset[MacroRegionalStrategy], list[str]]:
    """Strategy codes separated by ``;``, any case: the strategies, and problems."""
    found = set()
    problems = []
    for entry in text.replace("\n", ";").replace(",", ";").split(";"):
        value = entry.strip().lower()
        if not value:
            continue
        if value not in MacroRegionalStrategy.__members__:
            problems.append(
                f"{entry.strip()!r} is no macro-regional strategy "
                f"({', '.join(s.upper() for s in MacroRegionalStrategy)})"
            )
            continue
        found.add(MacroRegionalStrategy(value))
    return frozenset(found), problems
