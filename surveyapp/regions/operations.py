"""Importing and changing regions; callers commit."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from surveyapp.audit.operations import log_event
from surveyapp.extensions import db
from surveyapp.forms import FieldError
from surveyapp.regions.attributes_file import (
    ATTRIBUTE_COLUMNS,
    AttributesFileError,
    read_attributes_file,
)
from surveyapp.regions.indicators_file import read_indicator_file
from surveyapp.regions.models import (
    MacroRegionalStrategy,
    PartnershipRole,
    Region,
    RegionCategory,
    RegionGroup,
    RegionIndicator,
    RegionPartnership,
    RegionPopulation,
    RegionStrategy,
)
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
    # Names that differ only in case read as the same group on every page (an administrator's
    # groups are few: compared in Python, as SQLite's lower() knows ASCII only).
    wanted = name.casefold()
    clash = next(
        (g for g in db.session.scalars(select(RegionGroup)) if g.name.casefold() == wanted),
        None,
    )
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


@dataclass
class IndicatorImport:
    """What importing a structural indicator file did."""

    dataset: str = ""
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    #: Eurostat's units that are no region here (other countries, NUTS 3), left out.
    skipped: int = 0
    #: Values the file marks as not available (":" or empty), never guessed.
    missing: int = 0


def import_indicator_file(
    path,
    dataset: str | None = None,
    source: str | None = None,
    years: frozenset[int] = frozenset(),
    user=None,
) -> IndicatorImport:
    """Store the structural indicators of a Eurostat file (indicators_file.read_indicator_file)
    per region, indicator and year, replacing a figure already stored for the same ones.

    All or nothing: a bad row raises IndicatorFileError (every problem with its line) and
    nothing is written. Units that are no region here are counted and left out.
    """
    read = read_indicator_file(path, dataset, source, years)
    regions = dict(db.session.execute(select(Region.code, Region.id)).all())
    result = IndicatorImport(dataset=read.dataset, missing=read.missing)
    wanted = {regions[r.code] for r in read.rows if r.code in regions}
    stored = {
        (i.region_id, i.indicator, i.year): i
        for i in db.session.scalars(
            select(RegionIndicator).where(
                RegionIndicator.region_id.in_(wanted),
                RegionIndicator.indicator.in_({r.indicator for r in read.rows}),
            )
        )
    }
    for row in read.rows:
        region_id = regions.get(row.code)
        if region_id is None:
            result.skipped += 1
            continue
        current = stored.get((region_id, row.indicator, row.year))
        figure = (row.value, row.flags, row.source)
        if current is None:
            current = RegionIndicator(
                region_id=region_id,
                indicator=row.indicator,
                year=row.year,
                value=row.value,
                flags=row.flags,
                source=row.source,
            )
            db.session.add(current)
            stored[region_id, row.indicator, row.year] = current
            result.created += 1
        elif (current.value, current.flags, current.source) != figure:
            current.value, current.flags, current.source = figure
            result.updated += 1
        else:
            result.unchanged += 1
    db.session.flush()
    log_event(
        "regions.indicators_imported",
        "region",
        None,
        user=user,
        new_value={
            "file": Path(path).name,
            "dataset": read.dataset,
            "created": result.created,
            "updated": result.updated,
        },
    )
    return result


@dataclass(frozen=True)
class RegionAttributes:
    """What an administrator records about a region besides its NUTS data."""

    category: RegionCategory | None = None
    #: Thematic Partnership slug -> the region's role in it.
    partnerships: dict[str, PartnershipRole] = field(default_factory=dict)
    strategies: frozenset[MacroRegionalStrategy] = frozenset()

    def as_json(self, names: frozenset[str] | tuple[str, ...] = ATTRIBUTE_COLUMNS) -> dict:
        """The attributes named (of ATTRIBUTE_COLUMNS) as plain data, for an audit event."""
        values = {
            "category": self.category.value if self.category else None,
            "partnerships": {slug: role.value for slug, role in sorted(self.partnerships.items())},
            "strategies": sorted(strategy.value for strategy in self.strategies),
        }
        return {name: values[name] for name in ATTRIBUTE_COLUMNS if name in names}


def attributes_of(region: Region) -> RegionAttributes:
    return RegionAttributes(
        region.category,
        {m.partnership: m.role for m in region.partnerships},
        frozenset(s.strategy for s in region.strategies),
    )


#: Cohesion policy sets the category of region (more developed, transition, less developed) for
#: NUTS 2 regions only (Regulation (EU) 2021/1060, Article 108).
CATEGORY_LEVEL = 2


class RegionAttributesError(FieldError):
    """Attributes refused as given; ``field`` says where the message belongs."""


def _category_refused(region: Region, category) -> bool:
    """A new category for a region that is not at NUTS level 2. One stored before this rule
    is kept as it is, so that it does not block changes to the region's other attributes."""
    return bool(category) and category != region.category and region.level != CATEGORY_LEVEL


