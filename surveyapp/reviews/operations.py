"""The review workflow: take into review, comment, moderate scores, decide on "not
applicable" answers, confirm items, remark, decide.

Every step is an audit event; the people concerned are notified. Experts never change the
region's answers: moderated scores and remarks sit beside them.
"""

from __future__ import annotations

import math
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from surveyapp.assessments.models import Assessment, AssessmentState, InvalidTransition
from surveyapp.assessments.operations import lock_for_writing
from surveyapp.assessments.permissions import can_discuss, can_review
from surveyapp.assessments.queries import answer_values
from surveyapp.assessments.signals import assessment_submitted
from surveyapp.audit.operations import log_event
from surveyapp.auth.models import Role, User
from surveyapp.db import utcnow
from surveyapp.extensions import db
from surveyapp.forms import FieldError
from surveyapp.i18n import current_lang
from surveyapp.notifications.operations import experts_of, notify, region_officers
from surveyapp.numbers import format_number
from surveyapp.questionnaires.types import NOT_APPLICABLE
from surveyapp.reviews.models import ChangeRequest, ItemComment, ModeratedScore, SectionRemark
from surveyapp.reviews.queries import (
    ACCEPTED,
    REJECTED,
    SAME_SCORE,
    definition_format,
    item_self_score,
    item_status,
    population_millions,
    undecided_not_applicable,
)
from surveyapp.rounds.models import RoundState
from surveyapp.text import has_visible_text


class ReviewError(FieldError):
    """A review step refused; ``field`` says where the message belongs."""


class Refused(ReviewError):
    """A step refused for who asks, not for what they sent (a page: 403)."""


class NotReviewer(Refused):
    """A review action by someone other than the expert who holds the review."""


def review_refusal(user: User, assessment: Assessment):
    """Why ``user`` may not act on the review (permissions.can_review said no), in words."""
    if user.role != Role.expert:
        return _l("Only working-group experts review assessments.")
    if assessment.state == AssessmentState.validated:
        return _l("This assessment is validated: its review is closed.")
    reviewer = assessment.reviewer
    if reviewer is not None and reviewer.id != user.id:
        return _l(
            "%(name)s is reviewing this assessment. Take the review over to act on it.",
            name=reviewer.name,
        )
    return _l("Take the assessment into review first.")


def ensure_can_review(user: User, assessment: Assessment) -> None:
    """:raises NotReviewer: unless ``user`` holds the review (permissions.can_review)."""
    if not can_review(user, assessment):
        raise NotReviewer(review_refusal(user, assessment))


def _audit(action: str, assessment: Assessment, user: User, **values) -> None:
    log_event(action, "assessment", assessment.id, user=user, assessment_id=assessment.id, **values)


def start_review(assessment: Assessment, expert: User) -> bool:
    """Take a submitted assessment into review; False when this expert already has it.

    :raises InvalidTransition: when it is not submitted.
    """
    lock_for_writing(assessment)
    if assessment.state == AssessmentState.under_review and assessment.reviewer_id == expert.id:
        return False
    assessment.start_review()
    assessment.reviewer = expert
    _audit("review.started", assessment, expert, new_value=str(assessment.state))
    notify(region_officers(assessment), "review_started", assessment, actor=expert)
    return True


def take_over_review(assessment: Assessment, expert: User) -> bool:
    """Take over another expert's review; they are told, and it is an audit event. False when
    this expert holds it already.

    :raises ReviewError: not an expert, or the assessment is not in review (nothing to take).
    """
    lock_for_writing(assessment)
    if expert.role != Role.expert:
        raise ReviewError(_l("Only working-group experts review assessments."))
    if assessment.reviewer_id == expert.id:
        return False
    if assessment.state not in (AssessmentState.under_review, AssessmentState.changes_requested):
        raise ReviewError(_l("Nobody is reviewing this assessment: there is nothing to take over."))
    previous = assessment.reviewer
    assessment.reviewer = expert
    _audit(
        "review.taken_over",
        assessment,
        expert,
        old_value=previous.name if previous else None,
        new_value=expert.name,
    )
    notify([previous] if previous else [], "review_taken_over", assessment, actor=expert)
    return True


