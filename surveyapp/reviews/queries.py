"""Reads for the review pages: the queue, threads, moderated scores and remarks."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from surveyapp.assessments.models import Assessment, AssessmentState
from surveyapp.audit.models import AuditEvent
from surveyapp.auth.models import User
from surveyapp.extensions import db
from surveyapp.regions.models import Region
from surveyapp.reviews.models import ChangeRequest, ItemComment, ModeratedScore, SectionRemark


@dataclass
class QueueFilters:
    round_id: int | None = None
    country: str | None = None
    state: str | None = None
    category: str | None = None
    partnership: str | None = None


@dataclass
class QueueRow:
    assessment: Assessment
    unresolved: int


def review_queue(filters: QueueFilters) -> list[QueueRow]:
    """Every assessment a region has submitted at least once (never a first draft)."""
    query = (
        select(Assessment)
        .join(Region, Region.id == Assessment.region_id)
        .options(joinedload(Assessment.region), joinedload(Assessment.reviewer))
        .where(Assessment.submitted_at.is_not(None))
        .order_by(Assessment.state_changed_at.desc(), Region.code)
    )
    if filters.round_id:
        query = query.where(Assessment.round_id == filters.round_id)
    if filters.country:
        query = query.where(Region.country == filters.country)
    if filters.state and filters.state in AssessmentState.__members__:
        query = query.where(Assessment.state == AssessmentState(filters.state))
    if filters.category:
        query = query.where(Region.category == filters.category)
    assessments = list(db.session.scalars(query).unique())
    if filters.partnership:
        assessments = [
            a for a in assessments if filters.partnership in (a.region.thematic_partnerships or [])
        ]
    counts = dict(
        db.session.execute(
            select(ItemComment.assessment_id, func.count())
            .where(ItemComment.resolved.is_(False))
            .group_by(ItemComment.assessment_id)
        ).all()
    )
    return [QueueRow(a, counts.get(a.id, 0)) for a in assessments]


def threads(assessment: Assessment) -> dict[str, list[ItemComment]]:
    """Item id -> its comments, oldest first."""
    comments = db.session.scalars(
        select(ItemComment)
        .options(joinedload(ItemComment.author), joinedload(ItemComment.resolved_by))
        .filter_by(assessment_id=assessment.id)
        .order_by(ItemComment.created_at, ItemComment.id)
    )
    result: dict[str, list[ItemComment]] = {}
    for comment in comments:
        result.setdefault(comment.item_id, []).append(comment)
    return result


def unresolved_items(assessment: Assessment) -> dict[str, int]:
    """Item id -> number of unresolved comments."""
    return dict(
        db.session.execute(
            select(ItemComment.item_id, func.count())
            .where(ItemComment.assessment_id == assessment.id, ItemComment.resolved.is_(False))
            .group_by(ItemComment.item_id)
        ).all()
    )


def moderated_scores(assessment: Assessment) -> dict[str, ModeratedScore]:
    return {
        m.item_id: m
        for m in db.session.scalars(
            select(ModeratedScore)
            .options(joinedload(ModeratedScore.expert))
            .filter_by(assessment_id=assessment.id)
        )
    }


def section_remarks(assessment: Assessment) -> dict[str, SectionRemark]:
    return {
        r.section_id: r
        for r in db.session.scalars(select(SectionRemark).filter_by(assessment_id=assessment.id))
    }


def latest_change_request(assessment: Assessment) -> ChangeRequest | None:
    """The last request for changes with its covering message (None: never asked)."""
    return db.session.scalar(
        select(ChangeRequest)
        .options(joinedload(ChangeRequest.expert))
        .filter_by(assessment_id=assessment.id)
        .order_by(ChangeRequest.created_at.desc(), ChangeRequest.id.desc())
        .limit(1)
    )


@dataclass
class AnswerChange:
    item_id: str
    before: object
    after: object


def changes_since_request(assessment: Assessment) -> list[AnswerChange]:
    """The answers changed since the last request for changes, from the audit trail: one per
    item, from its value when the changes were asked for to its value now, in the order
    changed (an answer changed and changed back is left out)."""
    requested = db.session.scalar(
        select(func.max(AuditEvent.id)).where(
            AuditEvent.assessment_id == assessment.id,
            AuditEvent.action == "review.changes_requested",
        )
    )
    if requested is None:
        return []
    events = db.session.execute(
        select(AuditEvent.item_id, AuditEvent.old_value, AuditEvent.new_value)
        .where(
            AuditEvent.assessment_id == assessment.id,
            AuditEvent.action == "answer.changed",
            AuditEvent.id > requested,
        )
        .order_by(AuditEvent.id)
    )
    changes: dict[str, AnswerChange] = {}
    for item_id, old, new in events:
        if item_id in changes:
            changes[item_id].after = new
        else:
            changes[item_id] = AnswerChange(item_id, old, new)
    return [c for c in changes.values() if c.before != c.after]


def experts() -> list[User]:
    from surveyapp.auth.models import Role

    return list(db.session.scalars(select(User).where(User.role == Role.expert)))
