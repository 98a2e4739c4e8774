"""Read helpers for assessments."""

from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import selectinload

from surveyapp.assessments.models import Answer, Assessment
from surveyapp.audit.models import AuditEvent
from surveyapp.auth.models import User
from surveyapp.db import json_rows, json_value
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


_answers = Answer.__table__
#: Aliased: the query this subquery goes in may read the users table itself (the signed-in user).
_authors = User.__table__.alias("authors")


class AnswerShown(NamedTuple):
    """An answer as the section page shows it."""

    item_id: str
    value: Any
    comment: str | None
    version: int
    updated_at: datetime
    #: The name of who changed it last.
    author: str | None


def _answers_shown(assessment_id):
    """The answers of one section (bind parameter ``section_id``) of the assessment, with their
    author's name, as one JSON value."""
    return (
        select(
            json_rows(
                _answers.c.item_id,
                json_value(_answers.c.value),
                _answers.c.comment,
                _answers.c.version,
                _answers.c.updated_at,
                _authors.c.name,
            )
        )
        .select_from(_answers.outerjoin(_authors, _answers.c.updated_by_id == _authors.c.id))
        .where(
            _answers.c.assessment_id == assessment_id,
            _answers.c.section_id == bindparam("section_id"),
        )
        .scalar_subquery()
    )


#: Loaded with the assessment for the section page (permissions.load_assessment): its
#: section's answers come with its one row, not by a query of their own.
ANSWERS_SHOWN = _answers_shown(Assessment.id)
_ANSWERS_SHOWN_ALONE = select(_answers_shown(bindparam("assessment_id")))


def section_answers(assessment: Assessment, section: Section) -> dict[str, AnswerShown]:
    """Item id -> answer for one section's items, to show (see AnswerShown).

    From the JSON loaded with the assessment for this section, or read now when it came
    without (or for another section).
    """
    rows = assessment.answers_shown
    if rows is None or assessment.answers_shown_section != section.id:
        params = {"assessment_id": assessment.id, "section_id": section.id}
        rows = db.session.scalar(_ANSWERS_SHOWN_ALONE, params)
    items = {item.id for item in section.items}
    shown = {}
    for item_id, value, comment, version, updated_at, author in rows:
        if item_id in items:
            when = datetime.fromisoformat(updated_at)
            shown[item_id] = AnswerShown(item_id, value, comment, version, when, author)
    return shown