@assessment_submitted.connect
def resume_review(assessment: Assessment, *, user: User, previous: AssessmentState, **_) -> None:
    """A resubmission after a request for changes goes back to the expert who asked, under
    review at once (they need not take it into review again; they are told it came back)."""
    reviewer = assessment.reviewer
    if previous != AssessmentState.changes_requested or reviewer is None:
        return
    if reviewer.role != Role.expert or not reviewer.active:
        return  # in the queue for any expert to take into review
    assessment.start_review()
    log_event(
        "review.resumed",
        "assessment",
        assessment.id,
        user=None,  # the system, on the region's resubmission
        assessment_id=assessment.id,
        old_value=str(AssessmentState.submitted),
        new_value=str(assessment.state),
    )


def _said(text: str | None, field: str) -> str:
    """The text without NUL characters and blanks at either end (its length is the form's).

    :raises ReviewError: nothing is left.
    """
    text = (text or "").replace("\x00", "").strip()
    if not has_visible_text(text):
        raise ReviewError(_l("Write something first."), field)
    return text


def ensure_may_discuss(user: User, assessment: Assessment, field: str | None = None) -> None:
    """:raises Refused: unless permissions.can_discuss (NotReviewer for other experts)."""
    if can_discuss(user, assessment):
        return
    if user.role == Role.expert:
        raise NotReviewer(review_refusal(user, assessment), field)
    if assessment.state == AssessmentState.validated:
        raise Refused(_l("This assessment is validated: its comments can no longer change."), field)
    raise Refused(_l("You cannot comment on this assessment."), field)


def post_comment(assessment: Assessment, item_id: str, user: User, body: str) -> ItemComment:
    """Add a message to an item's thread and tell the other side."""
    definition = assessment.round.questionnaire.parsed
    if item_id not in definition.items_by_id:
        raise ReviewError(_l("There is no such question."), "body")
    ensure_may_discuss(user, assessment, "body")
    comment = ItemComment(
        assessment=assessment,
        item_id=item_id,
        author=user,
        body=_said(body, "body"),
        # Only experts' comments wait for the region; an officer's reply is an answer.
        resolved=user.role == Role.officer,
    )
    db.session.add(comment)
    db.session.flush()
    log_event(
        "comment.posted",
        "comment",
        comment.id,
        user=user,
        assessment_id=assessment.id,
        item_id=item_id,
        new_value=comment.body,
    )
    others = experts_of(assessment) if user.role == Role.officer else region_officers(assessment)
    notify(others, "comment", assessment, actor=user, item_id=item_id)
    return comment


def resolve_comment(comment: ItemComment, user: User, resolved: bool = True) -> None:
    """Mark a comment resolved (or open again)."""
    ensure_may_discuss(user, comment.assessment)
    comment.resolved = resolved
    comment.resolved_by = user if resolved else None
    comment.resolved_at = utcnow() if resolved else None
    log_event(
        "comment.resolved" if resolved else "comment.reopened",
        "comment",
        comment.id,
        user=user,
        assessment_id=comment.assessment_id,
        item_id=comment.item_id,
    )


def _ensure_reviewing(assessment: Assessment, expert: User) -> None:
    ensure_can_review(expert, assessment)
    if assessment.state != AssessmentState.under_review:
        raise ReviewError(_l("Take the assessment into review first."))


def self_score(assessment: Assessment, item_id: str) -> float | None:
    """The region's own score for an item (None: left out, e.g. not applicable)."""
    definition = assessment.round.questionnaire.parsed
    item = definition.item(item_id)
    values = answer_values(assessment)
    value = values.get(item_id)
    status = item_status(item, value, item.is_visible(values), None)
    fmt = definition_format(definition)
    return item_self_score(item, status, value, fmt, population_millions(assessment))


def _scored_item(assessment: Assessment, item_id: str, field: str):
    item = assessment.round.questionnaire.parsed.items_by_id.get(item_id)
    if item is None or not item.is_scored:
        raise ReviewError(_l("Only scored questions take a moderated score."), field)
    return item


