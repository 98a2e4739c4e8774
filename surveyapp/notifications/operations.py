"""Tell people what happened. ``notify`` is the only way in, so that email can join it later."""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select, update

from surveyapp.assessments.models import Assessment
from surveyapp.auth.models import Role, User, region_memberships
from surveyapp.db import utcnow
from surveyapp.extensions import db
from surveyapp.notifications.models import Notification
from surveyapp.notifications.signals import notifications_created

#: kind -> message; placeholders: actor, region, round (and item for comments).
KINDS = {
    "review_started": _l("%(actor)s started reviewing %(region)s, %(round)s."),
    "changes_requested": _l("%(actor)s asked for changes to %(region)s, %(round)s."),
    "resubmitted": _l("%(actor)s resubmitted %(region)s, %(round)s, after changes."),
    "validated": _l("%(actor)s validated %(region)s, %(round)s."),
    "review_taken_over": _l("%(actor)s took over your review of %(region)s, %(round)s."),
    "comment": _l("%(actor)s commented on a question of %(region)s, %(round)s."),
    # Contact requests (contacts.operations): "region" is the other region when it may be
    # named, from the notification's extra.
    "contact_requested": _l("%(actor)s of %(region)s asks to be put in touch with your region."),
    "contact_accepted": _l("%(region)s accepted your request to be put in touch."),
    "contact_declined": _l("A request of your region to be put in touch was declined."),
}


def message_of(note: Notification) -> str:
    """The notification's sentence in the current language (page and email alike)."""
    params = {
        "actor": note.actor_name or "",
        "region": (note.extra or {}).get("region")
        or (note.assessment.region.name if note.assessment else ""),
        "round": note.assessment.round.name if note.assessment else "",
    }
    return str(KINDS[note.kind]) % params


def notify(
    users: Iterable[User],
    kind: str,
    assessment: Assessment | None = None,
    actor: User | None = None,
    item_id: str | None = None,
    message: str | None = None,
    extra: dict | None = None,
) -> list[Notification]:
    """Add one notification per user (never to the actor); committed with the caller's change.

    :param message: the actor's own words to show with it (a request for changes' message).
    :param extra: what the message names besides an assessment (a region, a contact request).
    """
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    created = []
    for user in {u.id: u for u in users if u is not None}.values():
        if actor is not None and user.id == actor.id:
            continue
        note = Notification(
            user_id=user.id,
            kind=kind,
            assessment=assessment,
            item_id=item_id,
            actor_name=actor.name if actor else None,
            actor_id=actor.id if actor else None,
            extra=(extra or {}) | ({"message": message} if message else {}),
        )
        db.session.add(note)
        created.append(note)
    if created:
        db.session.flush()
        notifications_created.send(created)
    return created


def retract(kind: str, key: str, value) -> None:
    """Notifications of ``kind`` about something withdrawn before anyone acted on it (those
    whose ``extra[key]`` is ``value``): the unread ones are removed, the read ones stay (the
    reader saw them) but are never mailed later, so that no digest tells of what no longer is.
    Called by the operation that withdraws it, in its transaction."""
    candidates = db.session.scalars(
        select(Notification).where(
            Notification.kind == kind,
            or_(Notification.read_at.is_(None), Notification.mailed_at.is_(None)),
        )
    )
    now = utcnow()
    for note in candidates:
        if (note.extra or {}).get(key) != value:
            continue
        if note.read_at is None:
            db.session.delete(note)
        else:
            note.mailed_at = note.mailed_at or now


def region_officers(assessment: Assessment) -> list[User]:
    """The active officers of the assessment's region."""
    return officers_of_region(assessment.region_id)


def officers_of_region(region_id: int) -> list[User]:
    """The active officers of a region."""
    return list(
        db.session.scalars(
            select(User)
            .join(region_memberships, region_memberships.c.user_id == User.id)
            .where(
                region_memberships.c.region_id == region_id,
                User.role == Role.officer,
                User.active.is_(True),
            )
        )
    )


def experts_of(assessment: Assessment) -> list[User]:
    """The assessment's reviewer (while still an active expert), else every active expert."""
    reviewer = assessment.reviewer
    if reviewer is not None and reviewer.role == Role.expert and reviewer.active:
        return [reviewer]
    return list(
        db.session.scalars(select(User).where(User.role == Role.expert, User.active.is_(True)))
    )


def mark_all_read(user: User) -> None:
    db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
