"""Text that is safe to store, export and print, and the request that reads only such text.

Python strings may hold what UTF-8 cannot encode: a lone half of a UTF-16 surrogate pair
(JSON's ``"\\ud800"``, or a command-line argument that was not UTF-8). Stored, one such
character made every page, export and PDF that shows it fail. Control characters other than
tab, new line and carriage return have no place in typed text either: PostgreSQL refuses NUL
in text, and an XLSX cell refuses most of the others. ``clean_text`` replaces each unpaired
surrogate with U+FFFD (the replacement character) and drops those control characters.

It is applied twice: where text enters (every form field: ``CleanRequest``; every JSON body:
``CleanJSONProvider``), so that what a user sees after saving is what was stored; and by the
column types of ``surveyapp.db``, so that no other path (the CLI, imports, code) stores such
text.
"""

import json
import re
import unicodedata
from typing import Any

from flask import Request, current_app
from flask.json.provider import DefaultJSONProvider
from flask_babel import format_number
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import BadRequest
from werkzeug.formparser import FormDataParser

#: C0 and C1 control characters (and DEL) but tab, new line and carriage return.
_CONTROLS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
_CONTROL_RE = re.compile(f"[{_CONTROLS}]")
_UNSAFE_RE = re.compile(f"[{_CONTROLS}\ud800-\udfff]")

#: JSON bodies nested deeper than this are refused (the app's own are two or three deep).
MAX_JSON_DEPTH = 32


def clean_text(text: str) -> str:
    """``text`` without control characters (but tab, new line, carriage return) and with
    each unpaired surrogate replaced by U+FFFD; a surrogate pair becomes its character.

    Returns ``text`` itself when there is nothing to change.
    """
    if _UNSAFE_RE.search(text) is None:
        return text
    text = _CONTROL_RE.sub("", text)
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def has_visible_text(text: str | None) -> bool:
    """Whether ``text`` shows something: a character that is neither a blank nor an invisible
    format character (a zero-width space, a direction mark). A required reason or comment of
    only such characters reads as empty to everyone who sees it."""
    return any(
        not char.isspace()
        and char not in BLANK_LOOKING
        and unicodedata.category(char) not in INVISIBLE
        for char in text or ""
    )


#: Unicode categories that show nothing (format characters, unassigned, private use) or only
#: marks on another character.
INVISIBLE = frozenset({"Cf", "Cn", "Co", "Cc", "Zs", "Zl", "Zp", "Mn", "Me"})
#: Characters of other categories that show as blank: Hangul fillers, the blank Braille
#: pattern, the Mongolian vowel separator.
BLANK_LOOKING = frozenset("\u115f\u1160\u3164\uffa0\u2800\u180e")


def clean_value(value: Any) -> Any:
    """A JSON-like value with every string in it (keys too) passed through clean_text."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_value(key): clean_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [clean_value(item) for item in value]
    if isinstance(value, tuple):
        return tuple(clean_value(item) for item in value)
    return value


def json_depth(value: Any) -> int:
    """How deeply lists and objects nest in ``value`` (0 for a scalar), without recursion."""
    deepest, pending = 0, [(value, 0)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict):
            value = value.values()
        elif not isinstance(value, list):
            deepest = max(deepest, depth)
            continue
        deepest = max(deepest, depth + 1)
        pending.extend((item, depth + 1) for item in value)
    return deepest


class JSONBodyError(ValueError):
    """A request body that is not JSON the app reads; the message says why, for the user."""


def _too_deep() -> JSONBodyError:
    return JSONBodyError(
        _(
            "The request body is nested more than %(depth)s levels deep.",
            depth=format_number(MAX_JSON_DEPTH),
        )
    )


class CleanJSONProvider(DefaultJSONProvider):
    """The app's JSON (``app.json``), which Flask also reads request bodies with: it refuses a
    document nested more than MAX_JSON_DEPTH deep (Python's parser recurses, and a body
    100,000 levels deep exhausted the stack: a 500), and cleans every string in it."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            value = json.loads(s, **kwargs)
        except RecursionError:
            raise _too_deep() from None
        except ValueError:
            raise JSONBodyError(_("The request body is not valid JSON.")) from None
        if json_depth(value) > MAX_JSON_DEPTH:
            raise _too_deep()
        return clean_value(value)


class CleanFormDataParser(FormDataParser):
    """Werkzeug's form parser, with every field name and value passed through clean_text.

    Werkzeug already replaces bytes that are not UTF-8; control characters come through.
    """

    def parse(self, stream, mimetype, content_length, options=None):
        stream, form, files = super().parse(stream, mimetype, content_length, options)
        cleaned = self.cls(
            (clean_text(key), clean_text(value) if isinstance(value, str) else value)
            for key, value in form.items(multi=True)
        )
        return stream, cleaned, files


#: What a file upload's request may hold besides the file: the form's other fields, the
#: multipart boundaries and headers.
UPLOAD_FORM_ROOM = 64 * 1024


class CleanRequest(Request):
    """The app's request: form fields hold only clean text (clean_text), and a JSON body
    that cannot be read (CleanJSONProvider) is a 400 whose description says why."""

    form_data_parser_class = CleanFormDataParser

    @property
    def max_content_length(self) -> int | None:
        """MAX_CONTENT_LENGTH, or for a view that receives files (one with an
        ``upload_limit_setting``, e.g. evidence.views.takes_files) the size that setting allows
        plus room for the form's other fields."""
        view = current_app.view_functions.get(self.endpoint or "") if current_app else None
        setting = getattr(view, "upload_limit_setting", None)
        # Only for someone signed in: the body is read (CSRF check) before the view's own
        # checks, and nobody else should make the server read 20 MB.
        if setting is None or not current_user.is_authenticated:
            return Request.max_content_length.fget(self)
        return int(current_app.config[setting]) + UPLOAD_FORM_ROOM

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        Request.max_content_length.fset(self, value)

    def on_json_loading_failed(self, e: ValueError | None) -> Any:
        if isinstance(e, JSONBodyError):
            raise BadRequest(str(e))
        return super().on_json_loading_failed(e)
