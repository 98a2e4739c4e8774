"""The fast path: the section page's read and the autosave's write.

An officer opens section pages and saves answers many times for every other request, so these
two are the application's hot paths (targets and figures: benchmarks/bench_forms.py,
docs/performance.md). This module is the one place where their statements are tuned: each is
built once, here, with SQLAlchemy's public Core and ORM constructs (building a statement costs
about as much as running it), and returns ORM objects, an Assessment and its Answer, as the
rest of the application has them. Everything else reads and writes through the plain ORM.

- read_section_page: one statement reads the assessment with its round, questionnaire and
  region, the section's answers with their authors' names and, for answers carried forward,
  the earlier round's name and whether they are confirmed (one JSON value in the row), and the
  header's count of unread notifications.
- read_for_save: one statement reads the assessment and the answer an autosave changes.
- lock_assessment, read_answer, update_answer: the writers' lock and the statements of a save
  under it (operations.lock_for_writing and save_answer decide what to write).
- change_in_one_statement: on PostgreSQL, an autosave runs without a transaction
  (db.autocommit); one statement checks what the writers' lock would, changes the stored
  answer and writes its audit events (audit.operations.logging_insert).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, NamedTuple

from flask import current_app
from sqlalchemy import Boolean, and_, bindparam, case, exists, null, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased, contains_eager, joinedload

from surveyapp.assessments.models import Answer, Assessment, SectionAssignment, SectionPresence
from surveyapp.audit.operations import event_row, logging_insert
from surveyapp.auth.models import User, region_memberships
from surveyapp.db import as_utc, json_rows, json_value, utcnow
from surveyapp.extensions import db
from surveyapp.notifications.queries import note_unread_notifications, unread_count_of
from surveyapp.questionnaires.definition import Section
from surveyapp.rounds.models import Round, RoundState

_answers, _users, _assessments = Answer.__table__, User.__table__, Assessment.__table__
_present_table = SectionPresence.__table__
#: The earlier assessment and round a carried answer was copied from (carry forward).
_carried_from, _carried_round = (
    Assessment.__table__.alias("carried_from"),
    Round.__table__.alias("carried_round"),
)


class AnswerShown(NamedTuple):
    """An answer as the section page shows it."""

    item_id: str
    value: Any
    comment: str | None
    version: int
    updated_at: datetime
    #: The name of who changed it last.
    author: str | None
    #: Why it does not apply (with a "not applicable" answer), and its evidence.
    na_reason: str | None = None
    evidence: str | None = None
    #: Carry forward: the name of the earlier round the answer was copied from, unchanged
    #: since (None: not a copy), and whether an officer confirmed it.
    carried_from: str | None = None
    carry_confirmed: bool = False


def _answers_shown(assessment_id):
    """The answers of one section (bind parameter ``section_id``) of the assessment, with their
    author's name, as one JSON value: the page only shows them, and rows of an aggregate come
    in the assessment's row (building an Answer object for each would cost more than the read)."""
    return (
        select(
            json_rows(
                _answers.c.item_id,
                json_value(_answers.c.value),
                _answers.c.comment,
                _answers.c.version,
                _answers.c.updated_at,
                _users.c.name,
                _answers.c.na_reason,
                _answers.c.evidence,
                _carried_round.c.name,
                _answers.c.carry_confirmed_at.is_not(None),
            )
        )
        .select_from(
            _answers.outerjoin(_users, _answers.c.updated_by_id == _users.c.id)
            .outerjoin(_carried_from, _answers.c.carried_from_id == _carried_from.c.id)
            .outerjoin(_carried_round, _carried_from.c.round_id == _carried_round.c.id)
        )
        .where(
            _answers.c.assessment_id == assessment_id,
            _answers.c.section_id == bindparam("section_id"),
        )
        .scalar_subquery()
    )


_assigned = SectionAssignment.__table__


def _officer_of_the_region():
    """The user of the row is an active officer of the assessment's region (the outer
    statement's): one deactivated or moved to another region is no longer named here.

    Correlated to the outer statement's assessment explicitly: it sits two subqueries deep,
    and SQLAlchemy correlates by itself to the enclosing statement only (which would read
    "an officer of the region of any assessment")."""
    return _users.c.active.is_(True) & exists().where(
        region_memberships.c.user_id == _users.c.id,
        region_memberships.c.region_id == _assessments.c.region_id,
    ).correlate(_assessments, _users)


