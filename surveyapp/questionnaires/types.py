"""Question types: each knows its definition keys, its form field, its valid values and its score.

A type is a small class registered by name. The loader asks it to check an item's type-specific
keys; the filling pages ask it for a WTForms field; scoring asks it to turn an answer into 0-100.
Answer values are kept in a JSON form: int/float, str, bool, list, ``"na"`` (not applicable, on
items with ``allow_na``) or ``"dk"`` (don't know, on items with ``allow_dk``: every scored item of a
format 2 questionnaire). A "don't know" scores 0, a "not applicable" is left out (score None).
"""

from __future__ import annotations

import math
import re
from abc import ABC, abstractmethod
from decimal import Decimal
from typing import Any, ClassVar, NamedTuple, Protocol
from urllib.parse import urlsplit

from babel.lists import format_list
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext as _nl
from markupsafe import Markup
from wtforms import fields, validators, widgets
from wtforms.fields import SelectChoice as Choice
from wtforms.validators import StopValidation, ValidationError

from surveyapp.numbers import (
    NumberInputError,
    as_decimal,
    format_number,
    format_percentage,
    parse_number,
)
from surveyapp.questionnaires.checks import has_text, is_number, is_positive_int, is_score


class AskedItem(Protocol):
    """What a question type reads of an item (questionnaires.definition.Item is one): declared
    here so that the types need nothing from the definitions that use them."""

    config: dict
    allow_dk: bool
    allow_na: bool
    relative_target: dict | None

    @property
    def is_scored(self) -> bool: ...

    def localized(self, key: str, lang: str = "en") -> str: ...

    def localize(self, text: Any, lang: str) -> str: ...


NOT_APPLICABLE = "na"
DONT_KNOW = "dk"
OPTION_VALUE = re.compile(r"[a-z0-9_]+")
SCALE_LEVELS = range(6)

#: name -> question type instance; filled by @register.
QUESTION_TYPES: dict[str, QuestionType] = {}


class AnswerError(ValueError):
    """An answer value the item does not accept; the message is shown at the field."""


def register(cls: type[QuestionType]) -> type[QuestionType]:
    QUESTION_TYPES[cls.name] = cls()
    return cls


class ScoreOption(NamedTuple):
    """One option of an expert's list of scores: its value as posted, its text, and whether
    it is the one chosen."""

    value: str
    text: str
    selected: bool


def _posted(score: float) -> str:
    """A score as a list option posts it: "80" for a whole score, every digit otherwise."""
    return str(int(score)) if float(score).is_integer() else repr(float(score))


def format_score_choice(score: float, answers: str) -> str:
    """ "60 · 3: Partly" as the list shows a score and the answers that earn it."""
    return f"{format_number(score)} · {answers}"


