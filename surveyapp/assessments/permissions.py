"""Who may see and change an assessment; checked from the signed-in user, never the request."""

from flask import abort
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from surveyapp.assessments import seam
from surveyapp.assessments.models import Answer, Assessment, AssessmentState
from surveyapp.auth.models import Role, User
from surveyapp.extensions import db
from surveyapp.questionnaires.definition import Section
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


#: The states in which the working group and the region discuss an assessment: from its first
#: submission until it is validated (then the record is closed).
DISCUSSED_STATES = (
    AssessmentState.submitted,
    AssessmentState.under_review,
    AssessmentState.changes_requested,
)


def can_review(user: User, assessment: Assessment) -> bool:
    """The one rule for every review action (comment, score, remark, ask for changes,
    validate): only the expert who holds the review acts on it, until it is validated.
    Another expert takes the review over first (reviews.operations.take_over_review)."""
    return (
        user.role == Role.expert
        and assessment.state in DISCUSSED_STATES
        and assessment.reviewer_id == user.id
    )


def can_discuss(user: User, assessment: Assessment) -> bool:
    """Who may post in, resolve or reopen the comment threads: the expert who holds the review,
    and the region's officers once the assessment was submitted, until it is validated."""
    if user.role == Role.officer:
        return (
            is_region_officer(user, assessment.region_id) and assessment.state in DISCUSSED_STATES
        )
    return can_review(user, assessment)


def load_assessment(assessment_id: int, with_answers: bool = True) -> Assessment:
    """The assessment with its round, questionnaire and region, or 404 when it does not exist
    or the user may not see it.

    404 rather than 403 so that nobody learns which regions have started an assessment.
    :param with_answers: load its answers too, each with its author.
    """
    statement = (
        select(Assessment)
        .options(
            joinedload(Assessment.round).joinedload(Round.questionnaire),
            joinedload(Assessment.region),
        )
        .where(Assessment.id == assessment_id)
    )
    if with_answers:
        statement = statement.options(
            selectinload(Assessment.answers).joinedload(Answer.updated_by)
        )
    assessment = db.session.scalar(statement)
    if assessment is None or not can_view(current_user, assessment):
        abort(404)
    return assessment


def section_or_404(assessment: Assessment, section_id: str) -> Section:
    """The section ``section_id`` of the assessment's questionnaire, or 404."""
    try:
        return assessment.round.questionnaire.parsed.section(section_id)
    except StopIteration:
        abort(404)


def load_editable_assessment(assessment_id: int, with_answers: bool = False) -> Assessment:
    """The assessment as load_assessment (404), and 403 unless the signed-in user may change
    it now (can_edit): what every page that changes a response loads first."""
    assessment = load_assessment(assessment_id, with_answers=with_answers)
    if not can_edit(current_user, assessment):
        abort(403)
    return assessment


def load_editable_section(assessment_id: int, section_id: str) -> tuple[Assessment, Section]:
    """The assessment as load_editable_assessment and one section of its questionnaire (404
    for a section it does not have, checked before the 403)."""
    assessment = load_assessment(assessment_id, with_answers=False)
    section = section_or_404(assessment, section_id)
    if not can_edit(current_user, assessment):
        abort(403)
    return assessment, section


def load_section_page(assessment_id: int, section_id: str) -> seam.SectionPage:
    """The assessment, the answers of one of its sections and who works on it, as its page
    reads them (seam.read_section_page), or 404 as load_assessment."""
    read = seam.read_section_page(assessment_id, section_id, current_user)
    if read is None or not can_view(current_user, read.assessment):
        abort(404)
    return read


def load_assessment_and_answer(
    assessment_id: int, item_id: str
) -> tuple[Assessment, Answer | None]:
    """The assessment (as load_assessment, without its answers and region) and its stored
    answer to ``item_id``, in one query (seam.read_for_save): what a save reads before it
    writes (operations.save_answer), or 404 as load_assessment."""
    assessment, answer = seam.read_for_save(assessment_id, item_id)
    if assessment is None or not can_view(current_user, assessment):
        abort(404)
    return assessment, answer
