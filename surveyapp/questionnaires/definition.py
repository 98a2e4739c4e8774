"""A questionnaire definition as typed objects, validated on one path for files and the database.

``parse_definition`` takes the plain data of a ``format: 1`` or ``format: 2`` file (see
questionnaires/FORMAT.md) and either returns a :class:`Definition` or raises
:class:`DefinitionError` listing every problem with its place (file, line where known, item id)
and reason.

Format 1 (method 1.0) is frozen: its files load and score as they always did. Format 2 (method
2.0) gives every scored item one home (a dimension or an aspect) and its own actions, offers
"don't know" on every scored item, asks a reason for "not applicable", asks counts per period or
scores them against a target relative to the region's size, and admits only gates and ladders
under which doing more never lowers a score.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from flask_babel import lazy_gettext as _l

from surveyapp.questionnaires.checks import has_text, is_half_multiple, is_number
from surveyapp.questionnaires.types import QUESTION_TYPES, AnswerError, QuestionType

#: The formats this version reads.
FORMATS = (1, 2)
#: The newest format.
FORMAT_VERSION = 2
#: The scoring method of each format's questionnaires.
METHODS = {1: "1.0", 2: "2.0"}
#: Short positive names of the four critical aspects for charts and tables of format 1
#: questionnaires (format 2 files give their own ``short_title``).
DEFAULT_ASPECT_SHORT_TITLES = {
    "sme_adoption": _l("SME technology adoption"),
    "universities_rtos": _l("Universities and RTOs serving companies"),
    "innovation_agencies": _l("Innovation agencies: knowledge flows and coordination"),
    "multinationals": _l("Knowledge transfer from multinationals"),
}
#: The periods a format 2 count may be asked for.
PERIODS = ("last_12_months", "since_previous_round")
#: The keys of a relative count target, with their defaults (None: required).
RELATIVE_TARGET_DEFAULTS = {"per_million": None, "exponent": 0.5, "floor": 1}
#: A scored yes/no item's default weight in format 2: one jump equals five scale levels.
YES_NO_WEIGHT = 0.5
#: Scale levels and yes/no answers that ask for evidence (format 2 scored items).
EVIDENCE_LEVELS = (3, 4, 5)

IDENTIFIER = re.compile(r"[a-z0-9_]{1,100}")
SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,99}")
#: The largest value of each whole-number field: a version is stored in an INTEGER column, and
#: limits beyond these would be no limit at all.
INTEGER_LIMITS = {
    "version": 2**31 - 1,
    "max_length": 1_000_000,
    "max_urls": 1000,
    "max_choices": 1000,
}
#: Types whose answers a show_if can test: a fixed set of possible answers.
CONDITION_TYPES = {"scale", "yes_no", "single_choice", "multi_choice"}

TOP_KEYS = {
    "format",
    "slug",
    "version",
    "title",
    "description",
    "dimensions",
    "aspects",
    "sections",
    "priority_areas",
    "challenge_items",
}
GROUP_KEYS = {"id", "title", "description"}
GROUP_KEYS_V2 = GROUP_KEYS | {"short_title"}
SECTION_KEYS = {"id", "title", "description", "actions", "items"}
ITEM_KEYS = {
    "id",
    "type",
    "text",
    "help",
    "required",
    "dimension",
    "aspects",
    "weight",
    "show_if",
    "actions",
}
ITEM_KEYS_V2 = (ITEM_KEYS - {"aspects"}) | {
    "aspect",
    "relates_to",
    "context",
    "allow_na",
    "na_reason",
    "period",
    "carry",
    "carried_from",
}
#: The keys of an item's ``carried_from`` (format 2).
CARRIED_FROM_KEYS = {"version", "item", "values"}


class DefinitionError(ValueError):
    """A questionnaire definition that cannot be used; ``errors`` holds one line per problem."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("\n".join(errors))


def localize(text: Any, lang: str) -> str:
    """The text in ``lang``, falling back to English (a lazy translation: in the current
    language)."""
    if isinstance(text, dict):
        return text.get(lang) or text.get("en", "")
    if text and not isinstance(text, str):
        return str(text)
    return text or ""


@dataclass(frozen=True)
class Group:
    """A dimension or a critical aspect."""

    id: str
    title: Any
    description: Any = None
    #: A positive short name for charts and tables (aspects; optional for dimensions).
    short_title: Any = None

    def localized(self, key: str, lang: str = "en") -> str:
        return localize(getattr(self, key), lang)

    def label(self, lang: str = "en") -> str:
        """The short title where there is one, else the title."""
        return localize(self.short_title or self.title, lang)


