from flask import Blueprint, render_template
from flask_login import current_user, login_required

from surveyapp.assessments.models import AssessmentState
from surveyapp.assessments.sharing import assigned_to
from surveyapp.auth.models import Role
from surveyapp.i18n import current_lang
from surveyapp.main.queries import home_overview

bp = Blueprint("main", __name__, template_folder="templates")


@bp.route("/")
@login_required
def home():
    """Rounds and, for officers, their regions' assessments."""
    overview = home_overview(current_user)
    lang = current_lang()
    section_titles = {
        row.round.id: {
            s.id: s.localized("title", lang) for s in row.round.questionnaire.parsed.sections
        }
        for row in overview
    }
    #: Each round's questionnaire title in the page's language (English where it has none).
    titles = {
        row.round.id: row.round.questionnaire.parsed.localized("title", lang) for row in overview
    }
    mine = []
    if current_user.role == Role.officer:
        for assignment, assessment in assigned_to(current_user):
            definition = assessment.round.questionnaire.parsed
            titles = {s.id: s.localized("title", lang) for s in definition.sections}
            if assignment.section_id in titles:
                mine.append((assessment, assignment.section_id, titles[assignment.section_id]))
    return render_template(
        "main/home.html",
        overview=overview,
        section_titles=section_titles,
        questionnaire_titles=titles,
        workflow=[state.value for state in AssessmentState],
        mine=mine,
    )
