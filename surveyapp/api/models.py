"""Personal API tokens: only a hash is stored; the token itself is shown once."""

from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column, relationship

from surveyapp.auth.models import User
from surveyapp.db import CleanString, UTCDateTime, as_utc, utcnow
from surveyapp.extensions import db


class ApiToken(db.Model):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Whose rights the token carries (the same access rules as their pages).
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: A name the owner recognises, e.g. "regional dashboard script".
    name: Mapped[str] = mapped_column(CleanString(100))
    #: SHA-256 of the token, hex.
    token_hash: Mapped[str] = mapped_column(CleanString(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: After this moment the token no longer works (None: until revoked).
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Last request made with it (None: never used).
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    def is_expired(self, now: datetime) -> bool:
        """Whether the token no longer works at ``now`` (an aware datetime) for its age."""
        expires = self.expires_at
        if expires is None:
            return False
        return as_utc(expires) <= now  # SQLite: naive

    def __repr__(self) -> str:
        return f"<ApiToken {self.id} {self.name!r} user={self.user_id}>"
