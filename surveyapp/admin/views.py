from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from surveyapp.audit.operations import log_event
from surveyapp.auth.models import Role, User
from surveyapp.auth.operations import end_all_sessions, issue_reset_token
from surveyapp.auth.permissions import role_required
from surveyapp.extensions import db

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")


def _user_or_404(user_id: int) -> User:
    return db.session.get(User, user_id) or abort(404)


@bp.get("/users")
@role_required(Role.admin)
def list_users():
    """Every account with its role, regions and status."""
    users = db.session.scalars(
        select(User).options(selectinload(User.regions)).order_by(User.role, User.email)
    ).all()
    return render_template("admin/users.html", users=users)


@bp.post("/users/<int:user_id>/reset-link")
@role_required(Role.admin)
def issue_reset_link(user_id: int):
    """Make a one-time password-reset link to hand to the user (there is no mail server)."""
    user = _user_or_404(user_id)
    token = issue_reset_token(user, current_user)
    db.session.commit()
    link = url_for("auth.reset_password", token=token, _external=True)
    return render_template("admin/reset_link.html", user=user, link=link)


@bp.post("/users/<int:user_id>/active")
@role_required(Role.admin)
def toggle_active(user_id: int):
    """Deactivate (access ends at once) or reactivate an account."""
    user = _user_or_404(user_id)
    if user.id == current_user.id:
        flash(_("You cannot deactivate your own account."), "error")
        return redirect(url_for(".list_users"))
    user.active = not user.active
    if not user.active:
        end_all_sessions(user)
    log_event(
        "user.activated" if user.active else "user.deactivated", "user", user.id, user=current_user
    )
    db.session.commit()
    if user.active:
        flash(_("%(name)s can sign in again.", name=user.name), "success")
    else:
        flash(_("%(name)s is deactivated and signed out everywhere.", name=user.name), "success")
    return redirect(url_for(".list_users"))
