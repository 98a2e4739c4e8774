"""Parts of pages rendered once for their content and kept (per process, least recent out).

For parts that every request renders alike and that depend on few, known inputs: the header's
links, a section page's list of sections, its item blocks. The caller names everything the part
shows in ``key``; the language and the script root (part of every URL) are added here.
"""

from __future__ import annotations

from functools import lru_cache

from flask import render_template, request
from flask_babel import get_locale
from markupsafe import Markup

#: Fragments kept per process (each a few kilobytes: some 25 MB at most).
CACHED_FRAGMENTS = 4096
#: Stand for what a kept fragment may not hold, filled in on every page: the CSRF token (no
#: rendered text contains it) and the page's own path (a form's way back to it).
CSRF_HOLE = "__surveyapp_csrf_token__"
NEXT_HOLE = "__surveyapp_next_page__"


class _Fragment:
    """A fragment to render, hashed and compared by its key only (not by its context)."""

    __slots__ = ("context", "key", "template")

    def __init__(self, template: str, key: tuple, context: dict) -> None:
        self.template, self.key, self.context = template, key, context

    def __hash__(self) -> int:
        return hash(self.key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Fragment) and self.key == other.key


def _render(template: str, context: dict) -> Markup:
    # An autoescaped template's output: safe HTML.
    return Markup(render_template(template, **context))  # noqa: S704


@lru_cache(maxsize=CACHED_FRAGMENTS)
def _render_cached(fragment: _Fragment) -> Markup:
    html = _render(fragment.template, fragment.context)
    fragment.context = {}  # the cache keeps the key, not the objects it was rendered from
    return html


def fragment(template: str, key: tuple | None, **context) -> Markup:
    """``template`` rendered with ``context``; the same HTML again while ``key`` is the same.

    :param key: hashable values that determine everything the template shows (with the language
        and the script root, added here); None: render afresh and keep nothing.
    """
    if key is None:
        return _render(template, context)
    return _render_cached(_Fragment(template, (template, *_request_key(), *key), context))


def _request_key() -> tuple[object, str]:
    """What every fragment depends on: the language (which force_locale may change within a
    request) and the script root."""
    return get_locale(), request.script_root
