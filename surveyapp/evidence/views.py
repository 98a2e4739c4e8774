"""A response's evidence files: the list, attaching and removing, and downloads."""

from __future__ import annotations

import io
import tempfile
import zipfile
from typing import IO

from flask import Blueprint, abort, flash, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms.fields import SelectChoice

from surveyapp.assessments.permissions import can_edit, load_assessment, load_editable_assessment
from surveyapp.evidence import storage
from surveyapp.evidence.forms import AttachFileForm
from surveyapp.evidence.operations import EvidenceError, attach_file, remove_file, usage
from surveyapp.evidence.queries import files_of, find_file
from surveyapp.extensions import db
from surveyapp.forms import show_at_field
from surveyapp.i18n import lang_attribute, questionnaire_language

bp = Blueprint("evidence", __name__, template_folder="templates")


def takes_files(view):
    """Mark a view that receives files: its requests may be as large as
    EVIDENCE_MAX_FILE_BYTES allows (text.CleanRequest.max_content_length), not the app's 2 MB."""
    view.upload_limit_setting = "EVIDENCE_MAX_FILE_BYTES"
    return view


def _form(assessment, posted: bool = True) -> AttachFileForm:
    """The form, with what was posted (or empty), its questions in the questionnaire's
    language."""
    definition = assessment.round.questionnaire.parsed
    lang = questionnaire_language(definition)
    form = AttachFileForm() if posted else AttachFileForm(formdata=None)
    form.item_id.choices = [SelectChoice("", _("The response as a whole"))] + [
        SelectChoice(item.id, item.localized("text", lang)) for item in definition.items
    ]
    return form


def _render(assessment, form=None, status=200):
    definition = assessment.round.questionnaire.parsed
    lang = questionnaire_language(definition)
    return render_template(
        "evidence/files.html",
        assessment=assessment,
        files=files_of(assessment),
        usage=usage(assessment),
        editable=can_edit(current_user, assessment),
        form=form or _form(assessment, posted=False),
        definition=definition,
        lang=lang,
        qattr=lang_attribute(lang),
    ), status


@bp.get("/assessments/<int:assessment_id>/evidence")
@login_required
def list_files(assessment_id: int):
    """The response's evidence files, and attaching one while the region may change it."""
    return _render(load_assessment(assessment_id, with_answers=False))


@bp.post("/assessments/<int:assessment_id>/evidence")
@login_required
@takes_files
def attach(assessment_id: int):
    """Attach a file to the response."""
    assessment = load_editable_assessment(assessment_id)
    form = _form(assessment)
    if form.validate_on_submit():
        upload = form.file.data
        try:
            data = upload.read()
        finally:
            upload.close()  # a large upload waits in a temporary file
        try:
            file = attach_file(
                current_user, assessment, upload.filename or "", data, form.item_id.data or None
            )
        except EvidenceError as error:
            db.session.rollback()  # nothing of the refused file stays (nor the writers' lock)
            show_at_field(form, error, "file")
        else:
            db.session.commit()
            flash(_("Attached %(name)s.", name=file.name), "success")
            return redirect(url_for(".list_files", assessment_id=assessment.id))
    return _render(assessment, form, 422)


@bp.post("/assessments/<int:assessment_id>/evidence/<int:file_id>/remove")
@login_required
def remove(assessment_id: int, file_id: int):
    """Remove a file from the response."""
    assessment = load_assessment(assessment_id, with_answers=False)
    file = find_file(assessment, file_id) or abort(404)
    try:
        remove_file(current_user, file)
    except EvidenceError:
        abort(403)
    db.session.commit()
    flash(_("Removed %(name)s.", name=file.name), "success")
    return redirect(url_for(".list_files", assessment_id=assessment.id))


#: How much of a response's zip is kept in memory before the rest goes to a temporary file.
ZIP_IN_MEMORY = 16 * 1024 * 1024
#: In the zip in place of a file whose bytes the storage folder no longer has.
MISSING_NOTE = "This file is recorded but its content could not be read: tell an administrator.\n"


def _download(data: bytes | IO[bytes], name: str, mimetype: str):
    """A download, never shown in the browser: attachment, no type sniffing, and a sandbox
    should a browser open it anyway."""
    stream = io.BytesIO(data) if isinstance(data, bytes) else data
    response = send_file(
        stream, mimetype=mimetype, as_attachment=True, download_name=name, max_age=0
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/assessments/<int:assessment_id>/evidence/<int:file_id>")
@login_required
def download(assessment_id: int, file_id: int):
    """One file, as a download."""
    assessment = load_assessment(assessment_id, with_answers=False)
    file = find_file(assessment, file_id) or abort(404)
    try:
        data = storage.read(file)
    except (LookupError, OSError):
        abort(404)  # recorded, but the storage folder no longer has it
    return _download(data, file.name, file.content_type)


@bp.get("/assessments/<int:assessment_id>/evidence.zip")
@login_required
def download_all(assessment_id: int):
    """Every file of the response in one zip (for the experts' reading), each in a folder
    named after its question."""
    assessment = load_assessment(assessment_id, with_answers=False)
    # Written to memory up to 16 MB, beyond to a temporary file, and sent from there (a
    # response may hold 200 MB); the files stored as they are: PDFs, office documents and
    # images are compressed already.
    out = tempfile.SpooledTemporaryFile(max_size=ZIP_IN_MEMORY)  # noqa: SIM115 - closed by send_file
    used: set[str] = set()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        for file in files_of(assessment):
            path = _zip_path(file, used)
            try:
                archive.writestr(path, storage.read(file))
            except (LookupError, OSError):
                archive.writestr(f"{path} (MISSING).txt", MISSING_NOTE)
    out.seek(0)
    name = f"evidence-{assessment.region.code}-{assessment.round.name}.zip"
    return _download(out, name, "application/zip")


def _zip_path(file, used: set[str]) -> str:
    """The file's path in the zip, in its question's folder, unique also when case is ignored
    (two names differing only in case are one file once unpacked on Windows or macOS)."""
    folder = file.item_id or "response"
    path, n = f"{folder}/{file.name}", 1
    while path.casefold() in used:
        n += 1
        stem, dot, extension = file.name.rpartition(".")
        path = f"{folder}/{stem} ({n}).{extension}" if dot else f"{folder}/{file.name} ({n})"
    used.add(path.casefold())
    return path
