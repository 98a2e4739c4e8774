"""Importing and changing regions; callers commit."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from surveyapp.audit.operations import log_event
from surveyapp.extensions import db
from surveyapp.regions.models import Region
from surveyapp.regions.nuts_file import NutsRow, read_nuts_csv

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
