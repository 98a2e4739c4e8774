"""The assessment workflow: every allowed move works, every other move is refused."""

import itertools

import pytest

from surveyapp.assessments.models import TRANSITIONS, AssessmentState, InvalidTransition
from surveyapp.extensions import db
from surveyapp.rounds.models import InvalidRoundTransition, RoundState

S = AssessmentState
METHOD_FOR_TARGET = {
    S.submitted: "submit",
    S.under_review: "start_review",
    S.changes_requested: "request_changes",
    S.validated: "validate",
}
ALLOWED = [
    (S.draft, S.submitted),
    (S.changes_requested, S.submitted),
    (S.submitted, S.under_review),
    (S.under_review, S.changes_requested),
    (S.under_review, S.validated),
]
REFUSED = [
    (source, target)
    for source, target in itertools.product(S, METHOD_FOR_TARGET)
    if (source, target) not in ALLOWED
]


def test_the_table_is_the_documented_workflow():
    assert sorted(TRANSITIONS) == sorted(ALLOWED)


def test_a_new_assessment_is_a_draft(create_assessment):
    assessment = create_assessment()
    assert assessment.state == S.draft
    assert assessment.is_editable_by_region


@pytest.mark.parametrize(("source", "target"), ALLOWED)
def test_allowed_transitions(create_assessment, source, target):
    assessment = create_assessment(state=source)
    version = assessment.version
    getattr(assessment, METHOD_FOR_TARGET[target])()
    db.session.flush()
    assert assessment.state == target
    assert assessment.version == version + 1


@pytest.mark.parametrize(("source", "target"), REFUSED)
def test_refused_transitions(create_assessment, source, target):
    assessment = create_assessment(state=source)
    with pytest.raises(InvalidTransition, match=f"from {source} to {target}"):
        getattr(assessment, METHOD_FOR_TARGET[target])()
    assert assessment.state == source


def test_submit_records_the_time(create_assessment):
    assessment = create_assessment()
    assessment.submit()
    assert assessment.submitted_at is not None


@pytest.mark.parametrize("state", [S.submitted, S.under_review, S.validated])
def test_region_cannot_edit_outside_draft_and_changes_requested(create_assessment, state):
    assert not create_assessment(state=state).is_editable_by_region


def test_round_transitions(create_round):
    round_ = create_round(state=RoundState.planned)
    with pytest.raises(InvalidRoundTransition):
        round_.close()
    round_.open()
    with pytest.raises(InvalidRoundTransition):
        round_.open()
    round_.close()
    assert round_.state == RoundState.closed


@pytest.mark.parametrize(
    ("table", "column"),
    [("assessments", "state"), ("rounds", "state"), ("users", "role"), ("regions", "category")],
)
def test_the_database_refuses_unknown_states(create_assessment, create_user, table, column):
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    create_assessment()
    create_user(email="u@example.org")
    with pytest.raises(IntegrityError):
        # Table and column names come from the parametrisation above, not from input.
        db.session.execute(text(f"UPDATE {table} SET {column} = 'bogus'"))  # noqa: S608
        db.session.flush()
    db.session.rollback()
