"""What goes by email, written into the outbox in the transaction of what it tells about;
callers commit. ``surveyapp.mail.delivery`` sends the outbox.

Every message is written in its addressee's language, with absolute links from ``PUBLIC_URL``;
every message of a topic carries a one-click unsubscribe link for that topic (RFC 8058).
"""

from __future__ import annotations

import time
from datetime import date
from urllib.parse import urlsplit

from flask import current_app, render_template
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import exists, select

from surveyapp.assessments.models import Assessment, AssessmentState
from surveyapp.audit.operations import log_event
from surveyapp.auth.models import Role, User, region_memberships
from surveyapp.auth.operations import reset_token
from surveyapp.auth.queries import find_user_by_email
from surveyapp.db import utcnow
from surveyapp.extensions import db
from surveyapp.mail.models import (
    DEFAULT_DELIVERY,
    Delivery,
    MailPreference,
    OutgoingMail,
    Topic,
)
from surveyapp.notifications.models import Notification
from surveyapp.notifications.operations import message_of
from surveyapp.rounds.models import Round, RoundState

#: Notification kind -> the topic its email belongs to.
KIND_TOPICS = {
    "review_started": Topic.reviews,
    "changes_requested": Topic.reviews,
    "resubmitted": Topic.reviews,
    "validated": Topic.reviews,
    "review_taken_over": Topic.reviews,
    "comment": Topic.comments,
    "contact_requested": Topic.contacts,
    "contact_accepted": Topic.contacts,
    "contact_declined": Topic.contacts,
}
#: Days before a round closes on which its reminders go out.
REMINDER_DAYS = (14, 7, 1)
#: Seconds within which a second password-reset email for one account is not sent.
RESET_MAIL_EVERY = 15 * 60
#: Topics whose messages cannot wait for a digest.
NO_DIGEST = frozenset({Topic.reminders})


def mail_enabled() -> bool:
    return bool(current_app.config.get("MAIL_SERVER"))


def delivery_for(user: User, topic: Topic) -> Delivery:
    preference = db.session.get(MailPreference, (user.id, topic))
    return preference.delivery if preference else DEFAULT_DELIVERY


def set_delivery(user: User, topic: Topic, delivery: Delivery) -> None:
    """A user's choice for one topic; a preference, not audited."""
    if topic in NO_DIGEST and delivery == Delivery.digest:
        delivery = Delivery.immediate
    preference = db.session.get(MailPreference, (user.id, topic))
    if preference is None:
        db.session.add(MailPreference(user_id=user.id, topic=topic, delivery=delivery))
    else:
        preference.delivery = delivery


def language_of(user: User) -> str:
    """The language the user reads surveyapp in (their choice, else the default)."""
    offered = current_app.config["LANGUAGES"]
    return user.language if user.language in offered else current_app.config["BABEL_DEFAULT_LOCALE"]


def absolute_url(endpoint: str, **values) -> str:
    """The address of a page from outside (``PUBLIC_URL``), with or without a request."""
    public = urlsplit(current_app.config["PUBLIC_URL"])
    adapter = current_app.url_map.bind(
        public.netloc, script_name=public.path or "/", url_scheme=public.scheme or "https"
    )
    return adapter.build(endpoint, values, force_external=True)


def _unsubscribe_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="mail-unsubscribe")


def unsubscribe_token(user: User, topic: Topic) -> str:
    return _unsubscribe_serializer().dumps({"u": user.id, "t": str(topic)})


def read_unsubscribe_token(token: str) -> tuple[User, Topic] | None:
    """The user and topic of a genuine unsubscribe link, else None."""
    try:
        data = _unsubscribe_serializer().loads(token)
        topic = Topic(data["t"])
    except (BadSignature, KeyError, TypeError, ValueError):
        return None
    user = db.session.get(User, data.get("u"))
    return (user, topic) if user is not None else None


def queue_mail(
    user: User,
    topic: Topic | None,
    subject: str,
    body: str,
    dedupe_key: str | None = None,
    language: str = "en",
) -> OutgoingMail | None:
    """Put a message in the outbox (None when mail is off or ``dedupe_key`` was used)."""
    if not mail_enabled():
        return None
    if dedupe_key is not None and db.session.scalar(
        select(exists().where(OutgoingMail.dedupe_key == dedupe_key))
    ):
        return None
    mail = OutgoingMail(
        user_id=user.id,
        to_address=user.email,
        topic=topic,
        # one line, whatever a name or round name holds (no header is ever split)
        subject=" ".join(subject.split())[:300],
        body=body,
        language=language,
        dedupe_key=dedupe_key,
    )
    db.session.add(mail)
    return mail


