"""The site header's links, rendered once per role, language and unread count.

The header is on every page and its dozen links and labels cost more to render than many a
page's content; they depend on nothing else, so each variant is rendered once and kept.
"""

from flask import g
from flask_login import current_user
from markupsafe import Markup

from surveyapp.fragments import fragment


def unread_notifications() -> int:
    """For the header: cached per request, 0 when signed out."""
    from surveyapp.notifications.queries import unread_count

    if not current_user.is_authenticated:
        return 0
    if current_user.unread_notifications is not None:
        return current_user.unread_notifications  # loaded with the user (auth.load_user)
    if "unread_notifications" not in g:
        g.unread_notifications = unread_count(current_user)
    return g.unread_notifications


def main_nav() -> Markup:
    """The signed-in user's header links."""
    role, unread = str(current_user.role), unread_notifications()
    return fragment("_site_nav.html", (role, unread), role=role, unread=unread)
