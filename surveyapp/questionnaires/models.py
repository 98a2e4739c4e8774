"""A questionnaire version as stored: the validated definition and its content hash."""

from datetime import datetime
from functools import cached_property

from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from surveyapp.db import CleanString, JSONType, UTCDateTime, utcnow
from surveyapp.extensions import db
from surveyapp.questionnaires.definition import Definition, parse_definition

#: content hash -> parsed Definition; a definition never changes under the same hash.
_PARSED: dict[str, Definition] = {}


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
    #: The parsed, validated definition exactly as the loader produced it (loaded on demand:
    #: pages use the parsed copy cached by content hash).
    definition: Mapped[dict] = mapped_column(JSONType, deferred=True)
    #: SHA-256 of the canonical JSON of ``definition``: same hash, same questionnaire.
    content_hash: Mapped[str] = mapped_column(CleanString(64))
    #: When this version was first loaded.
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @cached_property
    def parsed(self) -> Definition:
        """The definition as typed objects, parsed once per process for each content hash."""
        definition = _PARSED.get(self.content_hash)
        if definition is None:
            definition = parse_definition(self.definition, source=f"{self.slug} v{self.version}")
            _PARSED[self.content_hash] = definition
        return definition

    @property
    def label(self) -> str:
        return f"{self.slug}:{self.version}"

    def __repr__(self) -> str:
        return f"<Questionnaire {self.label}>"


def parsed_definition(questionnaire_id: int, content_hash: str) -> Definition:
    """The parsed definition of the questionnaire with this id and content hash: the copy this
    process keeps, or the questionnaire read and parsed when it has none yet."""
    definition = _PARSED.get(content_hash)
    if definition is None:
        definition = db.session.get(Questionnaire, questionnaire_id).parsed
    return definition
