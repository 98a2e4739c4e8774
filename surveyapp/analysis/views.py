"""Benchmark dashboards: a region against its peers, and the working group's view of a round."""

from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from surveyapp.actions.queries import region_plan
from surveyapp.assessments.models import COUNTED_STATES, Assessment
from surveyapp.assessments.permissions import is_region_officer, may_see_region
from surveyapp.auth.models import Role
from surveyapp.auth.permissions import role_required
from surveyapp.extensions import db
from surveyapp.i18n import current_lang
from surveyapp.numbers import format_change, format_score
from surveyapp.regions.queries import find_region
from surveyapp.rounds.models import Round
from surveyapp.rounds.queries import list_rounds

bp = Blueprint("analysis", __name__, template_folder="templates")
# Scores and their changes on every page: one decimal, half up on the canonical value (D11).
bp.add_app_template_filter(format_score, "score")
bp.add_app_template_filter(format_change, "change")


@bp.get("/benchmarks")
@login_required
def index():
    """Links to every dashboard the user may open: their regions' rounds, or every round."""
    counted = select(Assessment.region_id, Assessment.round_id).where(
        Assessment.state.in_(COUNTED_STATES)
    )
    if current_user.role == Role.officer:
        region_ids = [region.id for region in current_user.regions]
        counted = counted.where(Assessment.region_id.in_(region_ids))
    pairs = set(db.session.execute(counted).all())
    regions = {region.id: region for region in current_user.regions}
    rows = []
    for round_ in list_rounds():
        rows.append(
            {
                "round": round_,
                "regions": [regions[rid] for rid in sorted(regions) if (rid, round_.id) in pairs],
                "assessments": sum(1 for _rid, rnd in pairs if rnd == round_.id),
            }
        )
    return render_template("analysis/index.html", rows=rows)


@bp.get("/benchmarks/rounds/<int:round_id>/regions/<code>")
@login_required
def region_view(round_id: int, code: str):
    """A region's scores against its peers, trends and partner suggestions."""
    round_ = db.get_or_404(Round, round_id)
    region = find_region(code)
    if region is None:
        abort(404)
    if not may_see_region(current_user, region.id):
        abort(403)
    from surveyapp.analysis.dashboard import region_dashboard  # pandas: loaded when first used

    return render_template(
        "analysis/region.html",
        data=region_dashboard(
            region,
            round_,
            current_lang(),
            round_.score_column_for(current_user),
            officer_view=current_user.role == Role.officer,
            domestic=request.args.get("domestic") == "1",
        ),
        round=round_,
        plan=region_plan(region),
        may_ask_contact=is_region_officer(current_user, region.id),
    )


@bp.get("/benchmarks/rounds/<int:round_id>")
@role_required(Role.expert, Role.admin)
def working_group_view(round_id: int):
    """Every counted region of a round: distributions, heat map, change since the last round."""
    round_ = db.get_or_404(Round, round_id)
    from surveyapp.analysis.dashboard import working_group_dashboard  # pandas: when first used

    return render_template(
        "analysis/working_group.html",
        data=working_group_dashboard(round_, current_lang(), internal=True),
        round=round_,
    )


@bp.get("/benchmarks/rounds/<int:round_id>/regions/<code>/report.pdf")
@login_required
def region_report(round_id: int, code: str):
    """The region report as PDF: from the store, or rendered in the background meanwhile."""
    from surveyapp.reporting.catalog import REGION, Job
    from surveyapp.reporting.serve import send_report

    round_ = db.get_or_404(Round, round_id)
    region = find_region(code)
    if region is None:
        abort(404)
    if not may_see_region(current_user, region.id):
        abort(403)
    job = Job(
        REGION,
        round_.id,
        region.id,
        current_lang(),
        round_.score_column_for(current_user),
        released_only=current_user.role == Role.officer,
    )
    title = _("Benchmark report of %(region)s, %(round)s", region=region.name, round=round_.name)
    return send_report(job, title)