class QuestionType(ABC):
    """Base class; subclasses override what differs."""

    name: ClassVar[str]
    #: Type-specific keys an item of this type may carry (besides the common ones).
    keys: ClassVar[frozenset[str]] = frozenset()
    #: Whether an item of this type can ever produce a score.
    can_score: ClassVar[bool] = False

    def check_definition(self, config: dict) -> list[str]:
        """Reasons why the type-specific keys are wrong (empty when fine)."""
        return []

    def is_scored(self, item: AskedItem) -> bool:
        """Whether the item's keys make it scorable (``Item.is_scored`` also asks that it is
        not marked as context)."""
        return False

    def possible_answers(self, item: AskedItem) -> list[Any] | None:
        """The answers a ``show_if`` may test for, or None when any value can be tested."""
        return None

    @abstractmethod
    def make_field(self, item: AskedItem, lang: str = "en") -> fields.Field:
        """An unbound WTForms field for the item (labels in ``lang``)."""

    def from_form(self, item: AskedItem, data: Any) -> Any:
        """Turn the WTForms field's data into the JSON answer value (None when empty)."""
        return data if data not in ("", None) else None

    def to_form(self, item: AskedItem, value: Any) -> Any:
        return value

    def form_text(self, item: AskedItem, value: Any) -> str:
        """The answer as it stands in a text box (text, number and web address items)."""
        data = self.to_form(item, value)
        return "" if data is None else str(data)

    def clean(self, item: AskedItem, value: Any) -> Any:
        """Return the value in canonical form or raise AnswerError."""
        return value

    def is_empty(self, value: Any) -> bool:
        return value is None or value == [] or (isinstance(value, str) and not value.strip())

    def score(
        self, item: AskedItem, value: Any, population_millions: float | None = None
    ) -> float | None:
        """0-100, or None when the item is unscored, unanswered or not applicable.

        "Don't know" scores 0. ``population_millions`` (the region's population in millions on
        the round's reference date) is needed by counts with a relative target only; without
        it such a count has no score (None).
        """
        if not item.is_scored or value is None or value == NOT_APPLICABLE:
            return None
        if value == DONT_KNOW:
            return 0.0
        return self.value_score(item, value, population_millions)

    def value_score(
        self, item: AskedItem, value: Any, population_millions: float | None
    ) -> float | None:
        """The score of an answer that is neither empty, "don't know" nor "not applicable"."""
        return None

    def score_choices(self, item: AskedItem, lang: str = "en") -> list[tuple[float, str]] | None:
        """The scores the item's rules can give, each with the answer that earns it, for an
        expert's moderated score (METHOD: the expert changes the answer, so the score is one an
        answer earns); None: any score from 0 to 100 (a count against its target, a share)."""
        return None

    def score_options(
        self, item: AskedItem, shown: Any, lang: str = "en", stored: float | None = None
    ) -> list[ScoreOption]:
        """The list an expert chooses a moderated score from (score_choices not None): one
        option per score, its answers joined; ``shown``, the score stored or typed, selected.
        The ``stored`` score is kept as an option of its own when no answer earns it (a score
        given before the rule), so that saving the form never drops it unseen; a score typed
        that no answer earns is refused at the field, never offered as if it were stored."""
        by_score: dict[float, list[str]] = {}
        for earned, answer in self.score_choices(item, lang) or ():
            by_score.setdefault(round(earned, 9), []).append(answer)
        try:
            current = None if shown in ("", None) else round(float(shown), 9)
        except (TypeError, ValueError):
            current = None
        options = [
            ScoreOption(
                _posted(score), format_score_choice(score, " / ".join(answers)), score == current
            )
            for score, answers in sorted(by_score.items())
        ]
        legacy = stored is not None and current == round(float(stored), 9)
        if current is not None and current not in by_score and legacy:
            label = _(
                "%(score)s: given before moderated scores were limited to those an answer earns",
                score=format_number(float(shown)),
            )
            options.append(ScoreOption(_posted(float(shown)), label, True))
        return options

    def display(self, item: AskedItem, value: Any, lang: str = "en") -> str:
        """The answer as a reader sees it (read-only pages, print view, conflicts, history)."""
        if self.is_empty(value):
            return ""
        special = special_display(value)
        if special is not None:
            return special
        if isinstance(value, list):
            return "\n".join(str(v) for v in value)
        return str(value)


def accepts_special(item: AskedItem, value: Any) -> bool:
    """Whether ``value`` is "don't know" or "not applicable" and the item offers it."""
    return (value == DONT_KNOW and item.allow_dk) or (value == NOT_APPLICABLE and item.allow_na)


def special_display(value: Any) -> str | None:
    """How "don't know" and "not applicable" read; None for any other value."""
    if value == DONT_KNOW:
        return str(_l("Don't know"))
    if value == NOT_APPLICABLE:
        return str(_l("Not applicable"))
    return None


def special_choices(item: AskedItem) -> list[Choice]:
    """The radio choices "Don't know" and "Not applicable" that the item offers, in that order."""
    choices = []
    if item.allow_dk:
        choices.append(Choice(DONT_KNOW, _l("Don't know")))
    if item.allow_na:
        choices.append(Choice(NOT_APPLICABLE, _l("Not applicable")))
    return choices


def count_target(item: AskedItem, population_millions: float | None) -> float | None:
    """The count a region must reach for 100: a relative target's max(floor, rho x P^exponent)
    for P (population in millions), or the absolute ``target``; None when it depends on a
    population that is not given."""
    relative = item.relative_target
    if relative is None:
        return item.config.get("target")
    if population_millions is None:
        return None
    return max(
        relative["floor"],
        relative["per_million"] * float(population_millions) ** relative["exponent"],
    )


