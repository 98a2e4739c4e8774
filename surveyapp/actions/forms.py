from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired

from surveyapp.actions.models import ActionStatus
from surveyapp.forms import IdField, one_line, stripped
from surveyapp.questionnaires.types import MaxLength

TITLE_MAX_LENGTH = 300
OWNER_MAX_LENGTH = 200


class ActionForm(FlaskForm):
    """A new action of a region's plan."""

    title = StringField(
        _l("Action"),
        filters=[one_line],
        validators=[
            DataRequired(message=_l("Say what the action is.")),
            MaxLength(TITLE_MAX_LENGTH),
        ],
    )
    solution = TextAreaField(_l("Solution it applies"), filters=[stripped])
    category_id = IdField(_l("Challenge category"))
    aspect = StringField(_l("Critical aspect"), default="")
    dimension = StringField(_l("Dimension"), default="")
    partners = StringField(_l("Partner regions"), default="")
    # Too long is an error at the field, never a silent cut.
    owner = StringField(_l("Owner"), default="", validators=[MaxLength(OWNER_MAX_LENGTH)])
    target_round_id = IdField(_l("Target round"))


class ProgressForm(FlaskForm):
    """An action's status and evidence in the current round."""

    status = StringField(
        _l("Status"),
        validators=[AnyOf([s.value for s in ActionStatus], message=_l("Choose a status."))],
    )
    evidence = TextAreaField(_l("Evidence"), filters=[stripped])
