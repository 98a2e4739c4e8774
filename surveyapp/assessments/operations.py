"""Starting assessments, saving answers, submitting; callers commit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from surveyapp.assessments import seam
from surveyapp.assessments.models import Answer, Assessment, AssessmentState
from surveyapp.assessments.queries import answer_map, answer_values
from surveyapp.assessments.signals import assessment_submitted, consent_withdrawn
from surveyapp.audit.operations import log_event
from surveyapp.auth.models import User
from surveyapp.db import in_autocommit, leave_autocommit, utcnow
from surveyapp.evidence.queries import items_with_files
from surveyapp.extensions import db
from surveyapp.questionnaires.definition import Definition, Item
from surveyapp.questionnaires.types import NOT_APPLICABLE, AnswerError, too_long
from surveyapp.regions.models import Region
from surveyapp.rounds.models import Round, RoundState
from surveyapp.text import has_visible_text


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
    elif asks_reason(item) and not has_visible_text(reason):
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
    #: Answers carried forward from an earlier round that no officer has confirmed or changed
    #: (assessments.carry): a warning, never a block.
    unconfirmed: tuple[Item, ...] = ()
    #: Stored answers the questionnaire's rules refuse now (blocking), with why: an answer
    #: saved before a rule came (an option chosen with "None") is checked again here.
    refused: tuple[tuple[Item, str], ...] = ()

    @property
    def is_blocked(self) -> bool:
        return bool(self.unanswered or self.without_reason or self.refused)


def submit_check(assessment: Assessment) -> SubmitCheck:
    """Check the assessment's stored answers against the submit rules of its questionnaire."""
    definition = assessment.round.questionnaire.parsed
    answers = answer_map(assessment)
    values = {item_id: answer.value for item_id, answer in answers.items()}
    method_2 = definition.format >= 2
    # A file attached to a question is its answer's evidence as much as a typed reference.
    attached = items_with_files(assessment.id) if method_2 else frozenset()
    unanswered, without_reason, without_evidence, unconfirmed = [], [], [], []
    refused = []
    for item in visible_items(definition, values):
        value = values.get(item.id)
        if item.question_type.is_empty(value):
            if needs_answer(definition, item):
                unanswered.append(item)
            continue
        try:
            item.question_type.clean(item, value)
        except AnswerError as error:
            refused.append((item, str(error)))
            continue
        if answers[item.id].is_unconfirmed_carry:
            unconfirmed.append(item)
        if not method_2:
            continue
        answer = answers[item.id]
        if value == NOT_APPLICABLE and asks_reason(item) and not has_visible_text(answer.na_reason):
            without_reason.append(item)
        elif (
            item.is_scored
            and asks_evidence(item, value)
            and not answer.evidence
            and item.id not in attached
        ):
            without_evidence.append(item)
    return SubmitCheck(
        tuple(unanswered),
        tuple(without_reason),
        tuple(without_evidence),
        tuple(unconfirmed),
        tuple(refused),
    )


def missing_required(assessment: Assessment, check: SubmitCheck | None = None) -> list[Item]:
    """The items that block the submission (see SubmitCheck), in questionnaire order."""
    check = submit_check(assessment) if check is None else check
    refused = (item for item, _reason in check.refused)
    blocking = {item.id for item in (*check.unanswered, *check.without_reason, *refused)}
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


def lock_for_writing(assessment: Assessment) -> None:
    """Hold the assessment until the commit, so that an answer cannot land after a concurrent
    submit, and read it and its round again.

    Every writer of an assessment's answers takes this first, so writers of one assessment run
    one after the other: the version an answer is checked against cannot change before the
    commit. PostgreSQL: the row, FOR UPDATE. SQLite locks the whole database for a writer, but
    only at its first write (its reads before run outside any transaction): a write that
    changes nothing takes the lock first, so the state read next is the latest and no other
    writer can change it. The round is held too, so that it cannot close before the commit
    (PostgreSQL: its row, FOR KEY SHARE, which saves share with each other).
    """
    if holds_lock(assessment):
        return  # taken earlier in this transaction
    seam.lock_assessment(assessment, postgresql=_postgresql())
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


@dataclass(frozen=True)
class Content:
    """What an answer holds that a save compares and writes (all None: no answer)."""

    value: Any = None
    comment: str | None = None
    na_reason: str | None = None
    evidence: str | None = None

    @classmethod
    def of(cls, answer: Answer | None) -> Content:
        if answer is None:
            return cls()
        return cls(answer.value, answer.comment, answer.na_reason, answer.evidence)


@dataclass(frozen=True)
class AskedChange:
    """What a save asks for one item, checked, before it is set against the stored answer."""

    item: Item
    #: The clean value (None: cleared).
    value: Any
    #: The comment typed (None: keep the stored one).
    comment: str | None
    na_reason: str | object | None
    evidence: str | object | None

    def over(self, answer: Answer | None) -> Content:
        """The answer's content after the change (KEEP and a kept comment: as stored).

        :raises AnswerFieldError: a missing reason, or text over its length.
        """
        stored = Content.of(answer)
        comment = stored.comment if self.comment is None else self.comment or None
        reason, evidence = _new_extras(self.item, self.value, answer, self.na_reason, self.evidence)
        return Content(self.value, comment, reason, evidence)


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
    asked = _asked_change(assessment, item_id, value, comment, keep_comment, na_reason, evidence)
    # Read before the lock when it is not held yet (on SQLite outside any transaction), so that
    # the lock is held for the writes only; what was read is checked under the lock.
    read_under_lock = holds_lock(assessment)
    answer = _read_answer(assessment, item_id) if stored is UNREAD else stored
    if not read_under_lock and in_autocommit():
        if _change_without_lock(assessment, answer, asked, user, expected_version):
            return answer
        leave_autocommit()  # what follows needs the lock, held until the commit
    lock_for_writing(assessment)
    ensure_editable(assessment)
    return _write_under_lock(assessment, asked, answer, user, expected_version, read_under_lock)


