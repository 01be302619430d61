"""Text that can be stored: no NUL character and no lone surrogate.

PostgreSQL refuses NUL in text, SQLite keeps it (and every reader after it breaks), and a lone
surrogate (``\\ud800``, reachable through a JSON escape) cannot be encoded as UTF-8, so the page
that shows it fails for good. Every transcript parser checks what it read with `unstorable`, so
such text is refused at intake, with its line.

``StorableStr`` is the same check as a pydantic type: every string field of a call's metadata
(title, customer, attendees, ids), wherever it comes from (the API, the web upload, the CLI's
``--metadata`` file, a Zoom event), is one, so a bad value is refused naming its field.
"""

from __future__ import annotations

import re
from typing import Annotated, Final

from pydantic import AfterValidator, ValidationInfo
from pydantic_core import PydanticCustomError

_UNSTORABLE: Final = re.compile("[\x00\ud800-\udfff]")


def unstorable(text: str) -> str | None:
    """A description of the first character of ``text`` that cannot be stored, or None."""
    match = _UNSTORABLE.search(text)
    if match is None:
        return None
    char = match.group(0)
    if char == "\x00":
        return "a NUL character (U+0000)"
    return f"a lone surrogate (U+{ord(char):04X}), which is not a character"


def first_unstorable(text: str) -> int | None:
    """The index of the first character of ``text`` that cannot be stored, or None."""
    match = _UNSTORABLE.search(text)
    return match.start() if match is not None else None


STORED: Final = {"stored": True}
"""The validation context for reading what was stored: ``Model.model_validate(row, context=STORED)``.

A row stored before these checks existed may hold such a character (a JSON column keeps
``\\u0000`` and ``\\ud800`` escapes); reading it replaces the character with U+FFFD instead of
failing, so the page that shows it still answers."""


def repaired(text: str) -> str:
    """``text`` with each character that cannot be stored replaced by U+FFFD."""
    return _UNSTORABLE.sub("\ufffd", text)


def check_storable(value: str, info: ValidationInfo) -> str:
    """``value`` unchanged, or a pydantic error saying which character cannot be stored.

    Under the ``STORED`` context (reading a row back) the character is replaced instead.
    """
    problem = unstorable(value)
    if problem is not None and isinstance(info.context, dict) and info.context.get("stored"):
        return repaired(value)
    if problem is not None:
        # A custom error: its message is shown as is (no "Value error, " prefix) after the
        # field's dotted name, e.g. "field attendees.0.name: contains a NUL character ...".
        raise PydanticCustomError(
            "unstorable_text",
            "contains {problem} at character {index}; it cannot be stored: remove it "
            "(or fix the sender's JSON encoder)",
            {"problem": problem, "index": first_unstorable(value)},
        )
    return value


StorableStr = Annotated[str, AfterValidator(check_storable)]
"""A string with no NUL and no lone surrogate (see `unstorable`)."""
