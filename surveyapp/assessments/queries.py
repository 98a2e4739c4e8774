"""Read helpers for assessments."""

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from surveyapp.assessments.models import Answer, Assessment
from surveyapp.audit.models import AuditEvent
from surveyapp.extensions import db
from surveyapp.questionnaires.definition import Section

HISTORY_PAGE_SIZE = 100


def history_events(
    assessment: Assessment, item_id: str | None = None, page: int = 1
) -> tuple[list[AuditEvent], bool]:
    """One page of the assessment's audit events, newest first, and whether older ones exist.

    :param item_id: only the events of this item.
    """
    query = (
        select(AuditEvent)
        .where(AuditEvent.assessment_id == assessment.id)
        .options(selectinload(AuditEvent.user))
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
        .offset((page - 1) * HISTORY_PAGE_SIZE)
        .limit(HISTORY_PAGE_SIZE + 1)
    )
    if item_id:
        query = query.where(AuditEvent.item_id == item_id)
    events = list(db.session.scalars(query))
    return events[:HISTORY_PAGE_SIZE], len(events) > HISTORY_PAGE_SIZE


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
