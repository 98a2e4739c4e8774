"""What each kind of audit event means to a reader of an assessment's history.

One entry per kind (the ``action`` of an AuditEvent): who may see it, the sentence that tells it
in the reader's language, and whether it changed the region's answer (then it is shown with its
value before and after). A kind missing here is never shown to officers, and to the working
group only as "a change this page does not describe", never by its code. A feature that writes
a new kind of event about an assessment adds its entry to EVENT_KINDS.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from flask_babel import format_decimal, format_scientific, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, false, or_

from surveyapp.audit.models import AuditEvent
from surveyapp.auth.models import Role, User
from surveyapp.numbers import format_file_size
from surveyapp.questionnaires.definition import Definition, Item

EVERYONE = frozenset(Role)
WORKING_GROUP = frozenset({Role.expert, Role.admin})


@dataclass(frozen=True)
class HistoryContext:
    """What the sentences need besides the event: the questionnaire, the reader's language,
    and names of things events refer to by id."""

    definition: Definition
    lang: str
    #: Challenge category id -> name.
    category_names: Mapping[int, str] = field(default_factory=dict)

    def aspect_title(self, aspect_id: Any) -> str:
        for aspect in self.definition.aspects:
            if aspect.id == aspect_id:
                return aspect.localized("title", self.lang)
        return ""


#: Fills a sentence from an event's old value, new value and the context (see EventKind).
Describe = Callable[[Any, Any, HistoryContext], str]


@dataclass(frozen=True)
class EventKind:
    #: The sentence, with the named placeholders %(old)s and %(new)s (the event's values as
    #: readable text) where it needs them.
    sentence: Any
    #: Roles that see events of this kind.
    audience: frozenset[Role] = EVERYONE
    #: It changed the region's answer: shown with the value before and after.
    answer_change: bool = False
    #: Officers see it too once the round has released its moderated scores.
    officers_once_released: bool = False
    #: Tells the event when a fixed sentence cannot (instead of ``sentence``).
    describe: Describe | None = None

    def is_visible_to(self, role: Role, released: bool) -> bool:
        return role in self.audience or (
            role == Role.officer and self.officers_once_released and released
        )

    def tell(self, old: Any, new: Any, context: HistoryContext) -> str:
        if self.describe is not None:
            return self.describe(old, new, context)
        return str(self.sentence) % {"old": readable(old), "new": readable(new)}


def _challenge_tags(old: Any, new: Any, context: HistoryContext) -> str:
    value = new if isinstance(new, dict) else {}
    ids = value.get("categories")
    names = [context.category_names.get(i, "") for i in (ids if isinstance(ids, list) else [])]
    categories = ", ".join(name for name in names if name)
    aspect = context.aspect_title(value.get("aspect"))
    if not categories:
        return _("Removed the challenge tags from the answer.")
    if aspect:
        return _(
            "Tagged the answer with the challenge categories %(categories)s, about the critical "
            "aspect %(aspect)s.",
            categories=categories,
            aspect=aspect,
        )
    return _(
        "Tagged the answer with the challenge categories %(categories)s.", categories=categories
    )


def _taken_over(old: Any, new: Any, context: HistoryContext) -> str:
    if old:
        return _("Took over the review from %(name)s.", name=readable(old))
    return _("Took over the review.")


def _na_rejected(old: Any, new: Any, context: HistoryContext) -> str:
    if new is None:
        return _("Rejected “not applicable”: the question counts as “Don't know” (0).")
    return _(
        "Rejected “not applicable” and set the moderated score to %(score)s.", score=readable(new)
    )


def _item_confirmed(old: Any, new: Any, context: HistoryContext) -> str:
    if old is None:
        return _("Confirmed the region's answer unchanged.")
    return _(
        "Confirmed the region's answer unchanged, withdrawing the moderated score of %(score)s.",
        score=readable(old),
    )


def _carried_forward(old: Any, new: Any, context: HistoryContext) -> str:
    value = new if isinstance(new, dict) else {}
    return ngettext(
        "Copied %(num)d answer from %(round)s (carry forward), to be confirmed.",
        "Copied %(num)d answers from %(round)s (carry forward), each to be confirmed.",
        value.get("copied") or 0,
        round=value.get("from_round") or "",
    )


def _evidence(old: Any, new: Any, context: HistoryContext) -> str:
    if isinstance(new, dict):
        return _(
            "Attached the evidence file %(name)s (%(size)s).",
            name=new.get("name", ""),
            size=format_file_size(int(new.get("size") or 0)),
        )
    value = old if isinstance(old, dict) else {}
    return _("Removed the evidence file %(name)s.", name=value.get("name", ""))


def _section_assigned(old: Any, new: Any, context: HistoryContext) -> str:
    value = new if isinstance(new, dict) else {}
    section_id = value.get("section")
    titles = {s.id: s.localized("title", context.lang) for s in context.definition.sections}
    section = titles.get(section_id, section_id or "")
    if value.get("user"):
        return _("Gave the section %(section)s to %(name)s.", section=section, name=value["user"])
    return _("Took the section %(section)s back: nobody is given it now.", section=section)


EVENT_KINDS: dict[str, EventKind] = {
    "assessment.started": EventKind(_l("Started the assessment.")),
    "assessment.carried_forward": EventKind(None, describe=_carried_forward),
    "answer.carry_confirmed": EventKind(
        _l("Confirmed the answer carried forward from an earlier round.")
    ),
    "assessment.submitted": EventKind(_l("Submitted the assessment.")),
    "evidence.attached": EventKind(None, describe=_evidence),
    "evidence.removed": EventKind(None, describe=_evidence),
    "section.assigned": EventKind(None, describe=_section_assigned),
    "answer.changed": EventKind(_l("Changed the answer."), answer_change=True),
    "answer.comment_changed": EventKind(
        _l("Changed the comment on the answer."), answer_change=True
    ),
    "review.started": EventKind(_l("Took the assessment into review.")),
    "review.changes_requested": EventKind(_l("Asked the region for changes.")),
    "review.validated": EventKind(_l("Validated the assessment.")),
    # Who holds a review is the working group's business; the region sees the review go on.
    "review.taken_over": EventKind(None, audience=WORKING_GROUP, describe=_taken_over),
    "review.resumed": EventKind(
        _l("The resubmitted assessment went back into review with the same expert.")
    ),
    # Comments are the discussion between the experts and the region: both sides read them.
    "comment.posted": EventKind(_l("Commented: %(new)s")),
    "comment.resolved": EventKind(_l("Marked the discussion as resolved.")),
    "comment.reopened": EventKind(_l("Opened the discussion again.")),
    # Moderated scores reach the region only when the round releases them.
    "score.moderated": EventKind(
        _l("Set the moderated score to %(new)s."),
        audience=WORKING_GROUP,
        officers_once_released=True,
    ),
    "score.withdrawn": EventKind(
        _l("Withdrew the moderated score of %(old)s."),
        audience=WORKING_GROUP,
        officers_once_released=True,
    ),
    # Experts' decisions on "not applicable" answers and confirmations are moderation too.
    "review.na_accepted": EventKind(
        _l("Accepted “not applicable”: the question is left out of the moderated score."),
        audience=WORKING_GROUP,
        officers_once_released=True,
    ),
    "review.na_rejected": EventKind(
        None, audience=WORKING_GROUP, officers_once_released=True, describe=_na_rejected
    ),
    "review.na_decision_withdrawn": EventKind(
        _l("Withdrew the decision on “not applicable”."),
        audience=WORKING_GROUP,
        officers_once_released=True,
    ),
    "review.item_confirmed": EventKind(
        None, audience=WORKING_GROUP, officers_once_released=True, describe=_item_confirmed
    ),
    "review.confirmation_withdrawn": EventKind(
        _l("Withdrew the confirmation of the region's answer."),
        audience=WORKING_GROUP,
        officers_once_released=True,
    ),
    # Section remarks are the experts' own notes.
    "remark.saved": EventKind(_l("Wrote a remark on a section: %(new)s"), audience=WORKING_GROUP),
    "remark.removed": EventKind(_l("Removed a remark on a section."), audience=WORKING_GROUP),
    # Officers read their own region's good practices in the library.
    "practice.created": EventKind(_l("Marked the answer as a good practice: %(new)s")),
    "practice.changed": EventKind(_l("Edited the good practice: %(new)s")),
    "practice.deleted": EventKind(_l("Removed the good practice from the library: %(old)s")),
    # The challenges page is the working group's.
    "challenge.tagged": EventKind(None, audience=WORKING_GROUP, describe=_challenge_tags),
}

#: Any kind not in EVENT_KINDS.
UNKNOWN = EventKind(_l("Made a change that this page does not describe."), audience=WORKING_GROUP)


def kind_of(action: str) -> EventKind:
    return EVENT_KINDS.get(action, UNKNOWN)


def visible_to(user: User, released: bool) -> ColumnElement[bool]:
    """A condition on AuditEvent: the events ``user`` may see in an assessment's history.

    :param released: whether the assessment's round has released its moderated scores.
    """
    shown = [
        action for action, kind in EVENT_KINDS.items() if kind.is_visible_to(user.role, released)
    ]
    conditions = [AuditEvent.action.in_(shown)] if shown else []
    if UNKNOWN.is_visible_to(user.role, released):
        conditions.append(AuditEvent.action.not_in(list(EVENT_KINDS)))
    return or_(false(), *conditions)


def readable(value: Any) -> str:
    """A stored value as text for people: numbers in the reader's locale, lists and mappings
    spelled out, never a Python representation."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, int | float):
        if not math.isfinite(value):
            return ""
        # Babel's decimal formats hold 28 digits; a number that long is read as 1.2E30 anyway.
        return format_decimal(value) if abs(value) < 1e15 else format_scientific(value)
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return "; ".join(f"{key}: {readable(inner)}" for key, inner in value.items())
    if isinstance(value, Iterable):
        return ", ".join(readable(inner) for inner in value)
    return str(value)


