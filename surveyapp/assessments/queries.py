"""Read helpers for assessments."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import selectinload

from surveyapp.assessments.models import Answer, Assessment, AssessmentState
from surveyapp.audit.catalogue import HistoryContext, HistoryEntry, describe, visible_to
from surveyapp.audit.models import AuditEvent
from surveyapp.auth.models import User
from surveyapp.challenges.queries import category_names
from surveyapp.db import json_rows, json_value
from surveyapp.extensions import db
from surveyapp.questionnaires.definition import Definition, Section
from surveyapp.questionnaires.models import Questionnaire, parsed_definition
from surveyapp.regions.models import Region
from surveyapp.rounds.models import Round, RoundState

HISTORY_PAGE_SIZE = 100


def answer_map(assessment: Assessment) -> dict[str, Answer]:
    """The assessment's answers by item id."""
    return {answer.item_id: answer for answer in assessment.answers}


def answer_values(assessment: Assessment) -> dict[str, Any]:
    """The assessment's answer values by item id."""
    return {answer.item_id: answer.value for answer in assessment.answers}


def history_events(
    assessment: Assessment, user: User, item_id: str | None = None, page: int = 1
) -> tuple[list[AuditEvent], bool]:
    """One page of the assessment's audit events that ``user`` may see, newest first, and
    whether older ones exist (see surveyapp.audit.catalogue for who sees what).

    :param item_id: only the events of this item.
    """
    query = (
        select(AuditEvent)
        .where(
            AuditEvent.assessment_id == assessment.id,
            visible_to(user, assessment.round.moderated_released),
        )
        .options(selectinload(AuditEvent.user))
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
        .offset((page - 1) * HISTORY_PAGE_SIZE)
        .limit(HISTORY_PAGE_SIZE + 1)
    )
    if item_id:
        query = query.where(AuditEvent.item_id == item_id)
    events = list(db.session.scalars(query))
    return events[:HISTORY_PAGE_SIZE], len(events) > HISTORY_PAGE_SIZE


def history_entries(
    assessment: Assessment, user: User, lang: str, item_id: str | None = None, page: int = 1
) -> tuple[list[HistoryEntry], bool]:
    """One page of the history as ``user`` reads it: rows of sentences in ``lang``, and
    whether older ones exist."""
    events, has_older = history_events(assessment, user, item_id, page)
    context = HistoryContext(
        assessment.round.questionnaire.parsed,
        lang,
        category_names() if any(e.action == "challenge.tagged" for e in events) else {},
    )
    return describe(events, context), has_older


def has_assessments() -> bool:
    return (db.session.scalar(select(func.count(Assessment.id))) or 0) > 0


_answers = Answer.__table__
#: Aliased: the query this subquery goes in may read the users table itself (the signed-in user).
_authors = User.__table__.alias("authors")


class AnswerShown(NamedTuple):
    """An answer as the section page shows it."""

    item_id: str
    value: Any
    comment: str | None
    version: int
    updated_at: datetime
    #: The name of who changed it last.
    author: str | None
    #: Why it does not apply (with a "not applicable" answer), and its evidence.
    na_reason: str | None = None
    evidence: str | None = None


def _answers_shown(assessment_id):
    """The answers of one section (bind parameter ``section_id``) of the assessment, with their
    author's name, as one JSON value."""
    return (
        select(
            json_rows(
                _answers.c.item_id,
                json_value(_answers.c.value),
                _answers.c.comment,
                _answers.c.version,
                _answers.c.updated_at,
                _authors.c.name,
                _answers.c.na_reason,
                _answers.c.evidence,
            )
        )
        .select_from(_answers.outerjoin(_authors, _answers.c.updated_by_id == _authors.c.id))
        .where(
            _answers.c.assessment_id == assessment_id,
            _answers.c.section_id == bindparam("section_id"),
        )
        .scalar_subquery()
    )


