"""Read helpers for rounds."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, or_, select

from surveyapp.assessments.models import Assessment, AssessmentState
from surveyapp.auth.models import Role, User, region_memberships
from surveyapp.extensions import db
from surveyapp.regions.models import Region
from surveyapp.regions.queries import population_for, regions_without_population
from surveyapp.rounds.models import Round, RoundClosingRecord


def validated_when_closed() -> ColumnElement[bool]:
    """SQL: the assessment counts as validated in its round's figures: validated, and by the
    time the round closed where that time is kept (METHOD §12: the figures are frozen then).
    The analysis frames apply the same rule (analysis.frame.load_assessments)."""
    closed_at = select(Round.closed_at).where(Round.id == Assessment.round_id).scalar_subquery()
    return and_(
        Assessment.state == AssessmentState.validated,
        or_(closed_at.is_(None), Assessment.state_changed_at <= closed_at),
    )


@dataclass(frozen=True)
class PopulationUsed:
    """The population a region's size-relative count targets use in a round."""

    population: int
    year: int
    source: str


def population_used(round_: Round, region_id: int) -> PopulationUsed | None:
    """The region's population on the round's reference day (method D5a), with its year and
    source: of a closed round, as it kept it when it closed (RoundClosingRecord), else the
    latest figure up to the reference year; None when there is none (never guessed)."""
    kept = db.session.scalar(
        select(RoundClosingRecord.populations).where(RoundClosingRecord.round_id == round_.id)
    )
    if kept is not None:
        row = kept.get(str(region_id))
        return PopulationUsed(int(row[0]), int(row[1]), row[2]) if row else None
    figure = population_for(region_id, round_.reference_day.year)
    if figure is None:
        return None
    return PopulationUsed(int(figure.population), figure.year, figure.source)


def closing_record_taken_at(round_id: int) -> datetime | None:
    """When the round kept what its figures are built from (RoundClosingRecord): when it
    closed, or, for a round closed before records were kept, at the upgrade; None: not kept."""
    return db.session.scalar(
        select(RoundClosingRecord.taken_at).where(RoundClosingRecord.round_id == round_id)
    )


def list_rounds() -> list[Round]:
    return list(db.session.scalars(select(Round).order_by(Round.opens_on, Round.id)))


@dataclass(frozen=True)
class CloseSummary:
    """What closing a round leaves as it is: the assessments submitted, and the regions whose
    assessment is still the region's to change (a draft, or changes the experts requested)."""

    submitted: int
    unsubmitted: list[tuple[Region, AssessmentState]]
    #: Submitted assessments not validated yet: validated after the close, they do not count
    #: in the round's figures, which are frozen when it closes.
    unvalidated: int = 0


def close_summary(round_: Round) -> CloseSummary:
    rows = db.session.execute(
        select(Assessment.state, Region)
        .join(Region, Region.id == Assessment.region_id)
        .where(Assessment.round_id == round_.id)
        .order_by(Region.code)
    ).all()
    editable = Assessment.EDITABLE_BY_REGION
    unsubmitted = [(region, state) for state, region in rows if state in editable]
    unvalidated = sum(
        state in (AssessmentState.submitted, AssessmentState.under_review) for state, _r in rows
    )
    return CloseSummary(
        submitted=len(rows) - len(unsubmitted), unsubmitted=unsubmitted, unvalidated=unvalidated
    )


def participating_region_ids(round_: Round) -> set[int]:
    """The regions a round concerns: those with an active officer account, and those with an
    assessment in the round."""
    officers = (
        select(region_memberships.c.region_id)
        .join(User, User.id == region_memberships.c.user_id)
        .where(User.role == Role.officer, User.active.is_(True))
    )
    assessed = select(Assessment.region_id).where(Assessment.round_id == round_.id)
    return set(db.session.scalars(officers.union(assessed)))


def uses_population(round_: Round) -> bool:
    """Whether the round's questionnaire scores counts against a target relative to the
    region's size (so that every participating region needs a population)."""
    definition = round_.questionnaire.parsed
    return any(item.relative_target for item in definition.items)


def regions_lacking_population(round_: Round) -> list[Region]:
    """The participating regions the round cannot score yet: no population for its reference
    year or earlier (none when its questionnaire has no size-relative counts)."""
    if not uses_population(round_):
        return []
    return regions_without_population(participating_region_ids(round_), round_.reference_day.year)
