"""Attaching evidence files to a response and removing them; callers commit.

What a file is comes from its content (``filetype``, by the signatures in its first bytes and,
for office documents, the parts of the archive), never from its name or the browser's word:
a file whose content is not one of the accepted kinds, or whose name says another kind, is
refused. Files are only ever sent back as downloads (evidence.views), never shown inline.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass

import filetype
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from surveyapp.assessments.models import Assessment
from surveyapp.assessments.operations import NotEditable, ensure_editable, lock_for_writing
from surveyapp.assessments.permissions import can_edit
from surveyapp.audit.operations import log_event
from surveyapp.auth.models import User
from surveyapp.evidence import storage
from surveyapp.evidence.models import EvidenceFile
from surveyapp.extensions import db
from surveyapp.forms import FieldError
from surveyapp.numbers import format_file_size

#: The kinds accepted, by the extension ``filetype`` gives them: PDF, office documents
#: (Office Open XML and OpenDocument; not the old binary formats, which carry macros), images.
ACCEPTED = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation",
    "png": "image/png",
    "jpg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
}
#: Other names people give the same kinds (an animated PNG is a PNG).
SAME_KIND = {"jpeg": "jpg", "apng": "png"}
#: Office documents are zip archives: these parts are macros or scripts (Office's VBA project,
#: OpenDocument's Basic and script folders), refused whatever the file is called.
MACRO_PARTS = re.compile(r"(^|/)(vbaProject\.bin|vbaData\.xml)$|^(Basic|Scripts)/", re.I)
#: What an Office Open XML document's main part must be, by kind (macro-enabled ones differ).
OOXML_MAIN = {
    "docx": "wordprocessingml.document.main+xml",
    "xlsx": "spreadsheetml.sheet.main+xml",
    "pptx": "presentationml.presentation.main+xml",
}
NAME_MAX_LENGTH = 200


class EvidenceError(FieldError):
    """A file cannot be attached or removed; the message says why, shown at ``field``."""

    def __init__(self, message, field: str | None = "file"):
        super().__init__(message, field)


@dataclass(frozen=True)
class Usage:
    """What a response holds and may still hold, in bytes."""

    used: int
    limit: int

    @property
    def left(self) -> int:
        return max(0, self.limit - self.used)


def usage(assessment: Assessment) -> Usage:
    used = db.session.scalar(
        select(func.coalesce(func.sum(EvidenceFile.size), 0)).where(
            EvidenceFile.assessment_id == assessment.id
        )
    )
    return Usage(int(used or 0), int(current_app.config["EVIDENCE_MAX_RESPONSE_BYTES"]))


def clean_name(name: str) -> str:
    """The file's own name: folders dropped, control characters removed, spaces collapsed,
    at most NAME_MAX_LENGTH characters (keeping the extension)."""
    name = re.split(r"[\\/]", name or "")[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C")
    name = " ".join(name.split()).strip(". ")
    if len(name) > NAME_MAX_LENGTH:
        stem, dot, extension = name.rpartition(".")
        keep = NAME_MAX_LENGTH - len(extension) - 1
        name = f"{stem[:keep]}.{extension}" if dot and 0 < len(extension) < 10 else name[:200]
    return name


def kind_of(name: str, data: bytes) -> str:
    """The accepted kind of the content (an extension of ACCEPTED), checked against the name.

    :raises EvidenceError: not an accepted kind, or the name says another one.
    """
    found = filetype.guess(data)
    kind = SAME_KIND.get(found.extension, found.extension) if found else None
    if kind not in ACCEPTED:
        raise EvidenceError(
            _l(
                "This file is not a PDF, an office document (Word, Excel, PowerPoint, "
                "OpenDocument) or an image (PNG, JPEG, GIF, WebP), whatever its name says."
            )
        )
    if kind in OOXML_MAIN or kind in ("odt", "ods", "odp"):
        _check_office_archive(kind, data)
    named = name.rpartition(".")[2].lower() if "." in name else ""
    if not named:
        raise EvidenceError(
            _l(
                "The name of this file has no extension, but its content is a “.%(kind)s” "
                "file: rename it to end in “.%(kind)s”.",
                kind=kind,
            )
        )
    if SAME_KIND.get(named, named) != kind:
        raise EvidenceError(
            _l(
                "The name of this file ends in “.%(named)s” but its content is a “.%(kind)s” "
                "file: choose the right file, or rename it.",
                named=named,
                kind=kind,
            )
        )
    return kind


def _check_office_archive(kind: str, data: bytes) -> None:
    """An office document is a zip archive of parts: it must open, hold no macro or script
    part, and (Office Open XML) declare the main part of its kind, not a macro-enabled one.

    :raises EvidenceError: otherwise.
    """
    refused = EvidenceError(
        _l(
            "This office document cannot be accepted: it holds macros or scripts, or it is not "
            "a complete document. Save it without macros (as .docx, .xlsx, .pptx or "
            "OpenDocument) or as PDF."
        )
    )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            if any(MACRO_PARTS.search(part) for part in names):
                raise refused
            if kind in OOXML_MAIN:
                types = archive.read("[Content_Types].xml").decode("utf-8", "replace")
                if OOXML_MAIN[kind] not in types or "macroEnabled" in types:
                    raise refused
            elif "META-INF/manifest.xml" not in names:
                raise refused
    except (zipfile.BadZipFile, KeyError, RuntimeError, NotImplementedError) as error:
        raise refused from error


def _still_editable(assessment: Assessment, message) -> None:
    """Under the writers' lock: the response was not submitted, nor its round closed, since
    the check before it (ensure_editable reads them as the lock read them again)."""
    try:
        ensure_editable(assessment)
    except NotEditable as error:
        raise EvidenceError(message) from error


def attach_file(
    user: User, assessment: Assessment, name: str, data: bytes, item_id: str | None = None
) -> EvidenceFile:
    """Attach a file to the response (to one of its questions, or to the whole).

    :raises EvidenceError: not allowed now, too large, over the response's room, empty, or
        not an accepted kind.
    """
    if not can_edit(user, assessment):
        raise EvidenceError(
            _l("Files can be attached only while the region may change its response.")
        )
    definition = assessment.round.questionnaire.parsed
    if item_id is not None and item_id not in {item.id for item in definition.items}:
        raise EvidenceError(_l("Choose a question of this questionnaire."), "item_id")
    name = clean_name(name)
    if not name:
        raise EvidenceError(_l("Choose a file."))
    if not data:
        raise EvidenceError(_l("This file is empty."))
    largest = int(current_app.config["EVIDENCE_MAX_FILE_BYTES"])
    if len(data) > largest:
        raise EvidenceError(
            _l(
                "This file is %(size)s; a file may be at most %(largest)s.",
                size=format_file_size(len(data)),
                largest=format_file_size(largest),
            )
        )
    kind = kind_of(name, data)  # before the lock: reading the content takes a while
    # Uploads to one response one after the other, so that two cannot both take the last room.
    lock_for_writing(assessment)
    _still_editable(
        assessment, _l("Files can be attached only while the region may change its response.")
    )
    room = usage(assessment)
    if len(data) > room.left:
        raise EvidenceError(
            _l(
                "This file is %(size)s but only %(left)s is left of the %(limit)s a response "
                "may hold: remove a file first.",
                size=format_file_size(len(data)),
                left=format_file_size(room.left),
                limit=format_file_size(room.limit),
            )
        )
    file = EvidenceFile(
        assessment_id=assessment.id,
        item_id=item_id,
        name=name,
        content_type=ACCEPTED[kind],
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by_id=user.id,
    )
    db.session.add(file)
    try:
        storage.keep(file, data)
    except OSError as error:
        raise EvidenceError(
            _l("The file could not be stored, and nothing was saved. Tell an administrator.")
        ) from error
    db.session.flush()
    log_event(
        "evidence.attached",
        "evidence_file",
        file.id,
        user=user,
        assessment_id=assessment.id,
        item_id=item_id,
        new_value={"name": name, "size": len(data)},
    )
    return file


def remove_file(user: User, file: EvidenceFile) -> None:
    """Remove a file from the response (its bytes go with the next purge when kept in a
    folder).

    :raises EvidenceError: not allowed now.
    """
    refused = _l("Files can be removed only while the region may change its response.")
    if not can_edit(user, file.assessment):
        raise EvidenceError(refused)
    lock_for_writing(file.assessment)
    _still_editable(file.assessment, refused)
    log_event(
        "evidence.removed",
        "evidence_file",
        file.id,
        user=user,
        assessment_id=file.assessment_id,
        item_id=file.item_id,
        old_value={"name": file.name, "size": file.size},
    )
    db.session.delete(file)
