"""Reading questionnaire files: YAML in, a validated Definition (or every error) out."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import yaml

from surveyapp.questionnaires.definition import (
    Definition,
    DefinitionError,
    check_carried_from,
    parse_definition,
)

#: libyaml's loader when available (ten times faster), else the pure-Python one; both are safe.
SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

#: Larger files are refused unread (the shipped questionnaire is about 110 kB).
MAX_FILE_BYTES = 2_000_000
#: Deeper nesting of lists and mappings is refused (the format itself needs eight levels).
MAX_DEPTH = 32
#: Anchors and aliases are refused: an alias repeats a value without copying it, so a file of
#: a few hundred bytes can stand for billions of values (the "billion laughs").
ALIASES_REFUSED = (
    "YAML anchors and aliases (&name, *name, <<: *name) are not allowed; "
    "write the value out where it is used"
)

#: Where the shipped questionnaires live (the top-level questionnaires/ folder).
QUESTIONNAIRE_DIR = Path(__file__).resolve().parents[2] / "questionnaires"


def read_file(path: str | Path) -> tuple[dict, Definition]:
    """Parse and validate one questionnaire file; returns its plain data and its Definition.

    :raises DefinitionError: naming the file, the line, the item id and the reason.
    """
    path = Path(path)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise DefinitionError([f"{path}: the file is larger than {MAX_FILE_BYTES:,} bytes"])
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DefinitionError([f"{path}: cannot read the file ({exc})"]) from exc
    try:
        _check_structure(text, path)
        loader = SafeLoader(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        place = f"{path}:{mark.line + 1}" if mark else str(path)
        reason = getattr(exc, "problem", None) or exc
        raise DefinitionError([f"{place}: not valid YAML ({reason})"]) from exc
    lines: dict[tuple, int] = {}
    if node is not None:
        _collect_lines(node, (), lines)
    definition = parse_definition(data, source=str(path), lines=lines)
    versions = {item.carried_from["version"] for item in definition.items if item.carried_from}
    if versions:
        earlier = {v: _earlier_version(path, definition.slug, v) for v in versions}
        check_carried_from(data, definition, earlier, str(path), lines)
    return data, definition


def _earlier_version(path: Path, slug: str, version: int) -> Definition | None:
    """The definition of ``<slug>-v<version>.yaml`` beside ``path`` (None: no such file), which
    an item's ``carried_from`` names."""
    sibling = path.with_name(f"{slug}-v{version}.yaml")
    if not sibling.is_file():
        return None
    definition = load_file(sibling)
    return definition if (definition.slug, definition.version) == (slug, version) else None


def _check_structure(text: str, path: Path) -> None:
    """Refuse anchors, aliases and deep nesting from the parser's events, before anything is
    built, so that a hostile file costs no more memory than its own size."""
    depth = 0
    for event in yaml.parse(text, Loader=SafeLoader):
        line = event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise DefinitionError([f"{path}:{line}: {ALIASES_REFUSED}"])
        if isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise DefinitionError(
                    [f"{path}:{line}: lists and mappings are nested deeper than {MAX_DEPTH}"]
                )
        elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
            depth -= 1


def load_file(path: str | Path) -> Definition:
    return read_file(path)[1]


def _collect_lines(node: yaml.Node, path: tuple, lines: dict[tuple, int]) -> None:
    """Map every mapping/sequence position to the line it starts on."""
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            _collect_lines(value_node, (*path, key_node.value), lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, child in enumerate(node.value):
            _collect_lines(child, (*path, index), lines)


def content_hash(data: Any) -> str:
    """SHA-256 of the canonical JSON form: formatting and key order do not change it."""
    canonical = json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def shipped_files() -> list[Path]:
    return sorted(QUESTIONNAIRE_DIR.glob("*.yaml"))
