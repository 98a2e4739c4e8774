"""The audit trail: who changed what, when, from which value to which."""

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column, relationship

from surveyapp.auth.models import User
from surveyapp.db import CleanString, JSONType, UTCDateTime, utcnow
from surveyapp.extensions import db


class AuditEvent(db.Model):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: When it happened (UTC).
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    #: Who did it; None for the system (CLI imports, demo seed).
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: What happened, a dotted verb such as ``answer.changed`` or ``assessment.submitted``.
    action: Mapped[str] = mapped_column(CleanString(60))
    #: Kind of object changed, e.g. ``answer``, ``assessment``, ``round``.
    object_type: Mapped[str] = mapped_column(CleanString(40))
    #: Primary key of the object changed.
    object_id: Mapped[int | None]
    #: The assessment concerned, so its history is one indexed query.
    assessment_id: Mapped[int | None] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE"), index=True
    )
    #: The questionnaire item concerned, for answer events.
    item_id: Mapped[str | None] = mapped_column(CleanString(100))
    #: Value before the change (JSON), None when created.
    old_value: Mapped[Any] = mapped_column(JSONType, nullable=True)
    #: Value after the change (JSON), None when deleted.
    new_value: Mapped[Any] = mapped_column(JSONType, nullable=True)

    user: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<AuditEvent {self.action} {self.object_type}:{self.object_id}>"
