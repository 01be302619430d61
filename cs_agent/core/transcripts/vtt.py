"""WebVTT transcripts: the parser, and the fast check intake uses to accept a file unparsed.

Speakers come from voice tags (``<v Name>``, ``<v.loud Name>``) and from Zoom's ``Name: text``
cue prefixes. NOTE, STYLE and REGION blocks are skipped; a line with ``-->`` starts a new cue.
"""

from __future__ import annotations

import re
from typing import Final

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
from cs_agent.core.transcripts.errors import TranscriptError, expected_error, quoted
from cs_agent.core.transcripts.speakers import SPEAKER_PREFIX

_VTT_HEADER = re.compile(r"WEBVTT(?:[ \t]|$)")
_VTT_SKIPPED_BLOCK = re.compile(r"(?:NOTE|STYLE|REGION)(?:[ \t]|$)")


def parse_vtt(text: str) -> list[Piece]:
    """The pieces of a WebVTT transcript, speaker prefixes applied."""
    fmt = TranscriptFormat.VTT
    lines = text.split("\n")
    count = len(lines)
    i = 0
    while is_blank(lines[i]):
        i += 1
    if not _VTT_HEADER.match(lines[i]):
        raise expected_error(
            fmt,
            i + 1,
            'the header "WEBVTT"',
            quoted(lines[i]),
            other_format_hint(text, fmt),
        )
    i += 1
    # The header block may carry metadata lines ("Kind: captions") up to the first blank line.
    while i < count and not is_blank(lines[i]) and "-->" not in lines[i]:
        i += 1
    pieces: list[Piece] = []
    unvoiced: list[int] = []
    while i < count:
        first = lines[i]
        if not first or first.isspace():
            i += 1
            continue
        end_of_block = block_end(lines, i + 1)
        if _VTT_SKIPPED_BLOCK.match(first):
            i = end_of_block
            continue
        if "-->" in first:
            timing = i
        elif i + 1 < end_of_block and "-->" in lines[i + 1]:
            timing = i + 1
        else:
            raise _bad_timing(fmt, lines, i, end_of_block, bool(pieces))
        start, end = cue_times(fmt, lines, timing)
        # A line with "-->" ends the cue text and starts the next cue (the WebVTT parsing rules).
        stop = timing + 1
        while stop < end_of_block and "-->" not in lines[stop]:
            stop += 1
        if stop == timing + 2:
            add_cue(lines[timing + 1], start, end, i + 1, pieces, unvoiced)
        elif stop > timing + 2:
            add_cue("\n".join(lines[timing + 1 : stop]), start, end, i + 1, pieces, unvoiced)
        i = stop
    apply_speaker_prefixes(pieces, unvoiced)
    return pieces


def _bad_timing(
    fmt: TranscriptFormat, lines: list[str], first: int, end_of_block: int, after_cue: bool
) -> TranscriptError:
    """The error for a block with no timing line where one was expected."""
    expected = f"a cue timing like {TIMING_EXAMPLE[fmt]}"
    # Blame the second line when the first is an identifier or the second is the bad timing.
    bad = first
    if first + 1 < end_of_block and (
        TIMING_ATTEMPT.match(lines[first + 1]) or SRT_INDEX.match(lines[first])
    ):
        bad = first + 1
    note = ""
    if not TIMING_ATTEMPT.match(lines[bad]) and after_cue:
        note = "a blank line inside a cue's text ends the cue; remove it"
    return expected_error(fmt, bad + 1, expected, quoted(lines[bad]), note)


# A strict subset of the WebVTT the parser reads. The pattern checks the layout: optional blank
# lines, the header (and its metadata lines), then blocks after blank lines, each a NOTE, STYLE
# or REGION block, or cues: an optional identifier line, a "hh:mm:ss.mmm --> hh:mm:ss.mmm"
# timing line as the block's first or second line, and any lines after. Counting "-->" then
# makes sure every line that has one is such a timing line, which is what the parser requires
# of a line with "-->" wherever it stands. Blank means whitespace only (regex \s is
# str.isspace), as in the parser.
_FAST_STAMP: Final = r"\d\d:[0-5]\d:[0-5]\d\.\d{3}"
_FAST_TIMING: Final = rf"{_FAST_STAMP} --> {_FAST_STAMP}(?:[ \t][^\n]*)?\n"
_FAST_BLANK: Final = r"[^\S\n]*\n"
_FAST_LINE: Final = r"[^\S\n]*\S[^\n]*\n"  # not blank; split at its first non-space, so unambiguous
_FAST_VTT = re.compile(
    rf"(?:{_FAST_BLANK})*WEBVTT(?:[ \t][^\n]*)?\n(?:{_FAST_LINE})*"
    rf"(?:(?:{_FAST_BLANK})+"
    rf"(?:(?:NOTE|STYLE|REGION)(?:[ \t][^\n]*)?\n(?:{_FAST_LINE})*"
    rf"|(?:{_FAST_LINE})?{_FAST_TIMING}(?:{_FAST_LINE})*))*"
    rf"(?:{_FAST_BLANK})*"
)
_FAST_TIMES = re.compile(rf"\n({_FAST_STAMP}) --> ({_FAST_STAMP})(?=[ \t\n])")
_FAST_CUE_TEXT = re.compile(rf"\n{_FAST_TIMING}((?:{_FAST_LINE})+)")


def is_certainly_vtt(text: str) -> bool:
    """True when ``text`` is WebVTT that `parse_transcript` certainly reads without an error.

    A fast structural check (a few passes of compiled patterns, no utterances built) for
    intake, where a transcript is checked now and parsed later. False means "not certain":
    parse it to find out, and to get the error with its line. ``text`` is decoded text with
    ``\\n`` line ends.
    """
    body = text if text.endswith("\n") else text + "\n"
    if _FAST_VTT.fullmatch(body) is None:
        return False
    times = _FAST_TIMES.findall(body)
    if len(times) != body.count("-->"):
        return False
    # Fixed-width stamps compare as strings: a cue must not end before it starts.
    if any(end < start for start, end in times):
        return False
    return any(_cue_has_words(match[1]) for match in _FAST_CUE_TEXT.finditer(body))


def _cue_has_words(raw: str) -> bool:
    """True when a cue's text leaves an utterance with text whatever speaker rule applies."""
    pieces: list[Piece] = []
    unvoiced: list[int] = []
    add_cue(raw.rstrip("\n"), 0.0, 0.0, 0, pieces, unvoiced)
    for index, (_, _, _, said, _) in enumerate(pieces):
        if index in unvoiced:
            match = SPEAKER_PREFIX.match(said)
            if match is not None:
                said = said[match.end() :]
        if said:
            return True
    return False
