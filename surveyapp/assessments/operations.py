"""Starting assessments, saving answers, submitting; callers commit."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import bindparam, exists, insert, literal, or_, select, union_all, update
from sqlalchemy.orm.attributes import set_committed_value

from surveyapp.assessments.models import Answer, Assessment, AssessmentState
from surveyapp.assessments.queries import answer_map, answer_values
from surveyapp.assessments.signals import assessment_submitted, consent_withdrawn
from surveyapp.audit.models import AuditEvent
from surveyapp.audit.operations import log_event
from surveyapp.auth.models import User
from surveyapp.db import in_autocommit, leave_autocommit, utcnow
from surveyapp.extensions import db
from surveyapp.questionnaires.definition import Definition, Item
from surveyapp.questionnaires.types import NOT_APPLICABLE, AnswerError, too_long
from surveyapp.regions.models import Region
from surveyapp.rounds.models import Round, RoundState


class StaleAnswer(ValueError):
    """The answer changed since the writer loaded it; carries the newer answer (or None)."""

    def __init__(self, item_id: str, current: Answer | None):
        self.item_id = item_id
        self.current = current
        super().__init__(f"answer {item_id} changed since it was loaded")


class AnswerFieldError(AnswerError):
    """An answer's reason or evidence that cannot be kept; ``field`` names which
    ("na_reason" or "evidence"), so that the message is shown at that input."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


#: Longest reason for "not applicable" and evidence reference (one line each).
NA_REASON_MAX_LENGTH = 500
EVIDENCE_MAX_LENGTH = 1000

#: save_answer's ``na_reason``/``evidence`` when the caller leaves the stored one as it is.
KEEP = object()


def one_line(text: str | None) -> str:
    """Text as a one-line input keeps it: NUL dropped, runs of blanks and line breaks one
    space, no blanks at either end."""
    return " ".join((text or "").replace("\x00", "").split())


def asks_reason(item: Item) -> bool:
    """Whether a "not applicable" answer to the item needs a reason (format 2: the item names
    what to explain in ``na_reason``)."""
    return bool(item.allow_na and item.na_reason)


def asks_evidence(item: Item, value: Any) -> bool:
    """Whether the answer asks for evidence (levels 3-5 of a scored scale, a scored "yes")."""
    return value is not None and item.asks_evidence(value)


def can_ask_evidence(item: Item) -> bool:
    """Whether some answer to the item asks for evidence (its page shows an evidence input)."""
    return any(
        asks_evidence(item, value) for value in item.question_type.possible_answers(item) or ()
    )


def _new_extras(item: Item, value: Any, answer: Answer | None, na_reason, evidence):
    """The reason and evidence a save stores, checked (KEEP: as stored). A reason is kept
    only with a "not applicable" answer; evidence is kept as given (optional at save).

    :raises AnswerFieldError: a missing reason, or text over its length.
    """
    if na_reason is KEEP:
        reason = answer.na_reason if answer else None
    else:
        reason = one_line(na_reason) or None
    if value != NOT_APPLICABLE:
        reason = None
    elif asks_reason(item) and not reason:
        raise AnswerFieldError("na_reason", _("Say why this does not apply to your region."))
    if reason and len(reason) > NA_REASON_MAX_LENGTH:
        raise AnswerFieldError("na_reason", too_long(NA_REASON_MAX_LENGTH, len(reason)))
    kept = one_line(evidence) or None if evidence is not KEEP else answer and answer.evidence
    if kept and len(kept) > EVIDENCE_MAX_LENGTH:
        raise AnswerFieldError("evidence", too_long(EVIDENCE_MAX_LENGTH, len(kept)))
    return reason, kept


def event_value(value: Any, na_reason: str | None, evidence: str | None) -> Any:
    """An answer as its answer.changed audit event holds it: the value alone, or, with a
    reason or evidence, {"value", "na_reason", "evidence"} (see answer_of_event)."""
    if na_reason is None and evidence is None:
        return value
    return {"value": value, "na_reason": na_reason, "evidence": evidence}


def answer_of_event(stored: Any) -> tuple[Any, str | None, str | None]:
    """(value, na_reason, evidence) of an answer.changed event's old or new value."""
    if isinstance(stored, dict) and "value" in stored:
        return stored["value"], stored.get("na_reason"), stored.get("evidence")
    return stored, None, None


