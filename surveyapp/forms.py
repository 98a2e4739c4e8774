"""What the features' forms share: the error an operation raises about one field of what was
sent, showing it at that field, and the small conversions our own pages' inputs need."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField

from surveyapp.bounds import db_int


class FieldError(ValueError):
    """An operation refused what was sent; ``field`` names the form field the message belongs
    at (None: the request as a whole). Each feature raises its own subclass."""

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field


def show_at_field(form: FlaskForm, error: FieldError, default: str) -> None:
    """Show the operation's message at its field of ``form`` (``default`` when it names none
    of the form's fields), as a validator's message would be."""
    field = form[error.field if error.field in form else default]
    field.errors = [*field.errors, str(error.message)]


def one_line(text: str | None) -> str:
    """A filter: the text on one line, with single spaces and none at either end."""
    return " ".join((text or "").split())


def stripped(text: str | None) -> str:
    """A filter: the text without NUL characters and blanks at either end."""
    return (text or "").replace("\x00", "").strip()


def id_or_none(value) -> int | None:
    """An id posted by a select or checkbox: None for what names no row (empty, not a number,
    or beyond any id), which the operation then leaves out as it would a stale choice."""
    if isinstance(value, int):
        return value
    try:
        return db_int(value)
    except (TypeError, ValueError):
        return None


class IdField(SelectField):
    """One id chosen from a list our page wrote (``data``: the id, or None)."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, coerce=id_or_none, validate_choice=False, **kwargs)


class IdListField(SelectMultipleField):
    """Ids ticked in a list our page wrote; what names no row is left out."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, coerce=id_or_none, validate_choice=False, **kwargs)

    def process_formdata(self, valuelist):
        self.data = [value for value in map(id_or_none, valuelist) if value is not None]
