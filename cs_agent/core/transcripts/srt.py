"""SRT transcripts: numbered cues, each a timing line and its text, speakers from prefixes."""

from __future__ import annotations

from cs_agent.core.domain import TranscriptFormat
from cs_agent.core.transcripts.common import Piece, block_end, is_blank
from cs_agent.core.transcripts.cues import (
    SRT_INDEX,
    TIMING_ATTEMPT,
    TIMING_EXAMPLE,
    add_cue,
    apply_speaker_prefixes,
    cue_times,
)
from cs_agent.core.transcripts.detect import other_format_hint
from cs_agent.core.transcripts.errors import expected_error, quoted


def parse_srt(text: str) -> list[Piece]:
    """The pieces of an SRT transcript, speaker prefixes applied."""
    fmt = TranscriptFormat.SRT
    lines = text.split("\n")
    count = len(lines)
    pieces: list[Piece] = []
    unvoiced: list[int] = []
    cues = 0
    i = 0
    while i < count:
        first = lines[i]
        if not first or first.isspace():
            i += 1
            continue
        end_of_block = block_end(lines, i + 1)
        if not SRT_INDEX.match(first):
            note = ""
            if "-->" in first or TIMING_ATTEMPT.match(first):
                note = "every cue starts with its number on the line before the timing"
            elif cues:
                note = "a blank line inside a cue's text ends the cue; remove it"
            else:
                note = other_format_hint(text, fmt)
            raise expected_error(fmt, i + 1, f'a cue number like "{cues + 1}"', quoted(first), note)
        if i + 1 == end_of_block:
            rest = lines[end_of_block:]
            found = "a blank line" if any(not is_blank(x) for x in rest) else "the end of the file"
            raise expected_error(fmt, i + 2, f"a cue timing like {TIMING_EXAMPLE[fmt]}", found)
        start, end = cue_times(fmt, lines, i + 1)
        cues += 1
        # A missing blank line between cues: the next cue's number and timing end this one.
        stop = i + 2
        while stop < end_of_block:
            if "-->" in lines[stop]:
                if stop - 1 > i + 1 and SRT_INDEX.match(lines[stop - 1]):
                    stop -= 1
                break
            stop += 1
        if stop == i + 3:
            add_cue(lines[i + 2], start, end, i + 1, pieces, unvoiced)
        elif stop > i + 3:
            add_cue("\n".join(lines[i + 2 : stop]), start, end, i + 1, pieces, unvoiced)
        i = stop
    apply_speaker_prefixes(pieces, unvoiced)
    return pieces
