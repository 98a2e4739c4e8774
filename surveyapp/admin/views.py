import json
import secrets

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from wtforms.fields import SelectChoice

from surveyapp.admin.forms import (
    AuditFilterForm,
    EditUserForm,
    EraseUserForm,
    ReferenceDateForm,
    RegionGroupForm,
    RoundForm,
    UserFilterForm,
    UserForm,
    reference_date_after_close,
)
from surveyapp.audit.queries import event_kinds, find_events, value_text
from surveyapp.auth import two_factor
from surveyapp.auth.models import Role, User
from surveyapp.auth.operations import (
    AccountError,
    create_user,
    issue_reset_token,
    set_active,
    update_user,
)
from surveyapp.auth.permissions import role_required
from surveyapp.auth.queries import find_users
from surveyapp.db import utcnow
from surveyapp.extensions import db
from surveyapp.privacy.operations import ErasureRefused, erase_user, export_user
from surveyapp.publication.models import Publication
from surveyapp.publication.operations import counted_assessments, publish_blocker
from surveyapp.questionnaires.models import Questionnaire
from surveyapp.regions.models import Region, RegionGroup, RegionPopulation
from surveyapp.regions.operations import (
    GroupError,
    delete_region_group,
    parse_region_codes,
    save_region_group,
)
from surveyapp.regions.queries import find_region, populations_of
from surveyapp.rounds.models import InvalidRoundTransition, Round, RoundState
from surveyapp.rounds.operations import (
    PopulationsMissing,
    ReferenceDateAfterClose,
    RoundError,
    close_round,
    create_round,
    open_round,
    round_for_moving,
    set_reference_date,
    set_scores_released,
)
from surveyapp.rounds.queries import (
    close_summary,
    list_rounds,
    regions_lacking_population,
    uses_population,
)

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")


def _user_or_404(user_id: int) -> User:
    return db.session.get(User, user_id) or abort(404)


@bp.get("/users")
@role_required(Role.admin)
def list_users():
    """Every account with its role, regions and status, filtered by text, role and status."""
    form = UserFilterForm()
    form.validate()
    return render_template("admin/users.html", users=find_users(form.filters()), form=form)


@bp.get("/audit")
@role_required(Role.admin)
def audit_log():
    """Every audit event, newest first: who did what to which object, from which value to
    which, by kind of event and by who did it, a page at a time."""
    form = AuditFilterForm(event_kinds())
    form.validate()
    page = form.page_number()
    events, more = find_events(form.filters(), page)
    return render_template(
        "admin/audit.html",
        form=form,
        events=events,
        page=page,
        more=more,
        value_text=value_text,
    )


@bp.post("/users/<int:user_id>/reset-link")
@role_required(Role.admin)
def issue_reset_link(user_id: int):
    """Make a one-time password-reset link to hand to the user (there is no mail server)."""
    user = _user_or_404(user_id)
    try:
        token = issue_reset_token(user, current_user)
    except AccountError:
        flash(
            _(
                "%(name)s's account is deactivated: reactivate it before sending a link.",
                name=user.name,
            ),
            "error",
        )
        return redirect(url_for(".list_users"))
    db.session.commit()
    link = url_for("auth.reset_password", token=token, _external=True)
    return render_template("admin/reset_link.html", user=user, link=link)


@bp.post("/users/<int:user_id>/reset-two-factor")
@role_required(Role.admin)
def reset_two_factor(user_id: int):
    """Remove a user's second factor (a lost phone): set up again at the next sign-in where
    the role requires it; every session of the user ends. Audited."""
    user = _user_or_404(user_id)
    try:
        two_factor.reset(user, current_user)
    except two_factor.TwoFactorError as error:
        flash(str(error), "error")
        return redirect(url_for(".list_users"))
    db.session.commit()
    flash(_("The second factor of %(name)s is reset.", name=user.name), "success")
    return redirect(url_for(".list_users"))


@bp.post("/users/<int:user_id>/deactivate")
@role_required(Role.admin)
def deactivate_user(user_id: int):
    """Deactivate an account: its sessions and API tokens end at once (again: nothing more)."""
    user = _user_or_404(user_id)
    if user.id == current_user.id:
        flash(_("You cannot deactivate your own account."), "error")
        return redirect(url_for(".list_users"))
    set_active(user, False, current_user)
    db.session.commit()
    flash(_("%(name)s is deactivated and signed out everywhere.", name=user.name), "success")
    return redirect(url_for(".list_users"))


