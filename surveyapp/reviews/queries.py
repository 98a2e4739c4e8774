"""Reads for the review pages: the queue, threads, moderated scores and remarks, and each
scored item's answer beside the expert's moderation (item statuses, self and moderated scores,
moderation coverage)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from surveyapp.assessments.models import Assessment, AssessmentState
from surveyapp.audit.models import AuditEvent
from surveyapp.auth.models import Role, User
from surveyapp.evidence.queries import items_with_files
from surveyapp.extensions import db
from surveyapp.questionnaires.definition import Definition, Item
from surveyapp.questionnaires.types import DONT_KNOW, NOT_APPLICABLE
from surveyapp.regions.models import Region
from surveyapp.reviews.models import ChangeRequest, ItemComment, ModeratedScore, SectionRemark
from surveyapp.rounds.queries import population_used


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
    #: The reason for "not applicable" and the evidence given with each value (None: none).
    before_reason: str | None = None
    after_reason: str | None = None
    before_evidence: str | None = None
    after_evidence: str | None = None

    @property
    def changed(self) -> bool:
        return (self.before, self.before_reason, self.before_evidence) != (
            self.after,
            self.after_reason,
            self.after_evidence,
        )


def _answer_parts(stored: object) -> tuple[object, str | None, str | None]:
    """An audited answer as (value, reason, evidence): an answer saved with an N/A reason or
    evidence is stored as {"value", "na_reason", "evidence"}."""
    if isinstance(stored, dict) and "value" in stored:
        return stored["value"], stored.get("na_reason") or None, stored.get("evidence") or None
    return stored, None, None


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
        # A change of the reason or the evidence alone is a change too (evidence is what a
        # request for changes most often asks for).
        after, after_reason, after_evidence = _answer_parts(new)
        if item_id not in changes:
            before, before_reason, before_evidence = _answer_parts(old)
            changes[item_id] = AnswerChange(
                item_id, before, after, before_reason, None, before_evidence, None
            )
        change = changes[item_id]
        change.after, change.after_reason, change.after_evidence = (
            after,
            after_reason,
            after_evidence,
        )
    return [c for c in changes.values() if c.changed]


def experts() -> list[User]:
    return list(db.session.scalars(select(User).where(User.role == Role.expert)))


#: An expert's decisions on a region's "not applicable".
ACCEPTED, REJECTED = "accepted", "rejected"
#: Two scores closer than this are the same score (scores are compared to 9 decimals).
SAME_SCORE = 1e-9


@dataclass(frozen=True)
class ItemModeration:
    """One scored item of an assessment: the region's answer and the expert's moderation."""

    item: Item
    #: value | dk | blank | hidden | na_pending | na_accepted | na_rejected
    status: str
    value: Any
    #: The officer's reason for "not applicable" (None otherwise).
    na_reason: str | None
    #: The evidence the officer gave (a link or a reference), None when none.
    evidence: str | None
    #: The evidence when it is a web address (http or https), to show as a link.
    evidence_url: str | None
    #: The answer asks for evidence (levels 3-5, a scored "yes") and has none.
    evidence_missing: bool
    #: A file of the response is attached to the item ("What it supports"): evidence too.
    evidence_file: bool
    #: The region's own item score (None: left out of the self score).
    self_score: float | None
    #: The item score after moderation (None: left out of the moderated score).
    moderated_score: float | None
    #: The expert's row (score, N/A decision, confirmation, rationale), if any.
    moderation: Any
    #: An expert commented on the item, changed its score, decided its N/A or confirmed it.
    reviewed: bool
    #: An expert's moderation made the moderated score differ from the self score.
    changed: bool


def definition_format(definition: Definition) -> int:
    """The questionnaire's format (1 or 2)."""
    return definition.format


def web_address(text: str | None) -> str | None:
    """``text`` when it is one http(s) address (shown as a link), else None."""
    text = (text or "").strip()
    if not text or any(c.isspace() for c in text):
        return None
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    return text if parts.scheme.lower() in ("http", "https") and parts.hostname else None


def item_status(item: Item, value: Any, visible: bool, decision: str | None) -> str:
    """The item's status (value, dk, blank, hidden, na_pending, na_accepted, na_rejected)."""
    if not visible:
        return "hidden"
    if value == NOT_APPLICABLE:
        return {ACCEPTED: "na_accepted", REJECTED: "na_rejected"}.get(decision, "na_pending")
    if value == DONT_KNOW:
        return "dk"
    if item.question_type.is_empty(value):
        return "blank"
    return "value"


def item_self_score(
    item: Item, status: str, value: Any, fmt: int, population_millions: float | None = None
) -> float | None:
    """The region's own item score under the questionnaire's rules (None: left out).

    Every "not applicable" the region claimed is left out; "Don't know" scores 0. In format 2
    a hidden or blank scored item counts 0 (never better than an answer); format 1 leaves
    them out, as its published figures did.
    """
    if status == "value":
        return item.question_type.score(item, value, population_millions)
    if status == "dk":
        return 0.0
    if status in ("hidden", "blank"):
        return 0.0 if fmt >= 2 else None
    return None  # not applicable


