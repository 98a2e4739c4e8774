"""Mark, edit and remove good practices (experts only)."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from surveyapp.assessments.models import Assessment, AssessmentState
from surveyapp.audit.operations import log_event
from surveyapp.auth.models import Role, User
from surveyapp.extensions import db
from surveyapp.forms import FieldError
from surveyapp.practices.models import GoodPractice

TEXT_TYPES = {"text", "long_text"}


class PracticeError(FieldError):
    """A good practice refused as asked; ``field`` says where the message belongs."""


class DuplicatePractice(PracticeError):
    """The answer is a good practice already: ``existing`` is its entry."""

    def __init__(self, existing: GoodPractice):
        super().__init__(
            _l(
                "This answer is already in the good-practice library as “%(title)s”. "
                "Change that entry rather than adding a second one.",
                title=existing.title,
            ),
            "title",
        )
        self.existing = existing


def practice_of_answer(assessment: Assessment, item_id: str) -> GoodPractice | None:
    """The good practice marked on an answer, if any (there is at most one)."""
    return db.session.scalar(
        select(GoodPractice).filter_by(assessment_id=assessment.id, item_id=item_id)
    )


def parse_tags(text: str) -> list[str]:
    """Comma-separated keywords, lower case, without repeats, in the order given."""
    seen: list[str] = []
    for tag in re.split(r"[,;\n]+", text or ""):
        tag = " ".join(tag.split()).lower()[:50]
        if tag and tag not in seen:
            seen.append(tag)
    return seen[:20]


def save_good_practice(
    practice: GoodPractice | None,
    assessment: Assessment,
    item_id: str | None,
    expert: User,
    *,
    title: str,
    summary: str,
    aspects: list[str],
    dimensions: list[str],
    tags: str,
) -> GoodPractice:
    """Create (practice None) or change a good practice.

    :param title: one line of at most 200 characters, and ``summary`` a text, both not empty
        (forms.PracticeForm checks them); aspects and dimensions the questionnaire does not
        know are left out.
    :raises PracticeError: with the field at fault (DuplicatePractice: the answer has one).
    """
    if expert.role != Role.expert:
        raise PracticeError(_l("Only working-group experts curate good practices."))
    if assessment.state == AssessmentState.draft:
        raise PracticeError(_l("Drafts cannot hold good practices."))
    definition = assessment.round.questionnaire.parsed
    if item_id is not None:
        item = definition.items_by_id.get(item_id)
        if item is None or item.type not in TEXT_TYPES:
            raise PracticeError(
                _l("Only written answers can be marked as good practices."), "title"
            )
    known_aspects = {a.id for a in definition.aspects}
    known_dimensions = {d.id for d in definition.dimensions}
    created = practice is None
    if created and item_id is not None:
        existing = practice_of_answer(assessment, item_id)
        if existing is not None:
            raise DuplicatePractice(existing)
    try:
        # A savepoint: another expert marking the same answer at the same moment loses to
        # the unique constraint, and this transaction stays usable.
        with db.session.begin_nested():
            if created:
                practice = GoodPractice(assessment=assessment, item_id=item_id, created_by=expert)
                db.session.add(practice)
            practice.title, practice.summary = title, summary
            practice.aspects = [a for a in aspects if a in known_aspects]
            practice.dimensions = [d for d in dimensions if d in known_dimensions]
            practice.tags = parse_tags(tags)
    except IntegrityError:
        existing = practice_of_answer(assessment, item_id) if item_id is not None else None
        if existing is None:
            raise
        raise DuplicatePractice(existing) from None
    log_event(
        "practice.created" if created else "practice.changed",
        "good_practice",
        practice.id,
        user=expert,
        assessment_id=assessment.id,
        item_id=item_id,
        new_value=title,
    )
    return practice


def delete_good_practice(practice: GoodPractice, expert: User) -> None:
    if expert.role != Role.expert:
        raise PracticeError(_l("Only working-group experts curate good practices."))
    log_event(
        "practice.deleted",
        "good_practice",
        practice.id,
        user=expert,
        assessment_id=practice.assessment_id,
        old_value=practice.title,
    )
    db.session.delete(practice)
