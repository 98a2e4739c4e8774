"""Carry forward: start a round's assessment from the region's previous submitted response.

An officer copies the answers of the region's latest earlier response (submitted, under review
or validated, on the same questionnaire) into the open round's assessment: every item of the
new version whose answer exists there, by the same id or through the ``carried_from`` mapping
the new version declares for a renamed or split item (questionnaires/FORMAT.md). A count asked
per period (``period``) and an item marked ``carry: false`` are never copied; an old answer
the new item does not accept, or a value the mapping does not list, is left out.

A copied answer keeps where it came from (``Answer.carried_from_id``) and shows "from <round>,
not yet confirmed" until an officer confirms it (per answer or a whole section) or changes it:
a change of its value, reason or evidence clears the mark (operations._changes). Saving the
same answer again writes nothing and so confirms nothing: the section form posts every answer
on its page, and a confirmation must be the officer's own act. Submitting lists unconfirmed
answers as a warning, not a block. The copy fills blank answers only: an answer already given
is kept, so a second carry copies nothing twice. Callers commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, or_, select, update

from surveyapp.assessments.models import COUNTED_STATES, Answer, Assessment
from surveyapp.assessments.operations import ensure_editable, lock_for_writing, visible_items
from surveyapp.audit.operations import log_event
from surveyapp.auth.models import User
from surveyapp.db import utcnow
from surveyapp.extensions import db
from surveyapp.questionnaires.definition import Definition, Item
from surveyapp.questionnaires.models import Questionnaire
from surveyapp.questionnaires.types import NOT_APPLICABLE, AnswerError
from surveyapp.rounds.models import Round


class NothingToCarry(ValueError):
    """The region has no earlier submitted response to start from."""


class AnswersExist(ValueError):
    """The assessment has answers, and the officer has not agreed that the copy only fills the
    blank ones."""


@dataclass(frozen=True)
class OldAnswer:
    """An answer of the earlier response, as the copy reads it."""

    value: Any
    na_reason: str | None = None
    evidence: str | None = None


@dataclass(frozen=True)
class Copy:
    """One answer to copy: into ``item``, from the earlier item ``source``."""

    item: Item
    source: str
    value: Any
    na_reason: str | None
    evidence: str | None

    @property
    def is_mapped(self) -> bool:
        """Copied through the new version's ``carried_from`` (another id, or a value map)."""
        return self.source != self.item.id or bool(self.item.carried_from)


@dataclass
class CarryPlan:
    """What carrying an earlier response into a questionnaire version copies, and what not."""

    copies: list[Copy] = field(default_factory=list)
    #: New items never carried (a count per period, ``carry: false``) that had an old answer.
    per_period: list[str] = field(default_factory=list)
    #: Old items answered whose answer has no item to go to in the new version.
    not_in_version: list[str] = field(default_factory=list)
    #: New items whose old answer the new item does not accept, or the mapping does not list.
    not_valid: list[str] = field(default_factory=list)


def _source_of(item: Item, old: Definition) -> tuple[str, tuple | None] | None:
    """(old item id, value map or None) the item's answer comes from, or None: the mapping the
    new version declares for ``old``'s version, else the same id."""
    mapping = item.carried_from
    if mapping and mapping["version"] == old.version and mapping["item"] in old.items_by_id:
        return mapping["item"], mapping["values"]
    if item.id in old.items_by_id:
        return item.id, None
    return None


def _mapped_value(values: tuple | None, value: Any) -> tuple[bool, Any]:
    """(found, new value) of an old value through a value map (None: the value as it is)."""
    if values is None:
        return True, value
    for old, new in values:
        if old == value and type(old) is type(value):
            return True, new
    return False, None


def _accepts(item: Item, value: Any) -> bool:
    try:
        clean = item.question_type.clean(item, value)
    except AnswerError:
        return False
    return clean == value and type(clean) is type(value)


def plan_carry(old: Definition, new: Definition, answers: dict[str, OldAnswer]) -> CarryPlan:
    """What to copy from an earlier response (``answers`` by old item id, on ``old``) into an
    assessment on ``new``: a pure function, so that the mapping is tested on its own.

    Only answers the earlier response showed count: an answer hidden by its item's condition
    was ignored there and is not copied.
    """
    values = {item_id: answer.value for item_id, answer in answers.items()}
    shown = {
        item.id
        for item in visible_items(old, values)
        if item.id in answers and not item.question_type.is_empty(answers[item.id].value)
    }
    plan, used = CarryPlan(), set()
    for item in new.items:
        source = _source_of(item, old)
        if source is None or source[0] not in shown:
            continue
        old_id, value_map = source
        used.add(old_id)
        if not item.is_carried:
            plan.per_period.append(item.id)
            continue
        answer = answers[old_id]
        found, value = _mapped_value(value_map, answer.value)
        if not found or not _accepts(item, value):
            plan.not_valid.append(item.id)
            continue
        reason = answer.na_reason if value == NOT_APPLICABLE and item.allow_na else None
        plan.copies.append(Copy(item, old_id, value, reason, answer.evidence))
    plan.not_in_version = sorted(shown - used)
    return plan


def previous_response(assessment: Assessment) -> Assessment | None:
    """The region's latest response of an earlier round on the same questionnaire (any version)
    that was submitted: submitted, under review or validated (one sent back for changes is the
    region's again, and may be half changed)."""
    current = assessment.round
    return db.session.scalar(
        select(Assessment)
        .join(Assessment.round)
        .join(Round.questionnaire)
        .where(
            Assessment.region_id == assessment.region_id,
            Assessment.id != assessment.id,
            Assessment.state.in_(COUNTED_STATES),
            Questionnaire.slug == current.questionnaire.slug,
            or_(
                Round.opens_on < current.opens_on,
                and_(Round.opens_on == current.opens_on, Round.id < current.id),
            ),
        )
        .order_by(Round.opens_on.desc(), Round.id.desc())
        .limit(1)
    )