@bp.post("/users/<int:user_id>/activate")
@role_required(Role.admin)
def activate_user(user_id: int):
    """Let a deactivated account sign in again (again: nothing more)."""
    user = _user_or_404(user_id)
    set_active(user, True, current_user)
    db.session.commit()
    flash(_("%(name)s can sign in again.", name=user.name), "success")
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
    groups = sorted(
        db.session.scalars(select(RegionGroup).options(selectinload(RegionGroup.regions))),
        key=lambda group: group.name.casefold(),  # "atlantic" beside "Atlantic", not after "Z"
    )
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


@bp.get("/groups/<int:group_id>/delete")
@role_required(Role.admin)
def confirm_delete_group(group_id: int):
    """Ask before deleting a group: it cannot be brought back."""
    group = db.session.get(RegionGroup, group_id) or abort(404)
    return render_template("admin/delete_group.html", group=group)


@bp.post("/groups/<int:group_id>/delete")
@role_required(Role.admin)
def delete_group(group_id: int):
    group = db.session.get(RegionGroup, group_id) or abort(404)
    name = group.name
    delete_region_group(group, current_user)
    db.session.commit()
    flash(_("The group %(name)s is deleted.", name=name), "success")
    return redirect(url_for(".list_groups"))


@bp.route("/rounds", methods=["GET", "POST"])
@role_required(Role.admin)
def list_rounds_page():
    """Every round with its state and submissions, and a form to plan a new one."""
    form = RoundForm()
    questionnaires = db.session.scalars(
        select(Questionnaire).order_by(Questionnaire.slug, Questionnaire.version.desc())
    ).all()
    form.questionnaire.choices = [SelectChoice(q.id, q.label) for q in questionnaires]
    if form.validate_on_submit():
        questionnaire = db.session.get(Questionnaire, form.questionnaire.data)
        round_ = create_round(
            form.name.data,
            questionnaire,
            form.opens_on.data,
            form.closes_on.data,
            actor=current_user,
            reference_date=form.reference_date.data,
        )
        db.session.commit()
        flash(
            _("The round %(name)s is planned. Open it when officers may answer.", name=round_.name),
            "success",
        )
        return redirect(url_for(".list_rounds_page"))
    rounds = list_rounds()
    # The figure the close page, the publication and the benchmarks count: submitted, under
    # review and validated (an assessment sent back for changes was submitted once, and is not).
    counted = counted_assessments([r.id for r in rounds])
    return render_template(
        "admin/rounds.html",
        rounds=rounds,
        form=form,
        submitted=counted,
        publications={p.round_id: p for p in db.session.scalars(select(Publication))},
        publish_blockers={r.id: publish_blocker(r, counted.get(r.id, 0)) for r in rounds},
    ), (422 if form.errors else 200)


@bp.get("/rounds/<int:round_id>/close")
@role_required(Role.admin)
def confirm_close_round(round_id: int):
    """Ask before closing a round: it cannot open again, and drafts stay unsubmitted."""
    round_ = db.session.get(Round, round_id) or abort(404)
    if round_.state == RoundState.closed:  # closed meanwhile, by another administrator
        flash(_("The round %(name)s is already closed.", name=round_.name), "info")
        return redirect(url_for(".list_rounds_page"))
    if round_.state != RoundState.open:
        abort(409)
    return render_template(
        "admin/close_round.html",
        round=round_,
        summary=close_summary(round_),
        early=round_.closes_on > utcnow().date(),
    )


@bp.get("/rounds/<int:round_id>/open")
@role_required(Role.admin)
def confirm_open_round(round_id: int):
    """Ask before opening a round: officers can answer at once, whatever its dates say."""
    round_ = db.session.get(Round, round_id) or abort(404)
    if round_.state == RoundState.closed:
        flash(_("The round %(name)s is already closed.", name=round_.name), "info")
        return redirect(url_for(".list_rounds_page"))
    if round_.state != RoundState.planned:
        flash(_("The round %(name)s is already open.", name=round_.name), "info")
        return redirect(url_for(".list_rounds_page"))
    return render_template(
        "admin/open_round.html", round=round_, early=round_.opens_on > utcnow().date()
    )


@bp.get("/rounds/<int:round_id>/withhold")
@role_required(Role.admin)
def confirm_withhold(round_id: int):
    """Ask before hiding the experts' moderated scores from the officers again."""
    round_ = db.session.get(Round, round_id) or abort(404)
    if not round_.moderated_released:
        flash(_("The moderated scores of %(name)s are hidden from officers.", name=round_.name))
        return redirect(url_for(".list_rounds_page"))
    return render_template("publication/confirm.html", round=round_, action="withhold")