class NotEditable(ValueError):
    """The assessment is not open for changes by its region (submitted, or round closed)."""


class Incomplete(ValueError):
    """Required answers are missing; ``items`` lists them."""

    def __init__(self, items: list[Item]):
        self.items = items
        super().__init__(f"{len(items)} required answers are missing")


class EvidenceNotConfirmed(ValueError):
    """Scored answers that ask for evidence have none, and the officer has not confirmed
    submitting without it; ``items`` lists them."""

    def __init__(self, items: list[Item]):
        self.items = items
        super().__init__(f"{len(items)} answers have no evidence")


def get_or_start_assessment(region: Region, round_: Round) -> Assessment:
    assessment = db.session.scalar(select(Assessment).filter_by(region=region, round=round_))
    if assessment is None:
        assessment = Assessment(region=region, round=round_)
        db.session.add(assessment)
        db.session.flush()
        log_event("assessment.started", "assessment", assessment.id, assessment_id=assessment.id)
    return assessment


def visible_items(definition: Definition, values: dict[str, Any]) -> list[Item]:
    """Items whose show_if holds; a hidden item's stale answer is ignored everywhere."""
    return [item for item in definition.items if item.is_visible(values)]


def needs_answer(definition: Definition, item: Item) -> bool:
    """Whether the item must be answered (when visible) before submitting: a required item,
    and in format 2 every scored item ("don't know" is an answer)."""
    return item.required or (definition.format >= 2 and item.is_scored)


@dataclass(frozen=True)
class SubmitCheck:
    """What stands between an assessment and its submission.

    Format 1: required items unanswered. Format 2 (METHOD D7) also every visible scored item:
    an answer, "don't know", or "not applicable" with its reason. Items are in questionnaire
    order.
    """

    #: Visible items that need an answer and have none (blocking).
    unanswered: tuple[Item, ...] = ()
    #: "Not applicable" without the reason the item asks for (blocking).
    without_reason: tuple[Item, ...] = ()
    #: Scored answers that ask for evidence (levels 3-5, a scored "yes") and have none: a
    #: warning the officer confirms, never a block (format 2).
    without_evidence: tuple[Item, ...] = ()

    @property
    def is_blocked(self) -> bool:
        return bool(self.unanswered or self.without_reason)


def submit_check(assessment: Assessment) -> SubmitCheck:
    """Check the assessment's stored answers against the submit rules of its questionnaire."""
    definition = assessment.round.questionnaire.parsed
    answers = answer_map(assessment)
    values = {item_id: answer.value for item_id, answer in answers.items()}
    method_2 = definition.format >= 2
    unanswered, without_reason, without_evidence = [], [], []
    for item in visible_items(definition, values):
        value = values.get(item.id)
        if item.question_type.is_empty(value):
            if needs_answer(definition, item):
                unanswered.append(item)
            continue
        if not method_2:
            continue
        answer = answers[item.id]
        if value == NOT_APPLICABLE and asks_reason(item) and not answer.na_reason:
            without_reason.append(item)
        elif item.is_scored and asks_evidence(item, value) and not answer.evidence:
            without_evidence.append(item)
    return SubmitCheck(tuple(unanswered), tuple(without_reason), tuple(without_evidence))


def missing_required(assessment: Assessment, check: SubmitCheck | None = None) -> list[Item]:
    """The items that block the submission (see SubmitCheck), in questionnaire order."""
    check = submit_check(assessment) if check is None else check
    blocking = {item.id for item in (*check.unanswered, *check.without_reason)}
    definition = assessment.round.questionnaire.parsed
    return [item for item in definition.items if item.id in blocking]


@dataclass
class SectionProgress:
    section_id: str
    answered: int
    required: int
    required_answered: int
    total: int


def progress(assessment: Assessment) -> list[SectionProgress]:
    """Answered and required items per section, counting visible items only."""
    definition = assessment.round.questionnaire.parsed
    values = answer_values(assessment)
    visible = {item.id for item in visible_items(definition, values)}
    needed = {item.id for item in definition.items if needs_answer(definition, item)}
    result = []
    for section in definition.sections:
        items = [item for item in section.items if item.id in visible]
        answered = [i for i in items if not i.question_type.is_empty(values.get(i.id))]
        result.append(
            SectionProgress(
                section_id=section.id,
                answered=len(answered),
                required=sum(i.id in needed for i in items),
                required_answered=sum(i.id in needed for i in answered),
                total=len(items),
            )
        )
    return result