@dataclass(frozen=True)
class Item:
    id: str
    type: str
    text: Any
    help: Any = None
    required: bool = False
    #: Format 1: the dimension the item scores in (it may be an aspect id). Format 2: the
    #: dimension of a dimension item, else None.
    dimension: str | None = None
    #: Format 1: the aspects the item also scores in. Format 2: always empty (see ``home``).
    aspects: tuple[str, ...] = ()
    weight: float = 1.0
    show_if: dict | None = None
    actions: tuple[Any, ...] = ()
    #: The type-specific keys (levels, options, min/max, ...).
    config: dict = field(default_factory=dict)
    section_id: str = ""
    #: The questionnaire's format (1 or 2).
    format: int = 1
    #: "dimension", "aspect", or None for an unscored item; ``home`` is the dimension or
    #: aspect id. Format 1: an item whose ``dimension`` is an aspect id lives in that aspect.
    home_kind: str | None = None
    home: str | None = None
    #: Aspect ids whose page lists this item (never scored there).
    relates_to: tuple[str, ...] = ()
    #: Marked ``context: true``: unscored although its type and keys could be scored.
    is_context: bool = False
    #: Whether "don't know" ("dk") is an answer: every scored item of format 2.
    allow_dk: bool = False
    #: Whether "not applicable" ("na") is an answer; ``na_reason`` the prompt for the reason.
    allow_na: bool = False
    na_reason: Any = None
    #: A count's period: "last_12_months" or "since_previous_round" (format 2).
    period: str | None = None
    #: A count's target relative to the region's size: {per_million, exponent, floor}.
    relative_target: dict | None = None
    #: Whether carry forward may copy an earlier round's answer into this item (``carry:
    #: false`` in format 2: never; a count per period never is, see ``is_carried``).
    carry: bool = True
    #: Where an earlier version's answer comes from when the id changed (format 2):
    #: {"version": n, "item": id, "values": ((old, new), ...) or None (the value as it is)}.
    carried_from: dict | None = None

    @property
    def is_carried(self) -> bool:
        """Whether carry forward copies an earlier answer into this item: not a count asked per
        period (last year's count is not this year's) and not marked ``carry: false``."""
        return self.carry and self.period is None

    @property
    def question_type(self) -> QuestionType:
        return QUESTION_TYPES[self.type]

    @property
    def is_scored(self) -> bool:
        return not self.is_context and self.question_type.is_scored(self)

    def asks_evidence(self, value: Any) -> bool:
        """Whether this answer asks for evidence: a scale level 3-5 or "yes" on a scored item of
        a format 2 questionnaire (format 1 asks none)."""
        if self.format < 2 or not self.is_scored:
            return False
        if self.type == "scale":
            return type(value) is int and value in EVIDENCE_LEVELS
        if self.type == "yes_no":
            return value is True
        return False

    def localized(self, key: str, lang: str = "en") -> str:
        return localize(getattr(self, key), lang)

    @staticmethod
    def localize(text: Any, lang: str) -> str:
        return localize(text, lang)

    def is_visible(self, answers: dict[str, Any]) -> bool:
        """Whether the ``show_if`` condition holds for these answers (item id -> value)."""
        if not self.show_if:
            return True
        value = answers.get(self.show_if["item"])
        expected = self.show_if["in"] if "in" in self.show_if else [self.show_if["equals"]]
        if isinstance(value, list):
            return any(choice in expected for choice in value)
        return value is not None and value in expected and not _bool_int_mix(value, expected)


def _bool_int_mix(value: Any, expected: list) -> bool:
    """True == 1 in Python; a yes/no answer must not satisfy a scale condition or the reverse."""
    return not any(type(value) is type(candidate) for candidate in expected)


@dataclass(frozen=True)
class Section:
    id: str
    title: Any
    description: Any = None
    actions: tuple[Any, ...] = ()
    items: tuple[Item, ...] = ()

    def localized(self, key: str, lang: str = "en") -> str:
        return localize(getattr(self, key), lang)


@dataclass(frozen=True)
class LocalizedItem:
    """What a page shows of an item in one language, computed once per definition and language."""

    id: str
    type: str
    text: str
    help: str
    required: bool
    #: scale: (value as posted, label, anchor) per level; choices: (value, label, "").
    options: tuple[tuple[str, str, str], ...]
    allow_na: bool
    unit: str
    max_length: int | None
    #: Whether "Don't know" is offered (value "dk").
    allow_dk: bool = False
    #: The prompt for the reason of a "not applicable" ("" without one).
    na_reason: str = ""


def _localized_item(item: Item, lang: str) -> LocalizedItem:
    config = item.config
    if item.type == "scale":
        options = tuple(
            (str(level["level"]), localize(level["label"], lang), localize(level["anchor"], lang))
            for level in config["levels"]
        )
    elif "options" in config:
        options = tuple((o["value"], localize(o["label"], lang), "") for o in config["options"])
    else:
        options = ()
    text_type = item.type in ("text", "long_text")
    return LocalizedItem(
        id=item.id,
        type=item.type,
        text=localize(item.text, lang),
        help=localize(item.help, lang),
        required=item.required,
        options=options,
        allow_na=item.allow_na,
        unit="%" if item.type == "percent" else localize(config.get("unit"), lang),
        max_length=item.question_type.max_length(item) if text_type else None,
        allow_dk=item.allow_dk,
        na_reason=localize(item.na_reason, lang),
    )


