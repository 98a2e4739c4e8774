"""Read helpers for regions."""

from functools import lru_cache

from sqlalchemy import case, exists, func, literal, select

from surveyapp.extensions import db
from surveyapp.regions.models import (
    PartnershipRole,
    Region,
    RegionCategory,
    RegionGroup,
    RegionIndicator,
    RegionPartnership,
    RegionPopulation,
    region_group_members,
)
from surveyapp.regions.partnerships import THEMATIC_PARTNERSHIPS


def find_region(code: str) -> Region | None:
    return db.session.scalar(select(Region).filter_by(code=code.strip().upper()))


def populations_of(region: Region) -> list[RegionPopulation]:
    """The region's stored populations, latest year first."""
    return list(
        db.session.scalars(
            select(RegionPopulation)
            .where(RegionPopulation.region_id == region.id)
            .order_by(RegionPopulation.year.desc())
        )
    )


def population_for(region_id: int, year: int) -> RegionPopulation | None:
    """The population a round of reference year ``year`` uses: that year's 1 January figure,
    else the latest earlier one (method D5a); None when there is none (never guessed)."""
    return db.session.scalar(
        select(RegionPopulation)
        .where(RegionPopulation.region_id == region_id, RegionPopulation.year <= year)
        .order_by(RegionPopulation.year.desc())
        .limit(1)
    )


def population_rows(region_ids, year: int) -> dict[int, tuple[int, int, str]]:
    """Region id -> (inhabitants, year, source) on 1 January of ``year``, else of the latest
    earlier year known (method D5a, as population_for). Regions without any figure up to that
    year are absent (a population is never guessed)."""
    ids = [int(r) for r in region_ids]
    if not ids:
        return {}
    rows = db.session.execute(
        select(
            RegionPopulation.region_id,
            RegionPopulation.year,
            RegionPopulation.population,
            RegionPopulation.source,
        )
        .where(RegionPopulation.region_id.in_(ids), RegionPopulation.year <= year)
        .order_by(RegionPopulation.region_id, RegionPopulation.year)
    ).all()
    latest: dict[int, tuple[int, int, str]] = {}
    for region_id, figure_year, population, source in rows:  # by year: the last one wins
        latest[int(region_id)] = (int(population), int(figure_year), source)
    return latest


def custom_group_members() -> dict[str, list[int]]:
    """Administrator-defined peer groups as they are now: name -> region ids."""
    rows = db.session.execute(
        select(RegionGroup.name, region_group_members.c.region_id).join(
            region_group_members, region_group_members.c.group_id == RegionGroup.id
        )
    ).all()
    groups: dict[str, list[int]] = {}
    for name, region_id in rows:
        groups.setdefault(name, []).append(int(region_id))
    return groups


#: NUTS level of the regions whose structural figures are standardised together
#: (analysis.similar).
STRUCTURAL_LEVEL = 2


def structural_rows(up_to_year: int | None = None) -> list[tuple]:
    """Every structural figure of the NUTS-2 regions, of ``up_to_year`` or earlier (None: all):
    (region_id, indicator, year, value, source); populations come in as the indicator
    "population"."""
    level2 = select(Region.id).where(Region.level == STRUCTURAL_LEVEL)
    indicators = select(
        RegionIndicator.region_id,
        RegionIndicator.indicator,
        RegionIndicator.year,
        RegionIndicator.value,
        RegionIndicator.source,
    ).where(RegionIndicator.region_id.in_(level2))
    populations = select(
        RegionPopulation.region_id,
        literal("population"),
        RegionPopulation.year,
        RegionPopulation.population,
        RegionPopulation.source,
    ).where(RegionPopulation.region_id.in_(level2))
    if up_to_year is not None:
        indicators = indicators.where(RegionIndicator.year <= up_to_year)
        populations = populations.where(RegionPopulation.year <= up_to_year)
    return [
        *db.session.execute(indicators).all(),
        *db.session.execute(populations).all(),
    ]


def regions_without_population(region_ids, year: int) -> list[Region]:
    """The regions among ``region_ids`` with no population for ``year`` or earlier, by code."""
    has_one = exists().where(RegionPopulation.region_id == Region.id, RegionPopulation.year <= year)
    return list(
        db.session.scalars(
            select(Region).where(Region.id.in_(list(region_ids)), ~has_one).order_by(Region.code)
        )
    )


@lru_cache(maxsize=1)
def _peer_attribute_statements() -> tuple:
    """The aggregate statements of peer_attributes_key, built once (building the CASE over
    every partnership cost more than running it)."""
    category_number = case(
        *((Region.category == c, n) for n, c in enumerate(RegionCategory, start=1)), else_=0
    )
    # Each (partnership, role) as its own number, summed with two different weights.
    membership_number = case(
        *(
            (RegionPartnership.partnership == slug, n * 3)
            for n, slug in enumerate(THEMATIC_PARTNERSHIPS, start=1)
        ),
        else_=0,
    ) + case((RegionPartnership.role == PartnershipRole.lead, 2), else_=1)
    return (
        select(
            func.count(Region.category),
            func.sum(Region.id * category_number),
            # A second moment: two regions trading categories do not leave both sums alike.
            func.sum(Region.id * Region.id * category_number),
        ),
        select(
            func.count(),
            func.sum(RegionPartnership.region_id * membership_number),
            func.sum(RegionPartnership.region_id * membership_number * membership_number),
        ),
        select(
            func.count(),
            func.sum(region_group_members.c.group_id * region_group_members.c.region_id),
        ),
        # The structural figures the similar-regions groups are chosen by (analysis.similar).
        select(
            func.count(RegionIndicator.id),
            func.sum(RegionIndicator.value * RegionIndicator.region_id),
            func.sum(RegionIndicator.year * RegionIndicator.region_id),
            func.sum(RegionIndicator.value * RegionIndicator.year),
        ),
    )


def peer_attributes_key() -> str:
    """A key that changes whenever what the peer groups are built from changes: the regions'
    categories, their Thematic Partnership memberships and roles, custom groups' members and
    the structural indicators (similar regions).

    Aggregates only (no rows leave the database), for a data version beside the populations'.
    """
    rows = (db.session.execute(statement).one() for statement in _peer_attribute_statements())
    return "/".join(str(value) for row in rows for value in row)