def item_moderated_score(
    status: str, own: float | None, expert_score: float | None, fmt: int
) -> float | None:
    """The item score after moderation (None: left out).

    An accepted "not applicable" is left out; a rejected or undecided one counts as "Don't
    know" (0) unless the expert set a score (format 1, without "Don't know", leaves them out;
    a rejection there always sets a score). Otherwise the expert's score where they set one,
    else the region's own. The same rules as analysis.scoring.item_scores.
    """
    if status == "na_accepted":
        return None
    if expert_score is not None:
        return expert_score
    if status in ("na_rejected", "na_pending"):
        return 0.0 if fmt >= 2 else None
    return own


def same_score(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= SAME_SCORE


def population_millions(assessment: Assessment) -> float | None:
    """The region's population in millions on the round's reference date (size-relative count
    targets; of a closed round, as it kept it when it closed), None when none is stored."""
    population = population_used(assessment.round, assessment.region_id)
    return population.population / 1e6 if population is not None else None


def commented_by_experts(assessment: Assessment) -> set[str]:
    """Ids of the items an expert wrote a comment on."""
    return set(
        db.session.scalars(
            select(ItemComment.item_id)
            .join(User, User.id == ItemComment.author_id)
            .where(ItemComment.assessment_id == assessment.id, User.role == Role.expert)
            .distinct()
        )
    )


def item_moderations(assessment: Assessment) -> dict[str, ItemModeration]:
    """Scored item id -> its answer and moderation, in questionnaire order."""
    definition = assessment.round.questionnaire.parsed
    fmt = definition_format(definition)
    answers = {answer.item_id: answer for answer in assessment.answers}
    values = {item_id: answer.value for item_id, answer in answers.items()}
    rows = moderated_scores(assessment)
    commented = commented_by_experts(assessment)
    population = population_millions(assessment)
    attached = items_with_files(assessment.id)
    result = {}
    for item in definition.items:
        if not item.is_scored:
            continue
        answer = answers.get(item.id)
        value = answer.value if answer is not None else None
        row = rows.get(item.id)
        status = item_status(item, value, item.is_visible(values), row and row.na_decision)
        expert_score = row.score if row is not None else None
        own = item_self_score(item, status, value, fmt, population)
        moderated = item_moderated_score(status, own, expert_score, fmt)
        acted = row is not None and (
            expert_score is not None or row.confirmed or status in ("na_accepted", "na_rejected")
        )
        evidence = ((answer.evidence if answer is not None else None) or "").strip() or None
        result[item.id] = ItemModeration(
            item=item,
            status=status,
            value=value,
            na_reason=answer.na_reason if answer is not None and status.startswith("na") else None,
            evidence=evidence,
            evidence_url=web_address(evidence),
            evidence_missing=status == "value"
            and not evidence
            and item.id not in attached
            and item.asks_evidence(value),
            evidence_file=item.id in attached,
            self_score=own,
            moderated_score=moderated,
            moderation=row,
            reviewed=acted or item.id in commented,
            changed=acted and not same_score(own, moderated),
        )
    return result


def summarize(items: list[ItemModeration]) -> dict:
    """Moderation coverage of these items: see :func:`moderation_summary`."""
    differences = [
        abs(i.self_score - i.moderated_score)
        for i in items
        if i.self_score is not None and i.moderated_score is not None
    ]
    return {
        "reviewed": sum(i.reviewed for i in items),
        "scored": len(items),
        "changed": sum(i.changed for i in items),
        "mean_abs_change": math.fsum(differences) / len(differences) if differences else None,
        # Each changed item with both scores and the expert's rationale, in questionnaire
        # order: what a reader needs to follow the moderated score from the self score.
        "changes": [
            {
                "item": i.item,
                "self": i.self_score,
                "moderated": i.moderated_score,
                "rationale": (i.moderation.rationale or "") if i.moderation is not None else "",
            }
            for i in items
            if i.changed
        ],
    }


def moderation_summary(assessment: Assessment) -> dict:
    """How far experts moderated an assessment (method 2.0, section 6).

    :returns: ``reviewed``: scored items an expert commented on, changed, decided (a "not
        applicable" accepted or rejected) or explicitly confirmed (items passed by default at
        validation do not count); ``scored``: the questionnaire's scored items; ``changed``:
        items whose moderated score differs from the self score by an expert's doing;
        ``mean_abs_change``: the mean of |self - moderated| over the scored items that have
        both scores (None when none has), in points of 0-100.
    """
    return summarize(list(item_moderations(assessment).values()))


def undecided_not_applicable(assessment: Assessment) -> list[Item]:
    """Scored items answered "not applicable" on which no expert has decided yet."""
    return [m.item for m in item_moderations(assessment).values() if m.status == "na_pending"]
