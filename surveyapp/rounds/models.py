"""Assessment rounds: the working group collects self-assessments twice a year."""

import enum
from datetime import date

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from surveyapp.db import StateEnum
from surveyapp.extensions import db
from surveyapp.questionnaires.models import Questionnaire


class RoundState(enum.StrEnum):
    planned = "planned"
    open = "open"
    closed = "closed"


class InvalidRoundTransition(ValueError):
    pass


class Round(db.Model):
    __tablename__ = "rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Name shown to users, e.g. "2025 spring".
    name: Mapped[str] = mapped_column(String(100), unique=True)
    #: The questionnaire version every assessment of the round answers.
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("questionnaires.id"))
    #: First day officers may answer.
    opens_on: Mapped[date]
    #: Last day officers may submit.
    closes_on: Mapped[date]
    #: planned -> open -> closed.
    state: Mapped[RoundState] = mapped_column(
        StateEnum(RoundState),
        default=RoundState.planned,
    )

    questionnaire: Mapped[Questionnaire] = relationship()

    def __init__(self, **kwargs):
        kwargs.setdefault("state", RoundState.planned)
        super().__init__(**kwargs)

    def open(self) -> None:
        if self.state != RoundState.planned:
            raise InvalidRoundTransition(f"round {self.name!r} is {self.state}, not planned")
        self.state = RoundState.open

    def close(self) -> None:
        if self.state != RoundState.open:
            raise InvalidRoundTransition(f"round {self.name!r} is {self.state}, not open")
        self.state = RoundState.closed

    def __repr__(self) -> str:
        return f"<Round {self.name} {self.state}>"
