from flask import request
from flask_login import current_user
from sqlalchemy import ColumnElement, ScalarSelect, func, select
from sqlalchemy.orm import joinedload

from surveyapp.assessments.models import Assessment
from surveyapp.auth.models import User
from surveyapp.extensions import db
from surveyapp.notifications.models import Notification

PAGE = 100


def recent_notifications(user: User) -> list[Notification]:
    return list(
        db.session.scalars(
            select(Notification)
            .options(
                joinedload(Notification.assessment).joinedload(Assessment.region),
                joinedload(Notification.assessment).joinedload(Assessment.round),
            )
            .filter_by(user_id=user.id)
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(PAGE)
        )
    )


_notifications = Notification.__table__


def _count_unread(user_id):
    # Of the table, not the entity: a subquery in another statement's columns (the section
    # page's read, assessments.seam) adds no entity for the ORM to process.
    return (
        select(func.count())
        .select_from(_notifications)
        .where(_notifications.c.user_id == user_id, _notifications.c.read_at.is_(None))
    )


def unread_count_of(user_id: ColumnElement[int]) -> ScalarSelect[int]:
    """The number of unread notifications of ``user_id``, as a subquery to read in a page's own
    statement (assessments.seam)."""
    return _count_unread(user_id).scalar_subquery()


def unread_count(user: User) -> int:
    return db.session.scalar(_count_unread(user.id))


#: In the request's WSGI environ (one dict per request, whichever app context it runs in).
_UNREAD = "surveyapp.unread_notifications"


def unread_notifications() -> int:
    """For the header: read once per request (or as the page read it, see
    note_unread_notifications), 0 when signed out."""
    if not current_user.is_authenticated:
        return 0
    if _UNREAD not in request.environ:
        request.environ[_UNREAD] = unread_count(current_user)
    return request.environ[_UNREAD]


def note_unread_notifications(count: int) -> None:
    """The header's count of unread notifications, as a page read it in its own query (the
    section page, assessments.seam), so that the header does not read it again."""
    request.environ[_UNREAD] = count
