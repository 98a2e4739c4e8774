"""Whole numbers from addresses and query strings, bounded to what the database can hold.

Every id column is an INTEGER: a larger number names no row, and handing it to the database
fails (SQLite: OverflowError beyond 2**63). Routes answer 404 for it, query arguments treat it
as no valid number.
"""

from werkzeug.routing import IntegerConverter, Map

#: The largest value of an INTEGER column on PostgreSQL (and so of any id).
INTEGER_MAX = 2**31 - 1


class BoundedIntConverter(IntegerConverter):
    """``<int:...>`` that matches only 0 .. INTEGER_MAX unless the rule says otherwise."""

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: int | None = None,
        max: int | None = INTEGER_MAX,
        signed: bool = False,
    ) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def db_int(value: str) -> int:
    """``request.args.get(name, type=db_int)``: a whole number from 0 to INTEGER_MAX.

    :raises ValueError: otherwise (``get`` then gives its default, as for any non-number).
    """
    number = int(value)
    if not 0 <= number <= INTEGER_MAX:
        raise ValueError(f"{value!r} is out of range")
    return number
