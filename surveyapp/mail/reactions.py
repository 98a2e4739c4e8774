"""How email reacts to other features' signals (connected when the app is created)."""

from __future__ import annotations

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
