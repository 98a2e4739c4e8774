"""Where evidence files' bytes are kept: in the database (the default) or in a folder.

EVIDENCE_FOLDER set: each file is written under the folder by the SHA-256 of its content, so
the same document attached twice is kept once. Bytes are written before the transaction that
records them commits and never deleted when a file is removed: ``flask privacy purge`` removes
what no recorded file refers to any longer (so a rolled-back upload or removal loses nothing).
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from surveyapp.evidence.models import EvidenceContent, EvidenceFile
from surveyapp.extensions import db

DATABASE, FOLDER = "database", "folder"


def _folder() -> Path | None:
    folder = current_app.config.get("EVIDENCE_FOLDER")
    return Path(folder) if folder else None


def _path(folder: Path, sha256: str) -> Path:
    return folder / sha256[:2] / sha256


def keep(file: EvidenceFile, data: bytes) -> None:
    """Keep the bytes of a file being recorded (its row added, not yet flushed)."""
    folder = _folder()
    if folder is None:
        file.storage = DATABASE
        db.session.flush()  # the file's id
        db.session.add(EvidenceContent(file_id=file.id, data=data))
        return
    file.storage = FOLDER
    path = _path(folder, file.sha256)
    if path.exists():
        # Attached again: young again, so that a purge running before this upload commits
        # does not take the bytes it is about to refer to (purge_unreferenced).
        os.utime(path)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written whole under another name, then renamed: a reader never sees half a file.
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def read(file: EvidenceFile) -> bytes:
    """The file's bytes."""
    if file.storage == FOLDER:
        folder = _folder()
        if folder is None:
            raise LookupError("EVIDENCE_FOLDER is not set, but this file was kept in a folder")
        return _path(folder, file.sha256).read_bytes()
    data = db.session.scalar(select(EvidenceContent.data).where(EvidenceContent.file_id == file.id))
    if data is None:
        raise LookupError(f"evidence file {file.id} has no content")
    return data


#: Bytes younger than this are never purged: their upload's transaction may not have
#: committed yet (a day: nothing holds a transaction open that long).
PURGE_AFTER_SECONDS = 24 * 3600


def purge_unreferenced(now: float | None = None) -> int:
    """Remove from EVIDENCE_FOLDER the bytes no recorded file refers to (older than a day);
    returns how many."""
    folder = _folder()
    if folder is None or not folder.is_dir():
        return 0
    referenced = set(
        db.session.scalars(select(EvidenceFile.sha256).where(EvidenceFile.storage == FOLDER))
    )
    cutoff = (time.time() if now is None else now) - PURGE_AFTER_SECONDS
    removed = 0
    for path in folder.glob("??/*"):
        try:
            if path.name in referenced or path.stat().st_mtime > cutoff:
                continue
        except FileNotFoundError:
            continue
        path.unlink(missing_ok=True)
        removed += 1
    return removed
