"""Read helpers for assessments."""

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from surveyapp.assessments.models import Answer, Assessment
from surveyapp.audit.models import AuditEvent
from surveyapp.extensions import db
from surveyapp.questionnaires.definition import Section


def history_events(assessment: Assessment, item_id: str | None = None) -> list[AuditEvent]:
    """The assessment's audit events, newest first (only one item's with ``item_id``)."""
    query = (
        select(AuditEvent)
        .where(AuditEvent.assessment_id == assessment.id)
        .options(selectinload(AuditEvent.user))
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
    )
    if item_id:
        query = query.where(AuditEvent.item_id == item_id)
    return list(db.session.scalars(query))


def has_assessments() -> bool:
    return (db.session.scalar(select(func.count(Assessment.id))) or 0) > 0


def section_answers(assessment: Assessment, section: Section) -> dict[str, Answer]:
    """Item id -> answer, for one section's items only (with who changed each)."""
    query = (
        select(Answer)
        .where(Answer.assessment_id == assessment.id)
        .where(Answer.item_id.in_([item.id for item in section.items]))
        .options(joinedload(Answer.updated_by))
    )
    return {answer.item_id: answer for answer in db.session.scalars(query)}
