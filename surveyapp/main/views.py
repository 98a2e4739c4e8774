from flask import Blueprint, render_template
from flask_login import current_user, login_required

from surveyapp.main.queries import home_overview

bp = Blueprint("main", __name__, template_folder="templates")


@bp.route("/")
@login_required
def home():
    """Rounds and, for officers, their regions' assessments."""
    return render_template("main/home.html", overview=home_overview(current_user))
