"""Expert review pages and the comment threads officers answer."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from surveyapp.assessments.models import AssessmentState, InvalidTransition
from surveyapp.assessments.permissions import can_discuss, can_review, load_assessment
from surveyapp.auth.models import Role
from surveyapp.auth.permissions import role_required
from surveyapp.extensions import db
from surveyapp.forms import show_at_field
from surveyapp.i18n import current_lang, label
from surveyapp.reviews.forms import (
    STEP_FORMS,
    CommentForm,
    QueueFilterForm,
    RequestChangesForm,
    ResolveForm,
    ReviewStepForm,
)
from surveyapp.reviews.models import ItemComment
from surveyapp.reviews.operations import (
    NotReviewer,
    Refused,
    ReviewError,
    confirm_item,
    decide_not_applicable,
    ensure_can_review,
    ensure_may_discuss,
    post_comment,
    request_changes,
    resolve_comment,
    review_refusal,
    set_moderated_score,
    set_section_remark,
    start_review,
    take_over_review,
    unresolved_comments,
    validate_assessment,
    withdraw_moderation,
)
from surveyapp.reviews.page import may_take_over, render_review, section_or_404
from surveyapp.reviews.queries import (
    definition_format,
    review_queue,
    undecided_not_applicable,
)
from surveyapp.rounds.queries import list_rounds

bp = Blueprint("reviews", __name__, template_folder="templates")


@bp.get("/reviews")
@role_required(Role.expert, Role.admin)
def queue():
    """Submitted assessments by round, with filters and who is reviewing what."""
    form = QueueFilterForm(list_rounds())
    form.validate()
    return render_template("reviews/queue.html", rows=review_queue(form.filters()), form=form)


def refused(assessment, error: ReviewError):
    """The 403 page of a review action by someone who does not hold the review."""
    return render_template("reviews/refused.html", assessment=assessment, error=error), 403


@bp.get("/reviews/<int:assessment_id>/sections/<section_id>")
@role_required(Role.expert, Role.admin)
def review_section(assessment_id: int, section_id: str):
    """One section of the response, with threads, moderated scores and the section remark."""
    return render_review(load_assessment(assessment_id), section_id)


#: Where an error of each of the section page's forms shows when it names no field of the form.
DEFAULT_FIELDS = {"remark": "remark", "comment": "body", "confirm": "confirmed"}


@bp.post("/reviews/<int:assessment_id>/sections/<section_id>")
@role_required(Role.expert)
def save_review(assessment_id: int, section_id: str):
    """Save an item's moderated score, decision, confirmation or comment, or the section
    remark, from the section's review page (posted to the page's own address: an error shows
    there, with what was typed)."""
    assessment = load_assessment(assessment_id)
    definition, section = section_or_404(assessment, section_id)
    step = ReviewStepForm()
    what = step.form.data
    if what not in STEP_FORMS:
        abort(400)  # the page's forms all say which they are
    item_id = None
    if what != "remark":
        item = definition.items_by_id.get(step.item.data)
        if item is None or item.section_id != section.id:
            abort(404)
        item_id = item.id
    form = STEP_FORMS[what]()
    try:
        if what == "comment":
            ensure_may_discuss(current_user, assessment)
        else:
            ensure_can_review(current_user, assessment)
    except Refused as error:
        return refused(assessment, error)
    if form.validate_on_submit():
        try:
            done = _save_step(assessment, section.id, item_id, what, form)
            db.session.commit()
        except Refused as error:
            db.session.rollback()
            return refused(assessment, error)
        except ReviewError as error:
            db.session.rollback()
            show_at_field(form, error, DEFAULT_FIELDS.get(what, "score"))
        else:
            if done:
                flash(done, "success")
            anchor = "#remark-title" if item_id is None else f"#item-{item_id}"
            page = url_for(".review_section", assessment_id=assessment_id, section_id=section.id)
            return redirect(page + anchor)
    return render_review(load_assessment(assessment_id), section.id, form, item_id, 422)


def _save_step(assessment, section_id: str, item_id: str | None, what: str, form) -> str | None:
    """Save the section page's form ``what`` through its operation; the message to flash."""
    if what == "remark":
        set_section_remark(assessment, section_id, form.remark.data, current_user)
        return _("Remark saved.")
    if what == "comment":
        post_comment(assessment, item_id, current_user, form.body.data)
        return None
    if what == "confirm":
        if form.confirmed.data == "0":
            withdraw_moderation(assessment, item_id, current_user)
            return _("Confirmation withdrawn.")
        confirm_item(assessment, item_id, current_user, form.replaced_score)
        return _("Answer confirmed.")
    if what == "decision":
        if form.decision.data == "":
            withdraw_moderation(assessment, item_id, current_user)
            return _("Decision withdrawn.")
        decide_not_applicable(
            assessment,
            item_id,
            form.decision.data,
            form.rationale.data,
            current_user,
            form.score.number,
        )
        return _("Decision saved.")
    set_moderated_score(assessment, item_id, form.score.number, form.rationale.data, current_user)
    return _("Score saved.")


