"""The form that issues an API token (the account's token page)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.fields import SelectChoice
from wtforms.validators import AnyOf, DataRequired, Length

from surveyapp.forms import one_line

NAME_LIMIT = 100
#: Lifetimes offered when a token is made, in days ("" for none); the first is preselected.
EXPIRY_DAYS = ("90", "30", "365", "")


class TokenForm(FlaskForm):
    name = StringField(
        _l("Name"),
        filters=[one_line],
        validators=[
            DataRequired(_l("Give the token a name, e.g. what it is for.")),
            Length(max=NAME_LIMIT, message=_l("Shorten the name to %(max)d characters.")),
        ],
    )
    expires_in = SelectField(
        _l("Expires"),
        choices=[SelectChoice(days, days) for days in EXPIRY_DAYS],
        default=EXPIRY_DAYS[0],
        validate_choice=False,
        validators=[AnyOf(EXPIRY_DAYS, message=_l("Choose one of the lifetimes offered."))],
    )
