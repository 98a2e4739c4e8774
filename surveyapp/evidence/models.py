"""Evidence files of a response and, when the database keeps them, their bytes."""

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, LargeBinary
from sqlalchemy.orm import Mapped, mapped_column, relationship

from surveyapp.assessments.models import Assessment
from surveyapp.auth.models import User
from surveyapp.db import CleanString, UTCDateTime, utcnow
from surveyapp.extensions import db


class EvidenceFile(db.Model):
    """A file attached to a response: what it is, never what it says (that is the bytes')."""

    __tablename__ = "evidence_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE"), index=True
    )
    #: The question it supports; None: the response as a whole.
    item_id: Mapped[str | None] = mapped_column(CleanString(100))
    #: The name as uploaded (folders dropped), shown and used for downloads.
    name: Mapped[str] = mapped_column(CleanString(255))
    #: The type found in the content (never the name's or the browser's).
    content_type: Mapped[str] = mapped_column(CleanString(120))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(CleanString(64))
    #: Where the bytes are: "database" (evidence_contents) or "folder" (EVIDENCE_FOLDER).
    storage: Mapped[str] = mapped_column(CleanString(10))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    assessment: Mapped[Assessment] = relationship()
    uploaded_by: Mapped[User | None] = relationship()


class EvidenceContent(db.Model):
    """The bytes of a file kept in the database (the default storage)."""

    __tablename__ = "evidence_contents"

    file_id: Mapped[int] = mapped_column(
        ForeignKey("evidence_files.id", ondelete="CASCADE"), primary_key=True
    )
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
