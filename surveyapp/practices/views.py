"""The good-practice library, and experts marking answers as good practices."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from surveyapp.assessments.permissions import load_assessment
from surveyapp.auth.models import Role
from surveyapp.auth.permissions import role_required
from surveyapp.extensions import db
from surveyapp.forms import show_at_field
from surveyapp.i18n import current_lang
from surveyapp.practices.forms import LibraryFilterForm, PracticeForm
from surveyapp.practices.models import GoodPractice
from surveyapp.practices.operations import (
    DuplicatePractice,
    PracticeError,
    delete_good_practice,
    save_good_practice,
)
from surveyapp.practices.queries import library, visible_practices
from surveyapp.reviews.page import render_review, review_item_url
from surveyapp.rounds.queries import list_rounds

bp = Blueprint("practices", __name__, template_folder="templates")


@bp.get("/good-practices")
@login_required
def list_practices():
    """Searchable, filterable good practices (officers: their own and consenting regions')."""
    lang = current_lang()
    form = LibraryFilterForm(list_rounds(), lang)
    form.validate()
    return render_template(
        "practices/library.html",
        practices=library(current_user, form.filters()),
        form=form,
        lang=lang,
    )


@bp.post("/reviews/<int:assessment_id>/items/<item_id>/practice")
@role_required(Role.expert)
def mark(assessment_id: int, item_id: str):
    """Mark a written answer as a good practice."""
    assessment = load_assessment(assessment_id)
    item = assessment.round.questionnaire.parsed.items_by_id.get(item_id) or abort(404)
    form = PracticeForm()
    if form.validate_on_submit():
        try:
            save_good_practice(None, assessment, item_id, current_user, **form.practice_fields())
            db.session.commit()
        except DuplicatePractice as duplicate:
            db.session.rollback()
            flash(str(duplicate.message), "info")
            return redirect(url_for(".edit", practice_id=duplicate.existing.id), 303)
        except PracticeError as error:
            db.session.rollback()
            show_at_field(form, error, "title")
        else:
            flash(_("Added to the good-practice library."), "success")
            return redirect(review_item_url(assessment_id, item))
    return render_review(load_assessment(assessment_id), item.section_id, form, item_id, 422)


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
    """Change a good practice's title, summary, aspects, dimensions and keywords."""
    practice = _practice_or_404(practice_id)
    form = PracticeForm(
        data={
            "title": practice.title,
            "summary": practice.summary,
            "aspects": practice.aspects,
            "dimensions": practice.dimensions,
            "tags": ", ".join(practice.tags),
        }
        if request.method == "GET"
        else None
    )
    if form.validate_on_submit():
        try:
            save_good_practice(
                practice,
                practice.assessment,
                practice.item_id,
                current_user,
                **form.practice_fields(),
            )
            db.session.commit()
        except PracticeError as error:
            db.session.rollback()
            show_at_field(form, error, "title")
            practice = _practice_or_404(practice_id)
        else:
            flash(_("The good practice is saved."), "success")
            return redirect(url_for(".list_practices"))
    return render_template(
        "practices/edit.html",
        practice=practice,
        definition=practice.assessment.round.questionnaire.parsed,
        form=form,
        lang=current_lang(),
    ), (422 if form.errors else 200)


@bp.post("/good-practices/<int:practice_id>/delete")
@role_required(Role.expert)
def delete(practice_id: int):
    practice = _practice_or_404(practice_id)
    delete_good_practice(practice, current_user)
    db.session.commit()
    flash(_("The good practice is removed from the library."), "success")
    return redirect(url_for(".list_practices"))