@dataclass(frozen=True, eq=False)
class Definition:
    slug: str
    version: int
    title: Any
    description: Any
    #: Format 1: every group an item may name in ``dimension`` (the aspects among them).
    #: Format 2: the criterion-7 dimensions only.
    dimensions: tuple[Group, ...]
    aspects: tuple[Group, ...]
    sections: tuple[Section, ...]
    #: multi_choice items whose chosen options are the region's priority areas (partner matching).
    priority_areas: tuple[str, ...] = ()
    #: multi_choice items whose chosen options are counted as common challenges.
    challenge_items: tuple[str, ...] = ()
    #: The file format (1 or 2).
    format: int = 1
    #: The languages every text is translated into, English first (``questionnaires.translations``).
    languages: tuple[str, ...] = ("en",)

    @property
    def method(self) -> str:
        """The scoring method the questionnaire's answers are scored by ("1.0" or "2.0")."""
        return METHODS[self.format]

    @cached_property
    def c7_dimensions(self) -> tuple[Group, ...]:
        """The criterion-7 dimensions: format 1's dimensions that are not aspects."""
        aspect_ids = {aspect.id for aspect in self.aspects}
        return tuple(group for group in self.dimensions if group.id not in aspect_ids)

    def localized(self, key: str, lang: str = "en") -> str:
        return localize(getattr(self, key), lang)

    @property
    def items(self) -> Iterator[Item]:
        for section in self.sections:
            yield from section.items

    def item(self, item_id: str) -> Item:
        return self.items_by_id[item_id]

    @cached_property
    def items_by_id(self) -> dict[str, Item]:
        return {item.id: item for item in self.items}

    @cached_property
    def scored_items(self) -> tuple[Item, ...]:
        return tuple(item for item in self.items if item.is_scored)

    def home_items(self, kind: str, key: str) -> tuple[Item, ...]:
        """The scored items whose home is this dimension or aspect."""
        return tuple(i for i in self.scored_items if (i.home_kind, i.home) == (kind, key))

    def localized_items(self, lang: str) -> dict[str, LocalizedItem]:
        """Item id -> what a page shows of it in ``lang`` (cached)."""
        cache = self.__dict__.setdefault("_localized", {})
        if lang not in cache:
            cache[lang] = {item.id: _localized_item(item, lang) for item in self.items}
        return cache[lang]

    @cached_property
    def show_if_conditions(self) -> dict[str, dict]:
        """Item id -> the controlling item and the values that show it, as a form posts them."""
        conditions = {}
        for item in self.items:
            if item.show_if:
                target = self.item(item.show_if["item"])
                expected = item.show_if.get("in", [item.show_if.get("equals")])
                values = [target.question_type.to_form(target, value) for value in expected]
                conditions[item.id] = {"item": target.id, "values": values}
        return conditions

    def section(self, section_id: str) -> Section:
        return next(section for section in self.sections if section.id == section_id)


class _Checker:
    """Collects errors with their place; one instance per parse."""

    def __init__(self, source: str, lines: dict[tuple, int] | None, format_: int = 1):
        self.source = source
        self.lines = lines or {}
        self.format = format_
        #: The file's own version, once read (None when it is not valid).
        self.version: int | None = None
        self.errors: list[str] = []

    def add(self, path: tuple, reason: str, item_id: str | None = None) -> None:
        line = self._line(path)
        place = f"{self.source}:{line}" if line else self.source
        subject = f"item {item_id!r}: " if item_id else ""
        self.errors.append(f"{place}: {subject}{reason}")

    def _line(self, path: tuple) -> int | None:
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get(())

    def text(self, value: Any, path: tuple, what: str, item_id=None, required=True) -> None:
        if value is None and not required:
            return
        if not has_text(value):
            reason = f"{what} must be text (or a mapping of languages including 'en')"
            self.add(path, reason, item_id)

    def unknown_keys(self, data: dict, allowed: set, path: tuple, what: str, item_id=None) -> None:
        unknown = sorted(str(key) for key in set(data) - allowed)
        if unknown:
            self.add(path, f"unknown key(s) in {what}: {', '.join(unknown)}", item_id)


