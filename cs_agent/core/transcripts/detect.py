"""Which format a transcript is in: from its file name's extension, or from its content."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Final

from cs_agent.core.domain import TranscriptFormat
from cs_agent.core.transcripts.cues import SRT_INDEX, TIMING
from cs_agent.core.transcripts.errors import FORMAT_NAMES

_EXTENSIONS: Final = {
    ".vtt": TranscriptFormat.VTT,
    ".webvtt": TranscriptFormat.VTT,
    ".srt": TranscriptFormat.SRT,
    ".txt": TranscriptFormat.TEXT,
    ".text": TranscriptFormat.TEXT,
    ".json": TranscriptFormat.JSON,
}
_JSON_START = re.compile(r"\[\s*[\[{\"\]]|\{")


def detect_format(text: str) -> TranscriptFormat:
    """Guess a transcript's format from its content.

    A ``WEBVTT`` first line means WebVTT; ``{`` or a ``[`` that opens a list of objects means
    JSON; a cue number followed by a timing line, or an SRT-style timing line with a comma,
    means SRT; a headerless timing line with a dot is treated as WebVTT (so the missing header
    is reported); anything else is plain text.
    """
    head = text.lstrip("\ufeff \t\r\n")
    if head.startswith("WEBVTT"):
        return TranscriptFormat.VTT
    if _JSON_START.match(head):
        return TranscriptFormat.JSON
    lines = head[:1000].splitlines()[:2]
    first = lines[0] if lines else ""
    second = lines[1] if len(lines) > 1 else ""
    if SRT_INDEX.match(first) and TIMING.match(second):
        return TranscriptFormat.SRT
    if TIMING.match(first):
        return TranscriptFormat.SRT if "," in first else TranscriptFormat.VTT
    return TranscriptFormat.TEXT


def other_format_hint(text: str, fmt: TranscriptFormat) -> str:
    """A hint for when the content is plainly another format than the one being parsed."""
    detected = detect_format(text)
    if detected is fmt or detected is TranscriptFormat.TEXT:
        return ""
    return f"the content looks like {FORMAT_NAMES[detected]}; read it as {FORMAT_NAMES[detected]}"


def format_for_filename(filename: str | os.PathLike[str]) -> TranscriptFormat | None:
    """The format a file's extension names (``.vtt``, ``.srt``, ``.txt``, ``.json``), or None.

    None means the caller should let `parse_transcript` detect the format from the content.
    """
    return _EXTENSIONS.get(Path(filename).suffix.lower())
