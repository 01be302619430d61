"""What every transcript parser shares: the piece of speech it produces, and merging into turns.

Each parser turns its format into pieces (one a cue, voice span, speaker line or JSON
utterance); `merge_pieces` then joins consecutive pieces by the same known speaker into one
utterance and never merges pieces with no speaker.
"""

from __future__ import annotations

import re

from cs_agent.core.domain import Utterance
from cs_agent.core.transcripts.speakers import UNKNOWN_SPEAKER

# (start, end, speaker or None, text, line): one cue's worth of speech before merging.
Piece = tuple[float | None, float | None, str | None, str, int]
_CLOCK = re.compile(r"[ \t]*(?:(\d+):)?(\d+):([0-5]\d)(?:[.,](\d+))?[ \t]*$")


def is_blank(line: str) -> bool:
    """True for an empty line or one of whitespace only."""
    return not line or line.isspace()


def block_end(lines: list[str], index: int) -> int:
    """Index of the first blank line at or after ``index`` (or ``len(lines)``)."""
    count = len(lines)
    while index < count:
        line = lines[index]
        if not line or line.isspace():
            return index
        index += 1
    return index


def clock_seconds(value: str) -> float | None:
    """Seconds in ``hh:mm:ss`` / ``mm:ss`` (optional fraction), or None when it is not one."""
    match = _CLOCK.match(value)
    if match is None:
        return None
    hours, minutes, seconds, fraction = match.groups()
    if hours is not None and int(minutes) > 59:
        return None
    total = (int(hours) * 3600 if hours else 0) + int(minutes) * 60 + int(seconds)
    return total + int(fraction) / 10 ** len(fraction) if fraction else float(total)


def merge_pieces(pieces: list[Piece]) -> list[Utterance]:
    """Utterances from pieces: consecutive pieces by the same known speaker become one."""
    utterances: list[Utterance] = []
    speaker: str | None = None
    parts: list[str] = []
    start: float | None = None
    end: float | None = None
    line = 0
    for p_start, p_end, p_speaker, p_text, p_line in pieces:
        if not p_text:
            continue
        if p_speaker is not None and p_speaker == speaker:
            parts.append(p_text)
            if p_end is not None and (end is None or p_end > end):
                end = p_end
            continue
        if parts:
            utterances.append(
                Utterance(
                    speaker=speaker or UNKNOWN_SPEAKER,
                    text=" ".join(parts),
                    start=start,
                    end=end,
                    line=line,
                )
            )
        speaker, parts, start, end, line = p_speaker, [p_text], p_start, p_end, p_line
    if parts:
        utterances.append(
            Utterance(
                speaker=speaker or UNKNOWN_SPEAKER,
                text=" ".join(parts),
                start=start,
                end=end,
                line=line,
            )
        )
    return utterances
