"""What the features' forms share: the error an operation raises about one field of what was
sent, showing it at that field, the small conversions our own pages' inputs need, and the
filters of list pages read from the query string."""

from __future__ import annotations

from collections.abc import Callable

from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField, StringField
from wtforms.fields import SelectChoice
from wtforms.validators import Optional, Regexp, ValidationError

from surveyapp.bounds import db_int

#: What a filter's select says when the query string names none of its options.
UNKNOWN_CHOICE = _l("Choose one of the options.")
#: The first option of a filter's select: no filter.
ANY = SelectChoice("", _l("Any"))


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


def at_most(limit: int) -> Callable[[str | None], str]:
    """A filter: the text cut to ``limit`` characters (a search box's bound)."""

    def cut(text: str | None) -> str:
        return (text or "")[:limit]

    return cut


class IdField(SelectField):
    """One id chosen from a list our page wrote (``data``: the id, or None). With
    ``validate_choice`` (a filter's), what names none of the choices is refused, a text that is
    no id too; without, the operation leaves it out as a stale choice."""

    def __init__(self, label=None, validators=None, validate_choice=False, **kwargs):
        super().__init__(
            label, validators, coerce=id_or_none, validate_choice=validate_choice, **kwargs
        )

    def pre_validate(self, form) -> None:
        if self.validate_choice and self.data is None and self.raw_data and self.raw_data[0]:
            # Sent, but no id: not the empty choice ("any") it would otherwise match.
            raise ValidationError(
                self.invalid_choice_message or self.gettext("Not a valid choice.")
            )
        super().pre_validate(form)


class IdListField(SelectMultipleField):
    """Ids ticked in a list our page wrote; what names no row is left out."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, coerce=id_or_none, validate_choice=False, **kwargs)

    def process_formdata(self, valuelist):
        self.data = [value for value in map(id_or_none, valuelist) if value is not None]


class FilterForm(FlaskForm):
    """The filters of a list page, read from its query string (a GET changes nothing, so no
    CSRF token). A filter left out or empty keeps its default. A refused value is dropped, its
    field falling back to its default, and its message shows at the control: the page still
    lists what the other filters select."""

    class Meta:
        csrf = False

    def __init__(self, **defaults):
        super().__init__(formdata=request.args, **defaults)

    def validate(self, extra_validators=None) -> bool:
        super().validate(extra_validators)
        for field in self:
            asked = bool(field.raw_data and field.raw_data[0])
            if not asked:
                field.errors = []  # the default needs no check
            if field.errors or not asked:
                field.data = field.object_data
        return not self.errors


def country_field() -> StringField:
    """A filter's country code: two letters (cut to two, as the box allows), in capitals."""
    return StringField(
        _l("Country code"),
        filters=[stripped, at_most(2), str.upper],
        validators=[
            Optional(),
            Regexp("^[A-Z]{2}$", message=_l("Give a two-letter country code.")),
        ],
        render_kw={"size": 3, "maxlength": 2},
    )
