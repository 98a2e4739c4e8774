"""``flask mail ...`` and ``flask notify reminders``: the outbox, digests and reminders, for
cron (or an RQ scheduled job)."""

from __future__ import annotations

from datetime import date

import click
from flask.cli import AppGroup

from surveyapp.commands import transactional
from surveyapp.mail.delivery import deliver_pending
from surveyapp.mail.operations import mail_enabled, queue_digests, queue_reminders

mail_cli = AppGroup("mail", help="Send email: the outbox and the daily digests.")
notify_cli = AppGroup("notify", help="Tell people by email what needs doing.")


def _refuse_without_mail() -> None:
    if not mail_enabled():
        raise click.ClickException("email is off: set MAIL_SERVER (docs/deploy.md)")


@mail_cli.command("deliver")
def deliver_command() -> None:
    """Send the messages waiting in the outbox (run every minute)."""
    _refuse_without_mail()
    sent, failed = deliver_pending()
    click.echo(f"{sent} sent, {failed} failed (tried again at the next run)")
    if failed and not sent:
        raise SystemExit(1)


@mail_cli.command("digest")
@transactional
def digest_command() -> None:
    """Write each user's daily digest of notifications (run once a day), then send."""
    _refuse_without_mail()
    click.echo(f"{queue_digests()} digests written")


@notify_cli.command("reminders")
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="The day to remind for (default: today). YYYY-MM-DD.",
)
@transactional
def reminders_command(today) -> None:
    """Remind regions that have not submitted, 14, 7 and 1 days before a round closes (run
    daily; each reminder is written once however often it runs)."""
    _refuse_without_mail()
    day = today.date() if today else date.today()
    click.echo(f"{queue_reminders(day)} reminders written for {day.isoformat()}")
