"""Downloads: a round's data for experts and administrators, and every PDF report.

A PDF is served from the store when one with the same key (data, templates, code) exists;
otherwise it is queued for rendering outside the request and the page says so, offering the
previous version meanwhile (202). Nothing renders inside a request except in tests.
"""

import io
import re

from flask import Blueprint, abort, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import login_required

from surveyapp.assessments.permissions import load_assessment
from surveyapp.auth.models import Role
from surveyapp.auth.permissions import role_required
from surveyapp.extensions import db
from surveyapp.labels import current_lang
from surveyapp.reporting.catalog import RESPONSE, WORKING_GROUP, Job
from surveyapp.rounds.models import Round

bp = Blueprint("reporting", __name__, template_folder="templates")

MIME = {
    "csv": ("application/zip", "zip"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
}


def download_name(round_: Round, extension: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", round_.name.lower()).strip("-") or str(round_.id)
    return f"surveyapp-{slug}.{extension}"


@bp.get("/rounds/<int:round_id>/export.<any(csv, xlsx):fmt>")
@role_required(Role.expert, Role.admin)
def export(round_id: int, fmt: str):
    """The round's long, wide, scores and codebook tables (CSV files in a zip, or one XLSX)."""
    from surveyapp.reporting.exports import export_round  # pandas and XlsxWriter: when used

    round_ = db.get_or_404(Round, round_id)
    buffer = io.BytesIO()
    export_round(round_, fmt, buffer)
    buffer.seek(0)
    mimetype, extension = MIME[fmt]
    return send_file(
        buffer,
        mimetype=mimetype,
        as_attachment=True,
        download_name=download_name(round_, extension),
    )


def send_report(job: Job, title: str):
    """The stored PDF of ``job``, or a "being prepared" page while it renders (202).

    The caller has checked that the user may read it. ``?previous=1`` asks for the newest stored
    version even when the data changed since.
    """
    from surveyapp.reporting.catalog import build_context, definition, file_name
    from surveyapp.reporting.store import (
        find_rendered,
        is_pending,
        latest_rendered,
        queue_render,
        report_key,
    )

    report = definition(job)
    context = build_context(job)
    key = report_key(report, context, job.lang)
    stored = find_rendered(key)
    if stored is None:
        queue_render(key, job, context)
        stored = find_rendered(key)  # rendered at once when configured so (tests)
    if stored is None and request.args.get("previous"):
        stored = latest_rendered(job) or abort(404)
    if stored is not None:
        return send_file(
            io.BytesIO(stored.pdf), mimetype="application/pdf", download_name=file_name(job, report)
        )
    previous = latest_rendered(job)
    previous_url = url_for(request.endpoint, **request.view_args, previous=1) if previous else None
    return render_template(
        "reporting/pending.html",
        title=title,
        previous=previous,
        previous_url=previous_url,
        pending=is_pending(key),
    ), 202


@bp.get("/benchmarks/rounds/<int:round_id>/working-group.pdf")
@role_required(Role.expert, Role.admin)
def working_group_report(round_id: int):
    """The aggregated report of a round, as the working group sees it (moderated scores)."""
    round_ = db.get_or_404(Round, round_id)
    job = Job(WORKING_GROUP, round_.id, None, current_lang(), "moderated")
    return send_report(job, _("Working-group report, %(round)s", round=round_.name))


@bp.get("/assessments/<int:assessment_id>/response.pdf")
@login_required
def response_report(assessment_id: int):
    """The region's whole response as PDF, for its files (whoever may read the assessment)."""
    assessment = load_assessment(assessment_id, with_answers=False)
    job = Job(RESPONSE, assessment.round_id, assessment.region_id, current_lang(), "self")
    title = _("Self-assessment of %(region)s", region=assessment.region.name)
    return send_report(job, title)
