from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from surveyapp.admin.forms import RegionGroupForm
from surveyapp.audit.operations import log_event
from surveyapp.auth.models import Role, User
from surveyapp.auth.operations import end_all_sessions, issue_reset_token
from surveyapp.auth.permissions import role_required
from surveyapp.extensions import db
from surveyapp.regions.models import RegionGroup
from surveyapp.regions.operations import GroupError, delete_region_group, save_region_group

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


def _save_group(form: RegionGroupForm, group: RegionGroup | None) -> bool:
    """Save the form into the group; False (with messages at the fields) when it cannot be."""
    if not form.validate_on_submit():
        return False
    try:
        save_region_group(
            group, form.name.data, form.codes.data, form.description.data or "", current_user
        )
        db.session.commit()
    except GroupError as error:
        db.session.rollback()
        if error.field == "name":
            form.name.errors.append(_("Another group is already called %(name)s.", name=error))
        elif str(error):
            form.codes.errors.append(
                _("Unknown NUTS codes: %(codes)s. Nothing was saved.", codes=error)
            )
        else:
            form.codes.errors.append(_("Name at least one region."))
        return False
    return True


@bp.route("/groups", methods=["GET", "POST"])
@role_required(Role.admin)
def list_groups():
    """Custom peer groups, and a form to add one."""
    form = RegionGroupForm()
    if _save_group(form, None):
        flash(_("The group %(name)s is saved.", name=form.name.data.strip()), "success")
        return redirect(url_for(".list_groups"))
    groups = db.session.scalars(
        select(RegionGroup).options(selectinload(RegionGroup.regions)).order_by(RegionGroup.name)
    ).all()
    status = 422 if form.errors else 200
    return render_template("admin/groups.html", groups=groups, form=form), status


@bp.route("/groups/<int:group_id>", methods=["GET", "POST"])
@role_required(Role.admin)
def edit_group(group_id: int):
    group = db.session.get(RegionGroup, group_id) or abort(404)
    form = RegionGroupForm(
        data={
            "name": group.name,
            "codes": " ".join(region.code for region in group.regions),
            "description": group.description or "",
        }
        if request.method == "GET"
        else None
    )
    if _save_group(form, group):
        flash(_("The group %(name)s is saved.", name=group.name), "success")
        return redirect(url_for(".list_groups"))
    status = 422 if form.errors else 200
    return render_template("admin/group_edit.html", group=group, form=form), status


@bp.post("/groups/<int:group_id>/delete")
@role_required(Role.admin)
def delete_group(group_id: int):
    group = db.session.get(RegionGroup, group_id) or abort(404)
    name = group.name
    delete_region_group(group, current_user)
    db.session.commit()
    flash(_("The group %(name)s is deleted.", name=name), "success")
    return redirect(url_for(".list_groups"))