def set_region_attributes(
    region: Region,
    values: RegionAttributes,
    source: str,
    user=None,
    only: frozenset[str] | tuple[str, ...] = ATTRIBUTE_COLUMNS,
) -> bool:
    """Set the region's category, partnerships (with roles) and strategies to ``values``,
    recording ``source`` for every fact that changes (unchanged facts keep their source).

    :param only: the attributes to set (of ATTRIBUTE_COLUMNS); the others are kept.
    :returns: whether anything changed (then an audit event is written).
    :raises RegionAttributesError: a category for a region that is not at NUTS level 2.
    """
    source = source.strip()
    if not source:
        raise ValueError("a region's attributes need a source")
    if "category" in only and _category_refused(region, values.category):
        raise RegionAttributesError(
            _l(
                "A category of region is set for NUTS 2 regions only; this is a NUTS %(level)d "
                "region.",
                level=region.level,
            ),
            "category",
        )
    before = attributes_of(region)
    if "category" in only and values.category != region.category:
        region.category = values.category
        region.category_source = source if values.category else None
    if "partnerships" in only:
        kept = {m.partnership: m for m in region.partnerships}
        memberships = []
        for slug, role in sorted(values.partnerships.items()):
            membership = kept.get(slug)
            if membership is None:
                membership = RegionPartnership(partnership=slug, role=role, source=source)
            elif membership.role != role:
                membership.role, membership.source = role, source
            memberships.append(membership)
        region.partnerships = memberships
    if "strategies" in only:
        held = {s.strategy: s for s in region.strategies}
        region.strategies = [
            held.get(strategy) or RegionStrategy(strategy=strategy, source=source)
            for strategy in sorted(values.strategies)
        ]
    after = attributes_of(region)
    changed = [name for name in only if before.as_json((name,)) != after.as_json((name,))]
    if not changed:
        return False
    db.session.flush()
    log_event(
        "region.attributes_changed",
        "region",
        region.id,
        user=user,
        old_value=before.as_json(tuple(changed)),
        new_value={**after.as_json(tuple(changed)), "source": source},
    )
    return True


@dataclass
class AttributesImport:
    """What importing an attributes file did."""

    changed: int = 0
    unchanged: int = 0


def import_attributes_file(path, source: str | None = None, user=None) -> AttributesImport:
    """Set the attributes of the regions a file names (attributes_file.read_attributes_file).

    All or nothing: a bad row, or a code that is no known region, raises AttributesFileError
    (every problem with its line) and nothing is written.
    """
    read = read_attributes_file(path, source)
    regions = {
        region.code: region
        for region in db.session.scalars(
            select(Region).where(Region.code.in_([row.code for row in read.rows]))
        )
    }
    problems = []
    for row in read.rows:
        region = regions.get(row.code)
        if region is None:
            problems.append(f"line {row.line}: {row.code} is no region here (flask regions import)")
        elif "category" in read.columns and _category_refused(region, row.category):
            problems.append(
                f"line {row.line}: {row.code} is a NUTS {region.level} region; a category of "
                f"region is set for NUTS {CATEGORY_LEVEL} regions only"
            )
    if problems:
        raise AttributesFileError(problems, Path(path).name)
    result = AttributesImport()
    for row in read.rows:
        values = RegionAttributes(row.category, row.partnerships, row.strategies)
        if set_region_attributes(regions[row.code], values, row.source, user, read.columns):
            result.changed += 1
        else:
            result.unchanged += 1
    log_event(
        "regions.attributes_imported",
        "region",
        None,
        user=user,
        new_value={
            "file": Path(path).name,
            "sources": sorted({row.source for row in read.rows}),
            "attributes": sorted(read.columns),
            "changed": result.changed,
            "unchanged": result.unchanged,
        },
    )
    return result
