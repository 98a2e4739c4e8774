from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from surveyapp.forms import IdListField, one_line, stripped

NAME_LIMIT = 100


class TagForm(FlaskForm):
    """The challenge categories (and critical aspect) of one written answer."""

    # A category that is gone or retired is left out by the operation, as one that is no id.
    categories = IdListField(_l("Challenge categories"))
    aspect = StringField(_l("Critical aspect"), default="")


class CategoryForm(FlaskForm):
    """A new category of the shared taxonomy."""

    name = StringField(
        _l("Name"),
        filters=[one_line],
        validators=[
            DataRequired(message=_l("Give the category a name of at most 100 characters.")),
            Length(
                max=NAME_LIMIT,
                message=_l("Give the category a name of at most 100 characters."),
            ),
        ],
    )
    description = TextAreaField(_l("Description"), filters=[stripped])
