"""Creating and moving rounds; callers commit."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from surveyapp.audit.operations import log_event
from surveyapp.auth.models import User
from surveyapp.extensions import db
from surveyapp.questionnaires.models import Questionnaire
from surveyapp.rounds.models import Round, RoundState


class RoundError(ValueError):
    """A round cannot be created or changed as asked."""


def create_round(
    name: str,
    questionnaire: Questionnaire,
    opens_on: date,
    closes_on: date,
    state: RoundState = RoundState.planned,
    actor: User | None = None,
) -> Round:
    name = name.strip()
    if not name:
        raise RoundError("the round needs a name")
    if len(name) > 100 or any(ord(char) < 32 for char in name):
        raise RoundError("the round's name must be at most 100 characters, on one line")
    if closes_on < opens_on:
        raise RoundError(f"the round closes ({closes_on}) before it opens ({opens_on})")
    if db.session.scalar(select(Round.id).filter_by(name=name)) is not None:
        raise RoundError(f"a round named {name!r} already exists")
    round_ = Round(
        name=name, questionnaire=questionnaire, opens_on=opens_on, closes_on=closes_on, state=state
    )
    db.session.add(round_)
    db.session.flush()
    log_event(
        "round.created",
        "round",
        round_.id,
        user=actor,
        new_value={"name": name, "questionnaire": questionnaire.label},
    )
    return round_


def round_for_moving(round_id: int) -> Round | None:
    """The round, locked until the commit, to open or close it.

    Closing waits for every save of an answer in flight (each holds a share of the round's row,
    FOR KEY SHARE, see assessments.operations.lock_for_writing), and a save that starts meanwhile
    waits for the close and then reads the round as closed: no answer lands after it. SQLite has
    one writer at a time, which does the same.
    """
    return db.session.get(Round, round_id, with_for_update=True, populate_existing=True)
