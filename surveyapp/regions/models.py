"""Regions identified by their NUTS code."""

import enum

from sqlalchemy import BigInteger, Column, ForeignKey, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from surveyapp.db import CleanString, CleanText, JSONType, StateEnum
from surveyapp.extensions import db


class RegionCategory(enum.StrEnum):
    """Category of region under Cohesion Policy 2021-2027 (GDP per head against the EU average)."""

    less_developed = "less_developed"
    transition = "transition"
    more_developed = "more_developed"


class Region(db.Model):
    __tablename__ = "regions"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: NUTS 2024 code, e.g. ``ES21``; level 0 is the country (Greece is ``EL``).
    code: Mapped[str] = mapped_column(CleanString(5), unique=True)
    #: Eurostat's name in Latin script.
    name: Mapped[str] = mapped_column(CleanString(200))
    #: Two-letter country code as Eurostat writes it (the first two letters of ``code``).
    country: Mapped[str] = mapped_column(CleanString(2), index=True)
    #: NUTS level: 0 country, 1 major region, 2 basic region.
    level: Mapped[int]
    #: Cohesion Policy category; unknown until an administrator sets it.
    category: Mapped[RegionCategory | None] = mapped_column(StateEnum(RegionCategory))
    #: Slugs of the S3 Thematic Partnerships the region belongs to.
    thematic_partnerships: Mapped[list[str]] = mapped_column(JSONType, default=list)

    def __repr__(self) -> str:
        return f"<Region {self.code} {self.name}>"


class RegionPopulation(db.Model):
    """A region's population on 1 January of a year (size-relative count targets, method 2).

    Kept per year so an old round is recomputed with the population it had.
    """

    __tablename__ = "region_populations"
    __table_args__ = (UniqueConstraint("region_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id", ondelete="CASCADE"))
    #: The year whose 1 January the figure is for.
    year: Mapped[int]
    #: Inhabitants (a whole number, as Eurostat publishes it).
    population: Mapped[int] = mapped_column(BigInteger)
    #: Where the figure comes from, e.g. "Eurostat demo_r_d2jan" or "synthetic (demo)".
    source: Mapped[str] = mapped_column(CleanString(200))

    region: Mapped[Region] = relationship()


region_group_members = Table(
    "region_group_members",
    db.Model.metadata,
    Column("group_id", ForeignKey("region_groups.id", ondelete="CASCADE"), primary_key=True),
    Column("region_id", ForeignKey("regions.id", ondelete="CASCADE"), primary_key=True),
)


class RegionGroup(db.Model):
    """A peer group an administrator defines (e.g. "Alpine regions"), beside the built-in ones."""

    __tablename__ = "region_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Shown as "Group: <name>" on dashboards and in reports.
    name: Mapped[str] = mapped_column(CleanString(100), unique=True)
    #: Why these regions belong together.
    description: Mapped[str | None] = mapped_column(CleanText)

    regions: Mapped[list[Region]] = relationship(
        secondary=region_group_members, order_by=Region.code
    )

    def __repr__(self) -> str:
        return f"<RegionGroup {self.name!r}>"