def _section_assignee(assessment_id):
    """Who the section (bind parameter ``section_id``) is assigned to: [[id, name]] or none."""
    return (
        select(json_rows(_users.c.id, _users.c.name))
        .select_from(_assigned.join(_users, _assigned.c.user_id == _users.c.id))
        .where(
            _assigned.c.assessment_id == assessment_id,
            _assigned.c.section_id == bindparam("section_id"),
            _officer_of_the_region(),
        )
        .scalar_subquery()
    )


def _present(assessment_id):
    """The others (not bind parameter ``user_id``) who saved in the section since bind
    parameter ``since``: [[name, seen_at], ...]."""
    return (
        select(json_rows(_users.c.name, _present_table.c.seen_at))
        .select_from(_present_table.join(_users, _present_table.c.user_id == _users.c.id))
        .where(
            _present_table.c.assessment_id == assessment_id,
            _present_table.c.section_id == bindparam("section_id"),
            _present_table.c.user_id != bindparam("user_id"),
            _present_table.c.seen_at >= bindparam("since"),
            _officer_of_the_region(),
        )
        .scalar_subquery()
    )


class Colleague(NamedTuple):
    """Another officer at work in a section: their name and when they last saved in it."""

    name: str
    seen_at: datetime


class SectionPage(NamedTuple):
    """What the section page reads: the assessment, its section's answers (JSON rows, see
    answers_shown), who the section is assigned to ((id, name) or None), and who else saved
    in it lately."""

    assessment: Assessment
    answers: list
    assignee: tuple[int, str] | None
    present: list[Colleague]


def _colleagues(rows) -> list[Colleague]:
    found = []
    for name, when in rows or []:
        seen = datetime.fromisoformat(str(when))
        found.append(Colleague(name, as_utc(seen)))
    return sorted(found, key=lambda c: c.seen_at, reverse=True)


#: What a page of an assessment shows besides its answers.
_ROUND_AND_REGION = (
    joinedload(Assessment.round).joinedload(Round.questionnaire),
    joinedload(Assessment.region),
)
_SECTION_PAGE = (
    select(
        Assessment,
        _answers_shown(Assessment.id),
        unread_count_of(bindparam("user_id")),
        _section_assignee(Assessment.id),
        _present(Assessment.id),
    )
    .options(*_ROUND_AND_REGION)
    .where(Assessment.id == bindparam("assessment_id"))
)
_SECTION_ANSWERS = select(_answers_shown(bindparam("assessment_id")))


def read_section_page(assessment_id: int, section_id: str, user: User) -> SectionPage | None:
    """The section page's reads (SectionPage) in one statement with the header's unread count
    of ``user``; None when there is no assessment."""
    params = {
        "assessment_id": assessment_id,
        "section_id": section_id,
        "user_id": user.id,
        "since": utcnow() - presence_window(),
    }
    row = db.session.execute(_SECTION_PAGE, params).first()
    if row is None:
        return None
    assessment, answers, unread, assignee, present = row
    note_unread_notifications(unread)
    return SectionPage(
        assessment, answers, tuple(assignee[0]) if assignee else None, _colleagues(present)
    )


def presence_window() -> timedelta:
    """How long after their last save an officer counts as at work in a section."""
    return timedelta(seconds=current_app.config["PRESENCE_WINDOW_SECONDS"])


_PRESENT_NOW = select(_present(Assessment.id)).where(Assessment.id == bindparam("assessment_id"))


def note_presence(assessment_id: int, section_id: str, user_id: int) -> list[Colleague]:
    """An autosave's mark that ``user_id`` is at work in the section (one upsert), and who
    else is (one read): the page learns it from the save's reply, with no polling of its own."""
    now = utcnow()
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    values = {
        "assessment_id": assessment_id,
        "section_id": section_id,
        "user_id": user_id,
        "seen_at": now,
    }
    db.session.execute(
        insert(_present_table)
        .values(**values)
        .on_conflict_do_update(
            index_elements=["assessment_id", "section_id", "user_id"], set_={"seen_at": now}
        )
    )
    params = {**values, "since": now - presence_window()}
    return _colleagues(db.session.scalar(_PRESENT_NOW, params))


def section_answers(assessment: Assessment, section: Section) -> dict[str, AnswerShown]:
    """Item id -> answer for one section's items, to show (see AnswerShown), read now."""
    params = {"assessment_id": assessment.id, "section_id": section.id}
    return answers_shown(section, db.session.scalar(_SECTION_ANSWERS, params))


