"""Downloads: a round's data for experts and administrators, and every PDF report.

PDFs are served by reporting.serve.send_report: from the store, or queued for rendering
outside the request while the page says so (202).
"""

import fcntl
import hashlib
import io
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Blueprint, current_app, send_file
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.exceptions import ServiceUnavailable

from surveyapp.assessments.permissions import load_assessment
from surveyapp.auth.models import Role
from surveyapp.auth.permissions import role_required
from surveyapp.extensions import db
from surveyapp.i18n import current_lang
from surveyapp.reporting.catalog import RESPONSE, WORKING_GROUP, Job
from surveyapp.reporting.serve import send_report
from surveyapp.rounds.models import Round

bp = Blueprint("reporting", __name__, template_folder="templates")

#: Exports are built in the web worker that asks for them (pandas and XlsxWriter: seconds of
#: CPU each). At most this many run at once on one machine (``EXPORTS_AT_ONCE`` overrides it),
#: so that exports never hold every worker while autosaves wait (scenario F6); the others get
#: 503 with Retry-After.
EXPORTS_AT_ONCE = max(1, (os.cpu_count() or 2) // 2)
EXPORT_RETRY_AFTER = 10

MIME = {
    "csv": ("application/zip", "zip"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
}


def download_name(round_: Round, extension: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", round_.name.lower()).strip("-") or str(round_.id)
    return f"surveyapp-{slug}.{extension}"


@contextmanager
def export_slot() -> Iterator[bool]:
    """Hold one of the machine's export slots while the block runs (False: all are taken).

    A slot is a lock file per database (gunicorn's workers are processes); closing the file
    releases it, also when the export fails or the worker dies.
    """
    database = str(current_app.config["SQLALCHEMY_DATABASE_URI"]).encode()
    tag = hashlib.sha256(database).hexdigest()[:16]
    # In the app's instance folder, not the shared temporary one (where another local user
    # could take the names first).
    folder = Path(current_app.instance_path)
    folder.mkdir(parents=True, exist_ok=True)
    for slot in range(current_app.config.get("EXPORTS_AT_ONCE") or EXPORTS_AT_ONCE):
        with open(folder / f"export-{tag}-{slot}.lock", "a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue
            yield True
            return
    yield False


@bp.get("/rounds/<int:round_id>/export.<any(csv, xlsx):fmt>")
@role_required(Role.expert, Role.admin)
def export(round_id: int, fmt: str):
    """The round's long, wide, scores and codebook tables (CSV files in a zip, or one XLSX)."""
    from surveyapp.reporting.exports import export_round  # pandas and XlsxWriter: when used

    round_ = db.get_or_404(Round, round_id)
    buffer = io.BytesIO()
    with export_slot() as free:
        if not free:
            raise ServiceUnavailable(
                _("Other exports are being prepared. Try again in a few seconds."),
                retry_after=EXPORT_RETRY_AFTER,
            )
        export_round(round_, fmt, buffer)
    buffer.seek(0)
    mimetype, extension = MIME[fmt]
    return send_file(
        buffer,
        mimetype=mimetype,
        as_attachment=True,
        download_name=download_name(round_, extension),
    )


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


def response_download(assessment_id: int, fmt: str):
    """The region's whole response as an office document (whoever may read the assessment)."""
    from surveyapp.reporting.context import response_report_context
    from surveyapp.reporting.documents import write_response_docx, write_response_xlsx

    assessment = load_assessment(assessment_id, with_answers=False)
    lang = current_lang()
    context = response_report_context(assessment, lang)
    buffer = io.BytesIO()
    if fmt == "xlsx":
        write_response_xlsx(context, buffer)
    else:
        write_response_docx(context, lang, buffer)
    buffer.seek(0)
    mimetype, extension = MIME[fmt]
    slug = re.sub(r"[^a-z0-9]+", "-", assessment.round.name.lower()).strip("-")
    name = f"response-{assessment.region.code}-{slug or assessment.round_id}.{extension}"
    return send_file(buffer, mimetype=mimetype, as_attachment=True, download_name=name)


@bp.get("/assessments/<int:assessment_id>/response.xlsx")
@login_required
def export_response_xlsx(assessment_id: int):
    """The region's whole response as one spreadsheet, for its internal sign-off."""
    return response_download(assessment_id, "xlsx")


@bp.get("/assessments/<int:assessment_id>/response.docx")
@login_required
def export_response_docx(assessment_id: int):
    """The region's whole response as a Word document, for its internal sign-off."""
    return response_download(assessment_id, "docx")