# The statements of every answer saved, built once (building one costs about as much as
# running it).
_ROUND_STATE = select(Round.state).where(Round.id == Assessment.round_id).scalar_subquery()
# The round's row is shared (FOR KEY SHARE): saves do not wait for each other on it, but a close
# (FOR UPDATE, rounds.operations.round_for_moving) waits for them, and they for it; a save that
# waited reads the round as the close left it (PostgreSQL reads a row it had to wait for anew).
_LOCK_ROW = (
    select(Assessment.state, Round.state)
    .join(Round, Round.id == Assessment.round_id)
    .where(Assessment.id == bindparam("assessment_id"))
    .with_for_update(of=Assessment)
    .suffix_with("FOR KEY SHARE OF rounds", dialect="postgresql")
)
_LOCK_DATABASE = (
    update(Assessment.__table__)
    .where(Assessment.id == bindparam("assessment_id"))
    .values(state=Assessment.state)
    .returning(Assessment.state, _ROUND_STATE)
)
_ANSWER = select(Answer).where(
    Answer.assessment_id == bindparam("assessment_id"), Answer.item_id == bindparam("item_id")
)
_ANSWER_AGAIN = _ANSWER.execution_options(populate_existing=True)


def _read_again(assessment: Assessment, item_id: str) -> Answer | None:
    """The stored answer as it is now (the object already loaded, refreshed)."""
    return db.session.scalar(_ANSWER_AGAIN, {"assessment_id": assessment.id, "item_id": item_id})


def lock_for_writing(assessment: Assessment) -> None:
    """Hold the assessment until the commit, so that an answer cannot land after a concurrent
    submit, and re-read its state and its round's.

    Every writer of an assessment's answers takes this first, so writers of one assessment run
    one after the other: the version an answer is checked against cannot change before the
    commit. PostgreSQL: the row, FOR UPDATE. SQLite locks the whole database for a writer, but
    only at its first write (its reads before run outside any transaction): a no-op write takes
    the lock first, so the state it returns is the latest and no other writer can change it.
    The round is held too, so that it cannot close before the commit (PostgreSQL: its row, FOR
    KEY SHARE, which saves share with each other).
    """
    if holds_lock(assessment):
        return  # taken earlier in this transaction
    statement = _LOCK_ROW if _postgresql() else _LOCK_DATABASE
    state, round_state = db.session.execute(statement, {"assessment_id": assessment.id}).one()
    set_committed_value(assessment, "state", AssessmentState(state))
    set_committed_value(assessment.round, "state", RoundState(round_state))
    remember_lock(assessment)


_LOCKS = "surveyapp.locked_assessments"


def remember_lock(assessment: Assessment) -> None:
    """Note that this transaction holds the assessment's lock (and read its state since)."""
    db.session.info.setdefault(_LOCKS, {})[assessment.id] = db.session().get_transaction()


def holds_lock(assessment: Assessment) -> bool:
    transaction = db.session().get_transaction()
    return transaction is not None and (
        db.session.info.get(_LOCKS, {}).get(assessment.id) is transaction
    )


def ensure_editable(assessment: Assessment) -> None:
    if not assessment.is_editable_by_region:
        raise NotEditable("this assessment has been submitted and can no longer be changed")
    if assessment.round.state != RoundState.open:
        raise NotEditable("the round is not open for answers")


#: save_answer's ``stored`` when the caller has not read the answer.
UNREAD = object()


