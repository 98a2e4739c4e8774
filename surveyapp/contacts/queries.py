"""Reading contact requests as each side may see them, and finding the region a suggestion
on a page stands for without the page ever naming it."""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from surveyapp.assessments.models import Assessment
from surveyapp.contacts.models import ContactRequest, ContactState
from surveyapp.extensions import db

#: What analysis.queries.partner_handle writes: 32 hex digits.
_TOKEN = re.compile(r"[0-9a-f]{32}")
#: Requests a region may not repeat while one of them stands.
OPEN_STATES = (ContactState.pending, ContactState.accepted)


@dataclass(frozen=True)
class Target:
    """A region suggested to ``from_region_id`` and why (as the suggestion gave it)."""

    region_id: int
    reasons: dict


def suggested_target(round_, from_region_id: int, token: str) -> Target | None:
    """The suggested partner of the region the token stands for (analysis.queries.
    partner_handle), among the round's suggestions as they are now (domestic ones included);
    None when none matches (the suggestions changed since the page was shown)."""
    from surveyapp.analysis import queries

    if not _TOKEN.fullmatch(token or ""):
        return None
    results = queries.round_scores(round_)
    for suggestion in queries.partner_suggestions(
        results, from_region_id, limit=1000, domestic=True
    ):
        expected = queries.partner_handle(round_.id, from_region_id, suggestion.region_id)
        if hmac.compare_digest(expected, token):
            return Target(
                suggestion.region_id,
                {
                    "shared": list(suggestion.shared),
                    "from_strengths": list(suggestion.your_strengths),
                    "to_strengths": list(suggestion.their_strengths),
                },
            )
    return None


def open_requests_between(from_region_id: int, to_region_id: int) -> list[ContactRequest]:
    """The pending or accepted requests of one region to the other."""
    return list(
        db.session.scalars(
            select(ContactRequest).where(
                ContactRequest.from_region_id == from_region_id,
                ContactRequest.to_region_id == to_region_id,
                ContactRequest.state.in_(OPEN_STATES),
            )
        )
    )


def requests_of_regions(region_ids) -> list[ContactRequest]:
    """Every request the regions made or received, newest first."""
    ids = list(region_ids)
    if not ids:
        return []
    return list(
        db.session.scalars(
            select(ContactRequest)
            .options(
                joinedload(ContactRequest.from_region),
                joinedload(ContactRequest.to_region),
                joinedload(ContactRequest.round),
                joinedload(ContactRequest.requested_by),
                joinedload(ContactRequest.decided_by),
            )
            .where(
                or_(ContactRequest.from_region_id.in_(ids), ContactRequest.to_region_id.in_(ids))
            )
            .order_by(ContactRequest.created_at.desc(), ContactRequest.id.desc())
        )
    )


def named_in_round(region_id: int, round_id: int) -> bool:
    """Whether the region agreed to be named in the round."""
    return bool(
        db.session.scalar(
            select(Assessment.consent_named).where(
                Assessment.region_id == region_id, Assessment.round_id == round_id
            )
        )
    )


def target_named(request: ContactRequest) -> bool:
    """Whether the asking region may know which region it asked: once the asked region
    accepted, or when it agreed to be named in the round the request came from."""
    return request.state == ContactState.accepted or named_in_round(
        request.to_region_id, request.round_id
    )


def reasons_text(reasons: dict, definition, lang: str) -> list[str]:
    """A suggestion's reasons (ContactRequest.reasons) in neutral words, the same for both
    sides."""
    from flask_babel import gettext as _

    from surveyapp.analysis.dashboard import area_label, labels_of, listed
    from surveyapp.analysis.scoring import DIMENSION

    labels = labels_of(definition, lang)
    reasons = reasons or {}
    lines = []
    if reasons.get("shared"):
        shared = listed([area_label(a, definition, lang) for a in reasons["shared"]], lang)
        lines.append(_("Shared priority areas and partnerships: %(areas)s.", areas=shared))
    if reasons.get("from_strengths"):
        names = listed([labels.of(DIMENSION, d) for d in reasons["from_strengths"]], lang)
        lines.append(_("Where the asking region is stronger: %(dimensions)s.", dimensions=names))
    if reasons.get("to_strengths"):
        names = listed([labels.of(DIMENSION, d) for d in reasons["to_strengths"]], lang)
        lines.append(_("Where the asked region is stronger: %(dimensions)s.", dimensions=names))
    return lines


def _named_region(region) -> str:
    from flask_babel import gettext as _

    return _("%(name)s (%(code)s)", name=region.name, code=region.code)


def as_seen_by(region_ids, requests: list[ContactRequest], lang: str) -> dict[str, list[dict]]:
    """The requests received and sent by the regions, as their officers may see them: the
    asked region named only once it accepted (or if it agreed to be named), each side's
    contact person only once accepted."""
    from flask_babel import gettext as _

    ids = set(region_ids)
    seen: dict[str, list[dict]] = {"received": [], "sent": []}
    for request in requests:
        received = request.to_region_id in ids
        accepted = request.state == ContactState.accepted
        if received:
            other = _named_region(request.from_region)
            person = request.requested_by
        elif target_named(request):
            other = _named_region(request.to_region)
            person = request.decided_by
        else:
            other = _("A suggested region, named once it accepts")
            person = None
        practice = None
        if request.practice_id is not None:
            from surveyapp.practices.models import GoodPractice

            found = db.session.get(GoodPractice, request.practice_id)
            practice = found.title if found else None
        seen["received" if received else "sent"].append(
            {
                "id": request.id,
                "region": other,
                "round": request.round.name,
                "state": request.state.value,
                "state_label": str(request.state.label),
                "created_at": request.created_at,
                "reasons": reasons_text(request.reasons, request.round.questionnaire.parsed, lang),
                "practice": practice,
                "message": request.message,
                "contact": (
                    {"name": person.name, "email": person.email}
                    if accepted and person is not None and person.active
                    else None
                ),
                "may_answer": received and request.state == ContactState.pending,
                "may_withdraw": not received and request.state == ContactState.pending,
            }
        )
    return seen
