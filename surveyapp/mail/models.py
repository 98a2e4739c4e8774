"""Mail preferences and the outbox of messages to send."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from surveyapp.db import CleanString, StateEnum, UTCDateTime, utcnow
from surveyapp.extensions import db


class Topic(enum.StrEnum):
    """What an email is about; each has its own preference and unsubscribe link."""

    reviews = "reviews"
    comments = "comments"
    contacts = "contacts"
    reminders = "reminders"

    @property
    def label(self):
        return _TOPIC_NAMES[self]


_TOPIC_NAMES = {
    Topic.reviews: _l("Reviews: started, changes requested, validated, resubmitted"),
    Topic.comments: _l("Comments of the experts on your region's answers"),
    Topic.contacts: _l("Requests to be put in touch with another region, and their answers"),
    Topic.reminders: _l("Reminders before a round closes, while your region has not submitted"),
}


class Delivery(enum.StrEnum):
    """When a topic's emails go out."""

    immediate = "immediate"
    digest = "digest"
    off = "off"

    @property
    def label(self):
        return _DELIVERY_NAMES[self]


_DELIVERY_NAMES = {
    Delivery.immediate: _l("At once"),
    Delivery.digest: _l("Once a day, in a digest"),
    Delivery.off: _l("Never"),
}

#: Without a stored preference, every topic goes out at once.
DEFAULT_DELIVERY = Delivery.immediate


class MailPreference(db.Model):
    """A user's choice for one topic (no row: ``DEFAULT_DELIVERY``)."""

    __tablename__ = "mail_preferences"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    topic: Mapped[Topic] = mapped_column(StateEnum(Topic), primary_key=True)
    delivery: Mapped[Delivery] = mapped_column(StateEnum(Delivery))


class OutgoingMail(db.Model):
    """A message written and waiting to be sent, or sent (kept for the record and for
    ``dedupe_key``); written in the transaction of the change it tells about."""

    __tablename__ = "outgoing_mail"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The addressee's account (None once the account is gone).
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    to_address: Mapped[str] = mapped_column(CleanString(254))
    #: None for account messages (password reset), which cannot be unsubscribed from.
    topic: Mapped[Topic | None] = mapped_column(StateEnum(Topic))
    subject: Mapped[str] = mapped_column(CleanString(300))
    body: Mapped[str] = mapped_column(CleanString(20000))
    #: The message's language (Content-Language).
    language: Mapped[str] = mapped_column(CleanString(10))
    #: Sent once per key (a reminder per round, user and day count; a notification).
    dedupe_key: Mapped[str | None] = mapped_column(CleanString(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    #: When a delivery run took it (delivery.deliver_pending): another run leaves it alone
    #: unless the claim is older than ``CLAIM_EXPIRES`` (the run died).
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Failed attempts so far; a message is retried up to ``MAIL_MAX_ATTEMPTS`` times.
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(CleanString(500))