def save_answer(
    assessment: Assessment,
    item_id: str,
    value: Any,
    user: User | None,
    expected_version: int | None = None,
    comment: str | None = None,
    keep_comment: bool = True,
    stored: Answer | object | None = UNREAD,
    na_reason: str | object | None = KEEP,
    evidence: str | object | None = KEEP,
) -> Answer:
    """Validate and store one answer (and its comment, reason and evidence), with audit events.

    A cleared answer keeps its row (value None), so its version keeps counting and a writer
    holding an older version is still refused.
    :param expected_version: the version the writer loaded (0: there was no answer); a different
        stored version raises StaleAnswer instead of overwriting someone else's change.
    :param keep_comment: leave the stored comment as it is (``comment`` is ignored).
    :param stored: the answer as the caller read it just before, with the assessment
        (permissions.load_assessment_and_answer; None: not answered), instead of reading it here.
    :param na_reason: why the item does not apply (KEEP: as stored); required with a "not
        applicable" answer where the item asks for it (format 2), dropped with any other answer.
    :param evidence: a document link or reference (KEEP: as stored); optional.
    :raises AnswerError: the value is not valid for the item (message for the field);
        AnswerFieldError for the reason or the evidence (``field`` says which).
    :raises NotEditable: the region may not change the assessment now.
    """
    item = assessment.round.questionnaire.parsed.item(item_id)
    question_type = item.question_type
    clean = None if question_type.is_empty(value) else question_type.clean(item, value)
    # NUL cannot be typed, only pasted from binary data, and PostgreSQL text refuses it.
    typed = (comment or "").replace("\x00", "").strip()
    # Read before the lock when it is not held yet (on SQLite outside any transaction), so that
    # the lock is held for the writes only. What was read is checked under the lock: a change
    # is written only if the version is still the one read (else everything is read again).
    read_under_lock = holds_lock(assessment)
    answer = _read_answer(assessment, item_id) if stored is UNREAD else stored
    if not read_under_lock and in_autocommit():
        extras = _new_extras(item, clean, answer, na_reason, evidence)
        if _change_in_one_statement(
            assessment, answer, clean, typed, keep_comment, user, expected_version, extras
        ):
            return answer
        leave_autocommit()  # what follows needs the lock, held until the commit
    lock_for_writing(assessment)
    ensure_editable(assessment)
    while True:
        old_value = answer.value if answer else None
        old_comment = answer.comment if answer else None
        old_extras = (answer.na_reason, answer.evidence) if answer else (None, None)
        new_comment = old_comment if keep_comment else typed or None
        new_extras = _new_extras(item, clean, answer, na_reason, evidence)
        same = answer is not None and (old_value, old_comment, old_extras) == (
            clean,
            new_comment,
            new_extras,
        )
        stale = (
            expected_version is not None and (answer.version if answer else 0) != expected_version
        )
        if not read_under_lock and (answer is None or same or stale):
            answer, read_under_lock = _read_again(assessment, item_id), True
            continue  # these outcomes are decided on what is stored now
        if same:
            return answer  # nothing to change: the same answer sent twice is not a conflict
        if stale:
            raise StaleAnswer(item_id, answer)
        if answer is None:
            answer = Answer(
                assessment=assessment,
                item_id=item_id,
                section_id=item.section_id,
                value=clean,
                comment=new_comment,
                na_reason=new_extras[0],
                evidence=new_extras[1],
                updated_by=user,
            )
            db.session.add(answer)
            db.session.flush()
            break
        if _update_answer(answer, clean, new_comment, new_extras, user):
            break
        current = _read_again(assessment, item_id)
        if read_under_lock:  # cannot happen: no one writes under the lock but us
            raise StaleAnswer(item_id, current)
        # Changed between the read and the lock: decide again on what is stored now.
        answer, read_under_lock = current, True
    for event in _answer_events(
        (old_value, *old_extras), (clean, *new_extras), old_comment, new_comment
    ):
        log_event(
            event["action"],
            "answer",
            answer.id,
            user=user,
            assessment_id=assessment.id,
            item_id=item_id,
            old_value=event["old_value"],
            new_value=event["new_value"],
        )
    return answer


def _postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _read_answer(assessment: Assessment, item_id: str) -> Answer | None:
    """The stored answer, read once per save before anything is decided."""
    return db.session.scalar(_ANSWER, {"assessment_id": assessment.id, "item_id": item_id})


def _answer_events(old_answer, new_answer, old_comment, new_comment) -> list[dict]:
    """The audit events of an answer's change: its value's (with its reason and evidence, see
    event_value) and its comment's. ``old_answer``/``new_answer``: (value, na_reason,
    evidence)."""
    events = []
    if old_answer != new_answer:
        events.append(
            {
                "action": "answer.changed",
                "old_value": event_value(*old_answer),
                "new_value": event_value(*new_answer),
            }
        )
    if old_comment != new_comment:
        events.append(
            {
                "action": "answer.comment_changed",
                "old_value": old_comment,
                "new_value": new_comment,
            }
        )
    return events