def _answered_not_applicable(assessment: Assessment, item) -> bool:
    values = answer_values(assessment)
    return values.get(item.id) == NOT_APPLICABLE and item.is_visible(values)


def _moderation(assessment: Assessment, item_id: str) -> ModeratedScore | None:
    return db.session.scalar(
        select(ModeratedScore).filter_by(assessment_id=assessment.id, item_id=item_id)
    )


def _new_moderation(assessment: Assessment, item_id: str) -> ModeratedScore:
    row = ModeratedScore(assessment_id=assessment.id, item_id=item_id, confirmed=False)
    db.session.add(row)
    return row


def _check_score(item, score: float) -> None:
    """A moderated score is one an answer to the item earns (a level's, Yes or No, an option's)
    or, for counts and shares, any score from 0 to 100."""
    if not math.isfinite(score) or not 0 <= score <= 100:
        raise ReviewError(_l("Give a score from 0 to 100."), "score")
    choices = item.question_type.score_choices(item)
    # Compared on the canonical value (rounded to 9 decimals, as every score is compared).
    if choices is not None and round(score, 9) not in {round(earned, 9) for earned, _ in choices}:
        raise ReviewError(_l("Choose one of the scores an answer to this question earns."), "score")


def _rationale(text: str | None) -> str | None:
    text = (text or "").replace("\x00", "").strip()
    return text if has_visible_text(text) else None


def set_moderated_score(
    assessment: Assessment,
    item_id: str,
    score: float | None,
    rationale: str | None,
    expert: User,
) -> ModeratedScore | None:
    """Give (or, with score None, withdraw) the expert's score for a scored item.

    On an item the region answered "not applicable", a score rejects that answer
    (see :func:`decide_not_applicable`).

    :raises ReviewError: not a scored item, a score outside 0-100, or no rationale while the
        score differs from the region's own.
    """
    _ensure_reviewing(assessment, expert)
    item = _scored_item(assessment, item_id, "score")
    if score is None:
        withdraw_moderation(assessment, item_id, expert)
        return None
    if _answered_not_applicable(assessment, item):
        return decide_not_applicable(assessment, item_id, REJECTED, rationale, expert, score)
    _check_score(item, score)
    rationale = _rationale(rationale)
    own = self_score(assessment, item_id)
    if (own is None or abs(own - score) > SAME_SCORE) and not rationale:
        raise ReviewError(
            _l("Explain why your score differs from the region's own score."), "rationale"
        )
    existing = _moderation(assessment, item_id)
    old = existing.score if existing else None
    if existing is None:
        existing = _new_moderation(assessment, item_id)
    existing.score, existing.rationale, existing.expert = score, rationale, expert
    existing.na_decision, existing.confirmed = None, False
    db.session.flush()
    _audit("score.moderated", assessment, expert, item_id=item_id, old_value=old, new_value=score)
    return existing