def _asked_change(
    assessment: Assessment, item_id: str, value, comment, keep_comment, na_reason, evidence
) -> AskedChange:
    """The save's request, its value cleaned for the item (AnswerError when it cannot be)."""
    item = assessment.round.questionnaire.parsed.item(item_id)
    question_type = item.question_type
    clean = None if question_type.is_empty(value) else question_type.clean(item, value)
    # NUL cannot be typed, only pasted from binary data, and PostgreSQL text refuses it.
    typed = None if keep_comment else (comment or "").replace("\x00", "").strip()
    return AskedChange(item, clean, typed, na_reason, evidence)


def _is_stale(answer: Answer | None, expected_version: int | None) -> bool:
    return expected_version is not None and (answer.version if answer else 0) != expected_version


def _write_under_lock(
    assessment: Assessment,
    asked: AskedChange,
    answer: Answer | None,
    user: User | None,
    expected_version: int | None,
    read_under_lock: bool,
) -> Answer:
    """Decide and write the save, the writers' lock held.

    An answer read before the lock may have changed since: a first answer, the same answer
    again and a stale version are decided on the answer read again; a change is written only
    if the stored version is still the one read (else it is decided again on what is stored).
    """
    old, new = Content.of(answer), asked.over(answer)
    unchanged = answer is not None and old == new
    stale = _is_stale(answer, expected_version)
    if not read_under_lock and (answer is None or unchanged or stale):
        current = seam.read_answer(assessment, asked.item.id, again=True)
        return _write_under_lock(assessment, asked, current, user, expected_version, True)
    if unchanged:
        return answer  # nothing to change: the same answer sent twice is not a conflict
    if stale:
        raise StaleAnswer(asked.item.id, answer)
    if answer is None:
        answer = _add_answer(assessment, asked.item, new, user)
    elif not seam.update_answer(answer, _changes(old, new, user)):
        current = seam.read_answer(assessment, asked.item.id, again=True)
        if read_under_lock:  # cannot happen: no one writes under the lock but us
            raise StaleAnswer(asked.item.id, current)
        # Changed between the read and the lock: decide again on what is stored now.
        return _write_under_lock(assessment, asked, current, user, expected_version, True)
    for action, old_value, new_value in _answer_events(old, new):
        log_event(
            action,
            "answer",
            answer.id,
            user=user,
            assessment_id=assessment.id,
            item_id=asked.item.id,
            old_value=old_value,
            new_value=new_value,
        )
    return answer


def _postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _read_answer(assessment: Assessment, item_id: str) -> Answer | None:
    """The stored answer, read once per save before anything is decided."""
    return seam.read_answer(assessment, item_id)


def _answer_events(old: Content, new: Content) -> list[tuple[str, Any, Any]]:
    """The audit events of an answer's change, (action, old value, new value): its value's
    (with its reason and evidence, see event_value) and its comment's."""
    events = []
    old_answer = (old.value, old.na_reason, old.evidence)
    new_answer = (new.value, new.na_reason, new.evidence)
    if old_answer != new_answer:
        events.append(("answer.changed", event_value(*old_answer), event_value(*new_answer)))
    if old.comment != new.comment:
        events.append(("answer.comment_changed", old.comment, new.comment))
    return events


def _changes(old: Content, new: Content, user: User | None) -> dict[str, Any]:
    """The columns a change of an answer to ``new`` writes (seam.CHANGED_COLUMNS), and whether
    it stays the carried copy it may be (seam.KEEP_CARRY): only when its value, reason and
    evidence are unchanged (a comment alone changed). Saving the same answer again writes
    nothing, so it never confirms a carried answer: that takes the officer's Confirm."""
    same_answer = (old.value, old.na_reason, old.evidence) == (
        new.value,
        new.na_reason,
        new.evidence,
    )
    return {
        seam.KEEP_CARRY: same_answer,
        "value": new.value,
        "comment": new.comment,
        "na_reason": new.na_reason,
        "evidence": new.evidence,
        "updated_by_id": user.id if user else None,
        "updated_at": utcnow(),
    }


def _add_answer(assessment: Assessment, item: Item, new: Content, user: User | None) -> Answer:
    answer = Answer(
        assessment=assessment,
        item_id=item.id,
        section_id=item.section_id,
        value=new.value,
        comment=new.comment,
        na_reason=new.na_reason,
        evidence=new.evidence,
        updated_by=user,
    )
    db.session.add(answer)
    db.session.flush()
    return answer


def _change_without_lock(
    assessment: Assessment,
    answer: Answer | None,
    asked: AskedChange,
    user: User | None,
    expected_version: int | None,
) -> bool:
    """In a request without a transaction, change a stored answer with its audit events by one
    statement (seam.change_in_one_statement); False when it cannot tell or would refuse.

    Anything else (a first answer, the same answer again, a stale version, a refusal) is left
    to the locked path, which decides it and says why.
    """
    if answer is None or _is_stale(answer, expected_version):
        return False
    old, new = Content.of(answer), asked.over(answer)
    events = _answer_events(old, new)
    if not events:
        return False
    return seam.change_in_one_statement(assessment, answer, _changes(old, new, user), events)


def _read_answers_again(assessment: Assessment) -> None:
    """The assessment's answers as stored now (the objects already loaded, refreshed)."""
    db.session.scalars(
        select(Assessment)
        .options(selectinload(Assessment.answers))
        .where(Assessment.id == assessment.id)
        .execution_options(populate_existing=True)
    ).one()


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
