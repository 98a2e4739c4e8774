"""Session lifetime: an idle timeout and an absolute limit, checked on every request.

Flask's cookie session has no expiry of its own here (it ends with the browser), so the sign-in
time and the last activity are kept in it and checked before each request. Typed answers are
never lost when a session ends: autosave keeps them in the browser and section posts are kept
on the server until the officer signs in again.
"""

import time

from flask import Flask, current_app, flash, g, request, session
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from surveyapp.assessments.stash import EXPIRED_USER_KEY, SIGNED_IN_USER_KEY
from surveyapp.auth.two_factor import required_for

LOGIN_AT = "login_at"
SEEN_AT = "seen_at"
#: Activity is written back to the cookie at most this often (seconds), not on every request.
SEEN_RESOLUTION = 60


#: Whether this session's sign-in passed a second factor (an authenticator code, or an OpenID
#: Connect provider's own): a role that requires one is signed out of a session without it
#: (one opened before the role or ``REQUIRE_2FA_FOR`` changed).
SECOND_FACTOR = "second_factor"


def start_session(second_factor: bool = False) -> None:
    """Call right after login_user()."""
    now = int(time.time())
    session[LOGIN_AT] = session[SEEN_AT] = now
    session[SIGNED_IN_USER_KEY] = current_user.id
    session[SECOND_FACTOR] = second_factor


def _expired(now: int) -> bool:
    config = current_app.config
    login_at, seen_at = session.get(LOGIN_AT), session.get(SEEN_AT)
    if not isinstance(login_at, int) or not isinstance(seen_at, int):
        return True
    return (
        now - login_at > config["SESSION_ABSOLUTE_LIFETIME"]
        or now - seen_at > config["SESSION_IDLE_TIMEOUT"]
    )


def _sessionless(app: Flask) -> bool:
    """Whether the request's view reads no session (health.views.sessionless)."""
    return getattr(app.view_functions.get(request.endpoint), "sessionless", False)


def register_session_lifetime(app: Flask) -> None:
    @app.before_request
    def _enforce_session_lifetime():
        if request.endpoint == "static" or _sessionless(app):
            return  # (health checks: no session, no user read)
        if not current_user.is_authenticated:
            return
        if g.get("authenticated_by_token"):
            return  # an API token has no session to time out
        now = int(time.time())
        if _expired(now):
            session[EXPIRED_USER_KEY] = current_user.id  # whose typed answers may be kept
            logout_user()
            session.pop(LOGIN_AT, None)
            session.pop(SEEN_AT, None)
        elif not session.get(SECOND_FACTOR) and required_for(current_user):
            logout_user()
            session.clear()
            flash(_("Your role now signs in with a second factor: sign in again to set it up."))
        elif now - session[SEEN_AT] >= SEEN_RESOLUTION:
            session[SEEN_AT] = now