def count_score(item: AskedItem, value: Any, population_millions: float | None) -> float | None:
    """A scored number's score: min(100, 100 x value / target), at least 0; "don't know" 0.

    Pure: ``population_millions`` is the region's population in millions on the round's
    reference date (needed by relative targets only; None without it).
    """
    return QUESTION_TYPES["number"].score(item, value, population_millions)


def _label(item: AskedItem, lang: str) -> str:
    return item.localized("text", lang)


def _description(item: AskedItem, lang: str) -> str:
    return item.localized("help", lang)


@register
class ScaleType(QuestionType):
    """Maturity 0-5, every level with a label and a described anchor; optionally n/a."""

    name = "scale"
    keys = frozenset({"levels", "allow_na"})
    can_score = True

    def check_definition(self, config: dict) -> list[str]:
        levels = config.get("levels")
        if not isinstance(levels, list):
            return ["a scale needs 'levels': six entries for levels 0 to 5"]
        errors = []
        seen = []
        for position, level in enumerate(levels):
            if not isinstance(level, dict):
                errors.append(f"level entry {position + 1} must be a mapping")
                continue
            unknown = set(level) - {"level", "label", "anchor"}
            if unknown:
                errors.append(f"level entry {position + 1} has unknown keys: {sorted(unknown)}")
            number = level.get("level")
            seen.append(number if type(number) is int else repr(number))
            for key in ("label", "anchor"):
                if not has_text(level.get(key)):
                    errors.append(f"level {number} has no {key}")
        if sorted(x for x in seen if type(x) is int) != list(SCALE_LEVELS) or len(seen) != 6:
            errors.append(f"levels must be exactly 0, 1, 2, 3, 4, 5 (found {seen})")
        if not isinstance(config.get("allow_na", False), bool):
            errors.append("'allow_na' must be true or false")
        return errors

    def is_scored(self, item: AskedItem) -> bool:
        return True

    def possible_answers(self, item: AskedItem) -> list[Any]:
        return [*SCALE_LEVELS, *([NOT_APPLICABLE] if item.allow_na else [])]

    def make_field(self, item: AskedItem, lang: str = "en") -> fields.Field:
        choices = [
            Choice(str(level["level"]), f"{level['level']}: {item.localize(level['label'], lang)}")
            for level in item.config["levels"]
        ]
        choices.extend(special_choices(item))
        return fields.RadioField(
            _label(item, lang),
            description=_description(item, lang),
            choices=choices,
            validators=[validators.Optional()],
        )

    def from_form(self, item: AskedItem, data: Any) -> Any:
        if data is None or not str(data).strip():
            return None
        if data in (NOT_APPLICABLE, DONT_KNOW):
            return data
        try:
            return int(data)
        except ValueError:
            raise AnswerError(_l("Choose a level from 0 to 5.")) from None

    def to_form(self, item: AskedItem, value: Any) -> Any:
        return None if value is None else str(value)

    def clean(self, item: AskedItem, value: Any) -> Any:
        if accepts_special(item, value):
            return value
        if isinstance(value, bool) or not isinstance(value, int) or value not in SCALE_LEVELS:
            raise AnswerError(_l("Choose a level from 0 to 5."))
        return value

    def value_score(self, item: AskedItem, value: Any, population_millions: float | None) -> float:
        return value * 20.0

    def score_choices(self, item: AskedItem, lang: str = "en") -> list[tuple[float, str]]:
        return [
            (level["level"] * 20.0, f"{level['level']}: {item.localize(level['label'], lang)}")
            for level in item.config["levels"]
        ]

    def display(self, item: AskedItem, value: Any, lang: str = "en") -> str:
        special = special_display(value)
        if special is not None:
            return special
        for level in item.config["levels"]:
            if level["level"] == value:
                return f"{value}: {item.localize(level['label'], lang)}"
        return super().display(item, value, lang)