def parse_definition(data: Any, source: str = "<questionnaire>", lines=None) -> Definition:
    """Validate plain questionnaire data and return it as a Definition.

    :param data: the YAML/JSON document as dicts and lists.
    :param source: a name for messages, usually the file path.
    :param lines: optional map from a path such as ("sections", 0, "items", 2) to a line number.
    :raises DefinitionError: with every problem found.
    """
    if not isinstance(data, dict):
        raise DefinitionError([f"{source}: the file must hold a mapping (format, slug, ...)"])
    format_ = data.get("format")
    if type(format_) is not int or format_ not in FORMATS:
        raise DefinitionError(
            [f"{source}: unknown format {format_!r}; this version reads format: 1 and format: 2"]
        )
    check = _Checker(source, lines, format_)
    check.unknown_keys(data, TOP_KEYS, (), "the questionnaire")
    slug, version = data.get("slug"), data.get("version")
    if not isinstance(slug, str) or not SLUG.fullmatch(slug):
        check.add(("slug",), "'slug' must be lower-case letters, digits and hyphens")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        check.add(("version",), "'version' must be a whole number of at least 1")
    else:
        _check_limit(check, data, "version", ("version",))
        check.version = version
    check.text(data.get("title"), ("title",), "'title'")
    if isinstance(data.get("title"), str) and len(data["title"]) > 300:
        check.add(("title",), "'title' must be at most 300 characters")
    check.text(data.get("description"), ("description",), "'description'", required=False)

    dimensions = _parse_groups(check, data.get("dimensions"), "dimensions")
    aspects = _parse_groups(check, data.get("aspects"), "aspects")
    if format_ >= 2:
        for index, group_id in enumerate(dimensions):
            if group_id in aspects:
                check.add(
                    ("dimensions", index),
                    f"dimensions id {group_id!r} is an aspect; in format 2 'dimensions' lists "
                    "only the criterion-7 dimensions and items name an aspect with 'aspect'",
                )
    else:
        dimensions = {key: _default_short_title(group) for key, group in dimensions.items()}
        aspects = {key: _default_short_title(group) for key, group in aspects.items()}
    sections = _parse_sections(check, data.get("sections"), dimensions, aspects)
    priority_areas = _parse_multi_choice_list(
        check, "priority_areas", data.get("priority_areas", []), sections
    )
    challenge_items = _parse_multi_choice_list(
        check, "challenge_items", data.get("challenge_items", []), sections
    )
    if check.errors:
        raise DefinitionError(check.errors)
    return Definition(
        slug=slug,
        version=version,
        title=data["title"],
        description=data.get("description"),
        dimensions=tuple(dimensions.values()),
        aspects=tuple(aspects.values()),
        sections=tuple(sections),
        priority_areas=priority_areas,
        challenge_items=challenge_items,
        format=format_,
    )


def _default_short_title(group: Group) -> Group:
    """A format 1 group with the aspect's default short title, when it is one of the four."""
    short_title = DEFAULT_ASPECT_SHORT_TITLES.get(group.id)
    if short_title is None:
        return group
    return Group(group.id, group.title, group.description, short_title)


def _check_limit(check: _Checker, data: dict, key: str, path: tuple, item_id=None) -> None:
    """Refuse a whole number above the field's limit (the types check the lower bound)."""
    value, limit = data.get(key), INTEGER_LIMITS[key]
    if isinstance(value, int) and not isinstance(value, bool) and value > limit:
        check.add(path, f"'{key}' must be a whole number from 1 to {limit}", item_id)


def _parse_multi_choice_list(
    check: _Checker, key: str, raw: Any, sections: list[Section]
) -> tuple[str, ...]:
    """Ids of multi_choice items listed under a top-level key (priority_areas, challenge_items)."""
    path = (key,)
    if not isinstance(raw, list) or not all(isinstance(entry, str) for entry in raw):
        check.add(path, f"'{key}' must be a list of item ids")
        return ()
    items = {item.id: item for section in sections for item in section.items}
    for item_id in raw:
        if item_id not in items:
            check.add(path, f"'{key}' names {item_id!r}, which is not an item")
        elif items[item_id].type != "multi_choice":
            check.add(path, f"'{key}' item {item_id!r} must be a multi_choice item")
    return tuple(raw)


def _parse_groups(check: _Checker, raw: Any, key: str) -> dict[str, Group]:
    if not isinstance(raw, list) or not raw:
        check.add((key,), f"'{key}' must be a non-empty list")
        return {}
    format_2 = check.format >= 2
    groups: dict[str, Group] = {}
    for index, entry in enumerate(raw):
        path = (key, index)
        if not isinstance(entry, dict):
            check.add(path, f"each entry of '{key}' must be a mapping with id and title")
            continue
        check.unknown_keys(entry, GROUP_KEYS_V2 if format_2 else GROUP_KEYS, path, f"'{key}'")
        group_id = entry.get("id")
        if not isinstance(group_id, str) or not IDENTIFIER.fullmatch(group_id):
            check.add(path, f"{key} id {group_id!r} must match [a-z0-9_]+")
            continue
        if group_id in groups:
            check.add(path, f"{key} id {group_id!r} is used twice")
        check.text(entry.get("title"), path, f"the title of {group_id!r}")
        check.text(
            entry.get("description"), path, f"the description of {group_id!r}", required=False
        )
        if format_2 and (key == "aspects" or "short_title" in entry):
            # Aspects need a positive short name for charts and tables; dimensions may have one.
            check.text(entry.get("short_title"), path, f"the short_title of {group_id!r}")
        groups[group_id] = Group(
            group_id, entry.get("title"), entry.get("description"), entry.get("short_title")
        )
    return groups


