"""Storing questionnaire versions; callers commit."""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from surveyapp.audit.operations import log_event
from surveyapp.extensions import db
from surveyapp.questionnaires.definition import localize
from surveyapp.questionnaires.loader import content_hash, read_file
from surveyapp.questionnaires.models import Questionnaire
from surveyapp.questionnaires.queries import has_answers
from surveyapp.questionnaires.translations import read_translations, translations_hash


class QuestionnaireInUse(ValueError):
    """The version already has answers; a changed definition must get a new version number."""


@dataclass
class LoadResult:
    questionnaire: Questionnaire
    #: "created", "updated", "translations updated", "carry forward updated" or "unchanged".
    outcome: str


def load_questionnaire(path) -> LoadResult:
    """Store the file's questionnaire version; the same content twice is a no-op.

    :raises DefinitionError: when the file is invalid.
    :raises QuestionnaireInUse: when the version exists with other content and has answers.
    """
    data, definition = read_file(path)
    digest = content_hash(data)
    translations = read_translations(definition.slug, definition.version, Path(path).parent)
    existing = db.session.scalar(
        select(Questionnaire).filter_by(slug=definition.slug, version=definition.version)
    )
    if existing is not None and existing.content_hash == digest:
        if existing.translations_hash == translations_hash(translations):
            return LoadResult(existing, "unchanged")
        # Texts only: allowed with answers, since no answer or score depends on a translation.
        _set_translations(existing, translations)
        log_event(
            "questionnaire.translations_updated",
            "questionnaire",
            existing.id,
            new_value=", ".join(existing.parsed.languages),
        )
        return LoadResult(existing, "translations updated")
    if existing is not None and carry_content_hash(existing.definition) == carry_content_hash(data):
        # Carry-forward declarations only: allowed with answers, since no answer or score of
        # this version depends on them (they say what a later carry copies into it).
        existing.definition, existing.content_hash = data, digest
        with suppress(AttributeError):
            del existing.parsed
        log_event(
            "questionnaire.carry_updated", "questionnaire", existing.id, new_value=existing.label
        )
        return LoadResult(existing, "carry forward updated")
    if existing is not None:
        if has_answers(existing):
            raise QuestionnaireInUse(
                f"{path}: {definition.slug} version {definition.version} already has answers "
                "and its content differs; give the changed questionnaire a new version number"
            )
        existing.definition, existing.content_hash = data, digest
        existing.title = localize(definition.title, "en")
        _set_translations(existing, translations)
        log_event("questionnaire.updated", "questionnaire", existing.id, new_value=existing.label)
        return LoadResult(existing, "updated")
    questionnaire = Questionnaire(
        slug=definition.slug,
        version=definition.version,
        title=localize(definition.title, "en"),
        definition=data,
        content_hash=digest,
        translations=translations,
        translations_hash=translations_hash(translations),
    )
    db.session.add(questionnaire)
    db.session.flush()
    log_event(
        "questionnaire.loaded", "questionnaire", questionnaire.id, new_value=questionnaire.label
    )
    return LoadResult(questionnaire, "created")


#: The item keys that say only what carry forward copies into the item.
CARRY_KEYS = ("carry", "carried_from")


def carry_content_hash(data: dict) -> str:
    """The content hash of a definition without its carry-forward declarations."""
    sections = [
        {**section, "items": [_without_carry(item) for item in section.get("items", [])]}
        for section in data.get("sections", [])
    ]
    return content_hash({**data, "sections": sections})


def _without_carry(item):
    if not isinstance(item, dict):
        return item
    return {key: value for key, value in item.items() if key not in CARRY_KEYS}


def _set_translations(questionnaire: Questionnaire, translations: dict) -> None:
    questionnaire.translations = translations
    questionnaire.translations_hash = translations_hash(translations)
    with suppress(AttributeError):  # parsed anew with the new content or texts
        del questionnaire.parsed
