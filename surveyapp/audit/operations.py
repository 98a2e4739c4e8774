"""Writing audit events; callers commit."""

from typing import Any

from sqlalchemy import insert

from surveyapp.audit.models import AuditEvent
from surveyapp.auth.models import User
from surveyapp.db import utcnow
from surveyapp.extensions import db

#: A Core statement, built once; an event is written at once, in the caller's transaction (no
#: object to flush: nothing reads an event back in the request that writes it, and every answer
#: saved writes one).
_INSERT = insert(AuditEvent.__table__)


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
    """Write an audit event in the current transaction (it is kept only if that commits)."""
    if db.session.new or db.session.deleted:
        db.session.flush()  # the rows an event refers to go first
    db.session.execute(
        _INSERT,
        {
            "created_at": utcnow(),
            "action": action,
            "object_type": object_type,
            "object_id": object_id,
            "user_id": user.id if user else None,
            "assessment_id": assessment_id,
            "item_id": item_id,
            "old_value": old_value,
            "new_value": new_value,
        },
    )
