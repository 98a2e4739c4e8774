"""What the home page shows, as plain data."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, select

from surveyapp.assessments.models import Assessment
from surveyapp.auth.models import Role, User
from surveyapp.extensions import db
from surveyapp.rounds.models import Round, RoundState


@dataclass
class RoundRow:
    round: Round
    #: For officers: (region, assessment or None) per region they answer for.
    regions: list
    #: For experts/admins: assessments per state in this round.
    counts: dict[str, int]
    #: Number of items in the round's questionnaire.
    item_count: int


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
            regions=[(region, assessments.get((round_.id, region.id))) for region in user.regions]
            if user.role == Role.officer
            else [],
            counts=counts.get(round_.id, {}),
            item_count=len(round_.questionnaire.parsed.items_by_id),
        )
        for round_ in rounds
    ]
