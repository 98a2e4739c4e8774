from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column, relationship

from surveyapp.auth.models import User
from surveyapp.db import UTCDateTime, utcnow
from surveyapp.extensions import db
from surveyapp.rounds.models import Round


class Publication(db.Model):
    """A round whose working-group report an administrator published (until withdrawn)."""

    __tablename__ = "publications"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), unique=True)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    round: Mapped[Round] = relationship()
    published_by: Mapped[User | None] = relationship()

    @property
    def live(self) -> bool:
        return self.withdrawn_at is None
