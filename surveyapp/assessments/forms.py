"""Section forms assembled at runtime from the questionnaire definition.

WTForms validates and converts; the inputs are written by our own Jinja macros
(``assessments/_items.html``), which is several times faster than WTForms' widgets.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import Form, IntegerField, TextAreaField
from wtforms.validators import Optional
from wtforms.widgets import HiddenInput

from surveyapp.questionnaires.definition import Item, Section
from surveyapp.questionnaires.types import AnswerError, MaxLength

COMMENT_SUFFIX = "__comment"
VERSION_SUFFIX = "__version"
COMMENT_MAX_LENGTH = 4000


def comment_field_name(item_id: str) -> str:
    return item_id + COMMENT_SUFFIX


def version_field_name(item_id: str) -> str:
    return item_id + VERSION_SUFFIX


def _item_fields(item: Item, lang: str) -> dict[str, Any]:
    return {
        item.id: item.question_type.make_field(item, lang),
        comment_field_name(item.id): TextAreaField(
            _l("Comment"), validators=[Optional(), MaxLength(COMMENT_MAX_LENGTH)]
        ),
        version_field_name(item.id): IntegerField(widget=HiddenInput(), validators=[Optional()]),
    }


#: Form classes by (questionnaire content hash, section or item id, language): built once.
_FORM_CLASSES: dict[tuple[str, str, str], type] = {}


def section_form(content_hash: str, section: Section, lang: str, **kwargs) -> FlaskForm:
    """A form for one section; the class is built once per questionnaire, section and language."""
    key = (content_hash, "section:" + section.id, lang)
    if key not in _FORM_CLASSES:
        fields: dict[str, Any] = {}
        for item in section.items:
            fields.update(_item_fields(item, lang))
        _FORM_CLASSES[key] = type("SectionForm", (FlaskForm,), fields)
    return _FORM_CLASSES[key](**kwargs)


def _item_form(content_hash: str, item: Item, lang: str, formdata: MultiDict) -> Form:
    key = (content_hash, "item:" + item.id, lang)
    if key not in _FORM_CLASSES:
        _FORM_CLASSES[key] = type("ItemForm", (Form,), _item_fields(item, lang))
    return _FORM_CLASSES[key](formdata=formdata)


def parse_item_input(
    content_hash: str, item: Item, raw: list[str], comment: str | None, lang: str = "en"
):
    """Validate one item's raw form values (as a browser would post them).

    Used by autosave, so that it gives the same messages as the section form.
    :returns: (value, comment) in stored form.
    :raises AnswerError: with the message for the field.
    """
    data = MultiDict([(item.id, value) for value in raw])
    if comment is not None:
        data[comment_field_name(item.id)] = comment
    form = _item_form(content_hash, item, lang, data)
    if not form.validate():
        raise AnswerError(
            " ".join(str(error) for errors in form.errors.values() for error in errors)
        )
    value = item.question_type.from_form(item, form[item.id].data)
    comment_data = form[comment_field_name(item.id)].data
    return value, (comment_data.strip() or None) if comment_data else None
