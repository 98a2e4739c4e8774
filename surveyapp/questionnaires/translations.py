"""Questionnaire translations: gettext catalogues beside the questionnaire file.

A questionnaire version's texts are translated in ``questionnaires/translations/<slug>-v<version>/
<lang>.po``, one catalogue per language, made from the template ``messages.pot`` that
``flask questionnaires extract-messages`` writes. Each entry's context (``msgctxt``) names the
text's place by ids, not positions (``sections.strategy.items.str_action_plan.levels.3.anchor``),
and its ``msgid`` is the English text. A translation counts only while its English text is the
file's: when the English changes, the entry is *outdated* until a translator checks it.

Translations are stored beside the definition (``Questionnaire.translations``), not in it: a
version's content hash and its answers do not change when a language is added.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from surveyapp.questionnaires.loader import QUESTIONNAIRE_DIR, content_hash

#: Keys whose string value is text people read (FORMAT.md: "Any text").
TEXT_KEYS = frozenset(
    {"title", "description", "text", "help", "short_title", "na_reason", "label", "anchor", "unit"}
)
#: Keys whose list holds texts (suggested actions).
TEXT_LIST_KEYS = frozenset({"actions"})
#: Keys that name a list element in a context (the first the element has).
NAME_KEYS = ("id", "value", "level")

#: A language's translations: context -> (English text, translation); the English is None where
#: the translator marked the entry fuzzy (to be checked: counted as outdated, never shown).
Entries = dict[str, tuple[str | None, str]]


def catalogue_folder(slug: str, version: int, root: Path = QUESTIONNAIRE_DIR) -> Path:
    return root / "translations" / f"{slug}-v{version}"


def _name(element: Any, index: int) -> str:
    if isinstance(element, dict):
        for key in NAME_KEYS:
            if key in element and not isinstance(element[key], dict | list):
                return str(element[key])
    return str(index)


def text_places(data: Any, path: tuple = ()) -> list[tuple[str, tuple, Any]]:
    """Every translatable text of a questionnaire's plain data, in file order, as
    (context, path to the value, value): the value is a string, or a mapping of languages
    where the file translates the text inline."""
    places: list[tuple[str, tuple, Any]] = []
    _walk(data, path, (), places)
    return places


def _walk(node: Any, path: tuple, names: tuple, places: list) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in TEXT_KEYS and isinstance(value, str | dict) and value:
                if isinstance(value, str) or "en" in value:
                    places.append((".".join((*names, key)), (*path, key), value))
            elif key in TEXT_LIST_KEYS and isinstance(value, list):
                for index, text in enumerate(value):
                    if isinstance(text, str | dict) and text:
                        places.append(
                            (".".join((*names, key, str(index))), (*path, key, index), text)
                        )
            elif isinstance(value, dict | list):
                _walk(value, (*path, key), (*names, key), places)
    elif isinstance(node, list):
        for index, element in enumerate(node):
            _walk(element, (*path, index), (*names, _name(element, index)), places)


def english(value: Any) -> str:
    return value if isinstance(value, str) else value.get("en", "")


def template(data: dict) -> Catalog:
    """The catalogue template translators start from: every text with its context."""
    catalogue = Catalog(
        project=f"{data.get('slug')} questionnaire",
        version=str(data.get("version")),
        fuzzy=False,
    )
    for context, _path, value in text_places(data):
        catalogue.add(english(value), context=context)
    return catalogue


def read_catalogue(path: Path) -> Entries:
    """A language's catalogue as context -> (English, translation); untranslated entries are
    left out, fuzzy ones have None for their English."""
    with path.open("rb") as handle:
        catalogue = read_po(handle)
    return {
        message.context: (None if message.fuzzy else message.id, message.string)
        for message in catalogue
        if message.id and message.context and message.string
    }


def read_translations(slug: str, version: int, root: Path = QUESTIONNAIRE_DIR) -> dict:
    """Every language's translations of this version, as stored: {lang: {context: [en, text]}}."""
    folder = catalogue_folder(slug, version, root)
    return {
        path.stem: {context: list(pair) for context, pair in read_catalogue(path).items()}
        for path in sorted(folder.glob("*.po"))
    }


