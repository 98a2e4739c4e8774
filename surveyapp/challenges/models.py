from datetime import datetime

from sqlalchemy import ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from surveyapp.assessments.models import Assessment
from surveyapp.db import CleanString, CleanText, UTCDateTime, utcnow
from surveyapp.extensions import db


class ChallengeCategory(db.Model):
    """One category of the shared taxonomy: the kinds of challenge the questionnaire asks about
    (administrators retire, restore and add categories; see README, "Challenge taxonomy")."""

    __tablename__ = "challenge_categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The kind of challenge of the questionnaire this category is: the value of the option
    #: regions choose in a challenge item (``gp_challenge_categories``). None for a category
    #: the working group added that the questionnaire does not ask about.
    code: Mapped[str | None] = mapped_column(CleanString(40), unique=True)
    name: Mapped[str] = mapped_column(CleanString(100), unique=True)
    description: Mapped[str | None] = mapped_column(CleanText)
    #: Retired categories keep their tags but are not offered any more.
    active: Mapped[bool] = mapped_column(default=True)

    def __init__(self, **kwargs):
        kwargs.setdefault("active", True)
        super().__init__(**kwargs)


class ChallengeTag(db.Model):
    """An expert's reading of a challenge answer: this category, about this critical aspect."""

    __tablename__ = "challenge_tags"
    __table_args__ = (UniqueConstraint("assessment_id", "item_id", "category_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE"), index=True
    )
    item_id: Mapped[str] = mapped_column(CleanString(100))
    category_id: Mapped[int] = mapped_column(
        ForeignKey("challenge_categories.id", ondelete="CASCADE"), index=True
    )
    #: The critical aspect the challenge concerns, if any (an aspect id of the questionnaire).
    aspect: Mapped[str | None] = mapped_column(CleanString(100))
    expert_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    assessment: Mapped[Assessment] = relationship()
    category: Mapped[ChallengeCategory] = relationship()
