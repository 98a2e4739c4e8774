"""Read helpers for assessments."""

from sqlalchemy import Row, bindparam, func, select
from sqlalchemy.orm import selectinload

from surveyapp.assessments.models import Answer, Assessment
from surveyapp.audit.models import AuditEvent
from surveyapp.auth.models import User
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


_answers, _users = Answer.__table__, User.__table__
#: A Core statement, built once: it runs on every section page, where building it and the ORM's
#: handling of a query cost more than running it.
_SECTION_ANSWERS = (
    select(
        _answers.c.item_id,
        _answers.c.value,
        _answers.c.comment,
        _answers.c.version,
        _answers.c.updated_at,
        _users.c.name.label("author"),
    )
    .select_from(_answers.outerjoin(_users, _answers.c.updated_by_id == _users.c.id))
    .where(_answers.c.assessment_id == bindparam("assessment_id"))
    .where(_answers.c.item_id.in_(bindparam("item_ids", expanding=True)))
)


def section_answers(assessment: Assessment, section: Section) -> dict[str, Row]:
    """Item id -> answer for one section's items, to show: rows with the answer's ``value``,
    ``comment``, ``version``, ``updated_at`` and ``author`` (the name of who changed it last).

    Plain rows, not Answer objects: the section page reads them on every visit.
    """
    rows = db.session.connection().execute(
        _SECTION_ANSWERS,
        {"assessment_id": assessment.id, "item_ids": [item.id for item in section.items]},
    )
    return {row.item_id: row for row in rows}
