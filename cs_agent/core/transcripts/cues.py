"""Caption cues as WebVTT and SRT share them: timing lines, cue text, voices, speaker prefixes.

Cue text loses its markup (``<c>``, ``<b>``, ``<i>``, ``<font>``, ``</v>``, karaoke stamps,
``{\\an8}`` positioning) and HTML entities are decoded. A ``Name: text`` prefix only counts as a
speaker when the file is speaker-labelled (see `apply_speaker_prefixes`).
"""

from __future__ import annotations

import html
import re
from collections import Counter
from typing import Final

from cs_agent.core.domain import TranscriptFormat
from cs_agent.core.transcripts.common import Piece
from cs_agent.core.transcripts.errors import error_at, expected_error, quoted
from cs_agent.core.transcripts.speakers import MAX_NAME_SPACES, SPEAKER_PREFIX

TIMING_EXAMPLE: Final = {
    TranscriptFormat.VTT: '"00:01:02.000 --> 00:01:05.000"',
    TranscriptFormat.SRT: '"00:01:02,000 --> 00:01:05,000"',
}
_TS: Final = r"(?:(\d+):)?([0-5]?\d):([0-5]\d)[.,](\d{1,3})"
TIMING = re.compile(rf"[ \t]*{_TS}[ \t]*-->[ \t]*{_TS}(?:[ \t].*)?$")
TIMING_ATTEMPT = re.compile(r"[ \t]*\d{1,2}:\d")
SRT_INDEX = re.compile(r"[ \t]*[0-9]+[ \t]*$")
_VOICE = re.compile(r"<v(?:\.[^\s>]*)?(?:[ \t]+([^>]*))?>")
# A tag starts with a letter or a digit right after "<", so "a < b" in loose SRT text survives.
_TAG = re.compile(r"</?[A-Za-z][^<>]*>|<[0-9][0-9:.]*>")
_ASS_OVERRIDE = re.compile(r"\{\\[^{}]*\}")


def _clean(raw: str) -> str:
    if "<" in raw:
        raw = _TAG.sub("", raw)
    if "{" in raw:
        raw = _ASS_OVERRIDE.sub("", raw)
    if "&" in raw:
        raw = html.unescape(raw)
    return " ".join(raw.split())


def cue_times(fmt: TranscriptFormat, lines: list[str], index: int) -> tuple[float, float]:
    """Parse the timing line at ``lines[index]``; raise when it is malformed or runs backwards."""
    match = TIMING.match(lines[index])
    if match is None:
        raise expected_error(
            fmt, index + 1, f"a cue timing like {TIMING_EXAMPLE[fmt]}", quoted(lines[index])
        )
    h1, m1, s1, f1, h2, m2, s2, f2 = match.groups()
    start = (int(h1) * 3600 if h1 else 0) + int(m1) * 60 + int(s1) + int(f1) / 10 ** len(f1)
    end = (int(h2) * 3600 if h2 else 0) + int(m2) * 60 + int(s2) + int(f2) / 10 ** len(f2)
    if end < start:
        raise error_at(
            fmt,
            index + 1,
            f"the cue ends before it starts ({quoted(lines[index])}); "
            "expected an end time at or after the start time",
            "an end time at or after the start time",
        )
    return start, end


def add_cue(
    raw: str,
    start: float,
    end: float,
    line: int,
    pieces: list[Piece],
    unvoiced: list[int],
) -> None:
    """Append one cue's pieces: one a voice span, or one for the whole cue if it has none."""
    if "<v" in raw:
        parts = _VOICE.split(raw)
        if len(parts) > 1:
            head = _clean(parts[0])
            if head:
                pieces.append((start, end, None, head, line))
            for k in range(1, len(parts), 2):
                name = _clean(parts[k] or "") or None
                pieces.append((start, end, name, _clean(parts[k + 1]), line))
            return
    text = _clean(raw)
    if text:
        unvoiced.append(len(pieces))
        pieces.append((start, end, None, text, line))


def apply_speaker_prefixes(pieces: list[Piece], unvoiced: list[int]) -> None:
    """Turn Zoom-style ``Name: text`` cue prefixes into speakers, when the file uses them."""
    found: list[tuple[int, str, str]] = []
    for index in unvoiced:
        text = pieces[index][3]
        match = SPEAKER_PREFIX.match(text)
        if match is not None:
            name = match["name"]
            if name.count(" ") <= MAX_NAME_SPACES:
                found.append((index, name, text[match.end() :]))
    if not found:
        return
    labelled = len(found) * 2 >= len(unvoiced)
    counts = Counter(name for _, name, _ in found) if not labelled else None
    for index, name, text in found:
        if counts is None or counts[name] >= 2:
            start, end, _, _, line = pieces[index]
            pieces[index] = (start, end, name, text, line)
