from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, Length

from surveyapp.forms import UNKNOWN_CHOICE, FilterForm, IdField, IdListField, one_line, stripped
from surveyapp.rounds.models import Round

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


class RoundFilterForm(FilterForm):
    """The challenge pages' filter: ``?round=`` (all rounds when none)."""

    round = IdField(_l("Round"), validate_choice=True, invalid_choice_message=UNKNOWN_CHOICE)

    def __init__(self, rounds: list[Round]):
        """:param rounds: every round, oldest first (offered newest first)."""
        super().__init__()
        self.round.choices = [
            SelectChoice("", _l("All rounds")),
            *(SelectChoice(str(r.id), r.name) for r in reversed(rounds)),
        ]