def _footer(user: User, topic: Topic | None) -> dict:
    if topic is None:
        return {}
    return {
        "topic": topic,
        "preferences_url": absolute_url("mail.preferences"),
        "unsubscribe_url": absolute_url("mail.unsubscribe", token=unsubscribe_token(user, topic)),
    }


def _notification_url(note: Notification, user: User) -> str:
    """Where a notification leads, for its addressee (mirrors notifications.views)."""
    if note.kind.startswith("contact_"):
        return absolute_url("contacts.list_requests")
    if note.assessment_id is None:
        return absolute_url("notifications.list_notifications")
    if user.role == Role.officer:
        anchor = f"#thread-{note.item_id}" if note.item_id else ""
        return absolute_url("assessments.view_assessment", assessment_id=note.assessment_id) + (
            anchor
        )
    return absolute_url("reviews.review", assessment_id=note.assessment_id)


def mail_notifications(notes: list[Notification]) -> None:
    """Email each notification whose addressee wants it at once; the others wait for the
    digest (or are marked as not wanted). Called by the ``notifications_created`` signal."""
    if not mail_enabled():
        return
    now = utcnow()
    for note in notes:
        user = db.session.get(User, note.user_id)
        topic = KIND_TOPICS.get(note.kind)
        if user is None or topic is None or not user.active:
            note.mailed_at = now
            continue
        delivery = delivery_for(user, topic)
        if delivery == Delivery.digest:
            continue
        note.mailed_at = now
        if delivery == Delivery.off:
            continue
        lang = language_of(user)
        with force_locale(lang):
            text = message_of(note)
            body = render_template(
                "mail/notification.txt",
                user=user,
                text=text,
                message=(note.extra or {}).get("message"),
                url=_notification_url(note, user),
                **_footer(user, topic),
            )
            queue_mail(user, topic, text, body, f"notification:{note.id}", lang)


def queue_digests() -> int:
    """One message per user with notifications waiting for their daily digest; returns how many.
    Run daily (``flask mail digest``); a notification goes in one digest only."""
    if not mail_enabled():
        return 0
    waiting = db.session.scalars(
        select(Notification)
        .where(Notification.mailed_at.is_(None))
        .order_by(Notification.user_id, Notification.created_at, Notification.id)
    ).all()
    by_user: dict[int, list[Notification]] = {}
    for note in waiting:
        by_user.setdefault(note.user_id, []).append(note)
    now, count = utcnow(), 0
    for user_id, notes in by_user.items():
        user = db.session.get(User, user_id)
        wanted = [
            note
            for note in notes
            if user is not None
            and user.active
            and note.kind in KIND_TOPICS
            and delivery_for(user, KIND_TOPICS[note.kind]) == Delivery.digest
        ]
        for note in notes:
            # whatever is not for a digest (a preference changed since) is not sent late
            note.mailed_at = now
        if not wanted:
            continue
        lang = language_of(user)
        with force_locale(lang):
            subject = _("Your daily summary from surveyapp")
            entries = [
                {
                    "text": message_of(n),
                    "url": _notification_url(n, user),
                    "at": n.created_at,
                }
                for n in wanted
            ]
            topics = sorted({KIND_TOPICS[n.kind] for n in wanted})
            body = render_template(
                "mail/digest.txt",
                user=user,
                entries=entries,
                topics=[
                    {
                        "topic": topic,
                        "unsubscribe_url": absolute_url(
                            "mail.unsubscribe", token=unsubscribe_token(user, topic)
                        ),
                    }
                    for topic in topics
                ],
                preferences_url=absolute_url("mail.preferences"),
            )
            queue_mail(
                user, Topic(topics[0]) if len(topics) == 1 else None, subject, body, None, lang
            )
        count += 1
    return count


