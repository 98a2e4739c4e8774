from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SearchField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, Length

from surveyapp.forms import (
    ANY,
    UNKNOWN_CHOICE,
    FilterForm,
    IdField,
    at_most,
    country_field,
    one_line,
    stripped,
)
from surveyapp.practices.queries import LibraryFilters
from surveyapp.rounds.models import Round

TITLE_LIMIT = 200
SUMMARY_LIMIT = 10000
#: How much of a search the library reads.
SEARCH_LIMIT = 200


class PracticeForm(FlaskForm):
    """A good practice, marked on an answer or changed in the library."""

    title = StringField(
        _l("Title"),
        filters=[one_line],
        validators=[
            DataRequired(message=_l("Give the practice a title.")),
            Length(
                max=TITLE_LIMIT,
                message=_l("Shorten the title to %(num)d characters.", num=TITLE_LIMIT),
            ),
        ],
    )
    summary = TextAreaField(
        _l("Summary"),
        filters=[stripped],
        validators=[
            DataRequired(message=_l("Describe the practice.")),
            Length(
                max=SUMMARY_LIMIT,
                message=_l("Shorten the summary to %(num)d characters.", num=SUMMARY_LIMIT),
            ),
        ],
    )
    # The questionnaire's aspects and dimensions: an id it does not know is left out.
    aspects = SelectMultipleField(_l("Critical aspects"), validate_choice=False)
    dimensions = SelectMultipleField(_l("Dimensions"), validate_choice=False)
    tags = StringField(_l("Keywords"), default="")

    def practice_fields(self) -> dict:
        """What operations.save_good_practice takes from the form."""
        return {
            "title": self.title.data,
            "summary": self.summary.data,
            "aspects": self.aspects.data,
            "dimensions": self.dimensions.data,
            "tags": self.tags.data,
        }


def choices_of(groups, lang: str) -> list[SelectChoice]:
    """A questionnaire's aspects or dimensions as options, titled in ``lang``."""
    return [SelectChoice(group.id, group.localized("title", lang)) for group in groups]


class LibraryFilterForm(FilterForm):
    """The library's search and filters: ``?q=`` (words), ``?aspect=``, ``?dimension=``,
    ``?country=`` and ``?round=``."""

    q = SearchField(_l("Words"), filters=[stripped, at_most(SEARCH_LIMIT)])
    aspect = SelectField(_l("Critical aspect"), default="", invalid_choice_message=UNKNOWN_CHOICE)
    dimension = SelectField(_l("Dimension"), default="", invalid_choice_message=UNKNOWN_CHOICE)
    country = country_field()
    round = IdField(_l("Round"), validate_choice=True, invalid_choice_message=UNKNOWN_CHOICE)

    def __init__(self, rounds: list[Round], lang: str):
        """:param rounds: every round, oldest first; the aspects and dimensions offered are
        those of the newest round's questionnaire."""
        super().__init__()
        self.round.choices = [ANY, *(SelectChoice(str(r.id), r.name) for r in reversed(rounds))]
        definition = rounds[-1].questionnaire.parsed if rounds else None
        self.aspect.choices = [ANY, *choices_of(definition.aspects if definition else (), lang)]
        self.dimension.choices = [
            ANY,
            *choices_of(definition.dimensions if definition else (), lang),
        ]

    def filters(self) -> LibraryFilters:
        """What library takes (call after validate: a refused value is no filter)."""
        return LibraryFilters(
            text=self.q.data or "",
            aspect=self.aspect.data or "",
            dimension=self.dimension.data or "",
            country=self.country.data or "",
            round_id=self.round.data,
        )