@bp.get("/reviews/<int:assessment_id>")
@role_required(Role.expert, Role.admin)
def review(assessment_id: int):
    assessment = load_assessment(assessment_id, with_answers=False)
    first = assessment.round.questionnaire.parsed.sections[0].id
    return redirect(url_for(".review_section", assessment_id=assessment.id, section_id=first))


def _moved_on(assessment) -> str:
    """Why a review decision changed nothing: the assessment moved on meanwhile (validated,
    sent back, or taken over by another expert's decision)."""
    db.session.refresh(assessment)
    return _(
        "Nothing was changed: this assessment is now %(state)s.", state=label(assessment.state)
    )


def _moved_on_page(assessment):
    """The review page (409) saying that a decision changed nothing: see _moved_on."""
    flash(_moved_on(assessment), "error")
    first = assessment.round.questionnaire.parsed.sections[0].id
    return render_review(assessment, first, status=409)


def _decision(assessment_id: int, step, done_message: str, *args):
    assessment = load_assessment(assessment_id, with_answers=False)
    try:
        changed = step(assessment, current_user, *args)
        db.session.commit()
    except InvalidTransition:
        db.session.rollback()
        return _moved_on_page(assessment)
    except Refused as error:
        db.session.rollback()
        return refused(assessment, error)
    except ReviewError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return redirect(url_for(".review", assessment_id=assessment_id))
    if changed is not False:
        flash(done_message, "success")
    return redirect(url_for(".review", assessment_id=assessment_id))


def _confirmation(assessment_id: int, action: str, form=None, status=200):
    """The page that asks before a review decision (works without JavaScript); ``form``: the
    request for changes, as typed."""
    assessment = load_assessment(assessment_id, with_answers=False)
    if action == "take_over":
        if not may_take_over(assessment):
            return redirect(url_for(".review", assessment_id=assessment.id))
    elif assessment.state != AssessmentState.under_review:
        if form is None:  # the page that asks (an old link): nothing was tried
            flash(_("This assessment is now %(state)s.", state=label(assessment.state)), "info")
            return redirect(url_for(".review", assessment_id=assessment.id))
        if action != "request_changes" or assessment.reviewer_id != current_user.id:
            return _moved_on_page(assessment)
        status = 409  # the reviewer's request came too late: its message is shown, not sent
    elif not can_review(current_user, assessment):
        return refused(assessment, NotReviewer(review_refusal(current_user, assessment)))
    definition = assessment.round.questionnaire.parsed
    return (
        render_template(
            "reviews/confirm.html",
            assessment=assessment,
            action=action,
            open_comments=[
                (definition.items_by_id.get(c.item_id), c) for c in unresolved_comments(assessment)
            ],
            undecided=(
                undecided_not_applicable(assessment)
                if action == "validate" and definition_format(definition) >= 2
                else []
            ),
            form=form or RequestChangesForm(formdata=None),
            lang=current_lang(),
            # A request for changes that came too late: its message is shown, not sent.
            moved_on=_moved_on(assessment) if status == 409 else None,
        ),
        status,
    )


@bp.post("/reviews/<int:assessment_id>/start")
@role_required(Role.expert)
def start(assessment_id: int):
    return _decision(
        assessment_id, start_review, _("You are reviewing this assessment. The region is told.")
    )


@bp.get("/reviews/<int:assessment_id>/take-over")
@role_required(Role.expert)
def confirm_take_over(assessment_id: int):
    """Ask before taking another expert's review over."""
    return _confirmation(assessment_id, "take_over")


@bp.post("/reviews/<int:assessment_id>/take-over")
@role_required(Role.expert)
def take_over(assessment_id: int):
    """Take another expert's review over; they are told."""
    return _decision(
        assessment_id,
        take_over_review,
        _("You have taken over this review. The expert who had it is told."),
    )


