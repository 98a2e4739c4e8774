from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from surveyapp.forms import one_line, stripped

TITLE_LIMIT = 200
SUMMARY_LIMIT = 10000


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
