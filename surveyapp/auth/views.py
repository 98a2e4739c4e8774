from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from surveyapp.assessments.stash import SESSION_KEY as STASH_KEY
from surveyapp.auth.forms import LoginForm
from surveyapp.auth.models import new_session_token
from surveyapp.auth.operations import authenticate
from surveyapp.extensions import db

bp = Blueprint("auth", __name__, template_folder="templates")


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site; anything with a scheme or host is dropped."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target:
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign in with email and password."""
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is None:
            form.password.errors.append(_("The email or password is not correct."))
        else:
            next_url = _safe_next(request.args.get("next"))
            kept_answers = session.get(STASH_KEY)
            session.clear()  # a fresh session: nothing carried over from before the login...
            if kept_answers:
                session[STASH_KEY] = kept_answers  # ...but answers typed before it
            login_user(user)
            return redirect(next_url or url_for("main.home"))
    kept = request.args.get("kept") == "1"
    status = 422 if form.errors else 200
    return render_template("auth/login.html", form=form, kept=kept), status


@bp.post("/logout")
@login_required
def logout():
    """Sign out here and end every other session of this user."""
    current_user.session_token = new_session_token()
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))