_UPDATE_ANSWER = (
    update(Answer.__table__)
    .where(Answer.id == bindparam("answer_id"), Answer.version == bindparam("old_version"))
    .values(
        value=bindparam("value", type_=Answer.value.type),
        comment=bindparam("comment"),
        na_reason=bindparam("na_reason"),
        evidence=bindparam("evidence"),
        updated_by_id=bindparam("updated_by_id"),
        updated_at=bindparam("updated_at"),
        version=bindparam("version"),
    )
)


def _update_answer(
    answer: Answer, value: Any, comment: str | None, extras: tuple, user: User | None
) -> bool:
    """Change a stored answer by one UPDATE, the object updated to match; False (and nothing
    changed) when the stored version is no longer the object's.

    The answer is saved on every autosave; flushing the changed object costs several times
    as much as the statement.
    """
    changes = _changes(answer, value, comment, extras, user)
    result = db.session.execute(
        _UPDATE_ANSWER, {**changes, "answer_id": answer.id, "old_version": answer.version}
    )
    if result.rowcount != 1:
        return False
    _saved(answer, changes, user)
    return True


def _changes(
    answer: Answer, value: Any, comment: str | None, extras: tuple, user: User | None
) -> dict:
    """The columns a change of ``answer`` writes (``extras``: its reason and evidence)."""
    return {
        "value": value,
        "comment": comment,
        "na_reason": extras[0],
        "evidence": extras[1],
        "updated_by_id": user.id if user else None,
        "updated_at": utcnow(),
        "version": answer.version + 1,
    }


def _saved(answer: Answer, changes: dict, user: User | None) -> None:
    """Make the loaded object show the change written (no query, nothing to flush)."""
    for key, new in changes.items():
        set_committed_value(answer, key, new)
    set_committed_value(answer, "updated_by", user)


def _change_in_one_statement(
    assessment: Assessment,
    answer: Answer | None,
    value: Any,
    typed: str,
    keep_comment: bool,
    user: User | None,
    expected_version: int | None,
    extras: tuple,
) -> bool:
    """Change a stored answer, with its audit events, by one statement that checks all that the
    lock would and commits by itself; False (and nothing changed) when it cannot tell or would
    refuse.

    For requests without a transaction (db.autocommit: autosaves on PostgreSQL): four round
    trips to the server fewer than the lock. The statement holds the assessment FOR SHARE
    while it runs: submits and reviews, which take it FOR UPDATE (lock_for_writing), wait for
    it or it for them, and then it sees their state; so does closing the round (its row is held
    FOR KEY SHARE, as in lock_for_writing). The answer's UPDATE checks the version
    read: a concurrent change of the answer, waited for on its row, leaves nothing to update.
    (Inside a transaction the FOR SHARE would be held until the commit, and two such
    transactions taking the lock next would deadlock: they use the lock from the start.)
    Anything else (a first answer, the same answer again, a stale version, a refusal) is left
    to save_answer's locked path, which decides it and says why.
    """
    if answer is None or (expected_version is not None and answer.version != expected_version):
        return False
    new_comment = answer.comment if keep_comment else typed or None
    events = _answer_events(
        (answer.value, answer.na_reason, answer.evidence),
        (value, *extras),
        answer.comment,
        new_comment,
    )
    if not events:
        return False
    changes = _changes(answer, value, new_comment, extras, user)
    # (Parameters are not named as columns: an UPDATE would take them as values to set.)
    params = {
        "assessment": assessment.id,
        "answer": answer.id,
        "old_version": answer.version,
        "answer_value": value,
        "answer_comment": new_comment,
        "answer_na_reason": extras[0],
        "answer_evidence": extras[1],
        "user": changes["updated_by_id"],
        "now": changes["updated_at"],
        "item": answer.item_id,
    }
    for index, event in enumerate(events):
        params[f"event_old_{index}"] = event["old_value"]
        params[f"event_new_{index}"] = event["new_value"]
    statement = _change_statement(tuple(event["action"] for event in events))
    if db.session.execute(statement, params).first() is None:
        return False
    _saved(answer, changes, user)
    return True


