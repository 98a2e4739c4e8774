"""Importing and changing regions; callers commit."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from surveyapp.audit.operations import log_event
from surveyapp.extensions import db
from surveyapp.regions.models import Region, RegionGroup, RegionPopulation
from surveyapp.regions.nuts_file import NutsRow, read_nuts_csv
from surveyapp.regions.population_file import PopulationFileError, read_population_file

#: The EU-27 NUTS 2024 classification shipped with the app (levels 0-2).
SHIPPED_REGIONS_FILE = Path(__file__).resolve().parents[2] / "data" / "nuts2024-eu27.csv"


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def import_regions(rows: list[NutsRow]) -> ImportResult:
    """Insert new codes and update names of known ones; never deletes a region."""
    existing = {region.code: region for region in db.session.scalars(select(Region))}
    result = ImportResult()
    for row in rows:
        region = existing.get(row.code)
        if region is None:
            db.session.add(
                Region(
                    code=row.code,
                    name=row.name,
                    country=row.country,
                    level=row.level,
                    thematic_partnerships=[],
                )
            )
            result.created += 1
        elif (region.name, region.country, region.level) != (row.name, row.country, row.level):
            region.name, region.country, region.level = row.name, row.country, row.level
            result.updated += 1
        else:
            result.unchanged += 1
    db.session.flush()
    log_event(
        "regions.imported",
        "region",
        None,
        new_value={"created": result.created, "updated": result.updated},
    )
    return result


def import_regions_file(path) -> ImportResult:
    """Read a NUTS CSV (all rows valid, or RegionFileError and nothing written) and import it."""
    return import_regions(read_nuts_csv(path))


class GroupError(ValueError):
    """A custom group that cannot be saved; the message says which field and why."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def parse_region_codes(text: str) -> tuple[list[Region], list[str]]:
    """The regions named by the NUTS codes in ``text`` (any separators), and the unknown codes."""
    codes = sorted({code.upper() for code in re.split(r"[\s,;]+", text or "") if code})
    found = {r.code: r for r in db.session.scalars(select(Region).where(Region.code.in_(codes)))}
    return [found[c] for c in codes if c in found], [c for c in codes if c not in found]


def save_region_group(
    group: RegionGroup | None, name: str, codes: str, description: str, user
) -> RegionGroup:
    """Create (group None) or change a custom peer group.

    :raises GroupError: unknown codes, a name in use, or no region at all.
    """
    name = name.strip()
    regions, unknown = parse_region_codes(codes)
    if unknown:
        raise GroupError("codes", ", ".join(unknown))
    if not regions:
        raise GroupError("codes", "")
    clash = db.session.scalar(select(RegionGroup).filter_by(name=name))
    if clash is not None and clash is not group:
        raise GroupError("name", name)
    created = group is None
    if created:
        group = RegionGroup(name=name)
        db.session.add(group)
    group.name, group.description = name, description.strip() or None
    group.regions = regions
    db.session.flush()
    log_event(
        "region_group.created" if created else "region_group.changed",
        "region_group",
        group.id,
        user=user,
        new_value=f"{name}: {' '.join(r.code for r in regions)}",
    )
    return group


def delete_region_group(group: RegionGroup, user) -> None:
    log_event("region_group.deleted", "region_group", group.id, user=user, old_value=group.name)
    db.session.delete(group)


@dataclass
class PopulationImport:
    """What importing a population file did."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    #: Eurostat's units that are no region here (other countries, NUTS 3), left out.
    skipped: int = 0
    #: Values the file marks as not available (":"), never guessed.
    missing: int = 0


def import_population_file(
    path, source: str | None = None, years: frozenset[int] = frozenset(), user=None
) -> PopulationImport:
    """Store the populations of a file (population_file.read_population_file) per region and
    year, replacing a figure already stored for the same year.

    All or nothing: a bad row, or in a CSV a code that is no known region, raises
    PopulationFileError (every problem with its line) and nothing is written.
    """
    read = read_population_file(path, source, years)
    regions = dict(db.session.execute(select(Region.code, Region.id)).all())
    if read.layout == "csv":
        unknown = [row for row in read.rows if row.code not in regions]
        if unknown:
            raise PopulationFileError(
                [
                    f"line {row.line}: {row.code} is no region here (flask regions import)"
                    for row in unknown
                ],
                Path(path).name,
            )
    result = PopulationImport(missing=read.missing)
    stored = {
        (p.region_id, p.year): p
        for p in db.session.scalars(
            select(RegionPopulation).where(
                RegionPopulation.region_id.in_(
                    {regions[r.code] for r in read.rows if r.code in regions}
                )
            )
        )
    }
    for row in read.rows:
        region_id = regions.get(row.code)
        if region_id is None:
            result.skipped += 1
            continue
        current = stored.get((region_id, row.year))
        if current is None:
            current = RegionPopulation(
                region_id=region_id, year=row.year, population=row.population, source=row.source
            )
            db.session.add(current)
            stored[region_id, row.year] = current
            result.created += 1
        elif (current.population, current.source) != (row.population, row.source):
            current.population, current.source = row.population, row.source
            result.updated += 1
        else:
            result.unchanged += 1
    db.session.flush()
    log_event(
        "regions.populations_imported",
        "region",
        None,
        user=user,
        new_value={
            "file": Path(path).name,
            "created": result.created,
            "updated": result.updated,
        },
    )
    return result
