"""How email reacts to other features' signals (connected when the app is created)."""

from __future__ import annotations

from surveyapp.auth.signals import account_changed, credentials_withdrawn
from surveyapp.notifications.signals import notifications_created


@notifications_created.connect
def mail_new_notifications(notes, **_) -> None:
    """Each new notification goes by email now, in the next digest, or not, as its addressee
    chose; what was written is sent after the response."""
    from surveyapp.mail.delivery import deliver_after_response
    from surveyapp.mail.operations import mail_enabled, mail_notifications

    if not mail_enabled():
        return
    mail_notifications(notes)
    deliver_after_response()


#: Changes of sign-in credentials the owner is told of by email (not a deactivation: the
#: account is closed, an administrator tells its owner).
TOLD_CREDENTIALS = frozenset({"password_changed", "password_reset", "two_factor_reset"})


@credentials_withdrawn.connect
def mail_credentials_change(user, reason=None, **_) -> None:
    """The owner hears at once that the password or the second factor changed."""
    if reason in TOLD_CREDENTIALS:
        _mail_account_notice(user, reason)


@account_changed.connect
def mail_account_change(user, change=None, left=None, **_) -> None:
    """The owner hears at once that a recovery code was used or the second factor turned off."""
    _mail_account_notice(user, change, left)


def _mail_account_notice(user, change: str, left: int | None = None) -> None:
    from surveyapp.mail.delivery import deliver_after_response
    from surveyapp.mail.operations import mail_account_notice, mail_enabled

    if not mail_enabled():
        return
    mail_account_notice(user, change, left)
    deliver_after_response()
