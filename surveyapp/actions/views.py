"""A region's action plan page, and the working group's view of all plans."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from surveyapp.actions.forms import ActionForm, ProgressForm
from surveyapp.actions.models import Action, ActionStatus
from surveyapp.actions.operations import (
    ActionError,
    ActionInput,
    add_action,
    current_round,
    may_plan,
    report_progress,
)
from surveyapp.actions.queries import plan_definition, plans_overview, region_plan
from surveyapp.assessments.permissions import may_see_region
from surveyapp.auth.models import Role
from surveyapp.auth.permissions import role_required
from surveyapp.challenges.queries import categories
from surveyapp.extensions import db
from surveyapp.forms import show_at_field
from surveyapp.i18n import current_lang
from surveyapp.regions.queries import find_region
from surveyapp.rounds.queries import list_rounds

bp = Blueprint("actions", __name__, template_folder="templates")


def _region_or_404(code: str):
    region = find_region(code) or abort(404)
    if not may_see_region(current_user, region.id):
        abort(404)
    return region


def _planner_region_or_403(code: str):
    """The region, if the signed-in user may see it (else 404) and plan its actions (403)."""
    region = _region_or_404(code)
    if not may_plan(current_user, region):
        abort(403)
    return region


def _render_plan(region, form=None, progress=None, status=200):
    """The plan page; ``form``: the new action's form, ``progress``: (action id, form) of a
    progress report that was refused, each shown with what was typed and its errors."""
    rounds = list_rounds()
    return render_template(
        "actions/plan.html",
        region=region,
        actions=region_plan(region),
        editable=may_plan(current_user, region),
        categories=categories(active_only=True),
        definition=plan_definition(),
        rounds=rounds,
        statuses=list(ActionStatus),
        current_round=current_round(),
        form=form or ActionForm(formdata=None),
        progress=progress or (None, None),
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
    """Add an action to the region's plan."""
    region = _planner_region_or_403(code)
    form = ActionForm()
    if form.validate_on_submit():
        data = ActionInput(
            title=form.title.data,
            solution=form.solution.data,
            category_id=form.category_id.data,
            aspect=form.aspect.data,
            dimension=form.dimension.data,
            partners=form.partners.data,
            owner=form.owner.data,
            target_round_id=form.target_round_id.data,
        )
        try:
            add_action(region, data, current_user)
            db.session.commit()
        except ActionError as error:
            db.session.rollback()
            if error.field is None:
                abort(403)
            show_at_field(form, error, "title")
        else:
            flash(_("The action is added to the plan."), "success")
            return redirect(url_for(".plan", code=region.code))
    return _render_plan(region, form=form, status=422)


@bp.post("/actions/<int:action_id>/progress")
@login_required
def progress(action_id: int):
    """Report an action's status and evidence in the current round."""
    action = db.session.get(Action, action_id) or abort(404)
    region = _planner_region_or_403(action.region.code)
    form = ProgressForm()
    if form.validate_on_submit():
        try:
            report_progress(
                action, ActionStatus(form.status.data), form.evidence.data, current_user
            )
            db.session.commit()
        except ActionError as error:
            db.session.rollback()
            if error.field is None:
                abort(403)
            show_at_field(form, error, "status")
        else:
            flash(_("Progress saved."), "success")
            return redirect(url_for(".plan", code=region.code) + f"#action-{action.id}")
    return _render_plan(region, progress=(action_id, form), status=422)


@bp.get("/action-plans")
@role_required(Role.expert, Role.admin)
def overview():
    """Across regions: actions per challenge category and aspect, what moved, what worked."""
    return render_template(
        "actions/overview.html",
        data=plans_overview(),
        definition=plan_definition(),
        lang=current_lang(),
    )
