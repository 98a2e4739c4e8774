import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column, relationship

from surveyapp.auth.models import User
from surveyapp.challenges.models import ChallengeCategory
from surveyapp.db import CleanString, CleanText, JSONType, StateEnum, UTCDateTime, utcnow
from surveyapp.extensions import db
from surveyapp.regions.models import Region
from surveyapp.rounds.models import Round


class ActionStatus(enum.StrEnum):
    planned = "planned"
    in_progress = "in_progress"
    done = "done"
    dropped = "dropped"

    @property
    def label(self) -> LazyString:
        """The status's name for people, in the reader's language (translated when shown)."""
        return _STATUS_NAMES[self]


class Action(db.Model):
    """One action of a region's plan, agreed between its officers and the experts."""

    __tablename__ = "actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id", ondelete="CASCADE"), index=True)
    #: What the region will do.
    title: Mapped[str] = mapped_column(CleanString(300))
    #: The solution it applies (often one seen in another region or the library).
    solution: Mapped[str | None] = mapped_column(CleanText)
    #: What it answers: a challenge category, a critical aspect and/or a dimension id.
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("challenge_categories.id", ondelete="SET NULL")
    )
    aspect: Mapped[str | None] = mapped_column(CleanString(100))
    dimension: Mapped[str | None] = mapped_column(CleanString(100))
    #: NUTS codes of the partner regions involved.
    partners: Mapped[list[str]] = mapped_column(JSONType, default=list)
    #: Who is responsible (a person or body, as text).
    owner: Mapped[str | None] = mapped_column(CleanString(200))
    target_round_id: Mapped[int | None] = mapped_column(
        ForeignKey("rounds.id", ondelete="SET NULL")
    )
    status: Mapped[ActionStatus] = mapped_column(
        StateEnum(ActionStatus), default=ActionStatus.planned
    )
    #: The latest evidence of progress (links, short text).
    evidence: Mapped[str | None] = mapped_column(CleanText)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    region: Mapped[Region] = relationship()
    category: Mapped[ChallengeCategory | None] = relationship()
    target_round: Mapped[Round | None] = relationship()
    updates: Mapped[list["ActionUpdate"]] = relationship(
        back_populates="action", cascade="all, delete-orphan", order_by="ActionUpdate.id"
    )

    def __init__(self, **kwargs):
        kwargs.setdefault("status", ActionStatus.planned)
        kwargs.setdefault("partners", [])
        super().__init__(**kwargs)


#: The statuss' names for people (translated when shown).
_STATUS_NAMES = {
    ActionStatus.planned: _l("Planned"),
    ActionStatus.in_progress: _l("In progress"),
    ActionStatus.done: _l("Done"),
    ActionStatus.dropped: _l("Dropped"),
}


class ActionUpdate(db.Model):
    """The status and evidence of an action as reported in a round (its monitoring history)."""

    __tablename__ = "action_updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("actions.id", ondelete="CASCADE"), index=True)
    round_id: Mapped[int | None] = mapped_column(ForeignKey("rounds.id", ondelete="SET NULL"))
    status: Mapped[ActionStatus] = mapped_column(StateEnum(ActionStatus))
    evidence: Mapped[str | None] = mapped_column(CleanText)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    action: Mapped[Action] = relationship(back_populates="updates")
    round: Mapped[Round | None] = relationship()
    user: Mapped[User | None] = relationship()
