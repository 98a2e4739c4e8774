"""Error pages that say what happened in plain words."""

import sqlite3
from collections.abc import Callable
from typing import Any

from flask import Flask, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from surveyapp.assessments import stash
from surveyapp.audit.security_log import security_event
from surveyapp.extensions import db

#: Form posts whose answers are kept when the session or its CSRF token has gone: per endpoint,
#: the function that shows its page again with the answers sent, ready to save. The feature
#: that owns the page registers it (``keeps_expired_posts``).
RESTORERS: dict[str, Callable[..., Any]] = {}


def keeps_expired_posts(endpoint: str):
    """Register the decorated function as the page ``endpoint`` shows again when its post
    arrives with an expired token or session: ``f(formdata=..., status=..., **view_args)``."""

    def register(restore: Callable[..., Any]) -> Callable[..., Any]:
        RESTORERS[endpoint] = restore
        return restore

    return register


def _wants_json() -> bool:
    return (
        request.is_json
        or request.accept_mimetypes.best == "application/json"
        or request.path.startswith("/api/")
    )


#: SQLite's words for a database without the tables or columns this version uses (started
#: without ``flask db upgrade``): a mistake to fix, not a moment to wait. PostgreSQL says so
#: with a ProgrammingError, which is the 500 page already.
_SQLITE_SCHEMA_ERRORS = ("no such table", "no such column", "has no column named")


def _schema_mismatch(error: DBAPIError) -> bool:
    return isinstance(error.orig, sqlite3.OperationalError) and any(
        words in str(error.orig) for words in _SQLITE_SCHEMA_ERRORS
    )


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def problem(status: int, detail: str, headers=None):
    """An API error as problem details (RFC 9457): the status, its title and what happened."""
    response = jsonify(
        type="about:blank",
        title=HTTP_STATUS_CODES.get(status, "Error"),
        status=status,
        detail=str(detail),
    )
    response.status_code = status
    response.mimetype = "application/problem+json"
    response.headers.extend(headers or [])
    return response


def unauthorized():
    """Not signed in (or the session ended): JSON 401 for scripts, else the sign-in page.

    A section posted after the session ended is kept and restored after signing in again.
    """
    if is_api_request():
        message = _("Sign in, or send an API token as 'Authorization: Bearer <token>'.")
        return problem(401, message, {"WWW-Authenticate": "Bearer"})
    if _wants_json():
        return jsonify(error=_("Your session has ended. Sign in again to save."), login=True), 401
    if (
        request.method == "POST"
        and request.endpoint in RESTORERS
        and stash.keep(request.path, request.form)
    ):
        return redirect(url_for("auth.login", next=request.path, kept=1))
    flash(_("Sign in to see this page."), "info")
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf_error(error: CSRFError):
        security_event("csrf_failed", reason=error.description)
        if _wants_json():
            return jsonify(error=_("The page's security token has expired."), csrf=True), 400
        if request.endpoint in RESTORERS:
            if not current_user.is_authenticated:
                return unauthorized()
            # Same user, stale token (e.g. signed in again in another tab): nothing is saved,
            # but the answers are shown again, with a fresh token, to save with one click.
            restore = RESTORERS[request.endpoint]
            try:
                return restore(formdata=request.form, status=400, **request.view_args)
            except HTTPException:  # no such section, or no longer the user's to change
                pass
        message = _("The form had expired. Go back, reload the page and try again.")
        return render_template("error.html", code=400, message=message), 400

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        if error.code in (403, 429):
            security_event("forbidden" if error.code == 403 else "throttled")
        messages = {
            403: _("You do not have access to this page."),
            404: _("This page does not exist."),
            405: _("This address does not accept that kind of request."),
            413: _("What you sent is too large. Nothing that was already saved has been lost."),
            429: _("Too many attempts. Wait a moment and try again."),
        }
        message = messages.get(error.code, error.description)
        # The exception's own headers: Allow on a 405, Retry-After on a 429, ...
        headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
        if is_api_request():
            if error.description != type(error).description:  # abort(404, "what is missing")
                message = error.description
            return problem(error.code, message, headers)
        page = render_template("error.html", code=error.code, message=message)
        return page, error.code, headers

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def _database_unavailable(error: DBAPIError):
        """The database could not be reached or was busy (a restart, a failover, a lock held
        too long): 503, to try again in a moment. Autosaves retry by themselves."""
        if _schema_mismatch(error):
            app.logger.error(
                "the database lacks what this version uses (run flask db upgrade): %s",
                error.orig,
                exc_info=error,
            )
            return _server_error(error)
        app.logger.error("database unavailable: %s", error.orig or error)
        try:
            db.session.rollback()
        except DBAPIError:
            db.session.close()
        # Neither the header (main.navigation) nor the language (i18n.select_locale) reads the
        # user from here on.
        g.surveyapp_user_unreadable = True
        message = _(
            "The database cannot be reached just now. Nothing that was already saved has been "
            "lost. Try again in a moment; if you were sending a form, go back: your browser "
            "still has what you typed."
        )
        headers = {"Retry-After": "5", "Cache-Control": "no-store"}
        if is_api_request():
            return problem(503, message, headers)
        if _wants_json():
            return jsonify(error=message), 503, headers
        return render_template("error.html", code=503, message=message), 503, headers

    @app.errorhandler(500)
    def _server_error(error):
        db.session.rollback()
        message = _("Something went wrong on our side. Your saved answers are safe.")
        if is_api_request():
            return problem(500, message)
        return render_template("error.html", code=500, message=message), 500
