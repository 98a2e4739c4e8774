"""The section page's item blocks: what each input shows, and their HTML cached by content.

A section page is mostly its item blocks (six described levels per scale item), and a block's
HTML depends only on the questionnaire, the language, the answer it shows and a few flags. So
each block is rendered once for that content and kept (surveyapp/fragments.py); a page shows
the stored HTML until its answer, its author or the page's language changes. Blocks with a
conflict or an error message, or with long text, are rendered every time.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from flask import current_app, request
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from surveyapp.assessments.forms import comment_field_name, extra_fields, version_field_name
from surveyapp.assessments.operations import asks_reason, can_ask_evidence
from surveyapp.fragments import CSRF_HOLE, NEXT_HOLE, fragment
from surveyapp.i18n import current_lang, lang_attribute
from surveyapp.questionnaires.definition import Definition, Section
from surveyapp.questionnaires.types import DONT_KNOW, NOT_APPLICABLE

#: The answers that are not a value typed in a box: "don't know" and "not applicable".
SPECIAL = (DONT_KNOW, NOT_APPLICABLE)


@dataclass(frozen=True)
class FieldState:
    """What one item's inputs show: the chosen option(s), the typed text, comment, version."""

    #: The chosen option's value, or a tuple of them for multiple choice; None: nothing chosen.
    chosen: str | tuple[str, ...] | None
    #: The text in a text, number or address box.
    text: str
    comment: str
    version: int
    errors: tuple[str, ...] = ()
    #: Why the item does not apply, and the evidence, as typed or stored.
    na_reason: str = ""
    evidence: str = ""
    na_reason_errors: tuple[str, ...] = ()
    evidence_errors: tuple[str, ...] = ()
    #: The comment's own messages, shown at the comment.
    comment_errors: tuple[str, ...] = ()


def _shown_as_posted(state: FieldState, has_conflict: bool) -> bool:
    """Whether an item's block shows what this request posted (messages, a conflict, long
    text): rendered each time, never kept as a fragment."""
    return has_conflict or bool(state.errors or state.comment_errors) or _long(state)


def _chosen(data):
    """A choice field's data as FieldState.chosen (several choices: a tuple of strings)."""
    return tuple(str(value) for value in data) if isinstance(data, list | tuple) else data


def states_from_answers(section: Section, answers: dict) -> dict[str, FieldState]:
    """The inputs' content for the stored answers (a page opened afresh: no form needed)."""
    states = {}
    for item in section.items:
        answer = answers.get(item.id)
        value = answer.value if answer else None
        data = item.question_type.to_form(item, value)
        special = value in SPECIAL
        states[item.id] = FieldState(
            chosen=_chosen(data),
            text="" if special else item.question_type.form_text(item, value),
            comment=(answer.comment or "") if answer else "",
            version=answer.version if answer else 0,
            na_reason=(answer.na_reason or "") if answer else "",
            evidence=(answer.evidence or "") if answer else "",
        )
    return states


def states_from_form(section: Section, form) -> dict[str, FieldState]:
    """The inputs' content as posted (a page shown again with messages or conflicts)."""
    states = {}
    for item in section.items:
        field, comment = form[item.id], form[comment_field_name(item.id)]
        reason, evidence = extra_fields(form, item)
        data = field.data
        text = field._value() if hasattr(field, "_value") else ""
        states[item.id] = FieldState(
            chosen=_chosen(data),
            text="" if text in SPECIAL else text,
            comment=comment._value(),
            version=form[version_field_name(item.id)].data or 0,
            errors=tuple(str(error) for error in field.errors),
            comment_errors=tuple(str(error) for error in comment.errors),
            na_reason=reason._value() if reason else "",
            evidence=evidence._value() if evidence else "",
            na_reason_errors=tuple(str(error) for error in reason.errors) if reason else (),
            evidence_errors=tuple(str(error) for error in evidence.errors) if evidence else (),
        )
    return states


def _form_value(item, value) -> str:
    data = item.question_type.to_form(item, value)
    return "" if data is None else str(data)


#: (questionnaire content hash, item id) -> answer_extras' result, computed once.
_EXTRAS: dict[tuple[str, str], dict[str, Any]] = {}