@bp.post("/rounds/<int:round_id>/<any(open, close):step>")
@role_required(Role.admin)
def move_round(round_id: int, step: str):
    """Open a planned round, or close an open one."""
    round_ = round_for_moving(round_id) or abort(404)
    if round_.state == (RoundState.open if step == "open" else RoundState.closed):
        # A second click, or another administrator first: nothing to do, and no error.
        if step == "open":
            flash(_("The round %(name)s is already open.", name=round_.name), "info")
        else:
            flash(_("The round %(name)s is already closed.", name=round_.name), "info")
        return redirect(url_for(".list_rounds_page"))
    try:
        if step == "open":
            open_round(round_, current_user)
        else:
            close_round(round_, current_user)
    except PopulationsMissing as refusal:
        db.session.rollback()
        round_ = db.session.get(Round, round_id)
        return _render_round(round_, missing=refusal.regions, refused=True, status=409)
    except InvalidRoundTransition:
        abort(409)
    db.session.commit()
    if step == "open":
        flash(_("The round %(name)s is open: officers can answer.", name=round_.name), "success")
    else:
        flash(
            _("The round %(name)s is closed: answers can no longer change.", name=round_.name),
            "success",
        )
    return redirect(url_for(".list_rounds_page"))


#: How an administrator loads populations on the server (shown where a round needs them).
LOAD_POPULATIONS = (
    "flask regions population import demo_r_d2jan.tsv.gz",
    'flask regions population import populations.csv --source "…"',
)


def _render_round(round_, form=None, missing=None, refused=False, status=200):
    """The round page: its dates, reference date, and the populations it still needs."""
    if form is None:
        form = ReferenceDateForm(data={"reference_date": round_.reference_date})
    # A closed round's populations are those it kept when it closed (rounds.closing): loading
    # one now would change nothing of it, so the page does not ask for them.
    needs_populations = uses_population(round_) and round_.state != RoundState.closed
    if missing is None:
        missing = regions_lacking_population(round_) if needs_populations else []
    return render_template(
        "admin/round.html",
        round=round_,
        form=form,
        uses_population=needs_populations,
        missing=missing,
        refused=refused,
        load_commands=LOAD_POPULATIONS,
    ), status


@bp.get("/rounds/<int:round_id>")
@role_required(Role.admin)
def view_round(round_id: int):
    """One round: dates, reference date (editable until it closes), populations it needs."""
    round_ = db.session.get(Round, round_id) or abort(404)
    return _render_round(round_)


@bp.post("/rounds/<int:round_id>/reference-date")
@role_required(Role.admin)
def change_reference_date(round_id: int):
    """Set the day the round's answers describe (empty: the closing day)."""
    round_ = round_for_moving(round_id) or abort(404)
    form = ReferenceDateForm()
    if not form.validate_on_submit():
        return _render_round(round_, form, status=422)
    try:
        set_reference_date(round_, form.reference_date.data, current_user)
    except ReferenceDateAfterClose:
        db.session.rollback()
        form.reference_date.errors.append(reference_date_after_close(round_.closes_on))
        return _render_round(db.session.get(Round, round_id), form, status=422)
    except RoundError:
        db.session.rollback()
        form.reference_date.errors.append(_("A closed round keeps its reference date."))
        return _render_round(db.session.get(Round, round_id), form, status=422)
    db.session.commit()
    flash(
        _(
            "The reference date of %(name)s is %(date)s.",
            name=round_.name,
            date=format_date(round_.reference_day),
        ),
        "success",
    )
    return redirect(url_for(".view_round", round_id=round_.id))


@bp.get("/regions")
@role_required(Role.admin)
def list_regions():
    """Every region with its latest stored population."""
    latest = (
        select(RegionPopulation.region_id, func.max(RegionPopulation.year).label("year"))
        .group_by(RegionPopulation.region_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Region, RegionPopulation)
        .outerjoin(latest, latest.c.region_id == Region.id)
        .outerjoin(
            RegionPopulation,
            (RegionPopulation.region_id == Region.id) & (RegionPopulation.year == latest.c.year),
        )
        .order_by(Region.code)
    ).all()
    return render_template("admin/regions.html", rows=rows)


@bp.get("/regions/<code>")
@role_required(Role.admin)
def view_region(code: str):
    """One region: its NUTS data and its populations per year, with their sources."""
    region = find_region(code) or abort(404)
    return render_template("admin/region.html", region=region, populations=populations_of(region))


