"""Plain-text transcripts: ``Name: text`` lines, optionally stamped ``[hh:mm:ss]`` or ``(mm:ss)``.

A speaker line's text runs on over the lines after it until the next speaker line. The text is
kept verbatim apart from collapsing whitespace.
"""

from __future__ import annotations

import re

from cs_agent.core.domain import TranscriptFormat
from cs_agent.core.transcripts.common import Piece, clock_seconds, is_blank
from cs_agent.core.transcripts.detect import other_format_hint
from cs_agent.core.transcripts.errors import expected_error, quoted
from cs_agent.core.transcripts.speakers import MAX_NAME_SPACES, SPEAKER_NAME


def _text_stamp(group: str) -> str:
    return rf"[\[(](?P<{group}>\d{{1,2}}:\d{{2}}(?::\d{{2}})?(?:[.,]\d{{1,3}})?)[\])]"


_TEXT_LINE = re.compile(
    rf"[ \t]*(?:{_text_stamp('before')}[ \t]*)?(?P<name>{SPEAKER_NAME})"
    rf"(?:[ \t]*{_text_stamp('after')})?[ \t]*:(?:[ \t]+(?P<text>.*))?$"
)


def parse_plain_text(text: str) -> list[Piece]:
    """The pieces of a plain-text transcript: one a speaker line and the lines after it."""
    fmt = TranscriptFormat.TEXT
    hint = other_format_hint(text, fmt)
    lines = text.split("\n")
    if hint:
        first = next(n for n, line in enumerate(lines) if not is_blank(line))
        raise expected_error(fmt, first + 1, '"Speaker: text" lines', quoted(lines[first]), hint)
    pieces: list[Piece] = []
    speaker: str | None = None
    parts: list[str] = []
    start: float | None = None
    line_no = 0
    spoken = False
    for number, line in enumerate(lines, 1):
        if ":" in line:
            match = _TEXT_LINE.match(line)
            if match is not None and match["name"].count(" ") <= MAX_NAME_SPACES:
                if parts:
                    pieces.append((start, None, speaker, " ".join(parts), line_no))
                spoken = True
                speaker = " ".join(match["name"].split())
                stamp = match["before"] or match["after"]
                start = clock_seconds(stamp) if stamp else None
                if stamp and start is None:
                    raise expected_error(
                        fmt, number, 'a time like "[01:02:03]" or "[02:03]"', quoted(stamp)
                    )
                said = match["text"]
                parts = [" ".join(said.split())] if said else []
                line_no = number
                continue
        if line and not line.isspace():
            if not parts and speaker is None:
                line_no = number
            parts.append(" ".join(line.split()))
    if parts:
        pieces.append((start, None, speaker, " ".join(parts), line_no))
    if not spoken:
        first = next(n for n, line in enumerate(lines) if not is_blank(line))
        raise expected_error(
            fmt,
            first + 1,
            'lines like "Alice: text" or "[00:01:02] Alice: text"',
            quoted(lines[first]),
            "no line in the file names a speaker",
        )
    return pieces
