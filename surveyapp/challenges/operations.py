"""Tag challenge answers and keep the taxonomy."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from surveyapp.assessments.models import Assessment, AssessmentState
from surveyapp.audit.operations import log_event
from surveyapp.auth.models import Role, User
from surveyapp.challenges.models import ChallengeCategory, ChallengeTag
from surveyapp.extensions import db
from surveyapp.forms import FieldError

#: The taxonomy: the nine kinds of challenge the questionnaire asks regions about (the option
#: values and labels of ``gp_challenge_categories``), each with what it covers. Experts tag
#: written answers with the same categories, so the two counts read side by side. The README
#: ("Challenge taxonomy") explains it; tests/test_challenges.py checks it against the file.
DEFAULT_CATEGORIES = [
    (
        "staff_capacity",
        "Staff capacity and skills",
        "Too few people, or without the skills, to run interregional work.",
    ),
    (
        "funding",
        "Funding and co-financing",
        "No budget, co-financing or eligible costs for actions with partners abroad.",
    ),
    (
        "governance",
        "Governance and coordination between bodies",
        "Unclear responsibilities or weak coordination between public bodies.",
    ),
    (
        "partner_finding",
        "Finding suitable partners",
        "Difficulty finding or keeping suitable partner regions and organisations.",
    ),
    (
        "legal_barriers",
        "Legal and regulatory barriers (state aid, eligibility)",
        "State aid, eligibility or procurement rules that block joint actions.",
    ),
    (
        "data",
        "Data and evidence on value chains and outcomes",
        "Missing data or evidence on value chains, partners or outcomes.",
    ),
    (
        "political_support",
        "Political support and priority",
        "Cooperation beyond the Member State is not a political priority or has no mandate.",
    ),
    (
        "business_engagement",
        "Engaging companies and SMEs",
        "Companies, above all SMEs, are hard to involve in actions with partners abroad.",
    ),
    (
        "language_culture",
        "Language and administrative culture",
        "Working languages and different administrative practices slow joint work down.",
    ),
]
#: What the first six categories were called before they took the questionnaire's words.
FORMER_NAMES = {
    "staff_capacity": "Staff capacity",
    "funding": "Funding",
    "governance": "Governance",
    "partner_finding": "Partner finding",
    "legal_barriers": "Legal barriers",
    "data": "Data",
}
TAGGABLE_TYPES = {"text", "long_text"}


def ensure_default_categories() -> None:
    """Give every kind of challenge of the taxonomy its category.

    A category of that name (or its former name) without a kind takes it; a retired one stays
    retired; the rest are created.
    """
    by_code = {c.code: c for c in db.session.scalars(select(ChallengeCategory)) if c.code}
    for code, name, description in DEFAULT_CATEGORIES:
        if code in by_code:
            continue
        names = [name, FORMER_NAMES.get(code, name)]
        category = db.session.scalar(
            select(ChallengeCategory)
            .where(ChallengeCategory.code.is_(None), ChallengeCategory.name.in_(names))
            .order_by(ChallengeCategory.name != name)
        )
        if category is None:
            db.session.add(ChallengeCategory(code=code, name=name, description=description))
            continue
        category.code = code
        taken = db.session.scalar(
            select(ChallengeCategory.id).where(
                ChallengeCategory.name == name, ChallengeCategory.id != category.id
            )
        )
        if taken is None:
            category.name = name
    db.session.flush()


class ChallengeError(FieldError):
    """Tags or a category refused as asked; ``field`` says where the message belongs."""


def add_category(name: str, description: str | None, actor: User) -> ChallengeCategory:
    """A new category of the shared taxonomy, with its audit event.

    :param name: one line of at most 100 characters (forms.CategoryForm checks it).
    :raises ChallengeError: the name is taken already.
    """
    if db.session.scalar(select(ChallengeCategory.id).filter_by(name=name)) is not None:
        raise ChallengeError(_l("A category with this name already exists."), "name")
    category = ChallengeCategory(name=name, description=(description or "").strip() or None)
    db.session.add(category)
    db.session.flush()
    log_event(
        "challenge_category.created", "challenge_category", category.id, user=actor, new_value=name
    )
    return category


def set_category_active(category: ChallengeCategory, active: bool, actor: User) -> bool:
    """Retire a category (no new tags; its past ones stay) or restore it; False when it was
    so already (a repeated click)."""
    if category.active == active:
        return False
    category.active = active
    action = "challenge_category.restored" if active else "challenge_category.retired"
    log_event(action, "challenge_category", category.id, user=actor)
    return True


def set_challenge_tags(
    assessment: Assessment,
    item_id: str,
    category_ids: list[int],
    aspect: str | None,
    expert: User,
) -> list[ChallengeTag]:
    """Replace the expert tags of one answer with these categories (and aspect); categories
    that are gone or retired, and an aspect the questionnaire does not know, are left out.

    :raises ChallengeError: not an expert, a draft, or not a written answer.
    """
    if expert.role != Role.expert:
        raise ChallengeError(_l("Only working-group experts tag challenges."))
    if assessment.state == AssessmentState.draft:
        raise ChallengeError(_l("Drafts cannot be tagged."))
    definition = assessment.round.questionnaire.parsed
    item = definition.items_by_id.get(item_id)
    if item is None or item.type not in TAGGABLE_TYPES:
        raise ChallengeError(_l("Only written answers can be tagged as challenges."), "categories")
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
