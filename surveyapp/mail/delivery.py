"""Sending the outbox by SMTP (the standard library's smtplib behind ``send_message``).

Each message is committed as sent as soon as the server took it, so that a crash halfway
through never sends a recorded message twice; a failed one is retried at the next run, up to
``MAIL_MAX_ATTEMPTS`` times, its last error kept.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

from flask import after_this_request, current_app, g, has_request_context
from sqlalchemy import or_, select, update

from surveyapp.auth.models import User
from surveyapp.db import utcnow
from surveyapp.extensions import db
from surveyapp.mail.models import OutgoingMail


def build_message(mail: OutgoingMail) -> EmailMessage:
    """The message as it goes out: plain text in UTF-8, in its language, with the one-click
    unsubscribe headers for a topic's message (RFC 2369, RFC 8058)."""
    from surveyapp.mail.operations import absolute_url, unsubscribe_token

    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to_address
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(mail.created_at or utcnow())
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid(f"surveyapp.{mail.id}", domain=domain)
    message["Auto-Submitted"] = "auto-generated"
    user = db.session.get(User, mail.user_id) if mail.user_id else None
    if mail.topic is not None and user is not None:
        url = absolute_url("mail.unsubscribe", token=unsubscribe_token(user, mail.topic))
        message["List-Unsubscribe"] = f"<{url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(mail.body)
    message["Content-Language"] = mail.language  # after set_content, which clears Content-*
    return message


def send_message(message: EmailMessage) -> None:
    """Hand one message to the configured SMTP server.

    :raises smtplib.SMTPException, OSError: the server refused it or cannot be reached.
    """
    config = current_app.config
    host, port, timeout = config["MAIL_SERVER"], config["MAIL_PORT"], config["MAIL_TIMEOUT"]
    if config["MAIL_USE_SSL"]:
        smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
    with smtp:
        if config["MAIL_USE_TLS"]:
            smtp.starttls(context=ssl.create_default_context())
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        smtp.send_message(message)


#: A claim older than this is taken as a dead run's: the message is tried again.
CLAIM_EXPIRES = timedelta(minutes=10)


def _claim(mail: OutgoingMail) -> bool:
    """Take the message for this run, committed, so that no two runs send it."""
    now = utcnow()
    claimed = db.session.execute(
        update(OutgoingMail)
        .where(
            OutgoingMail.id == mail.id,
            OutgoingMail.sent_at.is_(None),
            or_(OutgoingMail.claimed_at.is_(None), OutgoingMail.claimed_at < now - CLAIM_EXPIRES),
        )
        .values(claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return claimed.rowcount == 1


def deliver_pending(limit: int = 500) -> tuple[int, int]:
    """Send what waits in the outbox, oldest first; returns (sent, failed). Commits each."""
    if not current_app.config.get("MAIL_SERVER"):
        return 0, 0
    pending = db.session.scalars(
        select(OutgoingMail)
        .where(
            OutgoingMail.sent_at.is_(None),
            OutgoingMail.attempts < current_app.config["MAIL_MAX_ATTEMPTS"],
        )
        .order_by(OutgoingMail.id)
        .limit(limit)
    ).all()
    sent = failed = 0
    for mail in pending:
        if not _claim(mail):
            continue  # another run (another worker, cron) has it
        try:
            send_message(build_message(mail))
        except Exception as error:  # one bad message must not stop the others
            # (an SMTP refusal, a server away, or a message the email library refuses to write)
            mail.attempts += 1
            mail.claimed_at = None  # the next run tries again
            mail.last_error = f"{type(error).__name__}: {error}"[:500]
            failed += 1
            current_app.logger.warning(
                "mail %s to user %s not sent: %s", mail.id, mail.user_id, error
            )
        else:
            mail.sent_at = utcnow()
            sent += 1
        db.session.commit()
    return sent, failed


def after_response(work: Callable[[], object]) -> None:
    """Run ``work`` once the response has gone out, in its own transaction (committed), then
    send what it wrote; ``flask mail deliver`` sends anything this misses."""
    app = current_app._get_current_object()

    @after_this_request
    def _later(response):
        def run() -> None:
            with app.app_context():
                try:
                    work()
                    db.session.commit()
                    deliver_pending(limit=50)
                except Exception:  # the cron run retries; never break a response
                    db.session.rollback()
                    app.logger.exception("work after a response failed")

        response.call_on_close(run)
        return response


def deliver_after_response() -> None:
    """In a request that wrote mail: send the outbox once the response has gone out (so that
    nobody waits for the mail server, nor learns from the time taken whether a message was
    written); ``flask mail deliver``, run every minute, sends what this misses."""
    if not has_request_context() or g.get("surveyapp_mail_delivery"):
        return
    g.surveyapp_mail_delivery = True
    app = current_app._get_current_object()

    @after_this_request
    def _deliver(response):
        def run() -> None:
            with app.app_context():
                try:
                    deliver_pending(limit=50)
                except Exception:
                    app.logger.exception("mail delivery after a response failed")

        response.call_on_close(run)
        return response
