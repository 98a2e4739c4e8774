from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField


class AttachFileForm(FlaskForm):
    """A file for the response, for one of its questions or for the whole."""

    file = FileField(_l("File"), validators=[FileRequired(message=_l("Choose a file."))])
    #: "" for the response as a whole; the choices are the questionnaire's items (set by view).
    item_id = SelectField(_l("What it supports"), choices=[], validate_choice=True, default="")