@bp.get("/reviews/<int:assessment_id>/request-changes")
@role_required(Role.expert)
def confirm_changes(assessment_id: int):
    """Ask for the covering message before sending the assessment back to the region."""
    return _confirmation(assessment_id, "request_changes")


@bp.post("/reviews/<int:assessment_id>/request-changes")
@role_required(Role.expert)
def changes(assessment_id: int):
    """Send the assessment back to the region with the covering message."""
    assessment = load_assessment(assessment_id, with_answers=False)
    form = RequestChangesForm()
    if not form.validate_on_submit():
        return _confirmation(assessment_id, "request_changes", form, 422)
    try:
        request_changes(assessment, current_user, form.message.data)
        db.session.commit()
    except InvalidTransition:
        db.session.rollback()
        return _confirmation(assessment_id, "request_changes", form, 409)
    except Refused as error:
        db.session.rollback()
        return refused(assessment, error)
    except ReviewError as error:
        db.session.rollback()
        if error.field == "message":
            show_at_field(form, error, "message")
            return _confirmation(assessment_id, "request_changes", form, 422)
        flash(str(error.message), "error")
        return redirect(url_for(".review", assessment_id=assessment_id))
    flash(_("Sent back to the region, with your message and comments."), "success")
    return redirect(url_for(".review", assessment_id=assessment_id))


@bp.get("/reviews/<int:assessment_id>/validate")
@role_required(Role.expert)
def confirm_validate(assessment_id: int):
    """Ask before validating: it locks the assessment for good."""
    return _confirmation(assessment_id, "validate")


@bp.post("/reviews/<int:assessment_id>/validate")
@role_required(Role.expert)
def validate(assessment_id: int):
    return _decision(
        assessment_id, validate_assessment, _("Validated. The assessment is now locked.")
    )


@bp.app_template_global()
def may_post_in(assessment) -> bool:
    """Whether the signed-in user may post in (and resolve) the assessment's comment threads
    (for the thread macro, wherever it is shown)."""
    return can_discuss(current_user, assessment)


def _back_to(assessment, item_id: str):
    """The page the form was on: the review page for experts, the section page for officers."""
    definition = assessment.round.questionnaire.parsed
    section_id = definition.item(item_id).section_id
    if current_user.role == Role.officer:
        if assessment.is_editable_by_region:
            target = url_for(
                "assessments.edit_section", assessment_id=assessment.id, section_id=section_id
            )
        else:
            target = url_for("assessments.view_assessment", assessment_id=assessment.id)
    else:
        target = url_for(".review_section", assessment_id=assessment.id, section_id=section_id)
    return f"{target}#item-{item_id}"


@bp.post("/assessments/<int:assessment_id>/items/<item_id>/comments")
@login_required
def comment(assessment_id: int, item_id: str):
    """Add a message to an item's thread (experts, and the region's officers)."""
    if current_user.role == Role.admin:
        abort(403)  # administrators read reviews; the discussion is the experts' and officers'
    assessment = load_assessment(assessment_id, with_answers=False)
    if item_id not in assessment.round.questionnaire.parsed.items_by_id:
        abort(404)
    try:
        ensure_may_discuss(current_user, assessment)
    except Refused as error:
        return refused(assessment, error)
    form = CommentForm()
    if form.validate_on_submit():
        try:
            post_comment(assessment, item_id, current_user, form.body.data)
            db.session.commit()
        except Refused as error:
            db.session.rollback()
            return refused(assessment, error)
        except ReviewError as error:
            db.session.rollback()
            show_at_field(form, error, "body")
        else:
            return redirect(_back_to(assessment, item_id))
    if current_user.role == Role.expert:
        section_id = assessment.round.questionnaire.parsed.item(item_id).section_id
        return render_review(load_assessment(assessment_id), section_id, form, item_id, 422)
    for message in form.body.errors:
        flash(str(message), "error")
    return redirect(_back_to(assessment, item_id))


@bp.post("/comments/<int:comment_id>/resolve")
@login_required
def resolve(comment_id: int):
    """Mark a comment resolved, or open it again."""
    comment = db.session.get(ItemComment, comment_id) or abort(404)
    assessment = load_assessment(comment.assessment_id, with_answers=False)
    form = ResolveForm()
    if form.validate_on_submit():
        try:
            resolve_comment(comment, current_user, resolved=form.resolved.data != "0")
            db.session.commit()
        except Refused as error:
            db.session.rollback()
            return refused(assessment, error)
        except ReviewError as error:
            db.session.rollback()
            flash(str(error.message), "error")
    return redirect(_back_to(assessment, comment.item_id))
