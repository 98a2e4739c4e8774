"""Reading a response's evidence files."""

from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.orm import joinedload

from surveyapp.assessments.models import Assessment
from surveyapp.evidence.models import EvidenceFile
from surveyapp.extensions import db


def files_of(assessment: Assessment) -> list[EvidenceFile]:
    """The response's files, in the questionnaire's order of their questions (the whole
    response's first), then by name."""
    files = db.session.scalars(
        select(EvidenceFile)
        .options(joinedload(EvidenceFile.uploaded_by))
        .where(EvidenceFile.assessment_id == assessment.id)
        .order_by(EvidenceFile.name, EvidenceFile.id)
    ).all()
    order = {item.id: n for n, item in enumerate(assessment.round.questionnaire.parsed.items)}
    return sorted(files, key=lambda f: -1 if f.item_id is None else order.get(f.item_id, 1e9))


def find_file(assessment: Assessment, file_id: int) -> EvidenceFile | None:
    """One of the response's files (None: not this response's)."""
    return db.session.scalar(
        select(EvidenceFile).where(
            EvidenceFile.id == file_id, EvidenceFile.assessment_id == assessment.id
        )
    )


def items_with_files(assessment_id: int) -> frozenset[str]:
    """The questions of the response a file is attached to ("What it supports"): their
    answers have evidence, as much as those with a link or reference typed beside them."""
    return frozenset(
        db.session.scalars(
            select(EvidenceFile.item_id)
            .where(EvidenceFile.assessment_id == assessment_id, EvidenceFile.item_id.is_not(None))
            .distinct()
        )
    )


def file_attached(assessment_id, item_id):
    """SQL: a file of the assessment is attached to the item (columns or values)."""
    return exists().where(
        EvidenceFile.assessment_id == assessment_id, EvidenceFile.item_id == item_id
    )
