"""How the offline analyzer words lists of names, due dates and a call's length in prose."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence


def with_article(phrase: str) -> str:
    """ "a 9-minute call", "an 8-minute call", "an 11-minute call"."""
    spoken_vowel = re.match(r"(?:8|11|18|8\d)(?!\d)|[aeiou]", phrase, re.IGNORECASE)
    return f"{'an' if spoken_vowel else 'a'} {phrase}"


def join_names(names: Sequence[str]) -> str:
    if not names:
        return ""
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " and " + names[-1]


def due_text(due: dt.date | None) -> str:
    return f"{due:%A}, {due:%B} {due.day}" if due else ""
