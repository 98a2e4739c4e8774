from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column, relationship

from surveyapp.assessments.models import Assessment
from surveyapp.db import CleanString, JSONType, UTCDateTime, utcnow
from surveyapp.extensions import db


class Notification(db.Model):
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Who is told.
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: What happened: a key of notifications.operations.KINDS.
    kind: Mapped[str] = mapped_column(CleanString(50))
    assessment_id: Mapped[int | None] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE")
    )
    #: The item concerned (comments), if any.
    item_id: Mapped[str | None] = mapped_column(CleanString(100))
    #: Who did it (name kept as text: the message must still read well if the user goes).
    actor_name: Mapped[str | None] = mapped_column(CleanString(200))
    #: Whose name ``actor_name`` is (an erased account's notifications get its pseudonym).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    extra: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When email took care of it (sent at once, in a digest, or not wanted); None: not yet.
    mailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    assessment: Mapped[Assessment | None] = relationship()
