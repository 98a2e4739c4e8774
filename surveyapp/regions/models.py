"""Regions identified by their NUTS code."""

import enum

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    ForeignKey,
    String,
    Table,
    UniqueConstraint,
    select,
    type_coerce,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from surveyapp.db import CleanString, CleanText, StateEnum, comma_list
from surveyapp.extensions import db


class RegionCategory(enum.StrEnum):
    """Category of region under Cohesion Policy 2021-2027 (GDP per head against the EU average)."""

    less_developed = "less_developed"
    transition = "transition"
    more_developed = "more_developed"

    @property
    def label(self) -> LazyString:
        """The category's name for people, in the reader's language (translated when shown)."""
        return _CATEGORY_NAMES[self]


class PartnershipRole(enum.StrEnum):
    """A region's role in an S3 Thematic Partnership (co-leads are listed as lead regions)."""

    lead = "lead"
    member = "member"

    @property
    def label(self) -> LazyString:
        """The role's name for people, in the reader's language (translated when shown)."""
        return _ROLE_NAMES[self]


#: The categorys' names for people (translated when shown).
_CATEGORY_NAMES = {
    RegionCategory.less_developed: _l("Less developed region"),
    RegionCategory.transition: _l("Transition region"),
    RegionCategory.more_developed: _l("More developed region"),
}


#: The roles' names for people (translated when shown).
_ROLE_NAMES = {
    PartnershipRole.lead: _l("Lead region"),
    PartnershipRole.member: _l("Member"),
}


class MacroRegionalStrategy(enum.StrEnum):
    """The EU's four macro-regional strategies."""

    eusbsr = "eusbsr"
    eusdr = "eusdr"
    eusair = "eusair"
    eusalp = "eusalp"

    @property
    def label(self) -> LazyString:
        """The strategy's name for people, in the reader's language (translated when shown)."""
        return _STRATEGY_NAMES[self]


class SlugList(TypeDecorator):
    """Comma-separated slugs (db.comma_list) read back as a sorted list ([] without any)."""

    impl = String
    cache_ok = True

    def process_result_value(self, value, dialect):
        return sorted(value.split(",")) if value else []


#: The strategys' names for people (translated when shown).
_STRATEGY_NAMES = {
    MacroRegionalStrategy.eusbsr: _l("EU Strategy for the Baltic Sea Region (EUSBSR)"),
    MacroRegionalStrategy.eusdr: _l("EU Strategy for the Danube Region (EUSDR)"),
    MacroRegionalStrategy.eusair: _l("EU Strategy for the Adriatic and Ionian Region (EUSAIR)"),
    MacroRegionalStrategy.eusalp: _l("EU Strategy for the Alpine Region (EUSALP)"),
}


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
    #: Where the category comes from, e.g. "Commission Implementing Decision (EU) 2021/1130".
    category_source: Mapped[str | None] = mapped_column(CleanString(200))

    #: S3 Thematic Partnerships the region belongs to, with its role in each.
    partnerships: Mapped[list["RegionPartnership"]] = relationship(
        back_populates="region",
        cascade="all, delete-orphan",
        order_by="RegionPartnership.partnership",
    )
    #: Macro-regional strategies whose area includes the region.
    strategies: Mapped[list["RegionStrategy"]] = relationship(
        back_populates="region", cascade="all, delete-orphan", order_by="RegionStrategy.strategy"
    )

    @hybrid_property
    def thematic_partnerships(self) -> list[str]:
        """Slugs of the partnerships the region belongs to, sorted (what peer groups read)."""
        return sorted(membership.partnership for membership in self.partnerships)

    @thematic_partnerships.inplace.setter
    def _set_thematic_partnerships(self, slugs: list[str]) -> None:
        # For fixtures and scripts: plain memberships with no source. Pages and imports go
        # through regions.operations, which keep roles and sources and write audit events.
        kept = {m.partnership: m for m in self.partnerships}
        self.partnerships = [
            kept.get(slug) or RegionPartnership(partnership=slug, role=PartnershipRole.member)
            for slug in sorted(set(slugs))
        ]

    @thematic_partnerships.inplace.expression
    @classmethod
    def _thematic_partnerships_expression(cls):
        return type_coerce(
            select(comma_list(RegionPartnership.partnership))
            .where(RegionPartnership.region_id == cls.id)
            .correlate_except(RegionPartnership)
            .scalar_subquery(),
            SlugList(),
        )

    def __repr__(self) -> str:
        return f"<Region {self.code} {self.name}>"


class RegionPartnership(db.Model):
    """A region's membership of an S3 Thematic Partnership, as an administrator records it."""

    __tablename__ = "region_partnerships"

    region_id: Mapped[int] = mapped_column(
        ForeignKey("regions.id", ondelete="CASCADE"), primary_key=True
    )
    #: Slug in regions.partnerships.THEMATIC_PARTNERSHIPS.
    partnership: Mapped[str] = mapped_column(CleanString(60), primary_key=True)
    #: Lead (or co-lead) region, or member.
    role: Mapped[PartnershipRole] = mapped_column(
        StateEnum(PartnershipRole), default=PartnershipRole.member
    )
    #: Where the membership comes from (named on the page or for an import); None: not
    #: recorded (memberships from before sources were kept).
    source: Mapped[str | None] = mapped_column(CleanString(200))

    region: Mapped[Region] = relationship(back_populates="partnerships")


class RegionStrategy(db.Model):
    """A macro-regional strategy whose area includes the region."""

    __tablename__ = "region_strategies"

    region_id: Mapped[int] = mapped_column(
        ForeignKey("regions.id", ondelete="CASCADE"), primary_key=True
    )
    strategy: Mapped[MacroRegionalStrategy] = mapped_column(
        StateEnum(MacroRegionalStrategy), primary_key=True
    )
    #: Where the fact comes from (named on the page or for an import).
    source: Mapped[str | None] = mapped_column(CleanString(200))

    region: Mapped[Region] = relationship(back_populates="strategies")


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


class RegionIndicator(db.Model):
    """One structural indicator of a region for a year, as Eurostat publishes it (the
    structurally similar regions, analysis.similar). The indicators are the keys of
    regions.indicators_file.INDICATORS; the region's population comes from RegionPopulation.
    """

    __tablename__ = "region_indicators"
    __table_args__ = (UniqueConstraint("region_id", "indicator", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id", ondelete="CASCADE"))
    #: A key of regions.indicators_file.INDICATORS, e.g. "gdp_pps_per_head".
    indicator: Mapped[str] = mapped_column(CleanString(40))
    year: Mapped[int]
    value: Mapped[float] = mapped_column(Float)
    #: Eurostat's flags on the value ("p" provisional, "e" estimated...), "" when none.
    flags: Mapped[str] = mapped_column(CleanString(20), default="")
    #: Where the figure comes from, e.g. "Eurostat nama_10r_2gdp" or "synthetic (demo)".
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
