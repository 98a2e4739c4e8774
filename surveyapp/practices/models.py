from datetime import datetime

from sqlalchemy import ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from surveyapp.assessments.models import Assessment
from surveyapp.auth.models import User
from surveyapp.db import CleanString, CleanText, JSONType, UTCDateTime, utcnow
from surveyapp.extensions import db


class GoodPractice(db.Model):
    """A practice an expert found in a region's answer and wrote up for the other regions."""

    __tablename__ = "good_practices"
    #: One practice per answer: marking it again opens the existing entry.
    __table_args__ = (UniqueConstraint("assessment_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE"), index=True
    )
    #: The answer it comes from (a text item), if any.
    item_id: Mapped[str | None] = mapped_column(CleanString(100))
    title: Mapped[str] = mapped_column(CleanString(200))
    #: The expert's summary (starts as the region's own words).
    summary: Mapped[str] = mapped_column(CleanText)
    #: Critical-aspect and dimension ids of the questionnaire it relates to.
    aspects: Mapped[list[str]] = mapped_column(JSONType, default=list)
    dimensions: Mapped[list[str]] = mapped_column(JSONType, default=list)
    #: Free keywords, lower case.
    tags: Mapped[list[str]] = mapped_column(JSONType, default=list)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    assessment: Mapped[Assessment] = relationship()
    created_by: Mapped[User | None] = relationship()

    @property
    def region_named(self) -> bool:
        """The region agreed to be named (its consent on the assessment)."""
        return bool(self.assessment.consent_named)
