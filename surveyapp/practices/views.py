"""The good-practice library, and experts marking answers as good practices."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from surveyapp.assessments.permissions import load_assessment
from surveyapp.auth.models import Role
from surveyapp.auth.permissions import role_required
from surveyapp.bounds import db_int
from surveyapp.extensions import db
from surveyapp.labels import current_lang
from surveyapp.practices.models import GoodPractice
from surveyapp.practices.operations import (
    DuplicatePractice,
    delete_good_practice,
    save_good_practice,
)
from surveyapp.practices.queries import LibraryFilters, library, visible_practices
from surveyapp.reviews.operations import ReviewError
from surveyapp.rounds.queries import list_rounds

bp = Blueprint("practices", __name__, template_folder="templates")


def _fields() -> dict:
    form = request.form
    return {
        "title": form.get("title", ""),
        "summary": form.get("summary", ""),
        "aspects": form.getlist("aspects"),
        "dimensions": form.getlist("dimensions"),
        "tags": form.get("tags", ""),
    }


@bp.get("/good-practices")
@login_required
def list_practices():
    """Searchable, filterable good practices (officers: their own and consenting regions')."""
    filters = LibraryFilters(
        text=request.args.get("q", "")[:200],
        aspect=request.args.get("aspect", ""),
        dimension=request.args.get("dimension", ""),
        country=request.args.get("country", "")[:2],
        round_id=request.args.get("round", type=db_int),
    )
    rounds = list_rounds()
    definition = rounds[-1].questionnaire.parsed if rounds else None
    return render_template(
        "practices/library.html",
        practices=library(current_user, filters),
        filters=filters,
        rounds=rounds,
        definition=definition,
        lang=current_lang(),
    )


@bp.post("/reviews/<int:assessment_id>/items/<item_id>/practice")
@role_required(Role.expert)
def mark(assessment_id: int, item_id: str):
    """Mark a written answer as a good practice."""
    from surveyapp.reviews.page import render_review

    assessment = load_assessment(assessment_id)
    item = assessment.round.questionnaire.parsed.items_by_id.get(item_id) or abort(404)
    try:
        save_good_practice(None, assessment, item_id, current_user, **_fields())
        db.session.commit()
    except DuplicatePractice as duplicate:
        db.session.rollback()
        flash(str(duplicate.message), "info")
        return redirect(url_for(".edit", practice_id=duplicate.existing.id), 303)
    except ReviewError as error:
        db.session.rollback()
        errors = {item_id: {f"practice_{error.field or 'title'}": str(error.message)}}
        return render_review(load_assessment(assessment_id), item.section_id, errors, 422)
    flash(_("Added to the good-practice library."), "success")
    return redirect(
        url_for("reviews.review_section", assessment_id=assessment_id, section_id=item.section_id)
        + f"#item-{item_id}"
    )


def _practice_or_404(practice_id: int) -> GoodPractice:
    practice = db.session.scalar(
        visible_practices(current_user).where(GoodPractice.id == practice_id)
    )
    if practice is None:
        abort(404)
    return practice


@bp.route("/good-practices/<int:practice_id>/edit", methods=["GET", "POST"])
@role_required(Role.expert)
def edit(practice_id: int):
    practice = _practice_or_404(practice_id)
    errors = {}
    if request.method == "POST":
        try:
            save_good_practice(
                practice, practice.assessment, practice.item_id, current_user, **_fields()
            )
            db.session.commit()
            flash(_("The good practice is saved."), "success")
            return redirect(url_for(".list_practices"))
        except ReviewError as error:
            db.session.rollback()
            practice = _practice_or_404(practice_id)
            errors = {f"practice_{error.field or 'title'}": str(error.message)}
    return render_template(
        "practices/edit.html",
        practice=practice,
        definition=practice.assessment.round.questionnaire.parsed,
        errors=errors,
        form=request.form if errors else None,
        lang=current_lang(),
    ), (422 if errors else 200)


@bp.post("/good-practices/<int:practice_id>/delete")
@role_required(Role.expert)
def delete(practice_id: int):
    practice = _practice_or_404(practice_id)
    delete_good_practice(practice, current_user)
    db.session.commit()
    flash(_("The good practice is removed from the library."), "success")
    return redirect(url_for(".list_practices"))