def translations_hash(translations: dict) -> str:
    return content_hash(translations) if translations else ""


@dataclass
class Coverage:
    """How far one language covers a questionnaire's texts."""

    lang: str
    total: int
    #: Contexts with no translation at all.
    missing: list[str] = field(default_factory=list)
    #: Contexts translated from an English text the file no longer has.
    outdated: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.missing and not self.outdated

    @property
    def translated(self) -> int:
        return self.total - len(self.missing) - len(self.outdated)


def coverage(data: dict, translations: dict) -> dict[str, Coverage]:
    """Per language (every language with a catalogue or an inline translation): what is missing."""
    places = text_places(data)
    languages = set(translations)
    for _context, _path, value in places:
        if isinstance(value, dict):
            languages |= {lang for lang, text in value.items() if text}
    languages.discard("en")
    result = {}
    for lang in sorted(languages):
        entries = translations.get(lang, {})
        report = Coverage(lang, total=len(places))
        for context, _path, value in places:
            if isinstance(value, dict) and value.get(lang):
                continue
            stored = entries.get(context)
            if stored is None:
                report.missing.append(context)
            elif stored[0] != english(value):
                report.outdated.append(context)
        result[lang] = report
    return result


def complete_languages(data: dict, translations: dict) -> tuple[str, ...]:
    """English and every language in which each text of the questionnaire is translated."""
    return ("en", *(lang for lang, c in coverage(data, translations).items() if c.complete))


def apply_translations(data: dict, translations: dict) -> dict:
    """The questionnaire's data with each text a mapping {en: ..., <lang>: ...} of its current
    translations (outdated ones left out); ``data`` itself is not changed."""
    if not translations:
        return data
    result = copy.deepcopy(data)
    for context, path, value in text_places(result):
        texts = {"en": value} if isinstance(value, str) else dict(value)
        for lang, entries in translations.items():
            stored = entries.get(context)
            if stored and stored[0] == texts["en"] and not texts.get(lang):
                texts[lang] = stored[1]
        if len(texts) > 1:
            parent = result
            for key in path[:-1]:
                parent = parent[key]
            parent[path[-1]] = texts
    return result


def update_catalogues(data: dict, folder: Path) -> list[Path]:
    """Write the template of ``data`` into ``folder`` and bring each language's catalogue in
    line with it: new texts added empty, removed ones dropped, changed English marked fuzzy
    (kept for the translator to check). Returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    new_template = template(data)
    written = [folder / "messages.pot"]
    _write(written[0], new_template)
    for path in sorted(folder.glob("*.po")):
        with path.open("rb") as handle:
            catalogue = read_po(handle)
        previous = {m.context: m for m in catalogue if m.id and m.context}
        updated = Catalog(locale=catalogue.locale, fuzzy=False)
        updated.header_comment = catalogue.header_comment
        updated.project, updated.version = new_template.project, new_template.version
        updated.last_translator = catalogue.last_translator
        updated.language_team = catalogue.language_team
        for message in new_template:
            if not message.id:
                continue
            old = previous.get(message.context)
            string, flags, comments = "", (), ()
            if old is not None and old.string:
                string, comments = old.string, old.user_comments
                flags = old.flags if old.id == message.id else {*old.flags, "fuzzy"}
                if old.id != message.id:
                    comments = [*comments, f"previous English: {old.id}"]
            updated.add(
                message.id,
                string,
                context=message.context,
                flags=flags,
                user_comments=comments,
            )
        _write(path, updated)
        written.append(path)
    return written


def _write(path: Path, catalogue: Catalog) -> None:
    with path.open("wb") as handle:
        write_po(handle, catalogue, width=96, no_location=True, omit_header=False)
