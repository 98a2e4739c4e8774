"""Tag challenge answers and keep the taxonomy."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from surveyapp.assessments.models import Assessment, AssessmentState
from surveyapp.audit.operations import log_event
from surveyapp.auth.models import Role, User
from surveyapp.challenges.models import ChallengeCategory, ChallengeTag
from surveyapp.extensions import db
from surveyapp.reviews.operations import ReviewError

#: The starting taxonomy (administrators can rename, add and retire categories).
DEFAULT_CATEGORIES = [
    ("Staff capacity", "Too few people, or without the skills, to run interregional work."),
    ("Funding", "No budget, co-financing or eligible costs for actions with partners abroad."),
    ("Governance", "Unclear responsibilities or weak coordination between public bodies."),
    (
        "Partner finding",
        "Difficulty finding or keeping suitable partner regions and organisations.",
    ),
    ("Legal barriers", "State aid, eligibility or procurement rules that block joint actions."),
    ("Data", "Missing data or evidence on value chains, partners or outcomes."),
]
TAGGABLE_TYPES = {"text", "long_text"}


def ensure_default_categories() -> None:
    """Create the starting taxonomy when there is none yet."""
    if db.session.scalar(select(ChallengeCategory.id).limit(1)) is None:
        for name, description in DEFAULT_CATEGORIES:
            db.session.add(ChallengeCategory(name=name, description=description))
        db.session.flush()


def set_challenge_tags(
    assessment: Assessment,
    item_id: str,
    category_ids: list[int],
    aspect: str | None,
    expert: User,
) -> list[ChallengeTag]:
    """Replace the expert tags of one answer with these categories (and aspect)."""
    if expert.role != Role.expert:
        raise ReviewError(_l("Only working-group experts tag challenges."))
    if assessment.state == AssessmentState.draft:
        raise ReviewError(_l("Drafts cannot be tagged."))
    definition = assessment.round.questionnaire.parsed
    item = definition.items_by_id.get(item_id)
    if item is None or item.type not in TAGGABLE_TYPES:
        raise ReviewError(_l("Only written answers can be tagged as challenges."), "categories")
    if aspect and aspect not in {a.id for a in definition.aspects}:
        aspect = None
    wanted = set(
        db.session.scalars(
            select(ChallengeCategory.id).where(
                ChallengeCategory.id.in_(category_ids), ChallengeCategory.active.is_(True)
            )
        )
    )
    existing = {
        tag.category_id: tag
        for tag in db.session.scalars(
            select(ChallengeTag).filter_by(assessment_id=assessment.id, item_id=item_id)
        )
    }
    for category_id, tag in existing.items():
        if category_id not in wanted:
            db.session.delete(tag)
    tags = []
    for category_id in sorted(wanted):
        tag = existing.get(category_id) or ChallengeTag(
            assessment_id=assessment.id, item_id=item_id, category_id=category_id
        )
        tag.aspect, tag.expert_id = aspect or None, expert.id
        db.session.add(tag)
        tags.append(tag)
    db.session.flush()
    log_event(
        "challenge.tagged",
        "assessment",
        assessment.id,
        user=expert,
        assessment_id=assessment.id,
        item_id=item_id,
        new_value={"categories": sorted(wanted), "aspect": aspect},
    )
    return tags
