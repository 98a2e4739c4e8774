"""Reading the audit trail: an administrator's list of every event, newest first."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from surveyapp.audit.models import AuditEvent
from surveyapp.auth.models import User
from surveyapp.extensions import db

#: Events on one page of the list.
PAGE_SIZE = 100
#: How much of a value before or after a change the list shows (the whole value is kept).
VALUE_SHOWN = 200


@dataclass(frozen=True)
class EventFilters:
    #: The events' kind: what their code begins with ("round" for round.opened, round.closed...).
    kind: str | None = None
    #: Part of the name or email of who did it.
    text: str | None = None


def event_kinds() -> list[str]:
    """The kinds of event the trail holds (the part of each code before its dot), sorted."""
    actions = db.session.scalars(select(AuditEvent.action).distinct())
    return sorted({action.partition(".")[0] for action in actions})


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def find_events(filters: EventFilters, page: int = 1) -> tuple[list[AuditEvent], bool]:
    """One page of events (newest first) with who did each, and whether more follow."""
    query = select(AuditEvent).options(joinedload(AuditEvent.user))
    if filters.kind:
        query = query.where(AuditEvent.action.like(f"{filters.kind}.%"))
    if filters.text:
        pattern = _like(filters.text.lower())
        query = query.join(User, AuditEvent.user_id == User.id).where(
            or_(
                User.email.like(pattern, escape="\\"),
                User.name.ilike(pattern, escape="\\"),
            )
        )
    query = query.order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
    rows = list(db.session.scalars(query.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)))
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


def value_text(value: Any) -> str:
    """A value before or after a change as the list shows it: JSON, cut to VALUE_SHOWN."""
    if value is None:
        return ""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= VALUE_SHOWN else text[: VALUE_SHOWN - 1] + "…"
