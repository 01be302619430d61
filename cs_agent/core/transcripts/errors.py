"""The error every transcript problem raises, and the helpers that word its message.

A message starts with where the problem is ("WebVTT line 14: ") and says what was expected
there and what was found, so a person can fix the file without reading the parser.
"""

from __future__ import annotations

from typing import Final

from cs_agent.core.domain import TranscriptFormat


class TranscriptError(ValueError):
    """A transcript that cannot be read: the message says where, and what was expected there."""

    def __init__(
        self,
        message: str,
        *,
        line: int | None = None,
        expected: str | None = None,
        format: TranscriptFormat | None = None,
    ) -> None:
        super().__init__(message)
        self.line = line
        """1-based line of the problem, when it is at a line."""
        self.expected = expected
        """What the parser expected to find there."""
        self.format = format
        """The format the transcript was being read as, when known."""


FORMAT_NAMES: Final = {
    TranscriptFormat.VTT: "WebVTT",
    TranscriptFormat.SRT: "SRT",
    TranscriptFormat.TEXT: "Plain-text transcript",
    TranscriptFormat.JSON: "JSON",
}


def location_prefix(fmt: TranscriptFormat | None, line: int | None) -> str:
    """The message prefix that says where a problem is: "WebVTT line 14: ", "line 3: " or ""."""
    name = FORMAT_NAMES[fmt] if fmt is not None else ""
    if line is None:
        return f"{name}: " if name else ""
    return f"{name} line {line}: " if name else f"line {line}: "


def quoted(found: str) -> str:
    """What was found, as an error message shows it: quoted, shortened, or "an empty line"."""
    found = found.strip()
    if not found:
        return "an empty line"
    if len(found) > 60:
        found = found[:57] + "..."
    return f'"{found}"'


def error_at(
    fmt: TranscriptFormat, line: int | None, detail: str, expected: str
) -> TranscriptError:
    """A `TranscriptError` for ``fmt`` at ``line`` (None when it is at no line)."""
    return TranscriptError(
        f"{location_prefix(fmt, line)}{detail}", line=line, expected=expected, format=fmt
    )


def expected_error(
    fmt: TranscriptFormat, line: int, expected: str, found: str, note: str = ""
) -> TranscriptError:
    """The error for a line that is not what was expected: what was, and why."""
    detail = f"expected {expected}, found {found}"
    return error_at(fmt, line, f"{detail} ({note})" if note else detail, expected)