@register
class YesNoType(QuestionType):
    name = "yes_no"
    keys = frozenset({"scored"})
    can_score = True

    def check_definition(self, config: dict) -> list[str]:
        if not isinstance(config.get("scored", False), bool):
            return ["'scored' must be true or false"]
        return []

    def is_scored(self, item: AskedItem) -> bool:
        return bool(item.config.get("scored"))

    def possible_answers(self, item: AskedItem) -> list[Any]:
        return [True, False]

    def make_field(self, item: AskedItem, lang: str = "en") -> fields.Field:
        return fields.RadioField(
            _label(item, lang),
            description=_description(item, lang),
            choices=[Choice("yes", _l("Yes")), Choice("no", _l("No")), *special_choices(item)],
            validators=[validators.Optional()],
        )

    def from_form(self, item: AskedItem, data: Any) -> Any:
        if data in (DONT_KNOW, NOT_APPLICABLE):
            return data
        return {"yes": True, "no": False}.get(data)

    def to_form(self, item: AskedItem, value: Any) -> Any:
        if value in (DONT_KNOW, NOT_APPLICABLE):
            return value
        return {True: "yes", False: "no"}.get(value)

    def clean(self, item: AskedItem, value: Any) -> Any:
        if accepts_special(item, value):
            return value
        if not isinstance(value, bool):
            raise AnswerError(_l("Answer yes or no."))
        return value

    def value_score(self, item: AskedItem, value: Any, population_millions: float | None) -> float:
        return 100.0 if value else 0.0

    def score_choices(self, item: AskedItem, lang: str = "en") -> list[tuple[float, str]]:
        return [(100.0, str(_l("Yes"))), (0.0, str(_l("No")))]

    def display(self, item: AskedItem, value: Any, lang: str = "en") -> str:
        special = special_display(value)
        if special is not None:
            return special
        return {True: str(_l("Yes")), False: str(_l("No"))}.get(value, "")


class NumberWidget:
    """A text box for the number and, for items that offer them, a check box "Don't know"
    (and "Not applicable") under the same name: the form posts ``["", "dk"]`` when it is ticked.
    """

    def __call__(self, field, **kwargs):
        kwargs.setdefault("id", field.id)
        text = widgets.TextInput()(field, value=field._value(), **kwargs)
        boxes = [
            Markup('<label class="special-answer"><input {}> {}</label>').format(
                widgets.html_params(
                    type="checkbox",
                    name=field.name,
                    value=choice.value,
                    id=f"{field.id}-{choice.value}",
                    checked=field.data == choice.value,
                ),
                choice.label,
            )
            for choice in special_choices(field.item)
        ]
        return Markup("").join([text, *boxes])


class NumberField(fields.Field):
    """A number typed the way the page's language writes numbers (``surveyapp.numbers``).

    Text that is not such a number gets one message saying what to type; the range is then
    not checked, so no second, wrong sentence follows. The typed text stays in the box.

    Items that offer "Don't know" (or "Not applicable") take it as a second value under the
    field's name (a ticked check box, or the autosave's value list ``["", "dk"]``): it wins
    over any typed text, which stays in the box.
    """

    widget = NumberWidget()

    def __init__(self, label=None, validators=None, *, question, item, lang="en", **kwargs):
        super().__init__(label, validators, **kwargs)
        self.question, self.item, self.lang = question, item, lang

    def process_formdata(self, valuelist):
        self.data = None
        special = [value for value in valuelist if accepts_special(self.item, value)]
        if special:
            self.data = special[0]
            return
        texts = [value for value in valuelist if value.strip()]
        if not texts:
            return
        try:
            number = parse_number(texts[0], self.lang)
        except NumberInputError:
            raise ValueError(self.question.what_to_type(self.item, self.lang)) from None
        if self.item.config.get("integer") and number != number.to_integral_value():
            raise ValueError(self.question.what_to_type(self.item, self.lang))
        self.data = number

    def pre_validate(self, form):
        if self.process_errors:
            raise StopValidation()  # the text was not a number: its range means nothing

    def _value(self):
        if self.raw_data:
            typed = [value for value in self.raw_data if not accepts_special(self.item, value)]
            return typed[0] if typed else ""
        if self.data in (DONT_KNOW, NOT_APPLICABLE):
            return ""
        return format_number(self.data, self.lang, grouping=False)


class _InRange:
    """The item's range, with the same message as the answer check (numbers as the reader
    writes them)."""

    def __init__(self, question: _NumericType, item: AskedItem):
        self.question, self.item = question, item

    def __call__(self, form, field):
        if field.data is not None and field.data not in (DONT_KNOW, NOT_APPLICABLE):
            message = self.question.range_error(self.item, field.data)
            if message:
                raise ValidationError(message)