def answer_extras(content_hash: str, item) -> dict[str, Any]:
    """What the item's block shows besides its value: the reason input (with the prompt the
    questionnaire gives) and the evidence input (with the answers, as posted, that ask for it)."""
    key = (content_hash, item.id)
    if key not in _EXTRAS:
        _EXTRAS[key] = {
            "asks_reason": asks_reason(item),
            "evidence_values": tuple(
                _form_value(item, value)
                for value in (item.question_type.possible_answers(item) or ())
                if can_ask_evidence(item) and item.asks_evidence(value)
            ),
        }
    return _EXTRAS[key]


@lru_cache(maxsize=64)
def page_strings(lang: str) -> dict[str, Any]:
    """The blocks' recurring strings in ``lang``, translated once."""
    return {
        "required": _("(required)"),
        "conditional": _("Answer this only if it applies given your earlier answer."),
        "not_applicable": _("Not applicable"),
        "dont_know": _("Don't know"),
        "na_reason_required": _("(required with the answer Not applicable)"),
        "evidence": _("Evidence: a link to a document, or a reference"),
        "evidence_hint": _("Asked for levels 3 to 5 and for Yes: where a reviewer can check it."),
        "na_reason_prefix": _("Why it does not apply:"),
        "evidence_prefix": _("Evidence:"),
        "one_per_line": _("One web address per line."),
        "comment": _("Comment for reviewers"),
        "comment_prefix": _("Comment:"),
        "history": _("History"),
        "no_answer": _("(no answer)"),
        "yes_no": (("yes", _("Yes"), ""), ("no", _("No"), "")),
    }


#: Blocks whose typed text and comment are longer are not kept: they would fill the cache
#: (4,096 fragments of about 5 kB), and text boxes are quick to render anyway.
KEEP_TEXT_UP_TO = 1000


def _long(state: FieldState) -> bool:
    return len(state.text) + len(state.comment) > KEEP_TEXT_UP_TO


def item_blocks(
    definition: Definition,
    content_hash: str,
    section: Section,
    lang: str,
    states: dict[str, FieldState],
    answers: dict,
    conflicts: dict,
    editable: bool,
    history_url: str,
    confirm_url: str = "",
) -> list[Markup]:
    """The HTML of each item of the section, in order.

    :param confirm_url: the address that confirms a carried answer, with ``__ITEM__`` for the
        item id (carry forward).
    """
    localized = definition.localized_items(lang)
    conditions = definition.show_if_conditions
    # The page's own strings in the interface's language (page_strings is kept per language:
    # a copy, never the kept dict, gets the questionnaire texts' lang attribute).
    strings = {**page_strings(current_lang()), "q": lang_attribute(lang)}
    timezone = current_app.config["BABEL_DEFAULT_TIMEZONE"]
    blocks = []
    for item in section.items:
        state = states[item.id]
        answer = answers.get(item.id)
        has_conflict = item.id in conflicts
        author = answer.author if answer else None
        key = (
            content_hash,
            lang,
            item.id,
            timezone,
            editable,
            history_url,
            state,
            repr(answer.value) if answer else None,
            author,
            answer.updated_at if answer else None,
            answer.carried_from if answer else None,
            answer.carry_confirmed if answer else None,
            confirm_url,
        )
        blocks.append(
            fragment(
                "assessments/_item_block.html",
                None if _shown_as_posted(state, has_conflict) else key,
                item=item,
                li=localized[item.id],
                state=state,
                answer=answer,
                author=author,
                conflict=conflicts.get(item.id),
                has_conflict=has_conflict,
                editable=editable,
                condition=conditions.get(item.id),
                history_url=history_url,
                lang=lang,
                t=strings,
                extras=answer_extras(content_hash, item),
                confirm_url=confirm_url,
            )
        )
    return blocks


def assessment_header(assessment, definition: Definition, lang: str) -> Markup:
    """The breadcrumbs and the questionnaire language switch at the top of an assessment's
    pages, rendered once for what they show and kept (only the switch's CSRF token and the page
    to come back to are filled in on every page)."""
    key = (assessment.id, assessment.region.name, assessment.round.name, definition.languages, lang)
    html = fragment(
        "assessments/_header.html",
        key,
        assessment=assessment,
        definition=definition,
        lang=lang,
        csrf_hole=CSRF_HOLE,
        next_hole=NEXT_HOLE,
    )
    html = html.replace(NEXT_HOLE, escape(request.path))
    return Markup(html.replace(CSRF_HOLE, escape(generate_csrf())))  # noqa: S704 (escaped)
