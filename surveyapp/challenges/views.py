"""The cross-region view of common challenges, tagging answers, and the taxonomy page."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from surveyapp.assessments.permissions import load_assessment
from surveyapp.auth.models import Role
from surveyapp.auth.permissions import role_required
from surveyapp.challenges.forms import CategoryForm, RoundFilterForm, TagForm
from surveyapp.challenges.models import ChallengeCategory
from surveyapp.challenges.operations import (
    TAGGABLE_TYPES,
    ChallengeError,
    add_category,
    set_category_active,
    set_challenge_tags,
)
from surveyapp.challenges.queries import (
    categories,
    challenge_counts,
    chosen_counts,
    reader_name,
    tagged_answers,
)
from surveyapp.extensions import db
from surveyapp.forms import show_at_field
from surveyapp.i18n import current_lang
from surveyapp.reviews.page import render_review, review_item_url
from surveyapp.rounds.queries import list_rounds

bp = Blueprint("challenges", __name__, template_folder="templates")
bp.add_app_template_filter(reader_name, "category_name")


@bp.get("/challenges")
@role_required(Role.expert, Role.admin)
def overview():
    """Regions per challenge category, by critical aspect, country and round."""
    rounds = list_rounds()
    form = RoundFilterForm(rounds)
    form.validate()
    round_id = form.round.data
    counts = challenge_counts(round_id)
    definition = rounds[-1].questionnaire.parsed if rounds else None
    countries = sorted({country for _c, country in counts["by_country"]})
    return render_template(
        "challenges/overview.html",
        categories=categories(),
        counts=counts,
        chosen=chosen_counts(round_id),
        rounds=rounds,
        form=form,
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
    form = RoundFilterForm(list_rounds())
    form.validate()
    return render_template(
        "challenges/answers.html",
        category=category,
        rows=tagged_answers(category_id, form.round.data),
        form=form,
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
    form = TagForm()
    if form.validate_on_submit():
        try:
            set_challenge_tags(
                assessment, item_id, form.categories.data, form.aspect.data, current_user
            )
            db.session.commit()
        except ChallengeError as error:
            db.session.rollback()
            show_at_field(form, error, "categories")
        else:
            flash(_("Challenge tags saved."), "success")
            return redirect(review_item_url(assessment_id, item))
    return render_review(load_assessment(assessment_id), item.section_id, form, item_id, 422)


@bp.route("/admin/challenges", methods=["GET", "POST"])
@role_required(Role.admin)
def taxonomy():
    """The shared challenge categories: add one, or retire and restore."""
    form = CategoryForm()
    if form.validate_on_submit():
        try:
            category = add_category(form.name.data, form.description.data, current_user)
            db.session.commit()
        except ChallengeError as error:
            db.session.rollback()
            show_at_field(form, error, "name")
        else:
            flash(_("The category %(name)s is added.", name=category.name), "success")
            return redirect(url_for(".taxonomy"))
    return render_template("challenges/taxonomy.html", categories=categories(), form=form), (
        422 if form.errors else 200
    )


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
