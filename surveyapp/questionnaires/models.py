"""A questionnaire version as stored: the validated definition and its content hash."""

import threading
from collections import OrderedDict
from dataclasses import replace
from datetime import datetime
from functools import cached_property

from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from surveyapp.db import CleanString, JSONType, UTCDateTime, utcnow
from surveyapp.extensions import db
from surveyapp.questionnaires.definition import Definition, parse_definition
from surveyapp.questionnaires.translations import apply_translations, complete_languages

#: cache key -> parsed Definition, the most recently used last; a definition never changes
#: under the same key. Bounded: every edit of a questionnaire's translations makes a new key.
_PARSED: OrderedDict[str, Definition] = OrderedDict()
_PARSED_KEPT = 16
_parsed_lock = threading.Lock()


class Questionnaire(db.Model):
    __tablename__ = "questionnaires"
    __table_args__ = (UniqueConstraint("slug", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stable name shared by all versions, e.g. ``criterion7-interregional``.
    slug: Mapped[str] = mapped_column(CleanString(100))
    #: Version number; a round uses exactly one version.
    version: Mapped[int]
    #: Title in English (translations live in the definition).
    title: Mapped[str] = mapped_column(CleanString(300))
    #: SHA-256 of the canonical JSON of ``definition``: same hash, same questionnaire.
    content_hash: Mapped[str] = mapped_column(CleanString(64))
    #: SHA-256 of ``translations`` ("" without any): part of the parsed copy's cache key.
    translations_hash: Mapped[str] = mapped_column(CleanString(64), default="")
    #: When this version was first loaded.
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The texts last (SQLite keeps a row's values in order, a long one in a chain of overflow
    # pages: a value stored after the texts is reached only through the whole chain; migration
    # a28e0001long). Both are loaded on demand.
    #: The parsed, validated definition exactly as the loader produced it (pages use the
    #: parsed copy cached by content hash).
    definition: Mapped[dict] = mapped_column(JSONType, deferred=True)
    #: Translations of the texts, kept beside the definition so that adding a language changes
    #: neither the content hash nor the answers: {lang: {context: [English, translation]}}
    #: (``questionnaires.translations``).
    translations: Mapped[dict] = mapped_column(JSONType, default=dict, deferred=True)

    @property
    def cache_key(self) -> str:
        """Same key, same texts: the content hash and the translations' hash."""
        return f"{self.content_hash}:{self.translations_hash}"

    @cached_property
    def parsed(self) -> Definition:
        """The definition as typed objects with its translations, parsed once per process for
        each content and translations hash."""
        key = self.cache_key
        with _parsed_lock:
            definition = _PARSED.get(key)
            if definition is not None:
                _PARSED.move_to_end(key)
                return definition
        definition = parse_translated(
            self.definition, self.translations or {}, f"{self.slug} v{self.version}"
        )
        with _parsed_lock:
            _PARSED[key] = definition
            while len(_PARSED) > _PARSED_KEPT:
                _PARSED.popitem(last=False)
        return definition

    @property
    def label(self) -> str:
        return f"{self.slug}:{self.version}"

    def __repr__(self) -> str:
        return f"<Questionnaire {self.label}>"


def parse_translated(data: dict, translations: dict, source: str) -> Definition:
    """The definition of ``data`` with its texts in every language of ``translations``, and the
    languages it is complete in."""
    definition = parse_definition(apply_translations(data, translations), source=source)
    return replace(definition, languages=complete_languages(data, translations))