def decide_not_applicable(
    assessment: Assessment,
    item_id: str,
    decision: str,
    rationale: str | None,
    expert: User,
    score: float | None = None,
) -> ModeratedScore:
    """Accept or reject the region's "not applicable" answer on a scored item (D12).

    Accepted, the item is left out of the moderated score and takes no score. Rejected, it
    needs a written rationale and counts as "Don't know" (0) unless ``score`` sets the
    moderated score (format 1, which has no "Don't know", needs the score).

    :raises ReviewError: the item is not scored or not answered "not applicable", an unknown
        decision, a score with an acceptance, a score outside 0-100, or a rejection without
        a rationale.
    """
    _ensure_reviewing(assessment, expert)
    item = _scored_item(assessment, item_id, "decision")
    if not _answered_not_applicable(assessment, item):
        raise ReviewError(
            _l("The region did not answer “not applicable” here: there is nothing to decide."),
            "decision",
        )
    if decision not in (ACCEPTED, REJECTED):
        raise ReviewError(_l("Accept or reject the region's “not applicable”."), "decision")
    rationale = _rationale(rationale)
    if decision == ACCEPTED and score is not None:
        raise ReviewError(
            _l("An accepted “not applicable” takes no score: the question is left out."),
            "score",
        )
    if decision == REJECTED:
        if score is not None:
            _check_score(item, score)
        elif definition_format(assessment.round.questionnaire.parsed) < 2:
            # Format 1 has no "Don't know" to fall back on: its scores leave a rejected N/A
            # without a score out, so the rejection would change nothing.
            raise ReviewError(
                _l("Give the score the question earns: this questionnaire has no “Don't know”."),
                "score",
            )
        if not rationale:
            raise ReviewError(_l("Explain why the question applies to the region."), "rationale")
    row = _moderation(assessment, item_id)
    old = (row.na_decision, row.score) if row else (None, None)
    if old == (decision, score) and row.rationale == rationale:
        return row
    if row is None:
        row = _new_moderation(assessment, item_id)
    row.na_decision, row.score, row.rationale = decision, score, rationale
    row.confirmed, row.expert = False, expert
    db.session.flush()
    action = "review.na_accepted" if decision == ACCEPTED else "review.na_rejected"
    _audit(
        action,
        assessment,
        expert,
        item_id=item_id,
        old_value=old[0],
        new_value=score if decision == REJECTED else None,
    )
    return row


#: confirm_item's ``replacing`` when the caller does not check which score it withdraws.
ANY_SCORE = object()


def confirm_item(
    assessment: Assessment, item_id: str, expert: User, replacing: Any = ANY_SCORE
) -> ModeratedScore:
    """Confirm the region's answer to a scored item as it stands (moderation coverage counts
    it as reviewed); a moderated score given before is withdrawn.

    :param replacing: the moderated score the expert saw and means to withdraw (None: they
        saw none); a different one stored since is never withdrawn unseen.
    :raises ReviewError: not a scored item, answered "not applicable" (accept or reject
        that instead), or a score stored that is not the one the expert saw.
    """
    _ensure_reviewing(assessment, expert)
    item = _scored_item(assessment, item_id, "confirm")
    if _answered_not_applicable(assessment, item):
        raise ReviewError(
            _l("Accept or reject the region's “not applicable” instead of confirming it."),
            "decision",
        )
    row = _moderation(assessment, item_id)
    if row is not None and row.confirmed and row.score is None:
        return row
    old = row.score if row else None
    seen = replacing is ANY_SCORE or (
        old is None
        if replacing is None
        else old is not None and round(old, 9) == round(float(replacing), 9)
    )
    if not seen:
        raise ReviewError(
            _l(
                "A moderated score of %(score)s was given since this page was opened. It is "
                "shown below: confirm again to withdraw it.",
                score=format_number(old),
            ),
            "confirmed",
        )
    if row is None:
        row = _new_moderation(assessment, item_id)
    row.score, row.na_decision, row.rationale = None, None, None
    row.confirmed, row.expert = True, expert
    db.session.flush()
    _audit("review.item_confirmed", assessment, expert, item_id=item_id, old_value=old)
    return row


def withdraw_moderation(assessment: Assessment, item_id: str, expert: User) -> None:
    """Withdraw the expert's score, decision or confirmation on an item (nothing to withdraw:
    nothing happens)."""
    _ensure_reviewing(assessment, expert)
    row = _moderation(assessment, item_id)
    if row is None:
        return
    db.session.delete(row)
    if row.na_decision is not None and _answered_not_applicable(
        assessment, assessment.round.questionnaire.parsed.item(item_id)
    ):
        action, old = "review.na_decision_withdrawn", row.na_decision
    elif row.score is not None:
        action, old = "score.withdrawn", row.score
    else:
        action, old = "review.confirmation_withdrawn", None
    _audit(action, assessment, expert, item_id=item_id, old_value=old)