def answers_shown(section: Section, rows: list) -> dict[str, AnswerShown]:
    """Item id -> answer for the section's items, of the JSON rows read (see _answers_shown)."""
    items = {item.id for item in section.items}
    shown = {}
    for row in rows:
        item_id, value, comment, version, updated_at, author, na_reason, evidence = row[:8]
        if item_id in items:
            when = datetime.fromisoformat(updated_at)
            shown[item_id] = AnswerShown(
                item_id,
                value,
                comment,
                version,
                when,
                author,
                na_reason,
                evidence,
                row[8],
                bool(row[9]),
            )
    return shown


_FOR_SAVE = (
    select(Assessment, Answer)
    .outerjoin(
        Answer,
        and_(Answer.assessment_id == Assessment.id, Answer.item_id == bindparam("item_id")),
    )
    .options(joinedload(Assessment.round).joinedload(Round.questionnaire))
    .where(Assessment.id == bindparam("assessment_id"))
)


def read_for_save(assessment_id: int, item_id: str) -> tuple[Assessment | None, Answer | None]:
    """The assessment with its round and questionnaire, and its stored answer to ``item_id``
    (None: not answered yet), in one statement: what an autosave reads before it writes."""
    row = db.session.execute(
        _FOR_SAVE, {"assessment_id": assessment_id, "item_id": item_id}
    ).first()
    return (None, None) if row is None else (row[0], row[1])


#: SQLite: a write that changes nothing, which takes the database's write lock.
_TAKE_WRITE_LOCK = (
    update(_assessments)
    .where(_assessments.c.id == bindparam("assessment_id"))
    .values(state=_assessments.c.state)
)
#: The assessment and its round read again, held until the commit (PostgreSQL: the assessment
#: FOR UPDATE, the round FOR KEY SHARE, which saves share with each other).
_LOCKED = (
    select(Assessment)
    .join(Assessment.round)
    .options(contains_eager(Assessment.round))
    .where(Assessment.id == bindparam("assessment_id"))
    .with_for_update(of=Assessment)
    .suffix_with("FOR KEY SHARE OF rounds", dialect="postgresql")
    .execution_options(populate_existing=True)
)


def lock_assessment(assessment: Assessment, postgresql: bool) -> None:
    """Take the writers' lock of the assessment (operations.lock_for_writing) and read it and
    its round again (the objects refreshed)."""
    params = {"assessment_id": assessment.id}
    if not postgresql:
        db.session.execute(_TAKE_WRITE_LOCK, params)
    db.session.scalars(_LOCKED, params).one()


_ANSWER = select(Answer).where(
    Answer.assessment_id == bindparam("assessment_id"), Answer.item_id == bindparam("item_id")
)
_ANSWER_AGAIN = _ANSWER.execution_options(populate_existing=True)


def read_answer(assessment: Assessment, item_id: str, again: bool = False) -> Answer | None:
    """The stored answer to ``item_id``; ``again``: as it is now (the object already loaded,
    refreshed)."""
    params = {"assessment_id": assessment.id, "item_id": item_id}
    return db.session.scalar(_ANSWER_AGAIN if again else _ANSWER, params)


#: The columns an answer's change writes besides its version (update_answer's and
#: change_in_one_statement's ``changes``), and ``keep_carry``: whether the answer stays the
#: carried copy it was (a change of the comment alone), else its carry-forward mark is cleared.
CHANGED_COLUMNS = ("value", "comment", "na_reason", "evidence", "updated_by_id", "updated_at")
KEEP_CARRY = "keep_carry"
#: The carry-forward columns, kept or cleared by a change (KEEP_CARRY).
CARRY_COLUMNS = ("carried_from_id", "carried_at", "carry_confirmed_at")


def _new_values() -> dict[str, Any]:
    """An answer's changed columns, from bind parameters ``new_<column>``, its version counted;
    the carry-forward columns kept as stored, or cleared (``new_keep_carry``), in the statement,
    so that an officer's confirmation meanwhile is never written back over."""
    values: dict[str, Any] = {
        name: bindparam(f"new_{name}", type_=_answers.c[name].type) for name in CHANGED_COLUMNS
    }
    keep = bindparam(f"new_{KEEP_CARRY}", type_=Boolean())
    for name in CARRY_COLUMNS:
        values[name] = case((keep, _answers.c[name]), else_=null())
    values["version"] = _answers.c.version + 1
    return values


