"""Error pages that say what happened in plain words."""

from flask import Flask, render_template
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from surveyapp.extensions import db


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        messages = {
            403: _("You do not have access to this page."),
            404: _("This page does not exist."),
            405: _("This address does not accept that kind of request."),
            413: _("What you sent is too large. Nothing that was already saved has been lost."),
            429: _("Too many attempts. Wait a moment and try again."),
        }
        message = messages.get(error.code, error.description)
        return render_template("error.html", code=error.code, message=message), error.code

    @app.errorhandler(500)
    def _server_error(error):
        db.session.rollback()
        message = _("Something went wrong on our side. Your saved answers are safe.")
        return render_template("error.html", code=500, message=message), 500