def _parse_sections(check, raw, dimensions, aspects) -> list[Section]:
    if not isinstance(raw, list) or not raw:
        check.add(("sections",), "'sections' must be a non-empty list")
        return []
    sections: list[Section] = []
    seen_items: dict[str, Item] = {}
    section_ids: set[str] = set()
    for s_index, entry in enumerate(raw):
        path = ("sections", s_index)
        if not isinstance(entry, dict):
            check.add(path, "each section must be a mapping")
            continue
        check.unknown_keys(entry, SECTION_KEYS, path, "a section")
        section_id = entry.get("id")
        if not isinstance(section_id, str) or not IDENTIFIER.fullmatch(section_id):
            check.add(path, f"section id {section_id!r} must match [a-z0-9_]+")
            section_id = f"#{s_index + 1}"
        elif section_id in section_ids:
            check.add(path, f"section id {section_id!r} is used twice")
        section_ids.add(section_id)
        check.text(entry.get("title"), path, f"the title of section {section_id!r}")
        check.text(
            entry.get("description"),
            path,
            f"the description of section {section_id!r}",
            required=False,
        )
        actions = _parse_actions(check, entry.get("actions"), path, None)
        raw_items = entry.get("items")
        if not isinstance(raw_items, list) or not raw_items:
            check.add(path, f"section {section_id!r} must have a non-empty 'items' list")
            raw_items = []
        items = []
        for i_index, raw_item in enumerate(raw_items):
            item = _parse_item(
                check,
                raw_item,
                (*path, "items", i_index),
                section_id,
                seen_items,
                dimensions,
                aspects,
            )
            if item:
                seen_items[item.id] = item
                items.append(item)
        sections.append(
            Section(section_id, entry.get("title"), entry.get("description"), actions, tuple(items))
        )
    return sections


def _parse_actions(check, raw, path, item_id) -> tuple:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not raw:
        check.add(path, "'actions' must be a non-empty list of texts", item_id)
        return ()
    for action in raw:
        check.text(action, path, "each action", item_id)
    return tuple(raw)


def _parse_item(check, raw, path, section_id, earlier, dimensions, aspects) -> Item | None:
    if not isinstance(raw, dict):
        check.add(path, "each item must be a mapping")
        return None
    item_id = raw.get("id")
    if not isinstance(item_id, str) or not IDENTIFIER.fullmatch(item_id):
        check.add(path, f"item id {item_id!r} must match [a-z0-9_]+")
        return None
    if item_id in earlier:
        check.add(path, "duplicate item id (ids must be unique in the questionnaire)", item_id)
        return None
    type_name = raw.get("type")
    question_type = QUESTION_TYPES.get(type_name)
    if question_type is None:
        known = ", ".join(sorted(QUESTION_TYPES))
        check.add(path, f"unknown type {type_name!r} (known types: {known})", item_id)
        return None
    format_2 = check.format >= 2
    before = len(check.errors)
    common_keys = ITEM_KEYS_V2 if format_2 else ITEM_KEYS
    check.unknown_keys(raw, common_keys | question_type.keys, path, f"a {type_name} item", item_id)
    config = {key: raw[key] for key in question_type.keys if key in raw}
    # A format 2 count's relative target is a mapping, checked here; the type checks the rest.
    relative = format_2 and type_name == "number" and isinstance(config.get("target"), dict)
    type_config = {k: v for k, v in config.items() if not (relative and k == "target")}
    for reason in question_type.check_definition(type_config):
        check.add(path, reason, item_id)
    for key in INTEGER_LIMITS.keys() & config.keys():
        _check_limit(check, config, key, path, item_id)
    check.text(raw.get("text"), path, "'text'", item_id)
    check.text(raw.get("help"), path, "'help'", item_id, required=False)
    if not isinstance(raw.get("required", False), bool):
        check.add(path, "'required' must be true or false", item_id)
    actions = _parse_actions(check, raw.get("actions"), path, item_id)
    if format_2 and not isinstance(raw.get("context", False), bool):
        check.add(path, "'context' must be true or false", item_id)
    if len(check.errors) > before:
        return None

    probe = Item(id=item_id, type=type_name, text=raw["text"], config=config, section_id=section_id)
    if format_2:
        return _parse_item_v2(
            check, raw, path, item_id, probe, config, actions, earlier, dimensions, aspects
        )
    scored = question_type.is_scored(probe)
    dimension = raw.get("dimension")
    if dimension is not None and (not isinstance(dimension, str) or dimension not in dimensions):
        check.add(path, f"unknown dimension {dimension!r}", item_id)
    if scored and dimension is None:
        check.add(path, "a scored item needs a 'dimension'", item_id)
    item_aspects = raw.get("aspects", [])
    if not isinstance(item_aspects, list) or not all(isinstance(a, str) for a in item_aspects):
        check.add(path, "'aspects' must be a list of aspect ids", item_id)
        item_aspects = []
    for aspect in item_aspects:
        if aspect not in aspects:
            check.add(path, f"unknown aspect {aspect!r}", item_id)
    weight = raw.get("weight", 1)
    if "weight" in raw and not scored:
        check.add(path, "'weight' is only allowed on scored items", item_id)
    elif not is_number(weight) or weight <= 0:
        check.add(path, "'weight' must be a number greater than 0", item_id)
        weight = 1
    if item_aspects and not scored:
        check.add(path, "'aspects' are only allowed on scored items", item_id)
    show_if = _parse_show_if(check, raw.get("show_if"), path, item_id, earlier)
    home_kind = None
    if scored and isinstance(dimension, str):
        home_kind = "aspect" if dimension in aspects else "dimension"
    return Item(
        id=item_id,
        type=type_name,
        text=raw["text"],
        help=raw.get("help"),
        required=raw.get("required", False),
        dimension=dimension,
        aspects=tuple(item_aspects),
        weight=float(weight) if scored else 1.0,
        show_if=show_if,
        actions=actions,
        config=config,
        section_id=section_id,
        format=1,
        home_kind=home_kind,
        home=dimension if home_kind else None,
        allow_na=type_name == "scale" and config.get("allow_na") is True,
    )


