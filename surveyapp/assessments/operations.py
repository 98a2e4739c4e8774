"""Starting assessments and saving answers; callers commit."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from surveyapp.assessments.models import Answer, Assessment
from surveyapp.audit.operations import log_event
from surveyapp.auth.models import User
from surveyapp.extensions import db
from surveyapp.regions.models import Region
from surveyapp.rounds.models import Round


class StaleAnswer(ValueError):
    """The answer changed since the writer loaded it; carries the newer answer."""

    def __init__(self, answer: Answer):
        self.answer = answer
        super().__init__(f"answer {answer.item_id} is at version {answer.version}")


def get_or_start_assessment(region: Region, round_: Round) -> Assessment:
    assessment = db.session.scalar(select(Assessment).filter_by(region=region, round=round_))
    if assessment is None:
        assessment = Assessment(region=region, round=round_)
        db.session.add(assessment)
        db.session.flush()
        log_event("assessment.started", "assessment", assessment.id, assessment_id=assessment.id)
    return assessment


def save_answer(
    assessment: Assessment,
    item_id: str,
    value: Any,
    user: User | None,
    expected_version: int | None = None,
) -> Answer | None:
    """Validate and store one answer, with an audit event; an empty value removes it.

    :param expected_version: the version the writer started from; a newer stored version raises
        StaleAnswer instead of overwriting it.
    :raises AnswerError: the value is not valid for the item (message for the field).
    """
    item = assessment.round.questionnaire.parsed.item(item_id)
    question_type = item.question_type
    clean = None if question_type.is_empty(value) else question_type.clean(item, value)
    answer = db.session.scalar(select(Answer).filter_by(assessment=assessment, item_id=item_id))
    if answer is not None and expected_version is not None and answer.version != expected_version:
        raise StaleAnswer(answer)
    old = answer.value if answer is not None else None
    if old == clean:
        return answer
    if clean is None:
        db.session.delete(answer)
        result = None
    elif answer is None:
        answer = result = Answer(
            assessment=assessment, item_id=item_id, value=clean, updated_by=user
        )
        db.session.add(answer)
    else:
        answer.value, answer.updated_by = clean, user
        result = answer
    db.session.flush()
    log_event(
        "answer.changed",
        "answer",
        result.id if result else None,
        user=user,
        assessment_id=assessment.id,
        item_id=item_id,
        old_value=old,
        new_value=clean,
    )
    return result
