"""Writing audit events; callers commit.

One definition of an event's row (event_row), and the only module that writes one: log_event
writes an event at once in the caller's transaction (every operation); log_events writes many
rows in one INSERT (a seeded history); logging_insert makes the INSERT of events whose values
come from the statement that makes the change, for a change and its events written by one
statement (assessments.seam, the autosave without a transaction).
"""

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Insert, insert, literal, select, type_coerce, union_all

from surveyapp.audit.models import AuditEvent
from surveyapp.auth.models import User
from surveyapp.db import utcnow
from surveyapp.extensions import db

#: An event's columns, in the order of event_row.
EVENT_COLUMNS = (
    "created_at",
    "action",
    "object_type",
    "object_id",
    "user_id",
    "assessment_id",
    "item_id",
    "old_value",
    "new_value",
)


def event_row(
    action: Any,
    object_type: Any,
    object_id: Any,
    *,
    user_id: Any = None,
    assessment_id: Any = None,
    item_id: Any = None,
    old_value: Any = None,
    new_value: Any = None,
    created_at: Any = None,
) -> dict[str, Any]:
    """An audit event's row, column -> value (EVENT_COLUMNS); ``created_at`` None: now."""
    return {
        "created_at": utcnow() if created_at is None else created_at,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "user_id": user_id,
        "assessment_id": assessment_id,
        "item_id": item_id,
        "old_value": old_value,
        "new_value": new_value,
    }


def log_event(
    action: str,
    object_type: str,
    object_id: int | None,
    *,
    user: User | None = None,
    assessment_id: int | None = None,
    item_id: str | None = None,
    old_value: Any = None,
    new_value: Any = None,
) -> None:
    """Write an audit event in the current transaction (it is kept only if that commits).

    Written at once by one INSERT of the table, with no object to flush: nothing reads an event
    back in the request that writes it, and every answer saved writes one.
    """
    if db.session.new or db.session.deleted:
        db.session.flush()  # the rows an event refers to go first
    row = event_row(
        action,
        object_type,
        object_id,
        user_id=user.id if user else None,
        assessment_id=assessment_id,
        item_id=item_id,
        old_value=old_value,
        new_value=new_value,
    )
    db.session.execute(insert(AuditEvent.__table__), row)


def log_events(rows: Sequence[Mapping[str, Any]]) -> None:
    """Write many events (event_row()'s rows, each with its own ``created_at``) by one INSERT,
    in the current transaction."""
    if rows:
        db.session.execute(insert(AuditEvent.__table__), list(rows))


def logging_insert(rows: Sequence[Mapping[str, Any]]) -> Insert:
    """The INSERT of audit events whose values may be SQL expressions: bind parameters, or the
    columns of a change made by the same statement (an UPDATE's RETURNING in a CTE).

    :param rows: event_row()'s rows; each value is taken as of its column's type (one that is
        not an expression, as a bound value).
    """
    table = AuditEvent.__table__

    def value(name: str, given: Any) -> ColumnElement:
        if isinstance(given, ColumnElement):
            return type_coerce(given, table.c[name].type)
        return literal(given, table.c[name].type)

    selects = [select(*(value(name, row[name]) for name in EVENT_COLUMNS)) for row in rows]
    source = selects[0] if len(selects) == 1 else union_all(*selects)
    return insert(AuditEvent).from_select(EVENT_COLUMNS, source)
