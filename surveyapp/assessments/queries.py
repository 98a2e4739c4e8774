"""Read helpers for assessments."""

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from surveyapp.assessments.models import Assessment
from surveyapp.audit.models import AuditEvent
from surveyapp.extensions import db


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
