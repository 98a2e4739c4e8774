"""Read helpers for questionnaires."""

from sqlalchemy import exists, select

from surveyapp.assessments.models import Answer, Assessment
from surveyapp.extensions import db
from surveyapp.questionnaires.models import Questionnaire
from surveyapp.rounds.models import Round


def has_answers(questionnaire: Questionnaire) -> bool:
    """Whether any assessment of a round using this version holds an answer."""
    query = (
        select(Answer.id)
        .join(Assessment, Answer.assessment_id == Assessment.id)
        .join(Round, Assessment.round_id == Round.id)
        .where(Round.questionnaire_id == questionnaire.id)
    )
    return db.session.scalar(select(exists(query))) or False


def find_questionnaire(slug: str, version: int) -> Questionnaire | None:
    return db.session.scalar(select(Questionnaire).filter_by(slug=slug, version=version))
