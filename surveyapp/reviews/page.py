"""The review page of a section, as the review, practice and challenge forms all show it (with
their errors at the fields): one place, so that no view imports another."""

from __future__ import annotations

from flask import abort, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from surveyapp.assessments.models import AssessmentState
from surveyapp.assessments.permissions import can_review
from surveyapp.assessments.queries import answer_map
from surveyapp.auth.models import Role
from surveyapp.challenges.queries import categories, tags_of
from surveyapp.i18n import lang_attribute, questionnaire_language
from surveyapp.numbers import format_score
from surveyapp.practices.queries import practices_of
from surveyapp.reviews.queries import (
    changes_since_request,
    definition_format,
    item_moderations,
    latest_change_request,
    section_remarks,
    summarize,
    threads,
    unresolved_items,
)


def section_or_404(assessment, section_id: str):
    """The assessment's questionnaire and the section called ``section_id`` (404 if none)."""
    definition = assessment.round.questionnaire.parsed
    section = next((s for s in definition.sections if s.id == section_id), None)
    if section is None:
        abort(404)
    return definition, section


def review_item_url(assessment_id: int, item) -> str:
    """The review page of the item's section, at the item (where its forms post back to)."""
    page = url_for(
        "reviews.review_section", assessment_id=assessment_id, section_id=item.section_id
    )
    return f"{page}#item-{item.id}"


def render_review(
    assessment,
    section_id: str,
    form: FlaskForm | None = None,
    item_id: str | None = None,
    status: int = 200,
):
    """The section's review page.

    :param form: a form of the page that was refused: its errors are shown at its fields of
        item ``item_id`` (None: the section remark), with what was typed.
    """
    definition, section = section_or_404(assessment, section_id)
    lang = questionnaire_language(definition)
    key = item_id or "_remark"
    errors, typed = {}, {}
    if form is not None:
        errors[key] = {name: " ".join(map(str, found)) for name, found in form.errors.items()}
        typed[key] = form.data
    answers = answer_map(assessment)
    moderation = item_moderations(assessment)
    unresolved = unresolved_items(assessment)
    open_by_section = {
        s.id: sum(unresolved.get(i.id, 0) for i in s.items) for s in definition.sections
    }
    holds_review = can_review(current_user, assessment)
    return (
        render_template(
            "reviews/section.html",
            assessment=assessment,
            definition=definition,
            section=section,
            answers=answers,
            moderation=moderation,
            summary=summarize(list(moderation.values())),
            undecided=[m.item for m in moderation.values() if m.status == "na_pending"],
            na_required=definition_format(definition) >= 2,
            score_text=format_score,
            threads=threads(assessment),
            open_by_section=open_by_section,
            remark=section_remarks(assessment).get(section.id),
            practices=practices_of(assessment),
            challenge_tags=tags_of(assessment),
            challenge_categories=categories(active_only=True),
            holds_review=holds_review,
            reviewing=holds_review and assessment.state == AssessmentState.under_review,
            may_take_over=may_take_over(assessment),
            change_request=latest_change_request(assessment),
            changed=changes_since_request(assessment),
            errors=errors,
            typed=typed,
            lang=lang,
            qattr=lang_attribute(lang),
        ),
        status,
    )


def may_take_over(assessment) -> bool:
    """Whether the page offers the signed-in expert to take another expert's review over."""
    return (
        current_user.role == Role.expert
        and assessment.state in (AssessmentState.under_review, AssessmentState.changes_requested)
        and assessment.reviewer_id != current_user.id
    )
