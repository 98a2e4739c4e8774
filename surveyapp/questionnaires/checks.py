"""Small checks on plain questionnaire data, shared by the loader and the question types."""

from __future__ import annotations

import math
from typing import Any


def is_number(value: Any) -> bool:
    """A finite int or float (not a bool) below 1e15 in size."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(value) and abs(value) < 1e15
    except OverflowError:  # an int too large for a float
        return False


def is_positive_int(value: Any) -> bool:
    """A whole number (not a bool) of at least 1."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def is_score(value: Any) -> bool:
    """A number from 0 to 100."""
    return is_number(value) and 0 <= value <= 100


def has_text(value: Any) -> bool:
    """A non-empty string, or a language mapping with a non-empty English text."""
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, dict):
        return all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()) and bool(
            str(value.get("en", "")).strip()
        )
    return False


def is_half_multiple(value: Any) -> bool:
    """A number greater than 0 that is a whole multiple of 0.5 (format 2 weights)."""
    return is_number(value) and value > 0 and float(value * 2).is_integer()