_UPDATE_ANSWER = (
    update(Answer)
    .where(Answer.id == bindparam("answer_id"), Answer.version == bindparam("old_version"))
    .values(_new_values())
    .returning(Answer)
    .execution_options(synchronize_session=False, populate_existing=True)
)


def update_answer(answer: Answer, changes: dict[str, Any]) -> bool:
    """Change a stored answer if its stored version is still the object's (the object is
    refreshed from the row written); False, and nothing changed, when it is not.

    :param changes: the new values of CHANGED_COLUMNS, and KEEP_CARRY.
    """
    params = {f"new_{name}": value for name, value in changes.items()}
    params.update(answer_id=answer.id, old_version=answer.version)
    return db.session.scalar(_UPDATE_ANSWER, params) is not None


def change_in_one_statement(
    assessment: Assessment,
    answer: Answer,
    changes: dict[str, Any],
    events: list[tuple[str, Any, Any]],
) -> bool:
    """Change a stored answer and write its audit events by one statement that checks what the
    writers' lock would (operations.lock_for_writing) and commits by itself; False, and nothing
    changed, when the assessment is not editable or the answer's version moved since it was
    read. ``answer`` is refreshed from the row written.

    For requests without a transaction (autosaves on PostgreSQL): four round trips to the
    server fewer than the lock. The statement holds the assessment FOR SHARE while it runs:
    submits and reviews, which take it FOR UPDATE, wait for it or it for them, and then it sees
    their state; so does closing the round (its row is held FOR KEY SHARE, as the lock does).
    The UPDATE checks the version read: a concurrent change of the answer, waited for on its
    row, leaves nothing to update. (Inside a transaction the FOR SHARE would be held until the
    commit, and two such transactions taking the lock next would deadlock.)

    :param changes: the new values of CHANGED_COLUMNS, and KEEP_CARRY.
    :param events: the audit events of the change: (action, old value, new value).
    """
    params = {
        "assessment": assessment.id,
        "answer": answer.id,
        "old_version": answer.version,
        "item": answer.item_id,
        **{f"new_{name}": value for name, value in changes.items()},
    }
    for index, (_action, old_value, new_value) in enumerate(events):
        params[f"event_old_{index}"] = old_value
        params[f"event_new_{index}"] = new_value
    statement = _change_statement(tuple(action for action, _old, _new in events))
    return db.session.execute(statement, params).scalar() is not None


@lru_cache(maxsize=4)
def _change_statement(actions: tuple[str, ...]):
    """The statement of change_in_one_statement, writing one audit event per action (built
    once for each combination): the answer's UPDATE and the events' INSERT in CTEs (PostgreSQL
    runs each data-changing CTE once), the answer as written selected back."""
    assessments, rounds = _assessments, Round.__table__
    editable = (
        select(assessments.c.id)
        .join(rounds, rounds.c.id == assessments.c.round_id)
        .where(
            assessments.c.id == bindparam("assessment"),
            assessments.c.state.in_(Assessment.EDITABLE_BY_REGION),
            rounds.c.state == RoundState.open,
        )
        .with_for_update(read=True, of=assessments)
        .suffix_with("FOR KEY SHARE OF rounds", dialect="postgresql")
        .cte("editable")
    )
    changed = (
        update(_answers)
        .where(
            _answers.c.id == bindparam("answer"),
            _answers.c.version == bindparam("old_version"),
            exists(select(editable.c.id)),
        )
        .values(_new_values())
        .returning(*_answers.c)
        .cte("changed")
    )
    events = _answers_events(changed, actions)
    logged = logging_insert(events).cte("logged")
    return (
        select(aliased(Answer, changed)).add_cte(logged).execution_options(populate_existing=True)
    )


def _answers_events(changed, actions: tuple[str, ...]) -> list[dict[str, Any]]:
    """The audit events' rows of the answer ``changed``, one per action (their values bind
    parameters of change_in_one_statement)."""
    return [
        event_row(
            action,
            "answer",
            changed.c.id,
            user_id=bindparam("new_updated_by_id"),
            assessment_id=bindparam("assessment"),
            item_id=bindparam("item"),
            old_value=bindparam(f"event_old_{index}"),
            new_value=bindparam(f"event_new_{index}"),
            created_at=bindparam("new_updated_at"),
        )
        for index, action in enumerate(actions)
    ]
