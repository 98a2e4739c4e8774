"""What the home page shows, as plain data."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import case, func, select

from surveyapp.assessments.models import Answer, Assessment
from surveyapp.assessments.operations import SectionProgress, progress
from surveyapp.auth.models import Role, User
from surveyapp.extensions import db
from surveyapp.regions.models import Region
from surveyapp.rounds.models import Round, RoundState


@dataclass
class RegionRow:
    region: Region
    assessment: Assessment | None = None
    #: Per section: answered / required (visible items only).
    sections: list[SectionProgress] = field(default_factory=list)
    last_answer: Answer | None = None

    @property
    def required(self) -> int:
        return sum(p.required for p in self.sections)

    @property
    def required_answered(self) -> int:
        return sum(p.required_answered for p in self.sections)


@dataclass
class RoundRow:
    round: Round
    #: For officers: one row per region they answer for.
    regions: list[RegionRow]
    #: For experts/admins: assessments per state in this round.
    counts: dict[str, int]
    #: Number of items in the round's questionnaire.
    item_count: int


def _region_row(region: Region, assessment: Assessment | None) -> RegionRow:
    if assessment is None:
        return RegionRow(region)
    last = max(assessment.answers, key=lambda answer: answer.updated_at, default=None)
    return RegionRow(region, assessment, progress(assessment), last)


def home_overview(user: User) -> list[RoundRow]:
    """Rounds newest first, with the user's view of each."""
    state_order = case({RoundState.open: 0, RoundState.planned: 1}, value=Round.state, else_=2)
    rounds = list(db.session.scalars(select(Round).order_by(state_order, Round.opens_on.desc())))
    assessments = {}
    if user.role == Role.officer and user.regions:
        region_ids = [region.id for region in user.regions]
        for assessment in db.session.scalars(
            select(Assessment).where(Assessment.region_id.in_(region_ids))
        ):
            assessments[(assessment.round_id, assessment.region_id)] = assessment
    counts: dict[int, dict[str, int]] = {}
    if user.role in (Role.expert, Role.admin):
        rows = db.session.execute(
            select(Assessment.round_id, Assessment.state, func.count()).group_by(
                Assessment.round_id, Assessment.state
            )
        )
        for round_id, state, count in rows:
            counts.setdefault(round_id, {})[str(state)] = count
    return [
        RoundRow(
            round=round_,
            regions=[
                _region_row(region, assessments.get((round_.id, region.id)))
                for region in user.regions
            ]
            if user.role == Role.officer
            else [],
            counts=counts.get(round_.id, {}),
            item_count=len(round_.questionnaire.parsed.items_by_id),
        )
        for round_ in rounds
    ]
