"""The site header and footer, rendered once for what they show and kept.

The header is on every page and its dozen links and labels cost more to render than many a
page's content. It shows only the user's name, role and unread count (and the language), so
each variant is rendered once (surveyapp/fragments.py); only the sign-out form's CSRF token is
filled in on every page.
"""

from urllib.parse import quote

from flask import current_app, g, request
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from surveyapp.fragments import CSRF_HOLE, NEXT_HOLE, fragment
from surveyapp.notifications.queries import unread_notifications


def site_header() -> Markup:
    """The header: brand, the user's links and sign-out form, or the links for visitors (also
    on the error page of a database that cannot be reached, which cannot read the user)."""
    here = escape(quote(request.full_path.rstrip("?"), safe="/"))
    if g.get("surveyapp_user_unreadable"):
        html = fragment("_site_header.html", ("visitor",), role=None, next_hole=NEXT_HOLE)
        return Markup(html.replace(NEXT_HOLE, here))  # noqa: S704 (escaped)
    user = current_user._get_current_object()
    if not user.is_authenticated:
        html = fragment("_site_header.html", ("visitor",), role=None, next_hole=NEXT_HOLE)
        return Markup(html.replace(NEXT_HOLE, here))  # noqa: S704 (escaped)
    role, name, unread = str(user.role), user.name, unread_notifications()
    # Without local passwords (OpenID Connect only) there is no password or second factor here.
    passwords = bool(current_app.config.get("LOCAL_PASSWORDS", True))
    html = fragment(
        "_site_header.html",
        ("user", role, name, unread, passwords),
        role=user.role,
        name=name,
        unread=unread,
        passwords=passwords,
        csrf_hole=CSRF_HOLE,
        next_hole=NEXT_HOLE,
    )
    html = html.replace(NEXT_HOLE, here)
    return Markup(html.replace(CSRF_HOLE, escape(generate_csrf())))  # noqa: S704 (escaped)


def site_footer() -> Markup:
    return fragment("_site_footer.html", ())
