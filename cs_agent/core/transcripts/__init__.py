"""Parsers that turn a call transcript file (WebVTT, SRT, plain text or JSON) into a `Transcript`.

Rules every parser follows:

- **One utterance per turn.** Consecutive pieces by the same known speaker are merged into one
  utterance: the first piece's start and line, the latest end, the texts joined with a space.
  Zoom and most captioners split one turn over many cues.
- **Unknown speakers stay unknown.** A piece with no speaker gets the speaker ``"Unknown"`` and
  is never merged with its neighbours, not even other unknown pieces: guessing that it continues
  the previous speaker would put words in someone's mouth, and action items are assigned by who
  said what. A caption file with no speaker information at all therefore gives one ``"Unknown"``
  utterance a cue.
- **Text is cleaned, never rewritten.** Cue text loses its markup (``<c>``, ``<b>``, ``<i>``,
  ``<font>``, ``</v>``, ``<00:00:01.000>`` karaoke stamps, ``{\\an8}`` positioning) and HTML
  entities in WebVTT and SRT are decoded; whitespace, line breaks included, is collapsed to single
  spaces in every format. Plain-text and JSON text is otherwise kept verbatim.
- **Line numbers are 1-based lines of the source**: a cue's first line (its identifier or
  number, else its timing line), a plain-text speaker line, or the line of a JSON utterance's
  opening brace.
- **Out-of-order timestamps are accepted** (captioners produce them); a cue that ends before it
  starts is an error.
- **Every problem is a `TranscriptError`** naming the format, the line and what was expected.

Speakers come from WebVTT voice tags (``<v Name>``, ``<v.loud Name>``), from a ``Name: text``
prefix on WebVTT/SRT cue text (Zoom's style), from ``Name: text`` lines in plain text, and from
the speaker field in JSON. A cue prefix only counts as a speaker when the file is speaker-labelled:
at least half the cues without a voice tag carry one, or that name labels two or more cues. This
keeps a caption that happens to read ``Note: the price went up`` from inventing a speaker "Note".
A name is at most 60 characters and 6 words, without ``? ! " < > [ ]``, and does not start
with ``-`` or ``(``.

JSON accepts a list of utterance objects, or an object holding that list under ``utterances``,
``segments``, ``transcript`` or ``meeting_transcripts`` (QMSum). Fields, first match wins:

- speaker (required; ``null`` or ``""`` means unknown): ``speaker``, ``speaker_name``, ``name``
- text (required string): ``text``, ``content``, ``sentence``
- start (optional): ``start``, ``start_time``, ``startTime``
- end (optional): ``end``, ``end_time``, ``endTime``

Times are seconds as a number, or a ``"hh:mm:ss"`` / ``"mm:ss"`` string with optional
``.fff`` fraction. Word-level lists (such as a ``words`` array) and millisecond times are not read.

The package holds one module a format (`vtt`, `srt`, `plain`, `json_utterances`), with
`decode` (bytes to text), `detect` (which format), `parse` (the entry points), `cues` (what
WebVTT and SRT share), `common` (pieces and merging), `speakers` and `errors`.
"""

from __future__ import annotations

from cs_agent.core.transcripts.decode import decode_transcript
from cs_agent.core.transcripts.detect import detect_format, format_for_filename
from cs_agent.core.transcripts.errors import TranscriptError
from cs_agent.core.transcripts.parse import parse_transcript, read_transcript
from cs_agent.core.transcripts.speakers import UNKNOWN_SPEAKER, attendees_from, unmatched_speakers
from cs_agent.core.transcripts.vtt import is_certainly_vtt

__all__ = [
    "UNKNOWN_SPEAKER",
    "TranscriptError",
    "attendees_from",
    "decode_transcript",
    "detect_format",
    "format_for_filename",
    "is_certainly_vtt",
    "parse_transcript",
    "read_transcript",
    "unmatched_speakers",
]
