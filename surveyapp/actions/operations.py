"""Add actions to a region's plan and record their progress each round."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from surveyapp.actions.models import Action, ActionStatus, ActionUpdate
from surveyapp.actions.queries import current_round, plan_definition
from surveyapp.audit.operations import log_event
from surveyapp.auth.models import Role, User
from surveyapp.challenges.models import ChallengeCategory
from surveyapp.extensions import db
from surveyapp.forms import FieldError
from surveyapp.regions.models import Region
from surveyapp.regions.operations import parse_region_codes
from surveyapp.rounds.models import Round


class ActionError(FieldError):
    """An action or its progress refused as asked; ``field`` says where the message belongs
    (None: the user may not plan the region's actions)."""


def may_plan(user: User, region: Region) -> bool:
    """Experts, and the region's own officers."""
    if user.role == Role.expert:
        return True
    return user.role == Role.officer and region.id in user.region_ids


@dataclass
class ActionInput:
    title: str
    solution: str = ""
    category_id: int | None = None
    aspect: str = ""
    dimension: str = ""
    partners: str = ""
    owner: str = ""
    target_round_id: int | None = None


def add_action(region: Region, data: ActionInput, user: User) -> Action:
    """A new action of the region's plan, with its audit event.

    :param data: a title on one line and an owner within their limits (forms.ActionForm checks
        them); a category or round that is no longer there is left out.
    :raises ActionError: the user may not plan it, partners that are no NUTS codes, or a
        critical aspect or dimension that the latest round's questionnaire does not have.
    """
    if not may_plan(user, region):
        raise ActionError(_l("Only the region's officers and the experts plan its actions."))
    definition = plan_definition()
    aspects = {group.id for group in definition.aspects} if definition else set()
    dimensions = {group.id for group in definition.dimensions} if definition else set()
    if data.aspect and data.aspect not in aspects:
        raise ActionError(_l("Choose a critical aspect from the list."), "aspect")
    if data.dimension and data.dimension not in dimensions:
        raise ActionError(_l("Choose a dimension from the list."), "dimension")
    partners, unknown = parse_region_codes(data.partners)
    if unknown:
        raise ActionError(
            _l("Unknown NUTS codes: %(codes)s. Nothing was saved.", codes=", ".join(unknown)),
            "partners",
        )
    category = db.session.get(ChallengeCategory, data.category_id) if data.category_id else None
    target = db.session.get(Round, data.target_round_id) if data.target_round_id else None
    action = Action(
        region=region,
        title=data.title,
        solution=data.solution or None,
        category=category,
        aspect=data.aspect or None,
        dimension=data.dimension or None,
        partners=[r.code for r in partners if r.id != region.id],
        owner=data.owner.strip() or None,
        target_round=target,
        created_by_id=user.id,
    )
    db.session.add(action)
    db.session.flush()
    log_event("action.created", "action", action.id, user=user, new_value=data.title)
    return action


def report_progress(
    action: Action, new_status: ActionStatus, evidence: str, user: User
) -> ActionUpdate:
    """Record this round's status and evidence (a later report in the same round replaces it).

    :raises ActionError: the user may not plan the region's actions.
    """
    if not may_plan(user, action.region):
        raise ActionError(_l("Only the region's officers and the experts plan its actions."))
    round_ = current_round()
    update = next((u for u in action.updates if round_ and u.round_id == round_.id), None)
    old = action.status
    if update is None:
        update = ActionUpdate(action=action, round=round_, status=new_status)
        db.session.add(update)
    update.status, update.evidence, update.user = new_status, evidence.strip() or None, user
    action.status, action.evidence = new_status, update.evidence
    db.session.flush()
    log_event(
        "action.progress",
        "action",
        action.id,
        user=user,
        old_value=str(old),
        new_value=str(new_status),
    )
    return update
