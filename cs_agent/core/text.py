"""Text that can be stored: no NUL character and no lone surrogate.

PostgreSQL refuses NUL in text, SQLite keeps it (and every reader after it breaks), and a lone
surrogate (``\\ud800``, reachable through a JSON escape) cannot be encoded as UTF-8, so the page
that shows it fails for good. Every transcript parser checks what it read with `unstorable`, so
such text is refused at intake, with its line.
"""

from __future__ import annotations

import re
from typing import Final

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
