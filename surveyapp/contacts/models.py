"""Requests between regions to be put in touch (the working group's third aim: co-develop
solutions). A request names its target region only to the system: the asking region sees who
it is once the target accepts (contacts.queries)."""

import enum
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column, relationship

from surveyapp.auth.models import User
from surveyapp.db import CleanText, JSONType, StateEnum, UTCDateTime, utcnow
from surveyapp.extensions import db
from surveyapp.regions.models import Region
from surveyapp.rounds.models import Round


class ContactState(enum.StrEnum):
    pending = "pending"
    accepted = "accepted"
    declined = "declined"
    withdrawn = "withdrawn"

    @property
    def label(self) -> LazyString:
        """The state's name for people, in the reader's language (translated when shown)."""
        return _STATE_NAMES[self]


class ContactOrigin(enum.StrEnum):
    #: A partner suggestion of the region's dashboard (its reasons kept with the request).
    suggestion = "suggestion"
    #: A good practice of the library.
    practice = "practice"


class ContactRequest(db.Model):
    """One region asking another to be put in touch."""

    __tablename__ = "contact_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The round whose suggestions (or practice) the request came from.
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    from_region_id: Mapped[int] = mapped_column(
        ForeignKey("regions.id", ondelete="CASCADE"), index=True
    )
    to_region_id: Mapped[int] = mapped_column(
        ForeignKey("regions.id", ondelete="CASCADE"), index=True
    )
    origin: Mapped[ContactOrigin] = mapped_column(StateEnum(ContactOrigin))
    practice_id: Mapped[int | None] = mapped_column(
        ForeignKey("good_practices.id", ondelete="SET NULL")
    )
    #: Why, as the suggestion gave it when asked: shared areas, and the dimensions where each
    #: side is stronger ({"shared": [...], "from_strengths": [...], "to_strengths": [...]}).
    reasons: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    #: The asking officer's own words, if any.
    message: Mapped[str | None] = mapped_column(CleanText)
    state: Mapped[ContactState] = mapped_column(
        StateEnum(ContactState), default=ContactState.pending
    )
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Who accepted or declined (an officer of the target region), or withdrew, and when.
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    round: Mapped[Round] = relationship()
    from_region: Mapped[Region] = relationship(foreign_keys=[from_region_id])
    to_region: Mapped[Region] = relationship(foreign_keys=[to_region_id])
    requested_by: Mapped[User | None] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    def __repr__(self) -> str:
        return f"<ContactRequest {self.id} {self.state}>"


_STATE_NAMES = {
    ContactState.pending: _l("Waiting for an answer"),
    ContactState.accepted: _l("Accepted"),
    ContactState.declined: _l("Declined"),
    ContactState.withdrawn: _l("Withdrawn"),
}
