"""Reads for the publication pages."""

from sqlalchemy import func, select

from surveyapp.assessments.models import Assessment, AssessmentState
from surveyapp.extensions import db
from surveyapp.rounds.models import Round
from surveyapp.rounds.queries import validated_when_closed


def unvalidated_assessments(round_: Round) -> int:
    """How many of the round's submitted assessments the experts have not validated yet
    (their moderated scores may still change)."""
    return db.session.scalar(
        select(func.count())
        .select_from(Assessment)
        .where(
            Assessment.round_id == round_.id,
            Assessment.state.in_(
                (
                    AssessmentState.submitted,
                    AssessmentState.under_review,
                    AssessmentState.changes_requested,
                )
            ),
        )
    )


def counted_in_figures(round_: Round) -> int:
    """How many of the round's assessments its report's figures count: validated by the time
    the round closed (METHOD §12)."""
    return db.session.scalar(
        select(func.count())
        .select_from(Assessment)
        .where(Assessment.round_id == round_.id, validated_when_closed())
    )
