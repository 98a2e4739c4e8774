"""A region's action plan page, and the working group's view of all plans."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from surveyapp.actions.models import Action, ActionStatus
from surveyapp.actions.operations import (
    ActionInput,
    add_action,
    current_round,
    may_plan,
    report_progress,
)
from surveyapp.actions.queries import plans_overview, region_plan
from surveyapp.assessments.permissions import may_see_region
from surveyapp.auth.models import Role
from surveyapp.auth.permissions import role_required
from surveyapp.bounds import db_int
from surveyapp.challenges.queries import categories
from surveyapp.extensions import db
from surveyapp.labels import current_lang
from surveyapp.regions.queries import find_region
from surveyapp.reviews.operations import ReviewError
from surveyapp.rounds.queries import list_rounds

bp = Blueprint("actions", __name__, template_folder="templates")


def _region_or_404(code: str):
    region = find_region(code) or abort(404)
    if not may_see_region(current_user, region.id):
        abort(404)
    return region


def _render_plan(region, errors=None, status=200):
    rounds = list_rounds()
    definition = rounds[-1].questionnaire.parsed if rounds else None
    return render_template(
        "actions/plan.html",
        region=region,
        actions=region_plan(region),
        editable=may_plan(current_user, region),
        categories=categories(active_only=True),
        definition=definition,
        rounds=rounds,
        statuses=list(ActionStatus),
        current_round=current_round(),
        errors=errors or {},
        form=request.form if errors else {},
        lang=current_lang(),
    ), status


@bp.get("/regions/<code>/action-plan")
@login_required
def plan(code: str):
    """The region's actions with their status, partners, owner, target round and history."""
    return _render_plan(_region_or_404(code))


@bp.post("/regions/<code>/action-plan")
@login_required
def add(code: str):
    region = _region_or_404(code)
    form = request.form
    data = ActionInput(
        title=form.get("title", ""),
        solution=form.get("solution", ""),
        category_id=form.get("category_id", type=db_int),
        aspect=form.get("aspect", ""),
        dimension=form.get("dimension", ""),
        partners=form.get("partners", ""),
        owner=form.get("owner", ""),
        target_round_id=form.get("target_round_id", type=db_int),
    )
    try:
        add_action(region, data, current_user)
        db.session.commit()
    except ReviewError as error:
        db.session.rollback()
        if error.field is None:
            abort(403)
        return _render_plan(region, {error.field: str(error.message)}, 422)
    flash(_("The action is added to the plan."), "success")
    return redirect(url_for(".plan", code=region.code))


@bp.post("/actions/<int:action_id>/progress")
@login_required
def progress(action_id: int):
    action = db.session.get(Action, action_id) or abort(404)
    region = _region_or_404(action.region.code)
    try:
        report_progress(
            action, request.form.get("status", ""), request.form.get("evidence", ""), current_user
        )
        db.session.commit()
    except ReviewError as error:
        db.session.rollback()
        if error.field is None:
            abort(403)
        return _render_plan(region, {f"status-{action.id}": str(error.message)}, 422)
    flash(_("Progress saved."), "success")
    return redirect(url_for(".plan", code=region.code) + f"#action-{action.id}")


@bp.get("/action-plans")
@role_required(Role.expert, Role.admin)
def overview():
    """Across regions: actions per challenge category and aspect, what moved, what worked."""
    rounds = list_rounds()
    definition = rounds[-1].questionnaire.parsed if rounds else None
    return render_template(
        "actions/overview.html", data=plans_overview(), definition=definition, lang=current_lang()
    )
