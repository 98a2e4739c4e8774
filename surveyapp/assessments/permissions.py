"""Who may see and change an assessment; checked from the signed-in user, never the request."""

from flask import abort
from flask_login import current_user
from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import joinedload, load_only, outerjoin, selectinload, with_expression

from surveyapp.assessments.models import Answer, Assessment, AssessmentState
from surveyapp.assessments.queries import ANSWERS_SHOWN
from surveyapp.auth.models import Role, User
from surveyapp.auth.operations import NOT_READ, read_with_user, taken_with_user
from surveyapp.extensions import db
from surveyapp.questionnaires.models import Questionnaire
from surveyapp.regions.models import Region
from surveyapp.rounds.models import Round, RoundState


def is_region_officer(user: User, region_id: int) -> bool:
    return user.role == Role.officer and region_id in user.region_ids


def may_see_region(user: User, region_id: int) -> bool:
    """Officers see their own regions' benchmarks, plans and reports; experts and admins all."""
    return user.role != Role.officer or is_region_officer(user, region_id)


def can_view(user: User, assessment: Assessment) -> bool:
    """Officers: their own regions' assessments. Experts and admins: anything not a draft."""
    if user.role == Role.officer:
        return is_region_officer(user, assessment.region_id)
    return assessment.state != AssessmentState.draft


def can_edit(user: User, assessment: Assessment) -> bool:
    """Only the region's officers, while the assessment is theirs to change and the round open."""
    return (
        is_region_officer(user, assessment.region_id)
        and assessment.is_editable_by_region
        and assessment.round.state == RoundState.open
    )


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
#: ...or, for the section page, the answers as it shows them, in the same row, and of the rest
#: only what it shows (each column read costs; another is read when first used).
_TO_SHOW = (
    load_only(Assessment.region_id, Assessment.round_id, Assessment.state, Assessment.submitted_at),
    joinedload(Assessment.round)
    .load_only(Round.name, Round.state, Round.questionnaire_id)
    .joinedload(Round.questionnaire)
    .load_only(Questionnaire.slug, Questionnaire.version, Questionnaire.content_hash),
    joinedload(Assessment.region).load_only(Region.name),
    with_expression(Assessment.answers_shown, ANSWERS_SHOWN),
)
_ASSESSMENT_TO_SHOW = (
    select(Assessment)
    .options(*_TO_SHOW)
    .where(Assessment.id == bindparam("assessment_id"))
    # An object already in the session gets this section's answers too, not the ones it has.
    .execution_options(populate_existing=True)
)
#: The section page reads all that in the signed-in user's query (see load_assessment).
read_to_show_with_user = read_with_user(
    lambda user: (
        user.add_columns(Assessment)
        .outerjoin(Assessment, Assessment.id == bindparam("assessment_id"))
        .options(*_TO_SHOW)
    ),
    "assessment_id",
    "section_id",
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


def load_assessment(
    assessment_id: int, with_answers: bool = True, to_show: str | None = None
) -> Assessment:
    """The assessment, or 404 when it does not exist or the user may not see it.

    404 rather than 403 so that nobody learns which regions have started an assessment.
    :param with_answers: load its Answer objects too.
    :param to_show: the id of a section: load that section's answers as its page shows them
        (queries.section_answers) instead, in the same query; or take all that as read with
        the user, for a view marked @read_to_show_with_user.
    """
    read = NOT_READ
    if to_show is not None:
        read = taken_with_user(assessment_id=assessment_id, section_id=to_show)
    if read is not NOT_READ:
        (assessment,) = read
    else:
        if to_show is not None:
            statement = _ASSESSMENT_TO_SHOW
        else:
            statement = _ASSESSMENT_WITH_ANSWERS if with_answers else _ASSESSMENT
        params = {"assessment_id": assessment_id, "section_id": to_show}
        assessment = db.session.execute(statement, params).scalar()
    if assessment is None or not can_view(current_user, assessment):
        abort(404)
    if to_show is not None:
        assessment.answers_shown_section = to_show
    return assessment