@lru_cache(maxsize=4)
def _change_statement(actions: tuple[str, ...]):
    """The statement of _change_in_one_statement, writing one audit event per action (built
    once for each combination)."""
    assessments, rounds = Assessment.__table__, Round.__table__
    answers, events = Answer.__table__, AuditEvent.__table__
    editable = (
        select(assessments.c.id)
        .join(rounds, rounds.c.id == assessments.c.round_id)
        .where(
            assessments.c.id == bindparam("assessment"),
            or_(*(assessments.c.state == state for state in Assessment.EDITABLE_BY_REGION)),
            rounds.c.state == RoundState.open,
        )
        .with_for_update(read=True, of=assessments)
        .suffix_with("FOR KEY SHARE OF rounds", dialect="postgresql")  # as _LOCK_ROW
        .cte("editable")
    )
    changed = (
        update(answers)
        .where(
            answers.c.id == bindparam("answer"),
            answers.c.version == bindparam("old_version"),
            exists(select(editable.c.id)),
        )
        .values(
            value=bindparam("answer_value", type_=answers.c.value.type),
            comment=bindparam("answer_comment", type_=answers.c.comment.type),
            na_reason=bindparam("answer_na_reason", type_=answers.c.na_reason.type),
            evidence=bindparam("answer_evidence", type_=answers.c.evidence.type),
            updated_by_id=bindparam("user", type_=answers.c.updated_by_id.type),
            updated_at=bindparam("now", type_=answers.c.updated_at.type),
            version=answers.c.version + 1,
        )
        .returning(answers.c.id)
        .cte("changed")
    )
    rows = [
        select(
            bindparam("now", type_=events.c.created_at.type),
            bindparam("user", type_=events.c.user_id.type),
            literal(action, events.c.action.type),
            literal("answer", events.c.object_type.type),
            changed.c.id,
            bindparam("assessment", type_=events.c.assessment_id.type),
            bindparam("item", type_=events.c.item_id.type),
            bindparam(f"event_old_{index}", type_=events.c.old_value.type),
            bindparam(f"event_new_{index}", type_=events.c.new_value.type),
        )
        for index, action in enumerate(actions)
    ]
    columns = [
        "created_at",
        "user_id",
        "action",
        "object_type",
        "object_id",
        "assessment_id",
        "item_id",
        "old_value",
        "new_value",
    ]
    return (
        insert(events)
        .from_select(columns, rows[0] if len(rows) == 1 else union_all(*rows))
        .returning(events.c.id)
    )


_ANSWERS_AGAIN = (
    select(Answer)
    .where(Answer.assessment_id == bindparam("assessment_id"))
    .order_by(Answer.id)
    .execution_options(populate_existing=True)
)


def _read_answers_again(assessment: Assessment) -> None:
    """The assessment's answers as stored now (the objects already loaded, refreshed)."""
    answers = db.session.scalars(_ANSWERS_AGAIN, {"assessment_id": assessment.id}).all()
    set_committed_value(assessment, "answers", answers)


def submit_assessment(
    assessment: Assessment,
    user: User,
    *,
    consent_named: bool = False,
    without_evidence_confirmed: bool = False,
) -> bool:
    """Submit for review; False when it was already submitted (a repeated click).

    :param consent_named: whether the region agrees to be named in shared reports.
    :param without_evidence_confirmed: the officer confirmed submitting the answers that ask
        for evidence without it (format 2).

    :raises Incomplete: when required answers are missing (nothing changes).
    :raises EvidenceNotConfirmed: answers without evidence, not confirmed (nothing changes).
    :raises NotEditable: when the round is closed.
    """
    lock_for_writing(assessment)
    if assessment.state == AssessmentState.submitted:
        return False
    ensure_editable(assessment)
    _read_answers_again(assessment)  # a save may have cleared one since they were loaded
    check = submit_check(assessment)
    if check.is_blocked:
        raise Incomplete(missing_required(assessment, check))
    if check.without_evidence and not without_evidence_confirmed:
        raise EvidenceNotConfirmed(list(check.without_evidence))
    previous = assessment.state
    if assessment.consent_named and not consent_named:
        # Stored reports of the round may name the region: reporting forgets them.
        consent_withdrawn.send(assessment)
    assessment.consent_named = consent_named
    assessment.submit()
    if previous == AssessmentState.changes_requested:
        from surveyapp.notifications.operations import experts_of, notify

        notify(experts_of(assessment), "resubmitted", assessment, actor=user)
    db.session.flush()
    log_event(
        "assessment.submitted",
        "assessment",
        assessment.id,
        user=user,
        assessment_id=assessment.id,
        old_value=str(previous),
        new_value=str(assessment.state),
    )
    assessment_submitted.send(assessment, user=user, previous=previous)
    return True
