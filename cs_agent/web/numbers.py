"""Reading whole numbers from query strings and forms, within bounds the database can take.

``int()`` takes any number of digits, and SQLite's integers stop at 2**63: an offset computed
from ``page=99999999999999999999`` made the query fail with a 500. Every number the inbox reads
goes through ``parse_number``, which refuses what is not a plain number in range.
"""

from __future__ import annotations

MAX_DIGITS = 9


def parse_number(text: str, *, minimum: int = 1, maximum: int = 10**MAX_DIGITS - 1) -> int | None:
    """``text`` as an int in ``[minimum, maximum]``, or None when it is not one (ASCII digits only)."""
    value = text.strip()
    if not value or not value.isascii() or not value.isdigit() or len(value) > MAX_DIGITS:
        return None
    number = int(value)
    if not minimum <= number <= maximum:
        return None
    return number
