from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField

from surveyapp.contacts.operations import MESSAGE_MAX_LENGTH
from surveyapp.forms import IdField, stripped
from surveyapp.questionnaires.types import MaxLength


class ContactRequestForm(FlaskForm):
    """Ask a region to be put in touch: from which of the officer's regions, with a note."""

    from_region_id = IdField(_l("On behalf of"))
    message = TextAreaField(
        _l("Message to the other region's officers (optional)"),
        filters=[stripped],
        validators=[MaxLength(MESSAGE_MAX_LENGTH)],
    )


class AnswerForm(FlaskForm):
    """Accept, decline or withdraw: nothing to fill in but the CSRF token."""
