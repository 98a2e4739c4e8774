"""Who may see and change an assessment; checked from the signed-in user, never the request."""

from flask import abort
from flask_login import current_user
from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import joinedload, outerjoin, selectinload

from surveyapp.assessments.models import Answer, Assessment, AssessmentState
from surveyapp.assessments.queries import (
    SHOWN_COLUMNS,
    AssessmentShown,
    assessment_shown,
    shown_tables,
)
from surveyapp.auth.models import PlainUser, Role, User
from surveyapp.auth.operations import NOT_READ, read_with_user, taken_with_user
from surveyapp.extensions import db
from surveyapp.rounds.models import Round, RoundState

#: Who the checks are about: the signed-in user, as either kind of object (auth.load_user).
AnyUser = User | PlainUser
#: What they are about: an assessment, or one as its section page reads it.
AnyAssessment = Assessment | AssessmentShown


def is_region_officer(user: AnyUser, region_id: int) -> bool:
    return user.role == Role.officer and region_id in user.region_ids


def may_see_region(user: AnyUser, region_id: int) -> bool:
    """Officers see their own regions' benchmarks, plans and reports; experts and admins all."""
    return user.role != Role.officer or is_region_officer(user, region_id)


def can_view(user: AnyUser, assessment: AnyAssessment) -> bool:
    """Officers: their own regions' assessments. Experts and admins: anything not a draft."""
    if user.role == Role.officer:
        return is_region_officer(user, assessment.region_id)
    return assessment.state != AssessmentState.draft


def can_edit(user: AnyUser, assessment: AnyAssessment) -> bool:
    """Only the region's officers, while the assessment is theirs to change and the round open."""
    return (
        is_region_officer(user, assessment.region_id)
        and assessment.is_editable_by_region
        and assessment.round.state == RoundState.open
    )


#: The states in which the working group and the region discuss an assessment: from its first
#: submission until it is validated (then the record is closed).
DISCUSSED_STATES = (
    AssessmentState.submitted,
    AssessmentState.under_review,
    AssessmentState.changes_requested,
)


def can_review(user: AnyUser, assessment: AnyAssessment) -> bool:
    """The one rule for every review action (comment, score, remark, ask for changes,
    validate): only the expert who holds the review acts on it, until it is validated.
    Another expert takes the review over first (reviews.operations.take_over_review)."""
    return (
        user.role == Role.expert
        and assessment.state in DISCUSSED_STATES
        and getattr(assessment, "reviewer_id", None) == user.id
    )


def can_discuss(user: AnyUser, assessment: AnyAssessment) -> bool:
    """Who may post in, resolve or reopen the comment threads: the expert who holds the review,
    and the region's officers once the assessment was submitted, until it is validated."""
    if user.role == Role.officer:
        return (
            is_region_officer(user, assessment.region_id) and assessment.state in DISCUSSED_STATES
        )
    return can_review(user, assessment)


#: What every assessment request reads: the round, its questionnaire and the region...
_WITH_ROUND_AND_REGION = (
    joinedload(Assessment.round).joinedload(Round.questionnaire),
    joinedload(Assessment.region),
)
_ASSESSMENT = (
    select(Assessment)
    .options(*_WITH_ROUND_AND_REGION)
    .where(Assessment.id == bindparam("assessment_id"))
)
#: ...and what pages read besides: every answer with its author. (Statements built once:
#: building one costs about as much as running it, on every request.)
_ASSESSMENT_WITH_ANSWERS = _ASSESSMENT.options(
    selectinload(Assessment.answers).joinedload(Answer.updated_by)
)
#: ...or, for the section page, the assessment as it shows it, with that section's answers
#: (bind parameter ``section_id``), in plain columns...
_SHOWN_ID = Assessment.__table__.c.id == bindparam("assessment_id")
_ASSESSMENT_SHOWN = select(*SHOWN_COLUMNS).select_from(shown_tables()).where(_SHOWN_ID)
#: ...read in the signed-in user's query on that page (see load_assessment_shown).
read_shown_with_user = read_with_user(
    lambda user: user.add_columns(*SHOWN_COLUMNS).select_from(
        shown_tables(User.__table__, _SHOWN_ID)
    ),
    "assessment_id",
    "section_id",
    plain=True,
)


#: ...or, for one answer's save, that answer as stored (None: not answered yet)...
_STORED_ANSWER = and_(Answer.assessment_id == Assessment.id, Answer.item_id == bindparam("item_id"))
_ASSESSMENT_AND_ANSWER = _ASSESSMENT.add_columns(Answer).outerjoin(Answer, _STORED_ANSWER)
#: ...read with the signed-in user for an autosave (see load_assessment_and_answer).
read_answer_with_user = read_with_user(
    lambda user: (
        user.add_columns(Assessment, Answer)
        .select_from(
            outerjoin(User, Assessment, Assessment.id == bindparam("assessment_id")).outerjoin(
                Answer, _STORED_ANSWER
            )
        )
        .options(*_WITH_ROUND_AND_REGION)
    ),
    "assessment_id",
    "item_id",
)


def load_assessment_and_answer(
    assessment_id: int, item_id: str
) -> tuple[Assessment, Answer | None]:
    """The assessment (as load_assessment, without its answers) and its stored answer to
    ``item_id``, in one query: what a save reads before it writes (operations.save_answer).
    For a view marked @read_answer_with_user, as read in the signed-in user's query."""
    row = taken_with_user(assessment_id=assessment_id, item_id=item_id)
    if row is NOT_READ:
        row = db.session.execute(
            _ASSESSMENT_AND_ANSWER, {"assessment_id": assessment_id, "item_id": item_id}
        ).first()
    if row is None or row[0] is None or not can_view(current_user, row[0]):
        abort(404)
    return row[0], row[1]


def load_assessment(assessment_id: int, with_answers: bool = True) -> Assessment:
    """The assessment, or 404 when it does not exist or the user may not see it.

    404 rather than 403 so that nobody learns which regions have started an assessment.
    :param with_answers: load its Answer objects too.
    """
    statement = _ASSESSMENT_WITH_ANSWERS if with_answers else _ASSESSMENT
    assessment = db.session.execute(statement, {"assessment_id": assessment_id}).scalar()
    if assessment is None or not can_view(current_user, assessment):
        abort(404)
    return assessment


def load_assessment_shown(assessment_id: int, section_id: str) -> AssessmentShown:
    """The assessment as the page of one of its sections shows it, with that section's
    answers (queries.AssessmentShown), or 404 as load_assessment. For a view marked
    @read_shown_with_user, as read in the signed-in user's query."""
    values = taken_with_user(assessment_id=assessment_id, section_id=section_id)
    if values is NOT_READ:
        params = {"assessment_id": assessment_id, "section_id": section_id}
        values = db.session.execute(_ASSESSMENT_SHOWN, params).first()
    assessment = assessment_shown(values, section_id)
    if assessment is None or not can_view(current_user, assessment):
        abort(404)
    return assessment
