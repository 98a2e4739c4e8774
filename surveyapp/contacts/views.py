"""Contact between regions: asking to be put in touch (from a partner suggestion or a good
practice), the requests a region received and sent, and answering them."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from surveyapp.assessments.permissions import is_region_officer
from surveyapp.auth.models import Role
from surveyapp.auth.permissions import role_required
from surveyapp.contacts.forms import AnswerForm, ContactRequestForm
from surveyapp.contacts.models import ContactOrigin, ContactRequest
from surveyapp.contacts.operations import (
    ContactError,
    answer_contact,
    request_contact,
    withdraw_contact,
)
from surveyapp.contacts.queries import (
    as_seen_by,
    named_in_round,
    reasons_text,
    requests_of_regions,
    suggested_target,
)
from surveyapp.extensions import db
from surveyapp.forms import show_at_field
from surveyapp.i18n import current_lang
from surveyapp.practices.models import GoodPractice
from surveyapp.practices.queries import visible_practices
from surveyapp.regions.models import Region
from surveyapp.regions.queries import find_region
from surveyapp.rounds.models import Round

bp = Blueprint("contacts", __name__, template_folder="templates")


@bp.get("/contacts")
@role_required(Role.officer)
def list_requests():
    """The requests the officer's regions received and sent, with what each side may see."""
    regions = current_user.region_ids
    seen = as_seen_by(regions, requests_of_regions(regions), current_lang())
    return render_template("contacts/list.html", seen=seen, form=AnswerForm())


def _target():
    """The request the page is about, from its query: (round, region asked or None, its
    description, reasons, origin, practice); 404 when it names nothing the officer may ask."""
    practice_id = request.args.get("practice", type=int)
    if practice_id is not None:
        practice = db.session.scalar(
            visible_practices(current_user).where(GoodPractice.id == practice_id)
        )
        if practice is None:
            abort(404)
        region = practice.assessment.region
        return practice.assessment.round, region.id, region, {}, ContactOrigin.practice, practice
    round_ = db.get_or_404(Round, request.args.get("round", type=int) or 0)
    region = find_region(request.args.get("from", ""))
    if region is None or not is_region_officer(current_user, region.id):
        abort(404)
    found = suggested_target(round_, region.id, request.args.get("target", ""))
    if found is None:
        return round_, None, None, {}, ContactOrigin.suggestion, None
    named = None
    if named_in_round(found.region_id, round_.id):
        named = db.session.get(Region, found.region_id)
    return round_, found.region_id, named, found.reasons, ContactOrigin.suggestion, None


@bp.route("/contacts/new", methods=["GET", "POST"])
@role_required(Role.officer)
def new_request():
    """Ask a region to be put in touch; the region asked by a suggestion is never named here."""
    round_, to_region_id, named, reasons, origin, practice = _target()
    if to_region_id is None:
        flash(
            _(
                "This suggestion is no longer current: the figures changed. Ask again from the "
                "dashboard."
            )
        )
        return redirect(url_for(".list_requests"))
    own = sorted((r for r in current_user.regions if r.id != to_region_id), key=lambda r: r.code)
    if origin == ContactOrigin.suggestion:
        # A suggestion is of one region: it asks, with the reasons it was given.
        own = [r for r in own if r.code == request.args.get("from", "").strip().upper()]
    if not own:
        abort(404)
    form = ContactRequestForm()
    form.from_region_id.choices = [
        (r.id, _("%(name)s (%(code)s)", name=r.name, code=r.code)) for r in own
    ]
    asking = request.args.get("from", "")
    if request.method == "GET":
        form.from_region_id.data = next((r.id for r in own if r.code == asking), own[0].id)
    if form.validate_on_submit():
        from_region = next((r for r in own if r.id == form.from_region_id.data), None)
        if from_region is None:
            form.from_region_id.errors = [_("Choose one of your regions.")]
        else:
            try:
                request_contact(
                    current_user,
                    from_region,
                    to_region_id,
                    round_,
                    origin,
                    reasons,
                    form.message.data,
                    practice,
                )
            except ContactError as error:
                show_at_field(form, error, "from_region_id")
            else:
                db.session.commit()
                flash(_("Your request was sent. You will be told when the region answers."))
                return redirect(url_for(".list_requests"))
    described = None
    if named is not None:
        described = _("%(name)s (%(code)s)", name=named.name, code=named.code)
    status = 422 if form.errors else 200
    return render_template(
        "contacts/new.html",
        form=form,
        region=described,
        practice=practice,
        round=round_,
        reasons=reasons_text(reasons, round_.questionnaire.parsed, current_lang()),
    ), status


def _load(request_id: int) -> ContactRequest:
    found = db.get_or_404(ContactRequest, request_id)
    ids = current_user.region_ids
    if found.from_region_id not in ids and found.to_region_id not in ids:
        abort(404)
    return found


@bp.post("/contacts/<int:request_id>/<any(accept, decline, withdraw):action>")
@role_required(Role.officer)
def answer(request_id: int, action: str):
    """Accept or decline a request the officer's region received, or withdraw one it sent."""
    found = _load(request_id)
    form = AnswerForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        if action == "withdraw":
            withdraw_contact(current_user, found)
        else:
            answer_contact(current_user, found, action == "accept")
    except ContactError as error:
        db.session.rollback()
        flash(str(error.message))
    else:
        db.session.commit()
        flash(
            {
                "accept": _("Accepted: both regions now see each other's contact person."),
                "decline": _("Declined. The asking region is not told who declined."),
                "withdraw": _("Your request was withdrawn."),
            }[action]
        )
    return redirect(url_for(".list_requests"))