def has_answers(assessment: Assessment) -> bool:
    """Whether any answer of the assessment is given (a cleared one is blank)."""
    definition = assessment.round.questionnaire.parsed
    return any(
        answer.item_id in definition.items_by_id
        and not definition.item(answer.item_id).question_type.is_empty(answer.value)
        for answer in assessment.answers
    )


@dataclass(frozen=True)
class CarryResult:
    previous: Assessment
    #: Answers copied (of them through the new version's mapping), and answers already given
    #: and kept.
    copied: int
    mapped: int
    kept: int
    plan: CarryPlan


def carry_forward(assessment: Assessment, user: User | None, *, fill_blanks: bool) -> CarryResult:
    """Copy the region's previous submitted response into the assessment's blank answers, each
    marked as carried and not yet confirmed, with one audit event (assessment.carried_forward)
    holding the counts.

    :param fill_blanks: the officer agreed that answers already given are kept and only blank
        ones filled; needed when the assessment has any answer.
    :raises NotEditable: the region may not change the assessment now.
    :raises NothingToCarry: the region has no earlier submitted response.
    :raises AnswersExist: the assessment has answers and ``fill_blanks`` is false.
    """
    lock_for_writing(assessment)
    ensure_editable(assessment)
    previous = previous_response(assessment)
    if previous is None:
        raise NothingToCarry("the region has no earlier submitted response")
    stored = {
        answer.item_id: answer
        for answer in db.session.scalars(select(Answer).filter_by(assessment_id=assessment.id))
    }
    new = assessment.round.questionnaire.parsed
    blank = lambda answer: new.item(answer.item_id).question_type.is_empty(answer.value)  # noqa: E731
    given = [a for a in stored.values() if a.item_id in new.items_by_id and not blank(a)]
    if given and not fill_blanks:
        raise AnswersExist(f"{len(given)} answers are given already")
    old_answers = {
        answer.item_id: OldAnswer(answer.value, answer.na_reason, answer.evidence)
        for answer in db.session.scalars(select(Answer).filter_by(assessment_id=previous.id))
    }
    plan = plan_carry(previous.round.questionnaire.parsed, new, old_answers)
    now, copied, mapped, kept = utcnow(), 0, 0, 0
    for copy in plan.copies:
        answer = stored.get(copy.item.id)
        if answer is not None and not blank(answer):
            kept += 1
            continue
        if answer is None:
            answer = Answer(assessment=assessment, item_id=copy.item.id)
            db.session.add(answer)
        answer.section_id = copy.item.section_id
        answer.value, answer.na_reason, answer.evidence = (
            copy.value,
            copy.na_reason,
            copy.evidence,
        )
        answer.updated_by = user
        answer.carried_from_id, answer.carried_at = previous.id, now
        answer.carry_confirmed_at = None
        copied += 1
        mapped += copy.is_mapped
    db.session.flush()
    log_event(
        "assessment.carried_forward",
        "assessment",
        assessment.id,
        user=user,
        assessment_id=assessment.id,
        new_value={
            "from_assessment": previous.id,
            "from_round": previous.round.name,
            "from_version": previous.round.questionnaire.version,
            "copied": copied,
            "mapped": mapped,
            "kept": kept,
            "not_carried_per_period": plan.per_period,
            "not_in_version": len(plan.not_in_version),
            "not_valid": plan.not_valid,
        },
    )
    return CarryResult(previous, copied, mapped, kept, plan)


def unconfirmed_answers(assessment: Assessment) -> list[Answer]:
    """The assessment's carried answers no officer has confirmed yet (loaded answers)."""
    return [answer for answer in assessment.answers if answer.is_unconfirmed_carry]


def confirm_carried(
    assessment: Assessment,
    user: User | None,
    *,
    item_id: str | None = None,
    section_id: str | None = None,
) -> int:
    """Confirm carried answers for this round: one (``item_id``) or every one of a section
    (``section_id``); the number confirmed (0: none was waiting). One audit event per answer
    (answer.carry_confirmed).

    The answer's version is not counted up: its content does not change, so an officer
    editing it meanwhile is not told of a conflict; a change meanwhile has cleared the mark,
    and then there is nothing to confirm.
    :raises NotEditable: the region may not change the assessment now.
    """
    lock_for_writing(assessment)
    ensure_editable(assessment)
    answers = Answer.__table__
    where = [
        answers.c.assessment_id == assessment.id,
        answers.c.carried_from_id.is_not(None),
        answers.c.carry_confirmed_at.is_(None),
    ]
    if item_id is not None:
        where.append(answers.c.item_id == item_id)
    if section_id is not None:
        where.append(answers.c.section_id == section_id)
    confirmed = db.session.execute(
        update(answers)
        .where(*where)
        .values(carry_confirmed_at=utcnow())
        .returning(answers.c.id, answers.c.item_id, answers.c.carried_from_id)
    ).all()
    for answer_id, confirmed_item, carried_from_id in confirmed:
        log_event(
            "answer.carry_confirmed",
            "answer",
            answer_id,
            user=user,
            assessment_id=assessment.id,
            item_id=confirmed_item,
            new_value={"from_assessment": carried_from_id},
        )
    db.session.expire_all()  # the answers loaded before show the confirmation
    return len(confirmed)
