"""Read helpers for rounds."""

from dataclasses import dataclass

from sqlalchemy import select

from surveyapp.assessments.models import Assessment, AssessmentState
from surveyapp.extensions import db
from surveyapp.regions.models import Region
from surveyapp.rounds.models import Round


def list_rounds() -> list[Round]:
    return list(db.session.scalars(select(Round).order_by(Round.opens_on, Round.id)))


@dataclass(frozen=True)
class CloseSummary:
    """What closing a round leaves as it is: the assessments submitted, and the regions whose
    assessment is still the region's to change (a draft, or changes the experts requested)."""

    submitted: int
    unsubmitted: list[tuple[Region, AssessmentState]]


def close_summary(round_: Round) -> CloseSummary:
    rows = db.session.execute(
        select(Assessment.state, Region)
        .join(Region, Region.id == Assessment.region_id)
        .where(Assessment.round_id == round_.id)
        .order_by(Region.code)
    ).all()
    editable = Assessment.EDITABLE_BY_REGION
    unsubmitted = [(region, state) for state, region in rows if state in editable]
    return CloseSummary(submitted=len(rows) - len(unsubmitted), unsubmitted=unsubmitted)
