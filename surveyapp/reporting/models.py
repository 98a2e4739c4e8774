from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary
from sqlalchemy.orm import Mapped, deferred, mapped_column

from surveyapp.db import CleanString, UTCDateTime, utcnow
from surveyapp.extensions import db


class RenderedReport(db.Model):
    """A rendered PDF, kept in the database so that every app server can serve it.

    ``key`` hashes the report's input data, its template files and the code version: the same
    key means the same PDF, and any change of the underlying data gives a new key.
    """

    __tablename__ = "rendered_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(CleanString(64), unique=True)
    report: Mapped[str] = mapped_column(CleanString(50))
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id", ondelete="CASCADE"))
    lang: Mapped[str] = mapped_column(CleanString(10))
    #: Which score the report shows ("self" or "moderated"): officers may not see moderated ones.
    score: Mapped[str] = mapped_column(CleanString(10))
    #: "officer" for an officer's region report (earlier rounds' moderated scores only where
    #: released), else "": an older version is only ever offered to the same audience.
    audience: Mapped[str] = mapped_column(CleanString(10), default="", server_default="")
    size: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Last: a value stored after it would be reached only through the file's chain of
    #: overflow pages on SQLite (migration a28e0001long).
    pdf: Mapped[bytes] = deferred(mapped_column(LargeBinary))
