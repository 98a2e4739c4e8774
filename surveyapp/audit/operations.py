"""Writing audit events; callers commit."""

from typing import Any

from surveyapp.audit.models import AuditEvent
from surveyapp.auth.models import User
from surveyapp.extensions import db


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
) -> AuditEvent:
    """Add an audit event to the session."""
    event = AuditEvent(
        action=action,
        object_type=object_type,
        object_id=object_id,
        user_id=user.id if user else None,
        assessment_id=assessment_id,
        item_id=item_id,
        old_value=old_value,
        new_value=new_value,
    )
    db.session.add(event)
    return event
