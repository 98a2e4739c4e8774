"""What experts add to a submitted assessment. Officers' answers are never changed here."""

from datetime import datetime

from sqlalchemy import Float, ForeignKey, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from surveyapp.assessments.models import Assessment
from surveyapp.auth.models import User
from surveyapp.db import CleanString, CleanText, UTCDateTime, utcnow
from surveyapp.extensions import db


class ItemComment(db.Model):
    """One message in the thread about an item, by an expert or one of the region's officers."""

    __tablename__ = "item_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE"), index=True
    )
    #: The questionnaire item the thread is about.
    item_id: Mapped[str] = mapped_column(CleanString(100))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(CleanText)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Unresolved comments are what the region still has to answer.
    resolved: Mapped[bool] = mapped_column(default=False)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    assessment: Mapped[Assessment] = relationship()
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    resolved_by: Mapped[User | None] = relationship(foreign_keys=[resolved_by_id])

    def __init__(self, **kwargs):
        kwargs.setdefault("resolved", False)
        super().__init__(**kwargs)


class ModeratedScore(db.Model):
    """An expert's score for a scored item, beside the region's own (moderated benchmarks)."""

    __tablename__ = "moderated_scores"
    __table_args__ = (UniqueConstraint("assessment_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE"), index=True
    )
    item_id: Mapped[str] = mapped_column(CleanString(100))
    #: 0-100, on the same scale as the item's own score; None where the expert only decided
    #: on a "not applicable" answer (accepted: left out; rejected: counts as "Don't know").
    score: Mapped[float | None] = mapped_column(Float)
    #: The expert's decision on the region's "not applicable": "accepted" or "rejected".
    na_decision: Mapped[str | None] = mapped_column(CleanString(20))
    #: True when the expert explicitly confirmed the region's answer (moderation coverage).
    confirmed: Mapped[bool] = mapped_column(default=False, server_default=false())
    #: Why the expert's score differs from the region's (required when it does).
    rationale: Mapped[str | None] = mapped_column(CleanText)
    expert_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    expert: Mapped[User | None] = relationship()


class SectionRemark(db.Model):
    """An expert's overall remark on one section of an assessment."""

    __tablename__ = "section_remarks"
    __table_args__ = (UniqueConstraint("assessment_id", "section_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE"), index=True
    )
    section_id: Mapped[str] = mapped_column(CleanString(100))
    body: Mapped[str] = mapped_column(CleanText)
    expert_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    expert: Mapped[User | None] = relationship()


class ChangeRequest(db.Model):
    """An expert's request for changes, with the covering message the region's officers read."""

    __tablename__ = "change_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE"), index=True
    )
    expert_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: What the expert asks of the region, in their own words (shown on the assessment page
    #: and in the officers' notification).
    message: Mapped[str] = mapped_column(CleanText)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    expert: Mapped[User | None] = relationship()