def set_section_remark(assessment: Assessment, section_id: str, body: str, expert: User) -> None:
    """The expert's overall remark on a section (an empty text removes it)."""
    _ensure_reviewing(assessment, expert)
    remark = db.session.scalar(
        select(SectionRemark).filter_by(assessment_id=assessment.id, section_id=section_id)
    )
    text = (body or "").replace("\x00", "").strip()
    if not text:
        if remark is not None:
            db.session.delete(remark)
            _audit("remark.removed", assessment, expert, old_value=remark.body)
        return
    old = remark.body if remark else None
    if remark is None:
        remark = SectionRemark(assessment_id=assessment.id, section_id=section_id)
        db.session.add(remark)
    remark.body, remark.expert = text, expert
    _audit("remark.saved", assessment, expert, old_value=old, new_value=text)


def unresolved_comments(assessment: Assessment) -> list[ItemComment]:
    return list(
        db.session.scalars(
            select(ItemComment)
            .filter_by(assessment_id=assessment.id, resolved=False)
            .order_by(ItemComment.created_at)
        )
    )


def request_changes(assessment: Assessment, expert: User, message: str) -> ChangeRequest:
    """Send the assessment back to the region with a covering message; it needs at least one
    unresolved comment. The officers read the message on the assessment and in their
    notification; the resubmission comes back to this expert (resume_review).

    :raises InvalidTransition: when it is not under review.
    :raises ReviewError: no message (field ``message``), the round is closed, or no open
        comment.
    """
    lock_for_writing(assessment)
    if assessment.state != AssessmentState.under_review:
        raise InvalidTransition(f"an assessment cannot go from {assessment.state} to changes")
    ensure_can_review(expert, assessment)
    if assessment.round.state == RoundState.closed:
        # Sent back, it could never be submitted again, and it would leave the closed round's
        # frozen figures (its participation counts).
        raise ReviewError(
            _l(
                "The round is closed, so the region can no longer change its answers: validate "
                "the assessment, or leave it under review."
            ),
            "message",
        )
    text = _said(message, "message")
    if not unresolved_comments(assessment):
        raise ReviewError(
            _l("Comment on the questions the region should change before asking for changes.")
        )
    assessment.request_changes()
    change_request = ChangeRequest(assessment_id=assessment.id, expert=expert, message=text)
    db.session.add(change_request)
    _audit("review.changes_requested", assessment, expert, new_value=str(assessment.state))
    notify(region_officers(assessment), "changes_requested", assessment, actor=expert, message=text)
    return change_request


class UndecidedNotApplicable(ReviewError):
    """Validation refused: "not applicable" answers no expert has accepted or rejected."""

    def __init__(self, items: list):
        self.items = items
        questions = "; ".join(f"“{item.localized('text', current_lang())}”" for item in items)
        super().__init__(
            _l(
                "Accept or reject every “not applicable” before validating. Still undecided: "
                "%(questions)s.",
                questions=questions,
            ),
            "decision",
        )


def validate_assessment(assessment: Assessment, expert: User) -> None:
    """Accept the assessment as it stands; it is locked for good. Items the expert left
    unchanged keep the region's answer (no row is written for them: moderation coverage counts
    only what an expert did).

    Comments still open are resolved by the validating expert: once locked, nobody could.

    :raises InvalidTransition: when it is not under review.
    :raises UndecidedNotApplicable: a format-2 assessment with a "not applicable" answer no
        expert has accepted or rejected (D12).
    """
    lock_for_writing(assessment)
    if assessment.state != AssessmentState.under_review:
        raise InvalidTransition(f"an assessment cannot go from {assessment.state} to validated")
    ensure_can_review(expert, assessment)
    if definition_format(assessment.round.questionnaire.parsed) >= 2:
        undecided = undecided_not_applicable(assessment)
        if undecided:
            raise UndecidedNotApplicable(undecided)
    # Nobody can answer a comment once the assessment is locked: the validation closes those
    # still open, each with its event (the confirmation page says so).
    for comment in unresolved_comments(assessment):
        resolve_comment(comment, expert)
    assessment.validate()
    _audit("review.validated", assessment, expert, new_value=str(assessment.state))
    notify(region_officers(assessment), "validated", assessment, actor=expert)
