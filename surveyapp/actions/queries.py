"""Action plans of a region, and the working group's view of what moved and what worked."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from surveyapp.actions.models import Action, ActionStatus
from surveyapp.assessments.models import Assessment
from surveyapp.challenges.queries import reader_name
from surveyapp.extensions import db
from surveyapp.questionnaires.definition import Definition
from surveyapp.regions.models import Region
from surveyapp.rounds.models import Round, RoundState
from surveyapp.rounds.queries import list_rounds


def current_round() -> Round | None:
    """The open round, else the latest one: progress is reported against it."""
    rounds = list_rounds()
    open_rounds = [r for r in rounds if r.state == RoundState.open]
    return (open_rounds or rounds or [None])[-1]


def plan_definition() -> Definition | None:
    """The questionnaire whose critical aspects and dimensions an action may answer: the
    current round's (a round only planned does not decide it; None: no round yet)."""
    round_ = current_round()
    return round_.questionnaire.parsed if round_ else None


def region_plan(region: Region) -> list[Action]:
    return list(
        db.session.scalars(
            select(Action)
            .options(joinedload(Action.category), selectinload(Action.updates))
            .filter_by(region_id=region.id)
            .order_by(Action.created_at, Action.id)
        ).unique()
    )


def consenting_regions() -> set[int]:
    """Regions whose latest submitted assessment agrees to naming."""
    latest: dict[int, tuple] = {}
    for region_id, submitted_at, consent in db.session.execute(
        select(Assessment.region_id, Assessment.submitted_at, Assessment.consent_named).where(
            Assessment.submitted_at.is_not(None)
        )
    ):
        if region_id not in latest or submitted_at > latest[region_id][0]:
            latest[region_id] = (submitted_at, consent)
    return {region_id for region_id, (_when, consent) in latest.items() if consent}


def moved(action: Action) -> bool:
    """Whether the latest report changed the status reported before it."""
    statuses = [u.status for u in action.updates]
    if not statuses:
        return False
    previous = statuses[-2] if len(statuses) > 1 else ActionStatus.planned
    return statuses[-1] != previous


def plans_overview() -> dict:
    """Per challenge category and per aspect: actions, how many moved, how many are done; and
    the solutions of done actions (regions named only when they consented)."""
    actions = list(
        db.session.scalars(
            select(Action).options(
                joinedload(Action.category), joinedload(Action.region), selectinload(Action.updates)
            )
        ).unique()
    )
    named = consenting_regions()
    by_category: dict[str, Counter] = {}
    by_aspect: dict[str, Counter] = {}
    worked = []
    for action in actions:
        for key, table in (
            (reader_name(action.category), by_category),
            (action.aspect or "", by_aspect),
        ):
            counts = table.setdefault(key, Counter())
            counts["actions"] += 1
            counts["moved"] += moved(action)
            counts["done"] += action.status == ActionStatus.done
        if action.status == ActionStatus.done and action.solution:
            worked.append(
                {
                    "title": action.title,
                    "solution": action.solution,
                    "category": reader_name(action.category) or None,
                    "aspect": action.aspect,
                    "region": action.region if action.region_id in named else None,
                    "country": action.region.country,
                }
            )
    return {"by_category": by_category, "by_aspect": by_aspect, "worked": worked}