class _NumericType(QuestionType):
    def _bounds(self, item: AskedItem) -> tuple[float | None, float | None]:
        return item.config.get("min"), item.config.get("max")

    def example(self, item: AskedItem) -> Decimal:
        """A number to show in "for example ...": with groups and, where allowed, a fraction."""
        integer = bool(item.config.get("integer"))
        low, high = self._bounds(item)
        candidates = ["1250000", "12"] if integer else ["1250000.5", "12.5"]
        for candidate in map(Decimal, candidates):
            if (low is None or candidate >= low) and (high is None or candidate <= high):
                return candidate
        return as_decimal(high if high is not None else low)

    def what_to_type(self, item: AskedItem, lang: str | None = None) -> str:
        """The message for text that is not an acceptable number, with an example."""
        example = format_number(self.example(item), lang)
        if item.config.get("integer"):
            return _("Enter a whole number, for example %(example)s.", example=example)
        return _("Enter a number, for example %(example)s.", example=example)

    def range_error(self, item: AskedItem, value: Any) -> str | None:
        low, high = self._bounds(item)
        if low is not None and value < low:
            return _("Enter a number of at least %(min)s.", min=format_number(low))
        if high is not None and value > high:
            return _("Enter a number of at most %(max)s.", max=format_number(high))
        return None

    @staticmethod
    def input_mode(item: AskedItem) -> str:
        """The keyboard a phone offers: digits alone for a count that cannot be negative."""
        whole = item.config.get("integer") and item.config.get("min", -1) >= 0
        return "numeric" if whole else "decimal"

    def make_field(self, item: AskedItem, lang: str = "en") -> fields.Field:
        return NumberField(
            _label(item, lang),
            description=_description(item, lang),
            validators=[validators.Optional(), _InRange(self, item)],
            render_kw={"inputmode": self.input_mode(item)},
            question=self,
            item=item,
            lang=lang,
        )

    def to_form(self, item: AskedItem, value: Any) -> Any:
        """The number as the reader writes it in a text box ("2,5" in French), no groups;
        "dk"/"na" as they are (the check box's value)."""
        if value in (DONT_KNOW, NOT_APPLICABLE):
            return value
        return format_number(value, grouping=False) if is_number(value) else None

    def form_text(self, item: AskedItem, value: Any) -> str:
        """The text box's content: empty for "don't know" and "not applicable"."""
        if value in (DONT_KNOW, NOT_APPLICABLE):
            return ""
        return self.to_form(item, value) or ""

    def from_form(self, item: AskedItem, data: Any) -> Any:
        if data is None or data == "":
            return None
        if accepts_special(item, data):
            return data
        if isinstance(data, str):  # a form's text, as to_form writes it
            try:
                data = parse_number(data)
            except NumberInputError:
                raise AnswerError(self.what_to_type(item)) from None
        number = float(data)
        return int(number) if number.is_integer() else number

    def clean(self, item: AskedItem, value: Any) -> Any:
        if accepts_special(item, value):
            return value
        if not is_number(value):
            raise AnswerError(_too_large(value) or _l("Enter a number."))
        if item.config.get("integer") and not float(value).is_integer():
            raise AnswerError(self.what_to_type(item))
        message = self.range_error(item, value)
        if message:
            raise AnswerError(message)
        return int(value) if float(value).is_integer() else value


#: The largest number an answer holds (checks.is_number: below 1e15 in size).
LARGEST_NUMBER = 10**15 - 1