def _parse_item_v2(
    check, raw, path, item_id, probe, config, actions, earlier, dimensions, aspects
) -> Item:
    """The format 2 rules: one home, own actions, weights in halves, "don't know", reasons
    for "not applicable", counts per period or relative to size, monotone gates and ladders."""
    type_name = probe.type
    question_type = probe.question_type
    context = raw.get("context", False) is True
    scored = question_type.is_scored(probe) and not context
    add = lambda reason: check.add(path, reason, item_id)  # noqa: E731

    home_kind, home = _parse_home(add, raw, scored, context, dimensions, aspects)
    if scored and "required" in raw and raw["required"] is not True:
        add("a scored item is always required in format 2 (leave 'required' out)")
    if "weight" in raw and not scored:
        add("'weight' is only allowed on scored items")
        weight = 1.0
    elif "weight" in raw and not is_half_multiple(raw["weight"]):
        add("'weight' must be a multiple of 0.5 greater than 0 (0.5, 1, 1.5, ...)")
        weight = 1.0
    else:
        default = YES_NO_WEIGHT if type_name == "yes_no" else 1.0
        weight = float(raw.get("weight", default))
    if scored and not actions:
        add("a scored item needs its own 'actions' (a non-empty list of suggested actions)")

    relates_to = raw.get("relates_to", [])
    if not isinstance(relates_to, list) or not all(isinstance(a, str) for a in relates_to):
        add("'relates_to' must be a list of aspect ids")
        relates_to = []
    for aspect in relates_to:
        if aspect not in aspects:
            add(f"'relates_to' names {aspect!r}, which is not an aspect")
    if relates_to and home_kind == "aspect":
        add("'relates_to' is for dimension items; an aspect item is listed on its own aspect")

    allow_na = raw.get("allow_na", False)
    na_reason = raw.get("na_reason")
    if not isinstance(allow_na, bool):
        if type_name != "scale":  # the scale type says so itself
            add("'allow_na' must be true or false")
        allow_na = False
    elif allow_na and not question_type.can_score:
        add(f"'allow_na' is only allowed on items that can be scored, not on {type_name}")
    if allow_na and na_reason is None:
        add(
            "'allow_na: true' needs 'na_reason': the prompt naming the structural reason that "
            "can make the item not applicable"
        )
    elif na_reason is not None:
        check.text(na_reason, path, "'na_reason'", item_id)
        if not allow_na:
            add("'na_reason' is only allowed with 'allow_na: true'")

    period = raw.get("period")
    if period is not None:
        if type_name != "number":
            add("'period' is only allowed on number items")
        elif period not in PERIODS:
            add(f"'period' must be one of {', '.join(PERIODS)} (found {period!r})")
    relative_target = None
    if type_name == "number" and isinstance(config.get("target"), dict):
        relative_target = _parse_relative_target(add, config["target"])
    if scored and type_name == "number" and period is None and relative_target is None:
        add(
            "a scored count needs a 'period' (last_12_months or since_previous_round) or a "
            "relative target {per_million: ..., exponent: 0.5, floor: 1}; an absolute 'target' "
            "alone rewards size and rises every round"
        )

    if type_name == "multi_choice" and any("score" in o for o in config["options"]):
        add("multi_choice items are not scored in format 2: remove the option scores")
    if type_name == "single_choice" and question_type.is_scored(probe):
        _check_ladder(add, config["options"])

    show_if = _parse_show_if(check, raw.get("show_if"), path, item_id, earlier)
    if show_if and scored:
        _check_gate(add, show_if, earlier[show_if["item"]])
    carry = raw.get("carry", True)
    if not isinstance(carry, bool):
        add("'carry' must be true or false")
        carry = True
    elif carry and period is not None and "carry" in raw:
        add("a count asked per period ('period') is never carried forward: remove 'carry: true'")
    carried_from = _parse_carried_from(add, raw.get("carried_from"), check.version)
    if carried_from is not None and not (carry and period is None):
        add("'carried_from' on an item that is never carried forward ('carry: false' or 'period')")
    item = Item(
        id=item_id,
        type=type_name,
        text=raw["text"],
        help=raw.get("help"),
        required=scored or raw.get("required", False),
        dimension=home if home_kind == "dimension" else None,
        aspects=(),
        weight=weight if scored else 1.0,
        show_if=show_if,
        actions=actions,
        config=config,
        section_id=probe.section_id,
        format=2,
        home_kind=home_kind,
        home=home,
        relates_to=tuple(dict.fromkeys(relates_to)),
        is_context=context,
        allow_dk=scored,
        allow_na=bool(allow_na),
        na_reason=na_reason,
        period=period if type_name == "number" else None,
        relative_target=relative_target,
        carry=carry,
        carried_from=carried_from,
    )
    for old, new in (carried_from or {}).get("values") or ():
        if not _accepts(item, new):
            add(f"'carried_from: values' maps {old!r} to {new!r}, which this item does not accept")
    return item


