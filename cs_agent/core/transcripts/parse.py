"""Reading a transcript: decode it, pick its format, run that format's parser, merge the turns."""

from __future__ import annotations

import os
from pathlib import Path

from cs_agent.core.domain import Transcript, TranscriptFormat
from cs_agent.core.transcripts.common import merge_pieces
from cs_agent.core.transcripts.decode import decode_transcript
from cs_agent.core.transcripts.detect import detect_format, format_for_filename
from cs_agent.core.transcripts.errors import FORMAT_NAMES, TranscriptError
from cs_agent.core.transcripts.json_utterances import parse_json_utterances
from cs_agent.core.transcripts.plain import parse_plain_text
from cs_agent.core.transcripts.srt import parse_srt
from cs_agent.core.transcripts.vtt import parse_vtt


def parse_transcript(data: bytes | str, *, format: TranscriptFormat | None = None) -> Transcript:
    """Parse a transcript file's content.

    ``data`` is the raw file (bytes are decoded as UTF-8, or UTF-16 when they start with a UTF-16
    byte-order mark) or already-decoded text. ``format`` is detected from the content when not
    given (see `detect_format`). Raises `TranscriptError` for anything that is not a readable
    transcript with at least one utterance.
    """
    fmt = TranscriptFormat(format) if format is not None else None
    text = decode_transcript(data, format=fmt)
    if not text.strip():
        raise TranscriptError(
            "the transcript is empty (no text, or only whitespace); "
            "expected a WebVTT, SRT, plain-text or JSON transcript",
            expected="a non-empty transcript",
            format=fmt,
        )
    if fmt is None:
        fmt = detect_format(text)
    if fmt is TranscriptFormat.VTT:
        pieces = parse_vtt(text)
    elif fmt is TranscriptFormat.SRT:
        pieces = parse_srt(text)
    elif fmt is TranscriptFormat.TEXT:
        pieces = parse_plain_text(text)
    else:
        pieces = parse_json_utterances(text)
    utterances = merge_pieces(pieces)
    if not utterances:
        raise TranscriptError(
            f"{FORMAT_NAMES[fmt]}: the transcript has no utterances (nothing in it has any "
            "text); expected at least one utterance with text",
            expected="at least one utterance with text",
            format=fmt,
        )
    return Transcript(format=fmt, utterances=utterances)


def read_transcript(
    path: str | os.PathLike[str], *, format: TranscriptFormat | None = None
) -> Transcript:
    """Read and parse a transcript file.

    The format is ``format`` when given, else the one `format_for_filename` names, else the one
    detected from the content. `OSError` from reading the file is not wrapped.
    """
    data = Path(path).read_bytes()
    return parse_transcript(data, format=format or format_for_filename(path))
