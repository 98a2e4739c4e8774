"""A questionnaire definition as typed objects, validated on one path for files and the database.

``parse_definition`` takes the plain data of a ``format: 1`` file (see questionnaires/FORMAT.md)
and either returns a :class:`Definition` or raises :class:`DefinitionError` listing every problem
with its place (file, line where known, item id) and reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from surveyapp.questionnaires.types import QUESTION_TYPES, QuestionType, _has_text, _is_number

FORMAT_VERSION = 1
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


class DefinitionError(ValueError):
    """A questionnaire definition that cannot be used; ``errors`` holds one line per problem."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("\n".join(errors))


def localize(text: Any, lang: str) -> str:
    """The text in ``lang``, falling back to English."""
    if isinstance(text, dict):
        return text.get(lang) or text.get("en", "")
    return text or ""


@dataclass(frozen=True)
class Group:
    """A dimension or a critical aspect."""

    id: str
    title: Any
    description: Any = None

    def localized(self, key: str, lang: str = "en") -> str:
        return localize(getattr(self, key), lang)


@dataclass(frozen=True)
class Item:
    id: str
    type: str
    text: Any
    help: Any = None
    required: bool = False
    dimension: str | None = None
    aspects: tuple[str, ...] = ()
    weight: float = 1.0
    show_if: dict | None = None
    actions: tuple[Any, ...] = ()
    #: The type-specific keys (levels, options, min/max, ...).
    config: dict = field(default_factory=dict)
    section_id: str = ""

    @property
    def question_type(self) -> QuestionType:
        return QUESTION_TYPES[self.type]

    @property
    def is_scored(self) -> bool:
        return self.question_type.is_scored(self)

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
        allow_na=bool(config.get("allow_na")),
        unit="%" if item.type == "percent" else localize(config.get("unit"), lang),
        max_length=item.question_type.max_length(item) if text_type else None,
    )


@dataclass(frozen=True, eq=False)
class Definition:
    slug: str
    version: int
    title: Any
    description: Any
    dimensions: tuple[Group, ...]
    aspects: tuple[Group, ...]
    sections: tuple[Section, ...]
    #: multi_choice items whose chosen options are the region's priority areas (partner matching).
    priority_areas: tuple[str, ...] = ()
    #: multi_choice items whose chosen options are counted as common challenges.
    challenge_items: tuple[str, ...] = ()

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

    def __init__(self, source: str, lines: dict[tuple, int] | None):
        self.source = source
        self.lines = lines or {}
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
        if not _has_text(value):
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
    check = _Checker(source, lines)
    if not isinstance(data, dict):
        raise DefinitionError([f"{source}: the file must hold a mapping (format, slug, ...)"])
    if data.get("format") != FORMAT_VERSION:
        raise DefinitionError(
            [f"{source}: unknown format {data.get('format')!r}; this version reads format: 1"]
        )
    check.unknown_keys(data, TOP_KEYS, (), "the questionnaire")
    slug, version = data.get("slug"), data.get("version")
    if not isinstance(slug, str) or not SLUG.fullmatch(slug):
        check.add(("slug",), "'slug' must be lower-case letters, digits and hyphens")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        check.add(("version",), "'version' must be a whole number of at least 1")
    else:
        _check_limit(check, data, "version", ("version",))
    check.text(data.get("title"), ("title",), "'title'")
    if isinstance(data.get("title"), str) and len(data["title"]) > 300:
        check.add(("title",), "'title' must be at most 300 characters")
    check.text(data.get("description"), ("description",), "'description'", required=False)

    dimensions = _parse_groups(check, data.get("dimensions"), "dimensions")
    aspects = _parse_groups(check, data.get("aspects"), "aspects")
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
    )


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
    groups: dict[str, Group] = {}
    for index, entry in enumerate(raw):
        path = (key, index)
        if not isinstance(entry, dict):
            check.add(path, f"each entry of '{key}' must be a mapping with id and title")
            continue
        check.unknown_keys(entry, GROUP_KEYS, path, f"'{key}'")
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
        groups[group_id] = Group(group_id, entry.get("title"), entry.get("description"))
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
    before = len(check.errors)
    check.unknown_keys(raw, ITEM_KEYS | question_type.keys, path, f"a {type_name} item", item_id)
    config = {key: raw[key] for key in question_type.keys if key in raw}
    for reason in question_type.check_definition(config):
        check.add(path, reason, item_id)
    for key in INTEGER_LIMITS.keys() & config.keys():
        _check_limit(check, config, key, path, item_id)
    check.text(raw.get("text"), path, "'text'", item_id)
    check.text(raw.get("help"), path, "'help'", item_id, required=False)
    if not isinstance(raw.get("required", False), bool):
        check.add(path, "'required' must be true or false", item_id)
    actions = _parse_actions(check, raw.get("actions"), path, item_id)
    if len(check.errors) > before:
        return None

    item = Item(
        id=item_id,
        type=type_name,
        text=raw["text"],
        help=raw.get("help"),
        required=raw.get("required", False),
        config=config,
        section_id=section_id,
        actions=actions,
    )
    scored = question_type.is_scored(item)
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
    elif not _is_number(weight) or weight <= 0:
        check.add(path, "'weight' must be a number greater than 0", item_id)
        weight = 1
    if item_aspects and not scored:
        check.add(path, "'aspects' are only allowed on scored items", item_id)
    show_if = _parse_show_if(check, raw.get("show_if"), path, item_id, earlier)
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
    )


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
