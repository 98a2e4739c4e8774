"""Section forms assembled at runtime from the questionnaire definition.

WTForms validates and converts; the inputs are written by our own Jinja macros
(``assessments/_items.html``), which is several times faster than WTForms' widgets.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import (
    BooleanField,
    Form,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields import SelectChoice
from wtforms.validators import InputRequired, Optional
from wtforms.widgets import HiddenInput

from surveyapp.assessments.operations import (
    EVIDENCE_MAX_LENGTH,
    NA_REASON_MAX_LENGTH,
    AnswerFieldError,
    asks_reason,
    can_ask_evidence,
)
from surveyapp.i18n import language_name
from surveyapp.questionnaires.definition import Item, Section
from surveyapp.questionnaires.types import AnswerError, MaxLength

COMMENT_SUFFIX = "__comment"
VERSION_SUFFIX = "__version"
NA_REASON_SUFFIX = "__na_reason"
EVIDENCE_SUFFIX = "__evidence"
COMMENT_MAX_LENGTH = 4000


def comment_field_name(item_id: str) -> str:
    return item_id + COMMENT_SUFFIX


def version_field_name(item_id: str) -> str:
    return item_id + VERSION_SUFFIX


def na_reason_field_name(item_id: str) -> str:
    return item_id + NA_REASON_SUFFIX


def evidence_field_name(item_id: str) -> str:
    return item_id + EVIDENCE_SUFFIX


def _item_fields(item: Item, lang: str) -> dict[str, Any]:
    fields = {
        item.id: item.question_type.make_field(item, lang),
        comment_field_name(item.id): TextAreaField(
            _l("Comment"), validators=[Optional(), MaxLength(COMMENT_MAX_LENGTH)]
        ),
        version_field_name(item.id): IntegerField(widget=HiddenInput(), validators=[Optional()]),
    }
    # Whether the reason is required depends on the answer: operations.save_answer decides.
    if asks_reason(item):
        fields[na_reason_field_name(item.id)] = StringField(
            _l("Why does this not apply?"),
            validators=[Optional(), MaxLength(NA_REASON_MAX_LENGTH)],
        )
    if can_ask_evidence(item):
        fields[evidence_field_name(item.id)] = StringField(
            _l("Evidence"), validators=[Optional(), MaxLength(EVIDENCE_MAX_LENGTH)]
        )
    return fields


def extra_fields(form, item: Item) -> tuple:
    """The item's reason and evidence fields in ``form`` (None where it has none)."""
    reason, evidence = na_reason_field_name(item.id), evidence_field_name(item.id)
    return tuple(getattr(form, name, None) for name in (reason, evidence))


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


class ItemInput(NamedTuple):
    """One item's input as autosave stores it."""

    value: Any
    comment: str | None
    #: The reason and evidence typed (None: not sent, the stored ones are kept).
    na_reason: str | None
    evidence: str | None


def parse_item_input(
    content_hash: str,
    item: Item,
    raw: list[str],
    comment: str | None,
    lang: str = "en",
    na_reason: str | None = None,
    evidence: str | None = None,
) -> ItemInput:
    """Validate one item's raw form values (as a browser would post them).

    Used by autosave, so that it gives the same messages as the section form.
    :returns: the value and comment in stored form, the reason and evidence as typed.
    :raises AnswerError: with the message for the field (AnswerFieldError for the reason or
        the evidence).
    """
    data = MultiDict([(item.id, value) for value in raw])
    if comment is not None:
        data[comment_field_name(item.id)] = comment
    extras = {"na_reason": na_reason_field_name(item.id), "evidence": evidence_field_name(item.id)}
    for key, text in (("na_reason", na_reason), ("evidence", evidence)):
        if text is not None:
            data[extras[key]] = text
    form = _item_form(content_hash, item, lang, data)
    if not form.validate():
        for key, name in extras.items():
            if name in form and form[name].errors:
                raise AnswerFieldError(key, " ".join(str(e) for e in form[name].errors))
        raise AnswerError(
            " ".join(str(error) for errors in form.errors.values() for error in errors)
        )
    value = item.question_type.from_form(item, form[item.id].data)
    comment_data = form[comment_field_name(item.id)].data
    return ItemInput(
        value,
        (comment_data.strip() or None) if comment_data else None,
        na_reason if extras["na_reason"] in form else None,
        evidence if extras["evidence"] in form else None,
    )


class QuestionnaireLanguageForm(FlaskForm):
    """The language of the questionnaire's texts, among those it is complete in."""

    language = SelectField(_l("Questionnaire language"), validators=[InputRequired()])
    #: The page to go back to (a path on this site only).
    next = HiddenField()

    def __init__(self, languages: tuple[str, ...], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.language.choices = [(code, language_name(code), {"lang": code}) for code in languages]


class CarryForwardForm(FlaskForm):
    """Start from the region's previous submitted response (assessments.carry)."""

    #: Asked when the assessment has answers: they are kept, only blank ones are filled.
    fill_blanks = BooleanField(_l("Keep the answers already given and fill only the blank ones."))


class SubmitForm(FlaskForm):
    """Submit the assessment: the region's consent to be named, and its confirmation that it
    submits answers without the evidence they ask for (asked only when some have none)."""

    consent_named = BooleanField()
    without_evidence = BooleanField()


class ConfirmCarriedForm(FlaskForm):
    """Confirm carried answers (one, or a section's): the CSRF token is all it posts."""


def assignments_form(definition, lang: str, people, current: dict, posted: bool = True):
    """One choice per section of who does it: nobody, or one of ``people`` (the region's
    officers); ``current``: section id -> user id now."""

    class AssignmentsForm(FlaskForm):
        pass

    choices = [SelectChoice("", _l("Nobody"))]
    choices += [SelectChoice(str(user.id), user.name) for user in people]
    for section in definition.sections:
        chosen = current.get(section.id)
        setattr(
            AssignmentsForm,
            assignment_field_name(section.id),
            SelectField(
                section.localized("title", lang),
                choices=choices,
                default="" if chosen is None else str(chosen),
                validate_choice=True,
            ),
        )
    return AssignmentsForm() if posted else AssignmentsForm(formdata=None)


def assignment_field_name(section_id: str) -> str:
    return f"section__{section_id}"
