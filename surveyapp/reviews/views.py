"""Expert review pages and the comment threads officers answer."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from surveyapp.assessments.models import AssessmentState, InvalidTransition
from surveyapp.assessments.operations import answer_map
from surveyapp.assessments.permissions import load_assessment
from surveyapp.auth.models import Role
from surveyapp.auth.permissions import role_required
from surveyapp.challenges.queries import categories, tags_of
from surveyapp.extensions import db
from surveyapp.labels import current_lang
from surveyapp.practices.queries import practices_of
from surveyapp.regions.partnerships import THEMATIC_PARTNERSHIPS
from surveyapp.reviews.models import ItemComment
from surveyapp.reviews.operations import (
    ReviewError,
    post_comment,
    request_changes,
    resolve_comment,
    self_score,
    set_moderated_score,
    set_section_remark,
    start_review,
    validate_assessment,
)
from surveyapp.reviews.queries import (
    QueueFilters,
    moderated_scores,
    review_queue,
    section_remarks,
    threads,
    unresolved_items,
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
        round_id=request.args.get("round", default_round, type=int),
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


def _section_or_404(assessment, section_id: str):
    definition = assessment.round.questionnaire.parsed
    section = next((s for s in definition.sections if s.id == section_id), None)
    if section is None:
        abort(404)
    return definition, section


def render_review(assessment, section_id: str, errors: dict | None = None, status: int = 200):
    definition, section = _section_or_404(assessment, section_id)
    answers = answer_map(assessment)
    own_scores = {i.id: self_score(assessment, i.id) for i in section.items if i.is_scored}
    unresolved = unresolved_items(assessment)
    open_by_section = {
        s.id: sum(unresolved.get(i.id, 0) for i in s.items) for s in definition.sections
    }
    return (
        render_template(
            "reviews/section.html",
            assessment=assessment,
            definition=definition,
            section=section,
            answers=answers,
            own_scores=own_scores,
            moderated=moderated_scores(assessment),
            threads=threads(assessment),
            open_by_section=open_by_section,
            remark=section_remarks(assessment).get(section.id),
            practices=practices_of(assessment),
            challenge_tags=tags_of(assessment),
            challenge_categories=categories(active_only=True),
            reviewing=assessment.state == AssessmentState.under_review
            and current_user.role == Role.expert,
            errors=errors or {},
            form=request.form if errors else {},
            lang=current_lang(),
        ),
        status,
    )


@bp.get("/reviews/<int:assessment_id>/sections/<section_id>")
@role_required(Role.expert, Role.admin)
def review_section(assessment_id: int, section_id: str):
    """One section of the response, with threads, moderated scores and the section remark."""
    return render_review(load_assessment(assessment_id), section_id)


@bp.get("/reviews/<int:assessment_id>")
@role_required(Role.expert, Role.admin)
def review(assessment_id: int):
    assessment = load_assessment(assessment_id, with_answers=False)
    first = assessment.round.questionnaire.parsed.sections[0].id
    return redirect(url_for(".review_section", assessment_id=assessment.id, section_id=first))


def _decision(assessment_id: int, step, done_message: str):
    assessment = load_assessment(assessment_id, with_answers=False)
    try:
        changed = step(assessment, current_user)
        db.session.commit()
    except InvalidTransition:
        db.session.rollback()
        abort(409)
    except ReviewError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return redirect(url_for(".review", assessment_id=assessment_id))
    if changed is not False:
        flash(done_message, "success")
    return redirect(url_for(".review", assessment_id=assessment_id))


@bp.post("/reviews/<int:assessment_id>/start")
@role_required(Role.expert)
def start(assessment_id: int):
    return _decision(
        assessment_id, start_review, _("You are reviewing this assessment. The region is told.")
    )


@bp.post("/reviews/<int:assessment_id>/request-changes")
@role_required(Role.expert)
def changes(assessment_id: int):
    return _decision(
        assessment_id,
        request_changes,
        _("Sent back to the region, with the questions you commented on."),
    )


@bp.post("/reviews/<int:assessment_id>/validate")
@role_required(Role.expert)
def validate(assessment_id: int):
    return _decision(
        assessment_id, validate_assessment, _("Validated. The assessment is now locked.")
    )


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
    except ReviewError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    return redirect(_back_to(assessment, comment.item_id))


@bp.post("/reviews/<int:assessment_id>/items/<item_id>/score")
@role_required(Role.expert)
def score(assessment_id: int, item_id: str):
    """Give or withdraw the expert's score for a scored item."""
    assessment = load_assessment(assessment_id)
    definition = assessment.round.questionnaire.parsed
    item = definition.items_by_id.get(item_id) or abort(404)
    raw = request.form.get("score", "").strip()
    try:
        value = None if raw == "" else float(raw)
    except ValueError:
        errors = {item_id: {"score": _("Give a score from 0 to 100.")}}
        return render_review(assessment, item.section_id, errors, 422)
    try:
        set_moderated_score(assessment, item_id, value, request.form.get("rationale"), current_user)
        db.session.commit()
    except ReviewError as error:
        db.session.rollback()
        errors = {item_id: {error.field or "score": str(error.message)}}
        return render_review(load_assessment(assessment_id), item.section_id, errors, 422)
    return redirect(
        url_for(".review_section", assessment_id=assessment_id, section_id=item.section_id)
        + f"#item-{item_id}"
    )


@bp.post("/reviews/<int:assessment_id>/sections/<section_id>/remark")
@role_required(Role.expert)
def remark(assessment_id: int, section_id: str):
    """Save the expert's overall remark on a section."""
    assessment = load_assessment(assessment_id)
    _section_or_404(assessment, section_id)
    try:
        set_section_remark(assessment, section_id, request.form.get("remark", ""), current_user)
        db.session.commit()
    except ReviewError as error:
        db.session.rollback()
        errors = {"_remark": {"remark": str(error.message)}}
        return render_review(load_assessment(assessment_id), section_id, errors, 422)
    flash(_("Remark saved."), "success")
    return redirect(url_for(".review_section", assessment_id=assessment_id, section_id=section_id))