def queue_reminders(today: date) -> int:
    """Remind the officers of every region that has not submitted, 14, 7 and 1 days before an
    open round closes; each reminder once however often this runs. Returns how many were
    written."""
    if not mail_enabled():
        return 0
    count = 0
    for round_ in db.session.scalars(select(Round).where(Round.state == RoundState.open)):
        days = (round_.closes_on - today).days
        if days not in REMINDER_DAYS:
            continue
        submitted = select(Assessment.region_id).where(
            Assessment.round_id == round_.id, Assessment.state != AssessmentState.draft
        )
        officers = db.session.execute(
            select(User, region_memberships.c.region_id)
            .join(region_memberships, region_memberships.c.user_id == User.id)
            .where(
                User.role == Role.officer,
                User.active.is_(True),
                region_memberships.c.region_id.not_in(submitted),
            )
            .order_by(User.id)
        ).all()
        reminded: set[int] = set()
        for user, _region_id in officers:
            if user.id in reminded or delivery_for(user, Topic.reminders) == Delivery.off:
                continue
            reminded.add(user.id)
            lang = language_of(user)
            with force_locale(lang):
                if days == 1:
                    subject = _(
                        "%(round)s closes tomorrow: your region has not submitted yet",
                        round=round_.name,
                    )
                else:
                    subject = ngettext(
                        "%(round)s closes in %(num)d day: your region has not submitted yet",
                        "%(round)s closes in %(num)d days: your region has not submitted yet",
                        days,
                        round=round_.name,
                    )
                body = render_template(
                    "mail/reminder.txt",
                    user=user,
                    round=round_,
                    days=days,
                    url=absolute_url("main.home"),
                    **_footer(user, Topic.reminders),
                )
                key = f"reminder:{round_.id}:{user.id}:{days}"
                if queue_mail(user, Topic.reminders, subject, body, key, lang) is not None:
                    count += 1
    return count


def email_reset_link(email: str, address: str | None) -> None:
    """Mail a password-reset link to the active account with this email, if there is one; the
    caller shows the same reply either way (no account enumeration)."""
    user = find_user_by_email(email)
    if user is None or not user.active or not mail_enabled():
        return
    lang = language_of(user)
    with force_locale(lang):
        subject = _("Choose a new password for surveyapp")
        body = render_template(
            "mail/reset.txt",
            user=user,
            url=absolute_url("auth.reset_password", token=reset_token(user)),
            hours=current_app.config["PASSWORD_RESET_MAX_AGE"] // 3600,
            address=address,
        )
    # At most one link per account in each quarter of an hour, however often it is asked for.
    key = f"reset:{user.id}:{int(time.time() // RESET_MAIL_EVERY)}"
    if queue_mail(user, None, subject, body, key, lang) is not None:
        log_event("user.reset_link_emailed", "user", user.id)


def _account_notice_text(change: str, left: int | None) -> str:
    """The sentence of an account notice, in the current language."""
    if change == "password_changed":
        return _("The password of your surveyapp account was changed.")
    if change == "password_reset":
        return _("A new password was chosen for your surveyapp account through a reset link.")
    if change == "two_factor_reset":
        return _(
            "An administrator removed the second factor of your surveyapp account; you will set "
            "it up again when you next sign in."
        )
    if change == "recovery_codes_renewed":
        return _(
            "New recovery codes were made for your surveyapp account; the earlier ones no "
            "longer work."
        )
    if change == "two_factor_disabled":
        return _("Two-factor authentication was turned off for your surveyapp account.")
    if change == "recovery_code_used":
        return ngettext(
            "A recovery code was used to sign in to your surveyapp account; %(num)d code is left.",
            "A recovery code was used to sign in to your surveyapp account; %(num)d codes are "
            "left.",
            left or 0,
        )
    raise ValueError(f"unknown account change {change!r}")


def mail_account_notice(user: User, change: str, left: int | None = None) -> None:
    """Tell the owner at once, in their language, that their account's credentials changed,
    so that someone else's doing is noticed. Security notices have no topic: they cannot be
    unsubscribed from."""
    if not user.active:
        return
    lang = language_of(user)
    with force_locale(lang):
        text = _account_notice_text(change, left)
        subject = _("A change to your surveyapp account")
        body = render_template(
            "mail/account_notice.txt",
            user=user,
            text=text,
            url=absolute_url("auth.two_factor_account")
            if change
            in (
                "two_factor_disabled",
                "recovery_code_used",
                "recovery_codes_renewed",
                "two_factor_reset",
            )
            else absolute_url("main.home"),
        )
    queue_mail(user, None, subject, body, None, lang)