def _is_plain(value: Any) -> bool:
    if isinstance(value, list):
        return all(isinstance(inner, str | int | float | bool) for inner in value)
    return value is None or isinstance(value, str | int | float | bool)


def answer_text(item: Item | None, value: Any, lang: str) -> str:
    """An answer as its question shows it (choice labels, units), else as readable text.

    An answer saved with a "not applicable" reason or evidence is stored as
    ``{"value", "na_reason", "evidence"}``: the value as its question shows it, then the reason
    and the evidence on lines of their own.
    """
    if isinstance(value, dict) and "value" in value:
        lines = [answer_text(item, value["value"], lang)]
        if value.get("na_reason"):
            lines.append(_("Reason: %(reason)s", reason=value["na_reason"]))
        if value.get("evidence"):
            lines.append(_("Evidence: %(evidence)s", evidence=value["evidence"]))
        return "\n".join(line for line in lines if line)
    if item is not None and _is_plain(value):
        return item.question_type.display(item, value, lang)
    return readable(value)


@dataclass(frozen=True)
class HistoryEntry:
    """One row of the history page, plain data."""

    created_at: datetime
    #: Who did it; None for the system.
    who: str | None
    item: Item | None
    sentence: str
    answer_change: bool
    before: str = ""
    after: str = ""


def describe(events: Iterable[AuditEvent], context: HistoryContext) -> list[HistoryEntry]:
    """The events as rows of the history page, in the reader's language."""
    entries = []
    items = context.definition.items_by_id
    for event in events:
        kind = kind_of(event.action)
        item = items.get(event.item_id) if event.item_id else None
        old, new = event.old_value, event.new_value
        entry = HistoryEntry(
            created_at=event.created_at,
            who=event.user.name if event.user else None,
            item=item,
            sentence=kind.tell(old, new, context),
            answer_change=kind.answer_change,
        )
        if kind.answer_change:
            # Before and after of a comment are its text; of an answer, as its question says.
            shown_item = item if event.action == "answer.changed" else None
            entry = replace(
                entry,
                before=answer_text(shown_item, old, context.lang),
                after=answer_text(shown_item, new, context.lang),
            )
        entries.append(entry)
    return entries
