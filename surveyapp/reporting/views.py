"""Downloads of a round's data for experts and administrators."""

import io
import re

from flask import Blueprint, send_file

from surveyapp.auth.models import Role
from surveyapp.auth.permissions import role_required
from surveyapp.extensions import db
from surveyapp.rounds.models import Round

bp = Blueprint("reporting", __name__)

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
