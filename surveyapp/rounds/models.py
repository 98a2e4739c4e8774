"""Assessment rounds: the working group collects self-assessments twice a year."""

import enum
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import ForeignKey, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from surveyapp.db import CleanString, JSONType, StateEnum, UTCDateTime, utcnow
from surveyapp.extensions import db
from surveyapp.questionnaires.models import Questionnaire


class RoundState(enum.StrEnum):
    planned = "planned"
    open = "open"
    closed = "closed"

    @property
    def label(self) -> LazyString:
        """The state's name for people, in the reader's language (translated when shown)."""
        return _STATE_NAMES[self]


class InvalidRoundTransition(ValueError):
    pass


#: The states' names for people (translated when shown).
_STATE_NAMES = {
    RoundState.planned: _l("Planned"),
    RoundState.open: _l("Open"),
    RoundState.closed: _l("Closed"),
}


class Round(db.Model):
    __tablename__ = "rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Name shown to users, e.g. "2025 spring".
    name: Mapped[str] = mapped_column(CleanString(100), unique=True)
    #: The questionnaire version every assessment of the round answers.
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("questionnaires.id"))
    #: First day officers may answer.
    opens_on: Mapped[date]
    #: Last day officers may submit.
    closes_on: Mapped[date]
    #: The date answers describe ("in the 12 months before"): counts per period and the
    #: population that size-relative targets use are those of this date; None = ``closes_on``.
    reference_date: Mapped[date | None]
    #: planned -> open -> closed.
    state: Mapped[RoundState] = mapped_column(
        StateEnum(RoundState),
        default=RoundState.planned,
    )

    #: When it closed (None: open, planned, or closed before this was kept). The round's
    #: figures count the assessments validated by then: published figures never move when an
    #: expert validates later (METHOD §12).
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    #: Whether officers see the experts' moderated scores (experts and admins always do).
    moderated_released: Mapped[bool] = mapped_column(default=False, server_default=false())

    questionnaire: Mapped[Questionnaire] = relationship()

    @property
    def reference_day(self) -> date:
        """The day the round's answers describe."""
        return self.reference_date or self.closes_on

    def score_column_for(self, user) -> str:
        """Which score a user's benchmarks use: "moderated" where they may see it, else "self"."""
        if user.role in ("expert", "admin") or self.moderated_released:
            return "moderated"
        return "self"

    def __init__(self, **kwargs):
        kwargs.setdefault("state", RoundState.planned)
        kwargs.setdefault("moderated_released", False)
        super().__init__(**kwargs)

    def open(self) -> None:
        if self.state != RoundState.planned:
            raise InvalidRoundTransition(f"round {self.name!r} is {self.state}, not planned")
        self.state = RoundState.open

    def close(self) -> None:
        if self.state != RoundState.open:
            raise InvalidRoundTransition(f"round {self.name!r} is {self.state}, not open")
        self.state = RoundState.closed
        self.closed_at = utcnow()

    def __repr__(self) -> str:
        return f"<Round {self.name} {self.state}>"


class RoundClosingRecord(db.Model):
    """What a round's peer groups, size-relative targets and similar regions were built from when
    it closed (METHOD §12: a closed round's figures do not move).

    Built by rounds.closing, written by rounds.operations.close_round in the transaction that
    closes the round, and read by the analysis' load stage (analysis.frame) for that round's
    figures in place of the regions' data as they are now. Rounds closed before records were
    kept got theirs at the upgrade (migration a29e0001rec).
    """

    __tablename__ = "round_closing_records"

    round_id: Mapped[int] = mapped_column(
        ForeignKey("rounds.id", ondelete="CASCADE"), primary_key=True
    )
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: SHA-256 of what follows (canonical JSON): in the round's data version key.
    digest: Mapped[str] = mapped_column(CleanString(64))
    #: The Member State, category, Thematic Partnerships and NUTS level of each region with an
    #: assessment in the round, by region id.
    regions: Mapped[dict] = mapped_column(JSONType)
    #: Their populations on the reference day, [inhabitants, year, source] by region id
    #: (absent: none was stored).
    populations: Mapped[dict] = mapped_column(JSONType)
    #: The administrators' groups: name -> region ids.
    custom_groups: Mapped[dict] = mapped_column(JSONType)
    #: The NUTS-2 regions' structural figures of the reference year or earlier:
    #: [region_id, indicator, year, value, source] (regions.queries.structural_rows).
    structural: Mapped[list] = mapped_column(JSONType)
