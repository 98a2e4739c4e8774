"""The cross-region view of common challenges, tagging answers, and the taxonomy page."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from surveyapp.assessments.permissions import load_assessment
from surveyapp.auth.models import Role
from surveyapp.auth.permissions import role_required
from surveyapp.bounds import db_int
from surveyapp.challenges.models import ChallengeCategory
from surveyapp.challenges.operations import (
    TAGGABLE_TYPES,
    CategoryError,
    add_category,
    set_category_active,
    set_challenge_tags,
)
from surveyapp.challenges.queries import (
    categories,
    challenge_counts,
    chosen_counts,
    tagged_answers,
)
from surveyapp.extensions import db
from surveyapp.labels import current_lang
from surveyapp.reviews.operations import ReviewError
from surveyapp.rounds.queries import list_rounds

bp = Blueprint("challenges", __name__, template_folder="templates")


@bp.get("/challenges")
@role_required(Role.expert, Role.admin)
def overview():
    """Regions per challenge category, by critical aspect, country and round."""
    rounds = list_rounds()
    round_id = request.args.get("round", type=db_int)
    counts = challenge_counts(round_id)
    definition = rounds[-1].questionnaire.parsed if rounds else None
    countries = sorted({country for _c, country in counts["by_country"]})
    return render_template(
        "challenges/overview.html",
        categories=categories(),
        counts=counts,
        chosen=chosen_counts(round_id),
        rounds=rounds,
        round_id=round_id,
        aspects=definition.aspects if definition else (),
        countries=countries,
        lang=current_lang(),
    )


@bp.get("/challenges/<int:category_id>")
@role_required(Role.expert, Role.admin)
def answers(category_id: int):
    """The answers tagged with a category (one click from the counts)."""
    category = db.session.get(ChallengeCategory, category_id) or abort(404)
    round_id = request.args.get("round", type=db_int)
    return render_template(
        "challenges/answers.html",
        category=category,
        rows=tagged_answers(category_id, round_id),
        lang=current_lang(),
    )


@bp.post("/reviews/<int:assessment_id>/items/<item_id>/challenges")
@role_required(Role.expert)
def tag(assessment_id: int, item_id: str):
    """Tag a written answer with challenge categories (replacing earlier tags)."""
    assessment = load_assessment(assessment_id)
    item = assessment.round.questionnaire.parsed.items_by_id.get(item_id)
    if item is None or item.type not in TAGGABLE_TYPES:
        abort(404)  # the page offers tags on written answers only
    ids = request.form.getlist("categories", type=db_int)  # what is no id is left out
    try:
        set_challenge_tags(assessment, item_id, ids, request.form.get("aspect"), current_user)
        db.session.commit()
    except ReviewError as error:
        db.session.rollback()
        from surveyapp.reviews.page import render_review

        errors = {item_id: {"categories": str(error.message)}}
        return render_review(load_assessment(assessment_id), item.section_id, errors, 422)
    flash(_("Challenge tags saved."), "success")
    return redirect(
        url_for("reviews.review_section", assessment_id=assessment_id, section_id=item.section_id)
        + f"#item-{item_id}"
    )


@bp.route("/admin/challenges", methods=["GET", "POST"])
@role_required(Role.admin)
def taxonomy():
    """The shared challenge categories: add one, or retire and restore."""
    error = None
    name = ""
    if request.method == "POST":
        name = request.form.get("name", "")
        try:
            category = add_category(name, request.form.get("description"), current_user)
        except CategoryError as refusal:
            error = str(refusal)
        else:
            db.session.commit()
            flash(_("The category %(name)s is added.", name=category.name), "success")
            return redirect(url_for(".taxonomy"))
    return render_template(
        "challenges/taxonomy.html", categories=categories(), error=error, name=name
    ), (422 if error else 200)


@bp.post("/admin/challenges/<int:category_id>/active")
@role_required(Role.admin)
def toggle(category_id: int):
    """Retire a category (``?to=retire``) or restore it (``?to=restore``); a second submit of
    the same button changes nothing."""
    category = db.session.get(ChallengeCategory, category_id) or abort(404)
    wanted = request.args.get("to")
    if wanted in ("retire", "restore"):
        set_category_active(category, wanted == "restore", current_user)
        db.session.commit()
    return redirect(url_for(".taxonomy"))
