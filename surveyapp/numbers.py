"""Numbers as readers see them and type them, in their language (Babel's CLDR data).

Every page, report and message that shows an answer value or a score formats it here, so that
1250000 reads "1,250,000" in English, "1 250 000" in French and "1.250.000" in German, and never
"1.25e+06". What an officer types is read back with the same rules (``parse_number``).
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

from babel.numbers import (
    NumberFormatError,
    format_decimal,
    format_percent,
    get_decimal_symbol,
    get_group_symbol,
    parse_decimal,
)
from babel.units import format_unit
from flask_babel import get_locale

#: Spaces a person may type between groups of digits where the language groups with a space.
SPACES = (" ", "\u00a0", "\u202f", "\u2009")


def _lang(lang: str | None) -> str:
    return lang or str(get_locale() or "en")


def as_decimal(value: int | float | Decimal) -> Decimal:
    """The number as a Decimal with the digits it shows (0.1, not 0.1000000000000000055...)."""
    if isinstance(value, Decimal):
        return value
    if hasattr(value, "item") and not isinstance(value, int | float):
        value = value.item()  # a numpy scalar other than float64
    if isinstance(value, float):
        return Decimal(repr(float(value)))  # numpy's float64 repr is "np.float64(...)"
    return Decimal(value)


def format_number(
    value: int | float | Decimal | None,
    lang: str | None = None,
    *,
    digits: int | None = None,
    grouping: bool = True,
    sign: bool = False,
) -> str:
    """``value`` for a reader of ``lang`` (default: the request's language); "" for None.

    :param digits: fraction digits to round to (scores: 1); None keeps every digit.
    :param grouping: False for a text box, where group separators only get in the way.
    :param sign: write "+" before positive numbers (changes).
    """
    if value is None:
        return ""
    number = as_decimal(value)
    fraction = "." + "0" * digits if digits else ("" if digits == 0 else ".###")
    pattern = ("#,##0" if grouping else "0") + fraction
    if sign:
        pattern = f"+{pattern};-{pattern}"
    return format_decimal(
        number, format=pattern, locale=_lang(lang), decimal_quantization=digits is not None
    )


def format_percentage(value: int | float | Decimal | None, lang: str | None = None) -> str:
    """A percentage given from 0 to 100 ("12.5" -> "12.5%", "12,5 %"), every digit kept."""
    if value is None:
        return ""
    return format_percent(as_decimal(value) / 100, locale=_lang(lang), decimal_quantization=False)


#: A dot between a group of one to three digits (not a lone 0) and one of three (1.000,
#: -12.345): the text of a number whose dot may group thousands or mark decimals. After a lone 0
#: ("0.500") it can only mark decimals.
_DOT_GROUPED = re.compile(r"[+-]?[1-9]\d{0,2}(\.\d{3})+")
#: A number written with an exponent ("1e9", "2.5E-3").
_EXPONENT = re.compile(r"\d[eE][+-]?\d")


@lru_cache(maxsize=8)
def _space_grouped(decimal: str) -> re.Pattern:
    """Whole groups of three digits set apart by spaces, with decimals after the language's
    own decimal symbol only ("1 000,123" in English is refused, never read as 1000123)."""
    return re.compile(
        r"[+-]?[1-9]\d{0,2}([ \u00a0\u202f\u2009]\d{3})+(" + re.escape(decimal) + r"\d+)?"
    )


class NumberInputError(ValueError):
    """Text that is not a number written the way the language writes numbers."""


def parse_number(text: str, lang: str | None = None) -> Decimal:
    """The number an officer typed, read the way ``lang`` writes numbers.

    The decimal comma is accepted where the language uses it ("1,5" in French and German);
    group separators must stand where the language puts them ("1.250.000" in German,
    "1,250,000" in English, "1 250 000" in French, typed with any kind of space), and groups
    set apart by spaces are read in every language. A number with an exponent ("1e9") is
    refused.
    :raises NumberInputError: the text is not such a number.
    """
    locale = _lang(lang)
    text = text.strip()
    if _EXPONENT.search(text):
        # "1e9": nobody writes an answer so, and a typo reads as a thousand million.
        raise NumberInputError(text)
    group, decimal = get_group_symbol(locale), get_decimal_symbol(locale)
    if group not in SPACES and _space_grouped(decimal).fullmatch(text):
        # "1 000 000", as much of Europe writes it, read in a language that groups otherwise:
        # only digits in groups of three, so that "1 5" is never read as 15.
        for space in SPACES:
            text = text.replace(space, group)
    if group != "." and get_decimal_symbol(locale) != "." and _DOT_GROUPED.fullmatch(text):
        # "1.000" where the language writes neither groups nor decimals with a dot: a thousand
        # as Belgian French or German writes it, or 1 with a decimal point. Babel reads 1, a
        # thousandth of what was meant; refused, the message shows the language's own form.
        raise NumberInputError(text)
    if group in SPACES:
        for space in SPACES:
            text = text.replace(space, group)
    try:
        number = parse_decimal(text, locale=locale, strict=True)
    except (NumberFormatError, InvalidOperation, ValueError) as exc:
        raise NumberInputError(text) from exc
    if not number.is_finite():
        raise NumberInputError(text)
    return number


#: Scores are compared, ranked and shown on this value: 9 decimals of the float's shortest repr.
CANONICAL_QUANTUM = Decimal("1e-9")
SCORE_QUANTUM = Decimal("0.1")


def canonical(value: int | float | Decimal) -> Decimal:
    """A score's canonical value ``Decimal(repr(x))`` to 9 decimals, half to even (method D11).

    Ties, ranks, thresholds and display all use it, so that 2.8499999999999943 (63.05 - 60.2 in
    floating point) is the 2.85 it stands for. ``surveyapp.analysis.scoring.canonical`` is this.
    """
    return as_decimal(value).quantize(CANONICAL_QUANTUM, rounding=ROUND_HALF_EVEN)


def _score_decimal(value) -> Decimal | None:
    if value is None:
        return None
    try:
        if value != value:  # NaN: nothing to show
            return None
    except TypeError:
        return None
    return canonical(value).quantize(SCORE_QUANTUM, rounding=ROUND_HALF_UP)


def rounded_score(value: int | float | Decimal | None) -> Decimal | None:
    """A score rounded as :func:`format_score` writes it (one decimal, half away from zero on
    the canonical value); None for None and NaN."""
    return _score_decimal(value)


@lru_cache(maxsize=8192)
def _score_text(number: Decimal, lang: str, sign: bool) -> str:
    """A score already rounded to one decimal, written for ``lang``: scores take about a
    thousand values per language, and a heat map writes a thousand of them, so each is written
    by Babel once."""
    return format_number(number, lang, digits=1, sign=sign)


def format_score(value: int | float | Decimal | None, lang: str | None = None) -> str:
    """A score as every page, chart, report and export writes it: one decimal, half away from
    zero on the canonical value (40.25 -> "40.3", never Python's half-to-even "40.2"); "" for
    None and NaN (no score)."""
    number = _score_decimal(value)
    if number is None:
        return ""
    # -0.0 and 0.0 are one key of the cache: write both "0.0", whichever came first.
    return _score_text(abs(number) if number == 0 else number, _lang(lang), False)


def format_change(value: int | float | Decimal | None, lang: str | None = None) -> str:
    """A signed change of a score ("+2.9", "-0.5", "0.0"), rounded as :func:`format_score`."""
    number = _score_decimal(value)
    if number is None:
        return ""
    if number == 0:
        return _score_text(abs(number), _lang(lang), False)
    return _score_text(number, _lang(lang), True)


def format_file_size(size: int, lang: str | None = None) -> str:
    """A file's size for a reader of ``lang``: "850 B", "12.4 kB", "3.2 MB" (decimal units,
    as operating systems show them today), in the language's own words ("3,2 Mo")."""
    for unit, factor in (("megabyte", 10**6), ("kilobyte", 10**3)):
        if round(size / factor, 1) >= 1:
            return format_unit(
                round(size / factor, 1),
                f"digital-{unit}",
                length="short",
                locale=_lang(lang),
                format="#,##0.#",
            )
    return format_unit(size, "digital-byte", length="short", locale=_lang(lang))