def _accepts(item: Item, value: Any) -> bool:
    """Whether ``value`` is an answer of the item exactly as written (1 is not true)."""
    try:
        clean = item.question_type.clean(item, value)
    except AnswerError:
        return False
    return clean == value and type(clean) is type(value)


def _parse_home(add, raw, scored, context, dimensions, aspects) -> tuple[str | None, str | None]:
    """Format 2: exactly one of ``dimension`` and ``aspect`` on a scored item, none elsewhere."""
    keys = [key for key in ("dimension", "aspect") if key in raw]
    if len(keys) == 2:
        add("has both 'dimension' and 'aspect'; a scored item has exactly one home")
        return None, None
    if not keys:
        if scored:
            add("a scored item needs one home: 'dimension: <id>' or 'aspect: <id>'")
        return None, None
    key = keys[0]
    value = raw[key]
    if not scored:
        what = "a context item" if context else "an unscored item"
        add(f"{what} has no home: remove '{key}'")
        return None, None
    known = dimensions if key == "dimension" else aspects
    if isinstance(value, list):
        add(f"'{key}' must be one {key} id, not a list (an item has exactly one home)")
        return None, None
    if not isinstance(value, str) or value not in known:
        add(f"unknown {key} {value!r}")
        return None, None
    return key, value


def _parse_relative_target(add, raw: dict) -> dict | None:
    """{per_million, exponent, floor} with defaults; None (and errors) when malformed."""
    unknown = sorted(str(key) for key in set(raw) - set(RELATIVE_TARGET_DEFAULTS))
    if unknown:
        add(f"unknown key(s) in 'target': {', '.join(unknown)}")
        return None
    target = {key: raw.get(key, default) for key, default in RELATIVE_TARGET_DEFAULTS.items()}
    valid = True
    if not is_number(target["per_million"]) or target["per_million"] <= 0:
        add("'target: per_million' must be a number greater than 0")
        valid = False
    if not is_number(target["exponent"]) or not 0 <= target["exponent"] <= 1:
        add("'target: exponent' must be a number from 0 to 1")
        valid = False
    if not is_number(target["floor"]) or target["floor"] <= 0:
        add("'target: floor' must be a number greater than 0")
        valid = False
    return {key: float(value) for key, value in target.items()} if valid else None


def _check_ladder(add, options: list[dict]) -> None:
    """Format 2: option scores never decrease in the listed order and the first is 0."""
    scores = [option["score"] for option in options]
    if scores[0] != 0:
        add(f"the first option ({options[0]['value']!r}) of a scored ladder must score 0")
    for before, after in itertools.pairwise(options):
        if after["score"] < before["score"]:
            add(
                f"option scores must never decrease in the listed order: {after['value']!r} "
                f"({after['score']}) comes after {before['value']!r} ({before['score']})"
            )


def _check_gate(add, show_if: dict, target: Item) -> None:
    """Format 2: a scored item's gate is an effort question whose listed answers are
    upward-closed, so that answering "more" on it never hides the item."""
    expected = show_if["in"] if "in" in show_if else [show_if["equals"]]
    if target.type == "yes_no":
        if expected != [True]:
            add(f"a scored item's gate on the yes/no item {target.id!r} must be 'equals: true'")
        return
    options = target.config.get("options", [])
    if target.type != "single_choice" or not all("score" in option for option in options):
        add(
            "a scored item's gate must be a yes_no item or a single_choice item with option "
            f"scores; {target.id!r} is neither"
        )
        return
    scores = {option["value"]: option["score"] for option in options}
    listed = [value for value in expected if value in scores]
    if not listed:
        return  # _parse_show_if named the unknown values
    lowest = min(scores[value] for value in listed)
    missing = [value for value, score in scores.items() if score >= lowest and value not in listed]
    if missing:
        add(
            f"a scored item's gate must list every option of {target.id!r} scoring at least "
            f"as much as the lowest one listed ({lowest}); missing: {', '.join(missing)}"
        )


