"""Expert review pages and the comment threads officers answer."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from surveyapp.assessments.models import AssessmentState, InvalidTransition
from surveyapp.assessments.permissions import can_discuss, can_review, load_assessment
from surveyapp.auth.models import Role
from surveyapp.auth.permissions import role_required
from surveyapp.bounds import db_int
from surveyapp.extensions import db
from surveyapp.labels import current_lang
from surveyapp.regions.partnerships import THEMATIC_PARTNERSHIPS
from surveyapp.reviews.models import ItemComment
from surveyapp.reviews.operations import (
    NotReviewer,
    Refused,
    ReviewError,
    confirm_item,
    decide_not_applicable,
    ensure_can_review,
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
    QueueFilters,
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
    rounds = list_rounds()
    default_round = rounds[-1].id if rounds else None
    filters = QueueFilters(
        round_id=request.args.get("round", default_round, type=db_int),
        country=request.args.get("country") or None,
        state=request.args.get("state") or None,
        category=request.args.get("category") or None,
        partnership=request.args.get("partnership") or None,
    )
    return render_template(
        "reviews/queue.html",
        rows=review_queue(filters),
        rounds=rounds,
        filters=filters,
        states=[s for s in AssessmentState if s != AssessmentState.draft],
        partnerships=THEMATIC_PARTNERSHIPS,
    )


def refused(assessment, error: ReviewError):
    """The 403 page of a review action by someone who does not hold the review."""
    return render_template("reviews/refused.html", assessment=assessment, error=error), 403


@bp.get("/reviews/<int:assessment_id>/sections/<section_id>")
@role_required(Role.expert, Role.admin)
def review_section(assessment_id: int, section_id: str):
    """One section of the response, with threads, moderated scores and the section remark."""
    return render_review(load_assessment(assessment_id), section_id)


@bp.post("/reviews/<int:assessment_id>/sections/<section_id>")
@role_required(Role.expert)
def save_review(assessment_id: int, section_id: str):
    """Save an item's moderated score or comment, or the section remark, from the section's
    review page (posted to the page's own address: an error shows there, with what was typed)."""
    assessment = load_assessment(assessment_id)
    definition, section = section_or_404(assessment, section_id)
    what = request.form.get("form")
    try:
        if what == "remark":
            set_section_remark(assessment, section.id, request.form.get("remark", ""), current_user)
            done, anchor = _("Remark saved."), "#remark-title"
        elif what == "comment":
            item_id = request.form.get("item", "")
            item = definition.items_by_id.get(item_id)
            if item is None or item.section_id != section.id:
                abort(404)
            post_comment(assessment, item_id, current_user, request.form.get("body", ""))
            done, anchor = None, f"#item-{item_id}"
        else:
            item_id = request.form.get("item", "")
            item = definition.items_by_id.get(item_id)
            if item is None or item.section_id != section.id:
                abort(404)
            ensure_can_review(current_user, assessment)
            done = _moderate(assessment, item_id, what)
            anchor = f"#item-{item_id}"
        db.session.commit()
    except Refused as error:
        db.session.rollback()
        return refused(assessment, error)
    except ReviewError as error:
        db.session.rollback()
        if what == "remark":
            errors = {"_remark": {"remark": str(error.message)}}
        else:
            field = error.field or ("body" if what == "comment" else "score")
            errors = {request.form.get("item"): {field: str(error.message)}}
        return render_review(load_assessment(assessment_id), section.id, errors, 422)
    if done:
        flash(done, "success")
    return redirect(
        url_for(".review_section", assessment_id=assessment_id, section_id=section.id) + anchor
    )


def _moderate(assessment, item_id: str, what: str | None) -> str:
    """Save one item's moderation from the review page's form ``what``; the message to flash."""
    if what == "decision":
        decision = request.form.get("decision", "")
        if decision == "":
            withdraw_moderation(assessment, item_id, current_user)
            return _("Decision withdrawn.")
        decide_not_applicable(
            assessment,
            item_id,
            decision,
            request.form.get("rationale"),
            current_user,
            _score_value(request.form.get("score", ""), item_id),
        )
        return _("Decision saved.")
    if what == "confirm":
        if request.form.get("confirmed") == "0":
            withdraw_moderation(assessment, item_id, current_user)
            return _("Confirmation withdrawn.")
        confirm_item(assessment, item_id, current_user)
        return _("Answer confirmed.")
    set_moderated_score(
        assessment,
        item_id,
        _score_value(request.form.get("score", ""), item_id),
        request.form.get("rationale"),
        current_user,
    )
    return _("Score saved.")


def _score_value(raw: str, item_id: str) -> float | None:
    """The typed score (None: withdraw it). :raises ReviewError: not a number."""
    raw = raw.strip()
    if raw == "":
        return None
    try:
        return float(raw)
    except ValueError:
        raise ReviewError(_("Give a score from 0 to 100."), "score") from None


@bp.get("/reviews/<int:assessment_id>")
@role_required(Role.expert, Role.admin)
def review(assessment_id: int):
    assessment = load_assessment(assessment_id, with_answers=False)
    first = assessment.round.questionnaire.parsed.sections[0].id
    return redirect(url_for(".review_section", assessment_id=assessment.id, section_id=first))


def _decision(assessment_id: int, step, done_message: str, *args):
    assessment = load_assessment(assessment_id, with_answers=False)
    try:
        changed = step(assessment, current_user, *args)
        db.session.commit()
    except InvalidTransition:
        db.session.rollback()
        abort(409)
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


def _confirmation(assessment_id: int, action: str, errors: dict | None = None, status=200):
    """The page that asks before a review decision (works without JavaScript)."""
    assessment = load_assessment(assessment_id, with_answers=False)
    if action == "take_over":
        if not may_take_over(assessment):
            return redirect(url_for(".review", assessment_id=assessment.id))
    elif not can_review(current_user, assessment):
        return refused(assessment, NotReviewer(review_refusal(current_user, assessment)))
    elif assessment.state != AssessmentState.under_review:
        abort(409)
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
            errors=errors or {},
            lang=current_lang(),
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
    try:
        request_changes(assessment, current_user, request.form.get("message", ""))
        db.session.commit()
    except InvalidTransition:
        db.session.rollback()
        abort(409)
    except Refused as error:
        db.session.rollback()
        return refused(assessment, error)
    except ReviewError as error:
        db.session.rollback()
        if error.field == "message":
            errors = {"message": str(error.message)}
            return _confirmation(assessment_id, "request_changes", errors, 422)
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
        post_comment(assessment, item_id, current_user, request.form.get("body", ""))
        db.session.commit()
    except Refused as error:
        db.session.rollback()
        return refused(assessment, error)
    except ReviewError as error:
        db.session.rollback()
        if current_user.role == Role.expert:
            section_id = assessment.round.questionnaire.parsed.item(item_id).section_id
            errors = {item_id: {error.field or "body": str(error.message)}}
            return render_review(load_assessment(assessment_id), section_id, errors, 422)
        flash(str(error.message), "error")
        return redirect(_back_to(assessment, item_id))
    return redirect(_back_to(assessment, item_id))


@bp.post("/comments/<int:comment_id>/resolve")
@login_required
def resolve(comment_id: int):
    """Mark a comment resolved, or open it again."""
    comment = db.session.get(ItemComment, comment_id) or abort(404)
    assessment = load_assessment(comment.assessment_id, with_answers=False)
    try:
        resolve_comment(comment, current_user, resolved=request.form.get("resolved") != "0")
        db.session.commit()
    except Refused as error:
        db.session.rollback()
        return refused(assessment, error)
    except ReviewError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    return redirect(_back_to(assessment, comment.item_id))