@bp.post("/rounds/<int:round_id>/release")
@role_required(Role.admin)
def toggle_release(round_id: int):
    """Show officers the experts' moderated scores of a round (``?to=release``), or withhold
    them again (``?to=withhold``): the step is named, so a second submit changes nothing."""
    round_ = db.session.get(Round, round_id) or abort(404)
    wanted = request.args.get("to")
    if wanted not in ("release", "withhold"):
        flash(_("Nothing was changed: reload the page and choose again."), "error")
        return redirect(url_for(".list_rounds_page"))
    set_scores_released(round_, wanted == "release", current_user)
    db.session.commit()
    if round_.moderated_released:
        message = _("Officers now see the moderated scores of %(name)s.", name=round_.name)
    else:
        message = _("The moderated scores of %(name)s are hidden from officers.", name=round_.name)
    flash(message, "success")
    return redirect(url_for(".list_rounds_page"))


def _regions_from(form: UserForm):
    regions, unknown = parse_region_codes(form.codes.data or "")
    if unknown:
        form.codes.errors.append(
            _("Unknown NUTS codes: %(codes)s. Nothing was saved.", codes=", ".join(unknown))
        )
        return None
    if form.role.data == Role.officer.value and not regions:
        form.codes.errors.append(_("An officer needs at least one region."))
        return None
    if form.role.data != Role.officer.value and regions:
        # Never dropped unseen (a role changed from officer lost its regions without a word).
        form.codes.errors.append(
            _("Only officers have regions: empty this field to give this role. Nothing was saved.")
        )
        return None
    return regions


@bp.route("/users/new", methods=["GET", "POST"])
@role_required(Role.admin)
def new_user():
    """Create an account; the new user sets a password through a one-time link."""
    form = UserForm()
    valid = form.validate_on_submit()
    # The regions are checked even when another field is wrong: every message shows at once.
    regions = _regions_from(form) if form.is_submitted() else None
    if valid and regions is not None:
        try:
            user = create_user(
                form.email.data,
                form.name.data,
                Role(form.role.data),
                secrets.token_urlsafe(24),  # unknown to anyone: replaced through the link
                regions,
                actor=current_user,
            )
        except AccountError as error:  # a race with another administrator, or a rule here
            db.session.rollback()
            if "already exists" in str(error):
                form.email.errors.append(_("An account with this email already exists."))
            elif "not an email address" in str(error):
                form.email.errors.append(_("This is not an email address."))
            else:
                form.email.errors.append(str(error))
        else:
            token = issue_reset_token(user, current_user)
            db.session.commit()
            link = url_for("auth.reset_password", token=token, _external=True)
            return render_template("admin/reset_link.html", user=user, link=link, created=True)
    return render_template("admin/user_form.html", form=form, user=None), (
        422 if form.errors else 200
    )


@bp.post("/users/<int:user_id>/export")
@role_required(Role.admin)
def export_user_data(user_id: int):
    """Everything held about the account, as a JSON file (a subject access request); the
    export itself is audited."""
    user = _user_or_404(user_id)
    data = export_user(user, current_user)
    db.session.commit()
    body = json.dumps(data, ensure_ascii=False, indent=2)
    headers = {
        "Content-Disposition": f'attachment; filename="personal-data-user-{user.id}.json"',
        "Cache-Control": "no-store",
    }
    return Response(body, mimetype="application/json", headers=headers)


@bp.route("/users/<int:user_id>/erase", methods=["GET", "POST"])
@role_required(Role.admin)
def erase_user_data(user_id: int):
    """Erase an account's personal data (pseudonymised; its work and the audit trail stay)."""
    user = _user_or_404(user_id)
    form = EraseUserForm(user.email)
    if form.validate_on_submit():
        try:
            erase_user(user, current_user)
        except ErasureRefused as error:
            db.session.rollback()
            form.confirm.errors.append(
                _("You cannot erase your own account.")
                if error.reason == "self"
                else _("The last active administrator cannot be erased.")
            )
        else:
            db.session.commit()
            flash(_("The personal data of the account are erased."), "success")
            return redirect(url_for(".list_users"))
    page = render_template("admin/erase_user.html", form=form, user=user)
    return page, 422 if form.errors else 200


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@role_required(Role.admin)
def edit_user(user_id: int):
    """Change an account's name, role and regions; it takes effect on the user's next request."""
    user = _user_or_404(user_id)
    form = EditUserForm(
        data={
            "name": user.name,
            "role": user.role.value,
            "codes": " ".join(r.code for r in user.regions),
        }
        if request.method == "GET"
        else None
    )
    if form.validate_on_submit():
        regions = _regions_from(form)
        if regions is not None:
            if user.id == current_user.id and form.role.data != Role.admin.value:
                form.role.errors.append(_("You cannot remove your own administrator role."))
            else:
                update_user(user, form.name.data, Role(form.role.data), regions, current_user)
                db.session.commit()
                flash(_("%(name)s is saved.", name=user.name), "success")
                return redirect(url_for(".list_users"))
    return render_template("admin/user_form.html", form=form, user=user), (
        422 if form.errors else 200
    )