def _parse_carried_from(add, raw: Any, own_version: int | None) -> dict | None:
    """Format 2: ``carried_from: {version, item, values}``, where an earlier version's answer
    to a renamed or split item comes from (the earlier item is checked against its file by
    check_carried_from). ``values`` lists ``{from: old, to: new}``: only the old values listed
    are carried, each as its new value; without ``values`` the old value is carried as it is
    (when the new item accepts it)."""
    if raw is None:
        return None
    if not isinstance(raw, dict) or not {"version", "item"} <= set(raw):
        add("'carried_from' must be {version: N, item: ID} with an optional 'values' list")
        return None
    unknown = sorted(str(key) for key in set(raw) - CARRIED_FROM_KEYS)
    if unknown:
        add(f"unknown key(s) in 'carried_from': {', '.join(unknown)}")
        return None
    version, source = raw["version"], raw["item"]
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        add("'carried_from: version' must be a whole number of at least 1")
        return None
    if own_version is not None and version >= own_version:
        add(f"'carried_from: version' must be an earlier version than this one ({own_version})")
        return None
    if not isinstance(source, str) or not IDENTIFIER.fullmatch(source):
        add(f"'carried_from: item' {source!r} must be an item id")
        return None
    values = None
    if "values" in raw:
        values = _parse_value_map(add, raw["values"])
        if values is None:
            return None
    return {"version": version, "item": source, "values": values}


def _parse_value_map(add, raw: Any) -> tuple | None:
    """``values: [{from: old, to: new}, ...]`` as ((old, new), ...) (the item checks that it
    accepts every new value)."""
    if not isinstance(raw, list) or not raw:
        add("'carried_from: values' must be a non-empty list of {from: OLD, to: NEW}")
        return None
    pairs, valid = [], True
    for entry in raw:
        if not isinstance(entry, dict) or set(entry) != {"from", "to"}:
            add("each entry of 'carried_from: values' must be {from: OLD, to: NEW}")
            valid = False
            continue
        old, new = entry["from"], entry["to"]
        if any(old == seen and type(old) is type(seen) for seen, _new in pairs):
            add(f"'carried_from: values' lists {old!r} twice")
            valid = False
        pairs.append((old, new))
    return tuple(pairs) if valid else None


def check_carried_from(
    data: dict, definition: Definition, earlier: dict[int, Definition | None], source, lines=None
) -> None:
    """Check each item's ``carried_from`` against the earlier version it names: the item must
    exist there and every old value listed must be one of its answers.

    :param earlier: version -> that version's definition (None: not found, an error).
    :raises DefinitionError: naming the file, the line, the item and the reason.
    """
    check = _Checker(source, lines, definition.format)
    places = {
        raw.get("id"): ("sections", s_index, "items", i_index, "carried_from")
        for s_index, section in enumerate(data.get("sections", []))
        for i_index, raw in enumerate(section.get("items", []))
    }
    for item in definition.items:
        mapping = item.carried_from
        if mapping is None:
            continue
        path = places.get(item.id, ())
        previous = earlier.get(mapping["version"])
        if previous is None:
            check.add(
                path,
                f"'carried_from' names version {mapping['version']} of {definition.slug!r}, "
                "which is not beside this file, so the mapping cannot be checked",
                item.id,
            )
            continue
        old_item = previous.items_by_id.get(mapping["item"])
        if old_item is None:
            check.add(
                path,
                f"'carried_from' names {mapping['item']!r}, which is not an item of version "
                f"{mapping['version']}",
                item.id,
            )
            continue
        for old, _new in mapping["values"] or ():
            if not _accepts(old_item, old):
                check.add(
                    path,
                    f"'carried_from: values' maps {old!r}, which is not an answer of "
                    f"{old_item.id!r} in version {mapping['version']}",
                    item.id,
                )
    if check.errors:
        raise DefinitionError(check.errors)


def _parse_show_if(check, raw, path, item_id, earlier) -> dict | None:
    if raw is None:
        return None
    if (
        not isinstance(raw, dict)
        or "item" not in raw
        or len(raw) != 2
        or not (("equals" in raw) ^ ("in" in raw))
    ):
        check.add(
            path, "'show_if' must be {item: ID, equals: VALUE} or {item: ID, in: [...]}", item_id
        )
        return None
    target_id = raw["item"]
    if not isinstance(target_id, str):
        check.add(path, "'show_if: item' must be an item id", item_id)
        return None
    if target_id == item_id:
        check.add(path, "'show_if' cannot point to the item itself", item_id)
        return None
    target = earlier.get(target_id)
    if target is None:
        check.add(path, f"'show_if' points to {target_id!r}, which is not an earlier item", item_id)
        return None
    if target.type not in CONDITION_TYPES:
        check.add(
            path,
            f"'show_if' can only test a {', '.join(sorted(CONDITION_TYPES))} item; "
            f"{target_id!r} is {target.type}",
            item_id,
        )
        return None
    if target.show_if:
        # One level only: a chain would let a hidden item's stale answer show its dependants.
        check.add(path, f"'show_if' points to {target_id!r}, which has a show_if itself", item_id)
        return None
    expected = raw["in"] if "in" in raw else [raw["equals"]]
    if not isinstance(expected, list) or not expected:
        check.add(path, "'show_if: in' must be a non-empty list", item_id)
        return None
    possible = target.question_type.possible_answers(target)
    if possible is not None:
        for value in expected:
            if value not in possible or _bool_int_mix(value, possible):
                check.add(
                    path,
                    f"'show_if' tests {target_id!r} for {value!r}, "
                    f"which is not one of its answers {possible}",
                    item_id,
                )
    return dict(raw)
