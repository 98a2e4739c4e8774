"""Read helpers for regions."""

from sqlalchemy import exists, select

from surveyapp.extensions import db
from surveyapp.regions.models import Region, RegionPopulation


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


def regions_without_population(region_ids, year: int) -> list[Region]:
    """The regions among ``region_ids`` with no population for ``year`` or earlier, by code."""
    has_one = exists().where(RegionPopulation.region_id == Region.id, RegionPopulation.year <= year)
    return list(
        db.session.scalars(
            select(Region).where(Region.id.in_(list(region_ids)), ~has_one).order_by(Region.code)
        )
    )