def _too_large(value: Any) -> str | None:
    """The range message for a number too large to keep (1e20, 1e308), else None: "Enter a
    number." would tell whoever typed one that it is not a number."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal) or value != value:
        return None
    if value >= LARGEST_NUMBER:
        return _("Enter a number of at most %(max)s.", max=format_number(LARGEST_NUMBER))
    if value <= -LARGEST_NUMBER:
        return _("Enter a number of at least %(min)s.", min=format_number(-LARGEST_NUMBER))
    return None


@register
class NumberType(_NumericType):
    name = "number"
    keys = frozenset({"min", "max", "unit", "integer", "target"})
    can_score = True

    def check_definition(self, config: dict) -> list[str]:
        errors = []
        for key in ("min", "max", "target"):
            if key in config and not is_number(config[key]):
                errors.append(f"'{key}' must be a number")
        if not errors and config.get("min", -math.inf) > config.get("max", math.inf):
            errors.append("'min' is greater than 'max'")
        if "target" in config and is_number(config["target"]) and config["target"] <= 0:
            errors.append("'target' must be greater than 0")
        if "unit" in config and not has_text(config["unit"]):
            errors.append("'unit' must be text")
        if not isinstance(config.get("integer", False), bool):
            errors.append("'integer' must be true or false")
        return errors

    def is_scored(self, item: AskedItem) -> bool:
        return "target" in item.config

    def value_score(self, item: AskedItem, value: Any, population_millions: float | None):
        target = count_target(item, population_millions)
        if target is None:
            return None
        return max(0.0, min(100.0, 100.0 * value / target))

    def display(self, item: AskedItem, value: Any, lang: str = "en") -> str:
        if not is_number(value):
            return super().display(item, value, lang)
        unit = item.localize(item.config.get("unit"), lang)
        return f"{format_number(value, lang)} {unit}".strip()


@register
class PercentType(_NumericType):
    name = "percent"
    keys = frozenset({"scored"})
    can_score = True

    def check_definition(self, config: dict) -> list[str]:
        if not isinstance(config.get("scored", False), bool):
            return ["'scored' must be true or false"]
        return []

    def _bounds(self, item: AskedItem) -> tuple[float, float]:
        return 0, 100

    def is_scored(self, item: AskedItem) -> bool:
        return bool(item.config.get("scored"))

    def value_score(self, item: AskedItem, value: Any, population_millions: float | None) -> float:
        return float(value)

    def display(self, item: AskedItem, value: Any, lang: str = "en") -> str:
        if not is_number(value):
            return super().display(item, value, lang)
        return format_percentage(value, lang)


class _ChoiceType(QuestionType):
    keys = frozenset({"options"})
    can_score = True

    def check_definition(self, config: dict) -> list[str]:
        options = config.get("options")
        if not isinstance(options, list) or not options:
            return ["'options' must be a non-empty list"]
        errors, values = [], set()
        for position, option in enumerate(options, start=1):
            if not isinstance(option, dict):
                errors.append(f"option {position} must be a mapping")
                continue
            unknown = set(option) - {"value", "label", "score"}
            if unknown:
                errors.append(f"option {position} has unknown keys: {sorted(unknown)}")
            value = option.get("value")
            if not isinstance(value, str) or not OPTION_VALUE.fullmatch(value):
                errors.append(f"option {position} value {value!r} must match [a-z0-9_]+")
            elif value in values:
                errors.append(f"option value {value!r} is used twice")
            values.add(value)
            if not has_text(option.get("label")):
                errors.append(f"option {value!r} has no label")
            if "score" in option and not is_score(option["score"]):
                errors.append(f"option {value!r} score must be a number from 0 to 100")
        scored = [o for o in options if isinstance(o, dict) and "score" in o]
        if scored and len(scored) != len(options):
            errors.append("either every option has a score or none has")
        return errors

    def is_scored(self, item: AskedItem) -> bool:
        return all("score" in option for option in item.config["options"])

    def possible_answers(self, item: AskedItem) -> list[Any]:
        return [option["value"] for option in item.config["options"]]

    def _choices(self, item: AskedItem, lang: str) -> list[Choice]:
        return [Choice(o["value"], item.localize(o["label"], lang)) for o in item.config["options"]]

    def display(self, item: AskedItem, value: Any, lang: str = "en") -> str:
        special = special_display(value)
        if special is not None:
            return special
        labels = {c.value: c.label for c in self._choices(item, lang)}
        chosen = value if isinstance(value, list) else [value]
        return "\n".join(str(labels.get(choice, choice)) for choice in chosen if choice is not None)

    def _option_score(self, item: AskedItem, value: str) -> float:
        return next(o["score"] for o in item.config["options"] if o["value"] == value)

    def score_choices(self, item: AskedItem, lang: str = "en") -> list[tuple[float, str]]:
        return [
            (float(o["score"]), item.localize(o["label"], lang)) for o in item.config["options"]
        ]


@register
class SingleChoiceType(_ChoiceType):
    name = "single_choice"

    def make_field(self, item: AskedItem, lang: str = "en") -> fields.Field:
        return fields.RadioField(
            _label(item, lang),
            description=_description(item, lang),
            choices=[*self._choices(item, lang), *special_choices(item)],
            validators=[validators.Optional()],
        )

    def clean(self, item: AskedItem, value: Any) -> Any:
        if accepts_special(item, value):
            return value
        if value not in self.possible_answers(item):
            raise AnswerError(_l("Choose one of the options."))
        return value

    def value_score(self, item: AskedItem, value: Any, population_millions: float | None) -> float:
        return float(self._option_score(item, value))


#: A multiple choice's options with these values mean "none of the others" ("None", "No
#: analysis done") or "not known", and stand alone: an answer that chooses one with another
#: option is refused (questionnaires/FORMAT.md).
ALONE_OPTIONS = frozenset({"none", "no_analysis", "not_known"})


@register
class MultiChoiceType(_ChoiceType):
    name = "multi_choice"
    keys = frozenset({"options", "max_choices"})

    @staticmethod
    def option_label(item: AskedItem, value: str) -> str:
        """The option's label in the interface's language (the questionnaire's English where
        it has no translation)."""
        option = next(o for o in item.config["options"] if o["value"] == value)
        return item.localize(option["label"], str(get_locale() or "en"))

    def check_definition(self, config: dict) -> list[str]:
        errors = super().check_definition(config)
        limit = config.get("max_choices")
        if limit is not None and not is_positive_int(limit):
            errors.append("'max_choices' must be a whole number of at least 1")
        return errors

    def make_field(self, item: AskedItem, lang: str = "en") -> fields.Field:
        return fields.SelectMultipleField(
            _label(item, lang),
            description=_description(item, lang),
            choices=self._choices(item, lang),
            option_widget=widgets.CheckboxInput(),
            widget=widgets.ListWidget(prefix_label=False),
            validators=[validators.Optional()],
        )

    def from_form(self, item: AskedItem, data: Any) -> Any:
        return list(data) if data else None

    def clean(self, item: AskedItem, value: Any) -> Any:
        allowed = self.possible_answers(item)
        if not isinstance(value, list) or any(choice not in allowed for choice in value):
            raise AnswerError(_l("Choose from the options listed."))
        if len(set(value)) != len(value):
            raise AnswerError(_l("Each option can be chosen once."))
        alone = next((choice for choice in value if choice in ALONE_OPTIONS), None)
        if alone is not None and len(value) > 1:
            raise AnswerError(
                _l(
                    "Choose “%(option)s” on its own, or untick it.",
                    option=self.option_label(item, alone),
                )
            )
        limit = item.config.get("max_choices")
        if limit and len(value) > limit:
            raise AnswerError(
                _nl("Choose at most %(num)d option.", "Choose at most %(num)d options.", limit)
            )
        # Keep the definition's order so equal answers compare equal.
        return [choice for choice in allowed if choice in value]

    def value_score(self, item: AskedItem, value: Any, population_millions: float | None) -> float:
        return float(min(100, sum(self._option_score(item, choice) for choice in value)))

    def score_choices(self, item: AskedItem, lang: str = "en") -> list[tuple[float, str]]:
        """Every score a choice of options can reach (the sum of their scores, at most 100),
        written as the score itself: many choices reach the same one."""
        sums = {0.0}
        for option in item.config["options"]:
            sums |= {min(100.0, total + float(option["score"])) for total in sums}
        return [(total, format_number(total, lang)) for total in sorted(sums)]


def too_long(limit: int, count: int) -> str:
    """The message for text over its limit: the limit and how long the text is."""
    return ngettext(
        "Shorten this to %(num)d character (it has %(count)d).",
        "Shorten this to %(num)d characters (it has %(count)d).",
        limit,
        count=count,
    )


class MaxLength:
    """At most ``limit`` characters (blanks at either end not counted, as they are not kept);
    longer text is an error at the field, never cut."""

    def __init__(self, limit: int):
        self.limit = limit

    def __call__(self, form, field):
        count = len((field.data or "").replace("\x00", "").strip())
        if count > self.limit:
            raise ValidationError(too_long(self.limit, count))


class _TextType(QuestionType):
    keys = frozenset({"max_length"})
    default_max_length: ClassVar[int]

    def check_definition(self, config: dict) -> list[str]:
        limit = config.get("max_length")
        if limit is not None and not is_positive_int(limit):
            return ["'max_length' must be a whole number of at least 1"]
        return []

    def max_length(self, item: AskedItem) -> int:
        return item.config.get("max_length", self.default_max_length)

    def clean(self, item: AskedItem, value: Any) -> Any:
        if not isinstance(value, str):
            raise AnswerError(_l("Enter text."))
        # NUL cannot be typed, only pasted from binary data, and PostgreSQL text refuses it.
        value = value.replace("\x00", "").strip()
        if len(value) > self.max_length(item):
            raise AnswerError(too_long(self.max_length(item), len(value)))
        return value

    def from_form(self, item: AskedItem, data: Any) -> Any:
        data = (data or "").strip()
        return data or None


@register
class TextType(_TextType):
    name = "text"
    default_max_length = 200

    def make_field(self, item: AskedItem, lang: str = "en") -> fields.Field:
        return fields.StringField(
            _label(item, lang),
            description=_description(item, lang),
            validators=[validators.Optional(), MaxLength(self.max_length(item))],
        )


@register
class LongTextType(_TextType):
    name = "long_text"
    default_max_length = 10000

    def make_field(self, item: AskedItem, lang: str = "en") -> fields.Field:
        return fields.TextAreaField(
            _label(item, lang),
            description=_description(item, lang),
            validators=[validators.Optional(), MaxLength(self.max_length(item))],
            render_kw={"rows": 6},
        )


def is_web_url(text: str) -> bool:
    """An absolute http(s) address with a host and no spaces or control characters."""
    if any(char.isspace() or ord(char) < 32 for char in text):
        return False
    try:
        parts = urlsplit(text)
        return parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return False


#: Characters of a refused address quoted in its message (the address itself is kept whole).
QUOTED_UP_TO = 80


def bad_lines(lines) -> list[tuple[int, str]]:
    """The (line number, text) of each line that is not a web address; blank lines are fine."""
    return [
        (number, text.strip())
        for number, text in lines
        if text.strip() and (not is_web_url(text.strip()) or len(text.strip()) > 2000)
    ]


def bad_lines_message(bad: list[tuple[int, str]]) -> str:
    """One sentence naming every refused line, by number and with its text in quotes."""
    entries = [
        _(
            'line %(number)d ("%(value)s")',
            number=number,
            value=text if len(text) <= QUOTED_UP_TO else text[: QUOTED_UP_TO - 1] + "…",
        )
        for number, text in bad
    ]
    return ngettext(
        "Not a web address starting with https:// or http://: %(lines)s.",
        "Not web addresses starting with https:// or http://: %(lines)s.",
        len(bad),
        lines=format_list(entries, locale=str(get_locale() or "en")),
    )


class _WebAddresses:
    """Every line of the box a web address, with the numbers of the lines as typed."""

    def __call__(self, form, field):
        bad = bad_lines(enumerate((field.data or "").splitlines(), start=1))
        if bad:
            raise ValidationError(bad_lines_message(bad))


@register
class UrlListType(QuestionType):
    """Evidence references: web addresses, one per line in the form."""

    name = "url_list"
    keys = frozenset({"max_urls"})

    def check_definition(self, config: dict) -> list[str]:
        limit = config.get("max_urls")
        if limit is not None and not is_positive_int(limit):
            return ["'max_urls' must be a whole number of at least 1"]
        return []

    def make_field(self, item: AskedItem, lang: str = "en") -> fields.Field:
        return fields.TextAreaField(
            _label(item, lang),
            description=_description(item, lang),
            validators=[_WebAddresses()],
            render_kw={"rows": 3, "placeholder": "https://"},
        )

    def from_form(self, item: AskedItem, data: Any) -> Any:
        urls = [line.strip() for line in (data or "").splitlines() if line.strip()]
        return urls or None

    def to_form(self, item: AskedItem, value: Any) -> Any:
        return "\n".join(value or [])

    def clean(self, item: AskedItem, value: Any) -> Any:
        if not isinstance(value, list) or not all(isinstance(url, str) for url in value):
            raise AnswerError(_l("Enter web addresses, one per line."))
        # A repeated address says nothing more: it is kept once, where it first came.
        bad = bad_lines(enumerate(value, start=1))
        if bad:
            raise AnswerError(bad_lines_message(bad))
        urls = list(dict.fromkeys(url.strip() for url in value if url.strip()))
        limit = item.config.get("max_urls", 20)
        if len(urls) > limit:
            raise AnswerError(
                _nl(
                    "Enter at most %(num)d web address.",
                    "Enter at most %(num)d web addresses.",
                    limit,
                )
            )
        return urls