_ANSWERS_SHOWN_ALONE = select(_answers_shown(bindparam("assessment_id")))


@dataclass(frozen=True, slots=True)
class QuestionnaireShown:
    id: int
    content_hash: str

    @property
    def parsed(self) -> Definition:
        return parsed_definition(self.id, self.content_hash)


@dataclass(frozen=True, slots=True)
class RoundShown:
    name: str
    state: RoundState
    questionnaire: QuestionnaireShown


@dataclass(frozen=True, slots=True)
class RegionShown:
    name: str


@dataclass(frozen=True, slots=True)
class AssessmentShown:
    """An assessment as its section page reads it, with that section's answers: plain values
    read in the signed-in user's query (permissions.load_assessment_shown), with the
    attributes of an Assessment that the page and the permission checks use. The ORM would
    spend about a tenth of the page building objects from the row."""

    id: int
    region_id: int
    state: AssessmentState
    submitted_at: datetime | None
    round: RoundShown
    region: RegionShown
    #: The section's answers as JSON rows (see section_answers), and the section's id.
    answers_shown: list
    answers_shown_section: str

    @property
    def is_editable_by_region(self) -> bool:
        return self.state in Assessment.EDITABLE_BY_REGION


_assessments, _rounds = Assessment.__table__, Round.__table__
_questionnaires, _regions = Questionnaire.__table__, Region.__table__
#: What an AssessmentShown is built from (see assessment_shown), from these tables.
SHOWN_COLUMNS = (
    _assessments.c.id,
    _assessments.c.region_id,
    _assessments.c.state,
    _assessments.c.submitted_at,
    _rounds.c.name,
    _rounds.c.state,
    _rounds.c.questionnaire_id,
    _questionnaires.c.content_hash,
    _regions.c.name,
    _answers_shown(_assessments.c.id),
)


def shown_tables(left=None, on=None):
    """The tables of SHOWN_COLUMNS: the assessment (outer-joined to ``left`` by ``on``, if
    given), its round, questionnaire and region."""
    tables = _assessments if left is None else left.outerjoin(_assessments, on)
    return (
        tables.outerjoin(_rounds, _rounds.c.id == _assessments.c.round_id)
        .outerjoin(_questionnaires, _questionnaires.c.id == _rounds.c.questionnaire_id)
        .outerjoin(_regions, _regions.c.id == _assessments.c.region_id)
    )


def assessment_shown(values, section_id: str) -> AssessmentShown | None:
    """The AssessmentShown of SHOWN_COLUMNS' values; None when there was no row, or the outer
    join found no assessment."""
    if values is None:
        return None
    (id_, region_id, state, submitted_at, round_name, round_state, questionnaire_id,
     content_hash, region_name, answers) = values  # fmt: skip
    if id_ is None:
        return None
    questionnaire = QuestionnaireShown(questionnaire_id, content_hash)
    return AssessmentShown(
        id_,
        region_id,
        state,
        submitted_at,
        RoundShown(round_name, round_state, questionnaire),
        RegionShown(region_name),
        answers,
        section_id,
    )


def section_answers(
    assessment: Assessment | AssessmentShown, section: Section
) -> dict[str, AnswerShown]:
    """Item id -> answer for one section's items, to show (see AnswerShown).

    From the JSON read with an AssessmentShown for this section, or read now.
    """
    if isinstance(assessment, AssessmentShown) and assessment.answers_shown_section == section.id:
        rows = assessment.answers_shown
    else:
        params = {"assessment_id": assessment.id, "section_id": section.id}
        rows = db.session.scalar(_ANSWERS_SHOWN_ALONE, params)
    items = {item.id for item in section.items}
    shown = {}
    for item_id, value, comment, version, updated_at, author, na_reason, evidence in rows:
        if item_id in items:
            when = datetime.fromisoformat(updated_at)
            shown[item_id] = AnswerShown(
                item_id, value, comment, version, when, author, na_reason, evidence
            )
    return shown
