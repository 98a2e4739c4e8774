"""Creating and moving rounds; callers commit."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from surveyapp.audit.operations import log_event
from surveyapp.auth.models import User
from surveyapp.extensions import db
from surveyapp.questionnaires.models import Questionnaire
from surveyapp.regions.models import Region
from surveyapp.rounds.closing import closing_record
from surveyapp.rounds.models import Round, RoundState
from surveyapp.rounds.queries import regions_lacking_population
from surveyapp.rounds.signals import scores_release_changed


class RoundError(ValueError):
    """A round cannot be created or changed as asked."""


class ReferenceDateAfterClose(RoundError):
    """The day a round's answers describe cannot come after the round closes: its counts would
    cover months no answer could know."""


def check_reference_date(reference_date: date | None, closes_on: date) -> None:
    """:raises ReferenceDateAfterClose: ``reference_date`` is after ``closes_on``."""
    if reference_date is not None and reference_date > closes_on:
        raise ReferenceDateAfterClose(
            f"the reference date ({reference_date}) is after the round closes ({closes_on})"
        )


class PopulationsMissing(RoundError):
    """The round scores counts relative to region size and some participating regions have no
    population for its reference year or earlier; ``regions`` lists them, by code."""

    def __init__(self, round_: Round, regions: list[Region]):
        self.round = round_
        self.regions = regions
        self.year = round_.reference_day.year
        listed = ", ".join(f"{region.code} ({region.name})" for region in regions)
        super().__init__(
            f"round {round_.name!r} scores counts relative to region size, and "
            f"{len(regions)} participating region(s) have no population for {self.year} or "
            f"earlier: {listed}. Load them with 'flask regions population import FILE' "
            "(Eurostat's demo_r_d2jan file, or a CSV code,year,population with --source)."
        )


def create_round(
    name: str,
    questionnaire: Questionnaire,
    opens_on: date,
    closes_on: date,
    state: RoundState = RoundState.planned,
    actor: User | None = None,
    reference_date: date | None = None,
) -> Round:
    """Plan a round (or create it open, checked as open_round checks).

    :param reference_date: the day its answers describe; None: the day it closes.
    :raises RoundError: a bad name or dates, or (open) regions without a population.
    """
    name = name.strip()
    if not name:
        raise RoundError("the round needs a name")
    if len(name) > 100 or any(ord(char) < 32 for char in name):
        raise RoundError("the round's name must be at most 100 characters, on one line")
    if closes_on < opens_on:
        raise RoundError(f"the round closes ({closes_on}) before it opens ({opens_on})")
    check_reference_date(reference_date, closes_on)
    if db.session.scalar(select(Round.id).filter_by(name=name)) is not None:
        raise RoundError(f"a round named {name!r} already exists")
    round_ = Round(
        name=name,
        questionnaire=questionnaire,
        opens_on=opens_on,
        closes_on=closes_on,
        reference_date=reference_date,
        state=RoundState.planned,
    )
    if state == RoundState.open:
        _check_populations(round_)
        round_.open()
    else:
        round_.state = state
    db.session.add(round_)
    db.session.flush()
    log_event(
        "round.created",
        "round",
        round_.id,
        user=actor,
        new_value={
            "name": name,
            "questionnaire": questionnaire.label,
            "reference_date": round_.reference_day.isoformat(),
        },
    )
    return round_


def _check_populations(round_: Round) -> None:
    missing = regions_lacking_population(round_)
    if missing:
        raise PopulationsMissing(round_, missing)


def open_round(round_: Round, actor: User | None = None) -> bool:
    """Open a planned round for answers; False when it is open already (a second click).

    A round whose questionnaire scores counts relative to region size opens only when every
    participating region has a population for its reference year or earlier (METHOD D5a:
    never guess a population). Take the round with round_for_moving first.

    :raises PopulationsMissing: naming the regions without one.
    :raises InvalidRoundTransition: the round is closed.
    """
    if round_.state == RoundState.open:
        return False
    if round_.state == RoundState.planned:
        _check_populations(round_)
    round_.open()
    log_event("round.opened", "round", round_.id, user=actor)
    return True


def close_round(round_: Round, actor: User | None = None) -> bool:
    """Close an open round: answers can no longer change. False when it is closed already.

    Take the round with round_for_moving first.

    :raises InvalidRoundTransition: the round was never opened.
    """
    if round_.state == RoundState.closed:
        return False
    round_.close()
    # What its peer groups, size-relative targets and similar regions are built from, as it is
    # now: later imports leave the round's figures as they were when it closed (METHOD §12).
    db.session.add(closing_record(round_))
    log_event("round.closed", "round", round_.id, user=actor)
    return True


def set_scores_released(round_: Round, released: bool, actor: User | None = None) -> bool:
    """Show officers the experts' moderated scores of a round, or withhold them again; False
    when it was so already."""
    if round_.moderated_released == released:
        return False
    round_.moderated_released = released
    action = "round.scores_released" if released else "round.scores_withheld"
    log_event(action, "round", round_.id, user=actor)
    scores_release_changed.send(round_)
    return True


def set_reference_date(round_: Round, reference_date: date | None, actor: User | None = None):
    """Change the day the round's answers describe (None: the day it closes).

    :raises RoundError: once the round is closed (its scores rest on it).
    """
    if round_.state == RoundState.closed:
        raise RoundError(f"round {round_.name!r} is closed: its reference date stays")
    check_reference_date(reference_date, round_.closes_on)
    old = round_.reference_day
    round_.reference_date = reference_date
    if round_.reference_day != old:
        log_event(
            "round.reference_date_changed",
            "round",
            round_.id,
            user=actor,
            old_value=old.isoformat(),
            new_value=round_.reference_day.isoformat(),
        )


def round_for_moving(round_id: int) -> Round | None:
    """The round, locked until the commit, to open or close it.

    Closing waits for every save of an answer in flight (each holds a share of the round's row,
    FOR KEY SHARE, see assessments.operations.lock_for_writing), and a save that starts meanwhile
    waits for the close and then reads the round as closed: no answer lands after it. SQLite has
    one writer at a time, which does the same.
    """
    return db.session.get(Round, round_id, with_for_update=True, populate_existing=True)
