"""Read helpers for assessments."""

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from surveyapp.assessments.models import Answer, Assessment
from surveyapp.audit.catalogue import HistoryContext, HistoryEntry, describe, visible_to
from surveyapp.audit.models import AuditEvent
from surveyapp.auth.models import User
from surveyapp.challenges.queries import category_names
from surveyapp.extensions import db

HISTORY_PAGE_SIZE = 100


def answer_map(assessment: Assessment) -> dict[str, Answer]:
    """The assessment's answers by item id."""
    return {answer.item_id: answer for answer in assessment.answers}


def answer_values(assessment: Assessment) -> dict[str, Any]:
    """The assessment's answer values by item id."""
    return {answer.item_id: answer.value for answer in assessment.answers}


def history_events(
    assessment: Assessment, user: User, item_id: str | None = None, page: int = 1
) -> tuple[list[AuditEvent], bool]:
    """One page of the assessment's audit events that ``user`` may see, newest first, and
    whether older ones exist (see surveyapp.audit.catalogue for who sees what).

    :param item_id: only the events of this item.
    """
    query = (
        select(AuditEvent)
        .where(
            AuditEvent.assessment_id == assessment.id,
            visible_to(user, assessment.round.moderated_released),
        )
        .options(selectinload(AuditEvent.user))
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
        .offset((page - 1) * HISTORY_PAGE_SIZE)
        .limit(HISTORY_PAGE_SIZE + 1)
    )
    if item_id:
        query = query.where(AuditEvent.item_id == item_id)
    events = list(db.session.scalars(query))
    return events[:HISTORY_PAGE_SIZE], len(events) > HISTORY_PAGE_SIZE


def history_entries(
    assessment: Assessment, user: User, lang: str, item_id: str | None = None, page: int = 1
) -> tuple[list[HistoryEntry], bool]:
    """One page of the history as ``user`` reads it: rows of sentences in ``lang``, and
    whether older ones exist."""
    events, has_older = history_events(assessment, user, item_id, page)
    context = HistoryContext(
        assessment.round.questionnaire.parsed,
        lang,
        category_names() if any(e.action == "challenge.tagged" for e in events) else {},
    )
    return describe(events, context), has_older


def has_assessments() -> bool:
    return (db.session.scalar(select(func.count(Assessment.id))) or 0) > 0
