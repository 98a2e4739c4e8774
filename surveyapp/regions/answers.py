"""What a region itself answered about its partnerships and macro-regional strategies, beside
what an administrator recorded, so that experts and administrators see where they disagree.

The answers come from questionnaire items that ask the same facts (version 2, section
"Partnerships and networks"); a questionnaire without them has nothing to compare.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from surveyapp.assessments.models import Answer, Assessment
from surveyapp.extensions import db
from surveyapp.i18n import label
from surveyapp.regions.models import PartnershipRole, Region
from surveyapp.regions.partnerships import PLATFORMS, THEMATIC_PARTNERSHIPS
from surveyapp.rounds.models import Round

#: The items that ask what the administrator records, in the questionnaire's order.
ITEMS = (
    "par_tp_role",
    "par_tp_platforms",
    "par_tp_names",
    "par_tp_count",
    "par_macro_regional",
    "par_macro_strategies",
)
#: A co-lead is listed among a partnership's lead regions.
ANSWERED_ROLE = {"none": "none", "member": "member", "co_lead": "lead", "lead": "lead"}


@dataclass(frozen=True)
class ComparedLine:
    """One question: the region's answer and what the record says, as text."""

    item_id: str
    question: str
    answer: str
    recorded: str
    #: True when they differ, False when they agree, None when they cannot be compared
    #: (free text, no answer, "don't know").
    disagrees: bool | None


@dataclass(frozen=True)
class Comparison:
    assessment: Assessment
    lines: list[ComparedLine]

    @property
    def disagreements(self) -> int:
        return sum(line.disagrees is True for line in self.lines)


def recorded_facts(region: Region) -> dict[str, Any]:
    """What the record says for each item, as the item's own values."""
    roles = {m.role for m in region.partnerships}
    highest = "lead" if PartnershipRole.lead in roles else "member" if roles else "none"
    strategies = sorted(s.strategy.value for s in region.strategies)
    return {
        "par_tp_role": highest,
        "par_tp_platforms": sorted(
            {THEMATIC_PARTNERSHIPS[m.partnership][0] for m in region.partnerships} & set(PLATFORMS)
        ),
        "par_tp_count": len(region.partnerships),
        "par_macro_regional": bool(strategies),
        "par_macro_strategies": strategies,
    }


def differs(item_id: str, answer: Any, recorded: Any) -> bool | None:
    """Whether an answer contradicts the record (None: not comparable)."""
    if answer is None or answer in ("dk", "na") or item_id not in ANSWERED_ITEM_KINDS:
        return None
    kind = ANSWERED_ITEM_KINDS[item_id]
    if kind == "role":
        return ANSWERED_ROLE.get(answer) != recorded if answer in ANSWERED_ROLE else None
    if kind == "set":
        return sorted(set(answer if isinstance(answer, list) else [])) != recorded
    if kind == "number":
        return isinstance(answer, int | float) and answer != recorded
    return bool(answer) != recorded


ANSWERED_ITEM_KINDS = {
    "par_tp_role": "role",
    "par_tp_platforms": "set",
    "par_tp_count": "number",
    "par_macro_regional": "yes_no",
    "par_macro_strategies": "set",
}


def recorded_text(region: Region, item_id: str) -> str:
    """The record, as text for the line of ``item_id``."""
    facts = recorded_facts(region)
    if item_id in ("par_tp_role", "par_tp_names"):
        if not region.partnerships:
            return _("No partnership recorded")
        return "\n".join(
            f"{THEMATIC_PARTNERSHIPS.get(m.partnership, (None, m.partnership))[1]} "
            f"({label(m.role)})"
            for m in region.partnerships
        )
    if item_id == "par_tp_platforms":
        return "\n".join(str(PLATFORMS[p]) for p in facts[item_id]) or _("None")
    if item_id == "par_tp_count":
        return str(facts[item_id])
    if item_id == "par_macro_regional":
        return _("Yes") if facts[item_id] else _("No")
    return "\n".join(str(label(s.strategy)) for s in region.strategies) or _("None")


def compare(assessment: Assessment, lang: str) -> Comparison | None:
    """The assessment's answers to ITEMS beside its region's record; None when its
    questionnaire asks none of them."""
    definition = assessment.round.questionnaire.parsed
    items = [definition.items_by_id[i] for i in ITEMS if i in definition.items_by_id]
    if not items:
        return None
    answers = dict(
        db.session.execute(
            select(Answer.item_id, Answer.value).where(
                Answer.assessment_id == assessment.id, Answer.item_id.in_(ITEMS)
            )
        ).all()
    )
    region = assessment.region
    facts = recorded_facts(region)
    lines = []
    for item in items:
        value = answers.get(item.id)
        shown = (
            _("Not answered")
            if value is None
            else item.question_type.display(item, value, lang) or _("Not answered")
        )
        lines.append(
            ComparedLine(
                item.id,
                item.localized("text", lang),
                shown,
                recorded_text(region, item.id),
                differs(item.id, value, facts.get(item.id)),
            )
        )
    return Comparison(assessment, lines)


def latest_answered(region: Region) -> Assessment | None:
    """The region's latest assessment it has submitted at least once whose questionnaire asks
    about partnerships (drafts never submitted are the region's own business)."""
    candidates = db.session.scalars(
        select(Assessment)
        .join(Round, Round.id == Assessment.round_id)
        .where(Assessment.region_id == region.id, Assessment.submitted_at.is_not(None))
        .order_by(Round.opens_on.desc(), Round.id.desc())
    )
    for assessment in candidates:
        asked = assessment.round.questionnaire.parsed.items_by_id
        if any(item_id in asked for item_id in ITEMS):
            return assessment
    return None
