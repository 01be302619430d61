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
"""

from __future__ import annotations

import codecs
import html
import json
import math
import os
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

from cs_agent.core.domain import Attendee, CallMetadata, Transcript, TranscriptFormat, Utterance

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

UNKNOWN_SPEAKER: Final = "Unknown"
"""The speaker of an utterance whose source names no speaker."""


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


_FORMAT_NAMES: Final = {
    TranscriptFormat.VTT: "WebVTT",
    TranscriptFormat.SRT: "SRT",
    TranscriptFormat.TEXT: "Plain-text transcript",
    TranscriptFormat.JSON: "JSON",
}

_EXTENSIONS: Final = {
    ".vtt": TranscriptFormat.VTT,
    ".webvtt": TranscriptFormat.VTT,
    ".srt": TranscriptFormat.SRT,
    ".txt": TranscriptFormat.TEXT,
    ".text": TranscriptFormat.TEXT,
    ".json": TranscriptFormat.JSON,
}

_TIMING_EXAMPLE: Final = {
    TranscriptFormat.VTT: '"00:01:02.000 --> 00:01:05.000"',
    TranscriptFormat.SRT: '"00:01:02,000 --> 00:01:05,000"',
}

# (start, end, speaker or None, text, line): one cue's worth of speech before merging.
_Piece = tuple[float | None, float | None, str | None, str, int]

_TS: Final = r"(?:(\d+):)?([0-5]?\d):([0-5]\d)[.,](\d{1,3})"
_TIMING = re.compile(rf"[ \t]*{_TS}[ \t]*-->[ \t]*{_TS}(?:[ \t].*)?$")
_TIMING_ATTEMPT = re.compile(r"[ \t]*\d{1,2}:\d")
_VTT_HEADER = re.compile(r"WEBVTT(?:[ \t]|$)")
_VTT_SKIPPED_BLOCK = re.compile(r"(?:NOTE|STYLE|REGION)(?:[ \t]|$)")
_SRT_INDEX = re.compile(r"[ \t]*[0-9]+[ \t]*$")
_VOICE = re.compile(r"<v(?:\.[^\s>]*)?(?:[ \t]+([^>]*))?>")
# A tag starts with a letter or a digit right after "<", so "a < b" in loose SRT text survives.
_TAG = re.compile(r"</?[A-Za-z][^<>]*>|<[0-9][0-9:.]*>")
_ASS_OVERRIDE = re.compile(r"\{\\[^{}]*\}")
# A speaker name: no sentence punctuation, and not starting like a dialogue dash or a bracket.
_NAME: Final = r"[^\s:?!\"<>\[\]()\-][^:?!\"<>\[\]\n]{0,59}?"
_SPEAKER_PREFIX = re.compile(rf"(?P<name>{_NAME})[ \t]*:(?:[ \t]+|$)")
_MAX_NAME_SPACES: Final = 5


def _text_stamp(group: str) -> str:
    return rf"[\[(](?P<{group}>\d{{1,2}}:\d{{2}}(?::\d{{2}})?(?:[.,]\d{{1,3}})?)[\])]"


_TEXT_LINE = re.compile(
    rf"[ \t]*(?:{_text_stamp('before')}[ \t]*)?(?P<name>{_NAME})"
    rf"(?:[ \t]*{_text_stamp('after')})?[ \t]*:(?:[ \t]+(?P<text>.*))?$"
)
_CLOCK = re.compile(r"[ \t]*(?:(\d+):)?(\d+):([0-5]\d)(?:[.,](\d+))?[ \t]*$")
_JSON_START = re.compile(r"\[\s*[\[{\"\]]|\{")
_JSON_WS = re.compile(r"[ \t\n\r]*")
_JSON_DECODER = json.JSONDecoder()
_JSON_LIST_KEYS: Final = ("utterances", "segments", "transcript", "meeting_transcripts")
_JSON_SPEAKER_KEYS: Final = ("speaker", "speaker_name", "name")
_JSON_TEXT_KEYS: Final = ("text", "content", "sentence")
_JSON_START_KEYS: Final = ("start", "start_time", "startTime")
_JSON_END_KEYS: Final = ("end", "end_time", "endTime")
_CONTROL_BYTES = re.compile(rb"[\x01-\x08\x0e-\x1a\x1c-\x1f]")
_MAGIC: Final = (
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (or a .docx/.xlsx document)"),
    (b"ID3", "an MP3 audio file"),
    (b"OggS", "an Ogg audio file"),
    (b"RIFF", "a WAV or AVI file"),
    (b"\x1aE\xdf\xa3", "a WebM/Matroska video"),
    (b"fLaC", "a FLAC audio file"),
)


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
        pieces = _parse_vtt(text)
    elif fmt is TranscriptFormat.SRT:
        pieces = _parse_srt(text)
    elif fmt is TranscriptFormat.TEXT:
        pieces = _parse_text(text)
    else:
        pieces = _parse_json(text)
    utterances = _merge(pieces)
    if not utterances:
        raise TranscriptError(
            f"{_FORMAT_NAMES[fmt]}: the transcript has no utterances (nothing in it has any "
            "text); expected at least one utterance with text",
            expected="at least one utterance with text",
            format=fmt,
        )
    return Transcript(format=fmt, utterances=utterances)


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
    pieces: list[_Piece] = []
    unvoiced: list[int] = []
    _add_cue(raw.rstrip("\n"), 0.0, 0.0, 0, pieces, unvoiced)
    for index, (_, _, _, said, _) in enumerate(pieces):
        if index in unvoiced:
            match = _SPEAKER_PREFIX.match(said)
            if match is not None:
                said = said[match.end() :]
        if said:
            return True
    return False


def decode_transcript(data: bytes | str, *, format: TranscriptFormat | None = None) -> str:
    """A transcript file's text as `parse_transcript` reads it, line endings normalised to ``\\n``.

    Bytes are UTF-8 (a byte-order mark is dropped) or UTF-16 with a byte-order mark. Raises
    `TranscriptError` for binary data and text that is not in those encodings.
    """
    fmt = TranscriptFormat(format) if format is not None else None
    text = _decode(data, fmt) if isinstance(data, bytes) else _check_text(data, fmt)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def read_transcript(
    path: str | os.PathLike[str], *, format: TranscriptFormat | None = None
) -> Transcript:
    """Read and parse a transcript file.

    The format is ``format`` when given, else the one `format_for_filename` names, else the one
    detected from the content. `OSError` from reading the file is not wrapped.
    """
    data = Path(path).read_bytes()
    return parse_transcript(data, format=format or format_for_filename(path))


def format_for_filename(filename: str | os.PathLike[str]) -> TranscriptFormat | None:
    """The format a file's extension names (``.vtt``, ``.srt``, ``.txt``, ``.json``), or None.

    None means the caller should let `parse_transcript` detect the format from the content.
    """
    return _EXTENSIONS.get(Path(filename).suffix.lower())


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
    if _SRT_INDEX.match(first) and _TIMING.match(second):
        return TranscriptFormat.SRT
    if _TIMING.match(first):
        return TranscriptFormat.SRT if "," in first else TranscriptFormat.VTT
    return TranscriptFormat.TEXT


def attendees_from(transcript: Transcript, metadata: CallMetadata) -> list[Attendee]:
    """Who was on the call: the metadata's attendees when it has any, else the speakers.

    The metadata is authoritative: it comes from the calendar or the meeting system and carries
    emails and sides, while speaker labels are whatever the recorder showed (a dial-in number,
    "iPhone", a nickname). So when the metadata lists attendees they are returned as they are,
    and speakers missing from it are not added; see `unmatched_speakers` to report those.
    Without metadata attendees, each distinct speaker becomes an attendee with only a name;
    names are matched case-insensitively (the first spelling wins) and ``"Unknown"`` is left out.
    """
    if metadata.attendees:
        return [attendee.model_copy() for attendee in metadata.attendees]
    seen: set[str] = set()
    attendees: list[Attendee] = []
    for speaker in transcript.speakers():
        key = _name_key(speaker)
        if speaker == UNKNOWN_SPEAKER or key in seen:
            continue
        seen.add(key)
        attendees.append(Attendee(name=speaker))
    return attendees


def unmatched_speakers(transcript: Transcript, metadata: CallMetadata) -> list[str]:
    """Speakers that match no metadata attendee's name or email (case-insensitively).

    ``"Unknown"`` is never reported. Empty when the metadata lists no attendees, since then
    every speaker is an attendee.
    """
    if not metadata.attendees:
        return []
    known = {_name_key(a.name) for a in metadata.attendees}
    known.update(_name_key(a.email) for a in metadata.attendees if a.email)
    return [
        speaker
        for speaker in transcript.speakers()
        if speaker != UNKNOWN_SPEAKER and _name_key(speaker) not in known
    ]


def _name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


# --- decoding -------------------------------------------------------------------------------


def _where(fmt: TranscriptFormat | None, line: int | None) -> str:
    """The message prefix that says where a problem is: "WebVTT line 14: ", "line 3: " or ""."""
    name = _FORMAT_NAMES[fmt] if fmt is not None else ""
    if line is None:
        return f"{name}: " if name else ""
    return f"{name} line {line}: " if name else f"line {line}: "


def _decode(data: bytes, fmt: TranscriptFormat | None) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return _check_text(data.decode("utf-16"), fmt)
        except UnicodeDecodeError as exc:
            raise TranscriptError(
                f"{_where(fmt, None)}the file starts with a UTF-16 byte-order mark but is not "
                f"valid UTF-16 ({exc.reason} at byte {exc.start}); expected UTF-16 text, "
                "or save it as UTF-8",
                expected="UTF-16 text",
                format=fmt,
            ) from None
    _check_binary(data, fmt)
    body = data[3:] if data.startswith(codecs.BOM_UTF8) else data
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = body.count(b"\n", 0, exc.start) + 1
        column = exc.start - (body.rfind(b"\n", 0, exc.start) + 1) + 1
        raise TranscriptError(
            f"{_where(fmt, line)}the transcript is not UTF-8 text: byte 0x{body[exc.start]:02x} "
            f"at column {column} is not valid UTF-8 (is the file Latin-1 or Windows-1252?); "
            "expected UTF-8 text, so save the file as UTF-8",
            line=line,
            expected="UTF-8 text",
            format=fmt,
        ) from None


def _check_binary(data: bytes, fmt: TranscriptFormat | None) -> None:
    kind = next((name for magic, name in _MAGIC if data.startswith(magic)), None)
    if kind is None:
        sample = data[:8192]
        if b"\x00" in data:
            kind = "binary data (it has NUL bytes; UTF-16 without a byte-order mark also does)"
        elif len(_CONTROL_BYTES.findall(sample)) * 20 > len(sample):
            kind = "binary data (it is mostly control characters)"
    if kind is not None:
        raise TranscriptError(
            f"{_where(fmt, None)}the file is {kind}, not a transcript; expected a WebVTT, SRT, "
            "plain-text or JSON transcript saved as UTF-8",
            expected="a text transcript",
            format=fmt,
        )


def _check_text(text: str, fmt: TranscriptFormat | None) -> str:
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise TranscriptError(
            f"{_where(fmt, line)}the text has a NUL character, so it is binary data or was "
            "decoded with the wrong encoding; expected a WebVTT, SRT, plain-text or JSON "
            "transcript",
            line=line,
            expected="a text transcript",
            format=fmt,
        )
    return text[1:] if text.startswith("\ufeff") else text


# --- shared helpers -------------------------------------------------------------------------


def _quote(found: str) -> str:
    found = found.strip()
    if not found:
        return "an empty line"
    if len(found) > 60:
        found = found[:57] + "..."
    return f'"{found}"'


def _error(fmt: TranscriptFormat, line: int | None, detail: str, expected: str) -> TranscriptError:
    return TranscriptError(f"{_where(fmt, line)}{detail}", line=line, expected=expected, format=fmt)


def _expected_error(
    fmt: TranscriptFormat, line: int, expected: str, found: str, note: str = ""
) -> TranscriptError:
    detail = f"expected {expected}, found {found}"
    return _error(fmt, line, f"{detail} ({note})" if note else detail, expected)


def _looks_like(text: str, fmt: TranscriptFormat) -> str:
    """A hint for when the content is plainly another format than the one being parsed."""
    detected = detect_format(text)
    if detected is fmt or detected is TranscriptFormat.TEXT:
        return ""
    return f"the content looks like {_FORMAT_NAMES[detected]}; read it as {_FORMAT_NAMES[detected]}"


def _clean(raw: str) -> str:
    if "<" in raw:
        raw = _TAG.sub("", raw)
    if "{" in raw:
        raw = _ASS_OVERRIDE.sub("", raw)
    if "&" in raw:
        raw = html.unescape(raw)
    return " ".join(raw.split())


def _cue_times(fmt: TranscriptFormat, lines: list[str], index: int) -> tuple[float, float]:
    """Parse the timing line at ``lines[index]``; raise when it is malformed or runs backwards."""
    match = _TIMING.match(lines[index])
    if match is None:
        raise _expected_error(
            fmt, index + 1, f"a cue timing like {_TIMING_EXAMPLE[fmt]}", _quote(lines[index])
        )
    h1, m1, s1, f1, h2, m2, s2, f2 = match.groups()
    start = (int(h1) * 3600 if h1 else 0) + int(m1) * 60 + int(s1) + int(f1) / 10 ** len(f1)
    end = (int(h2) * 3600 if h2 else 0) + int(m2) * 60 + int(s2) + int(f2) / 10 ** len(f2)
    if end < start:
        raise _error(
            fmt,
            index + 1,
            f"the cue ends before it starts ({_quote(lines[index])}); "
            "expected an end time at or after the start time",
            "an end time at or after the start time",
        )
    return start, end


def _add_cue(
    raw: str,
    start: float,
    end: float,
    line: int,
    pieces: list[_Piece],
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


def _apply_speaker_prefixes(pieces: list[_Piece], unvoiced: list[int]) -> None:
    """Turn Zoom-style ``Name: text`` cue prefixes into speakers, when the file uses them."""
    found: list[tuple[int, str, str]] = []
    for index in unvoiced:
        text = pieces[index][3]
        match = _SPEAKER_PREFIX.match(text)
        if match is not None:
            name = match["name"]
            if name.count(" ") <= _MAX_NAME_SPACES:
                found.append((index, name, text[match.end() :]))
    if not found:
        return
    labelled = len(found) * 2 >= len(unvoiced)
    counts = Counter(name for _, name, _ in found) if not labelled else None
    for index, name, text in found:
        if counts is None or counts[name] >= 2:
            start, end, _, _, line = pieces[index]
            pieces[index] = (start, end, name, text, line)


def _merge(pieces: list[_Piece]) -> list[Utterance]:
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


def _block_end(lines: list[str], index: int) -> int:
    """Index of the first blank line at or after ``index`` (or ``len(lines)``)."""
    count = len(lines)
    while index < count:
        line = lines[index]
        if not line or line.isspace():
            return index
        index += 1
    return index


def _blank(line: str) -> bool:
    return not line or line.isspace()


# --- WebVTT ---------------------------------------------------------------------------------


def _parse_vtt(text: str) -> list[_Piece]:
    fmt = TranscriptFormat.VTT
    lines = text.split("\n")
    count = len(lines)
    i = 0
    while _blank(lines[i]):
        i += 1
    if not _VTT_HEADER.match(lines[i]):
        raise _expected_error(
            fmt,
            i + 1,
            'the header "WEBVTT"',
            _quote(lines[i]),
            _looks_like(text, fmt),
        )
    i += 1
    # The header block may carry metadata lines ("Kind: captions") up to the first blank line.
    while i < count and not _blank(lines[i]) and "-->" not in lines[i]:
        i += 1
    pieces: list[_Piece] = []
    unvoiced: list[int] = []
    while i < count:
        first = lines[i]
        if not first or first.isspace():
            i += 1
            continue
        end_of_block = _block_end(lines, i + 1)
        if _VTT_SKIPPED_BLOCK.match(first):
            i = end_of_block
            continue
        if "-->" in first:
            timing = i
        elif i + 1 < end_of_block and "-->" in lines[i + 1]:
            timing = i + 1
        else:
            raise _bad_timing(fmt, lines, i, end_of_block, bool(pieces))
        start, end = _cue_times(fmt, lines, timing)
        # A line with "-->" ends the cue text and starts the next cue (the WebVTT parsing rules).
        stop = timing + 1
        while stop < end_of_block and "-->" not in lines[stop]:
            stop += 1
        if stop == timing + 2:
            _add_cue(lines[timing + 1], start, end, i + 1, pieces, unvoiced)
        elif stop > timing + 2:
            _add_cue("\n".join(lines[timing + 1 : stop]), start, end, i + 1, pieces, unvoiced)
        i = stop
    _apply_speaker_prefixes(pieces, unvoiced)
    return pieces


def _bad_timing(
    fmt: TranscriptFormat, lines: list[str], first: int, end_of_block: int, after_cue: bool
) -> TranscriptError:
    """The error for a block with no timing line where one was expected."""
    expected = f"a cue timing like {_TIMING_EXAMPLE[fmt]}"
    # Blame the second line when the first is an identifier or the second is the bad timing.
    bad = first
    if first + 1 < end_of_block and (
        _TIMING_ATTEMPT.match(lines[first + 1]) or _SRT_INDEX.match(lines[first])
    ):
        bad = first + 1
    note = ""
    if not _TIMING_ATTEMPT.match(lines[bad]) and after_cue:
        note = "a blank line inside a cue's text ends the cue; remove it"
    return _expected_error(fmt, bad + 1, expected, _quote(lines[bad]), note)


# --- SRT ------------------------------------------------------------------------------------


def _parse_srt(text: str) -> list[_Piece]:
    fmt = TranscriptFormat.SRT
    lines = text.split("\n")
    count = len(lines)
    pieces: list[_Piece] = []
    unvoiced: list[int] = []
    cues = 0
    i = 0
    while i < count:
        first = lines[i]
        if not first or first.isspace():
            i += 1
            continue
        end_of_block = _block_end(lines, i + 1)
        if not _SRT_INDEX.match(first):
            note = ""
            if "-->" in first or _TIMING_ATTEMPT.match(first):
                note = "every cue starts with its number on the line before the timing"
            elif cues:
                note = "a blank line inside a cue's text ends the cue; remove it"
            else:
                note = _looks_like(text, fmt)
            raise _expected_error(
                fmt, i + 1, f'a cue number like "{cues + 1}"', _quote(first), note
            )
        if i + 1 == end_of_block:
            rest = lines[end_of_block:]
            found = "a blank line" if any(not _blank(x) for x in rest) else "the end of the file"
            raise _expected_error(fmt, i + 2, f"a cue timing like {_TIMING_EXAMPLE[fmt]}", found)
        start, end = _cue_times(fmt, lines, i + 1)
        cues += 1
        # A missing blank line between cues: the next cue's number and timing end this one.
        stop = i + 2
        while stop < end_of_block:
            if "-->" in lines[stop]:
                if stop - 1 > i + 1 and _SRT_INDEX.match(lines[stop - 1]):
                    stop -= 1
                break
            stop += 1
        if stop == i + 3:
            _add_cue(lines[i + 2], start, end, i + 1, pieces, unvoiced)
        elif stop > i + 3:
            _add_cue("\n".join(lines[i + 2 : stop]), start, end, i + 1, pieces, unvoiced)
        i = stop
    _apply_speaker_prefixes(pieces, unvoiced)
    return pieces


# --- plain text -----------------------------------------------------------------------------


def _clock_seconds(value: str) -> float | None:
    """Seconds in ``hh:mm:ss`` / ``mm:ss`` (optional fraction), or None when it is not one."""
    match = _CLOCK.match(value)
    if match is None:
        return None
    hours, minutes, seconds, fraction = match.groups()
    if hours is not None and int(minutes) > 59:
        return None
    total = (int(hours) * 3600 if hours else 0) + int(minutes) * 60 + int(seconds)
    return total + int(fraction) / 10 ** len(fraction) if fraction else float(total)


def _parse_text(text: str) -> list[_Piece]:
    fmt = TranscriptFormat.TEXT
    hint = _looks_like(text, fmt)
    lines = text.split("\n")
    if hint:
        first = next(n for n, line in enumerate(lines) if not _blank(line))
        raise _expected_error(fmt, first + 1, '"Speaker: text" lines', _quote(lines[first]), hint)
    pieces: list[_Piece] = []
    speaker: str | None = None
    parts: list[str] = []
    start: float | None = None
    line_no = 0
    spoken = False
    for number, line in enumerate(lines, 1):
        if ":" in line:
            match = _TEXT_LINE.match(line)
            if match is not None and match["name"].count(" ") <= _MAX_NAME_SPACES:
                if parts:
                    pieces.append((start, None, speaker, " ".join(parts), line_no))
                spoken = True
                speaker = " ".join(match["name"].split())
                stamp = match["before"] or match["after"]
                start = _clock_seconds(stamp) if stamp else None
                if stamp and start is None:
                    raise _expected_error(
                        fmt, number, 'a time like "[01:02:03]" or "[02:03]"', _quote(stamp)
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
        first = next(n for n, line in enumerate(lines) if not _blank(line))
        raise _expected_error(
            fmt,
            first + 1,
            'lines like "Alice: text" or "[00:01:02] Alice: text"',
            _quote(lines[first]),
            "no line in the file names a speaker",
        )
    return pieces


# --- JSON -----------------------------------------------------------------------------------


def _json_kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the string {_quote(value)}" if value.strip() else "an empty string"
    if isinstance(value, list):
        return "a list"
    return "an object"


def _parse_json(text: str) -> list[_Piece]:
    fmt = TranscriptFormat.JSON
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        hint = _looks_like(text, fmt)
        raise _error(
            fmt,
            exc.lineno,
            f"expected valid JSON at column {exc.colno} ({exc.msg})"
            + (f"; {hint}" if hint else ""),
            "valid JSON",
        ) from None
    key, items = _json_items(document)
    offsets = _json_offsets(text, key, len(items))
    lines: list[int] = []
    if offsets is not None:
        line, previous = 1, 0
        for offset in offsets:
            line += text.count("\n", previous, offset)
            previous = offset
            lines.append(line)
    pieces: list[_Piece] = []
    for index, item in enumerate(items):
        line_no = lines[index] if lines else None
        pieces.append(_json_piece(item, index, line_no))
    return pieces


def _json_items(document: Any) -> tuple[str | None, list[Any]]:
    """The list of utterances in a JSON document, and the key it sits under (None at the top)."""
    fmt = TranscriptFormat.JSON
    expected = 'a list of utterances, or an object with an "utterances" list'
    if isinstance(document, list):
        return None, document
    if isinstance(document, dict):
        for key in _JSON_LIST_KEYS:
            if key in document:
                value = document[key]
                if isinstance(value, list):
                    return key, value
                raise _error(
                    fmt,
                    None,
                    f'"{key}" is {_json_kind(value)}; expected a list of utterances',
                    "a list of utterances",
                )
        keys = ", ".join(f'"{k}"' for k in list(document)[:6]) or "no keys"
        raise _error(fmt, 1, f"expected {expected}, found an object with {keys}", expected)
    raise _error(fmt, 1, f"expected {expected}, found {_json_kind(document)}", expected)


def _json_offsets(text: str, key: str | None, count: int) -> list[int] | None:
    """Character offsets of each utterance in the source, or None if they cannot be found.

    `json.loads` keeps no positions, so this walks the document to the list with the C
    decoder's ``raw_decode``, which reports where each value ends.
    """
    skip = _skip_json_space
    decode = _JSON_DECODER.raw_decode
    offsets: list[int] = []
    try:
        i = skip(text, 0)
        if key is not None:
            if text[i] != "{":
                return None
            i = skip(text, i + 1)
            while True:
                name, i = decode(text, i)
                i = skip(text, i)
                if text[i] != ":":
                    return None
                i = skip(text, i + 1)
                if name == key:
                    break
                _, i = decode(text, i)
                i = skip(text, i)
                if text[i] != ",":
                    return None
                i = skip(text, i + 1)
        if text[i] != "[":
            return None
        i = skip(text, i + 1)
        while text[i] != "]":
            offsets.append(i)
            _, i = decode(text, i)
            i = skip(text, i)
            if text[i] == ",":
                i = skip(text, i + 1)
            elif text[i] != "]":
                return None
    except (ValueError, IndexError):
        return None
    return offsets if len(offsets) == count else None


def _skip_json_space(text: str, index: int) -> int:
    match = _JSON_WS.match(text, index)
    return match.end() if match is not None else index


def _json_field(item: dict[str, Any], keys: tuple[str, ...]) -> tuple[str | None, Any]:
    for key in keys:
        if key in item:
            return key, item[key]
    return None, None


def _json_piece(item: Any, index: int, line: int | None) -> _Piece:
    fmt = TranscriptFormat.JSON
    where = f"utterance {index}"

    def fail(detail: str, expected: str) -> TranscriptError:
        return _error(fmt, line, f"{where}: {detail}", expected)

    if not isinstance(item, dict):
        raise fail(
            f'expected an object like {{"speaker": "Alice", "text": "..."}}, '
            f"found {_json_kind(item)}",
            "an utterance object",
        )
    key, speaker = _json_field(item, _JSON_SPEAKER_KEYS)
    if key is None:
        raise fail(
            'missing "speaker" (expected one of "speaker", "speaker_name", "name")',
            'a "speaker" field',
        )
    if speaker is not None and not isinstance(speaker, str):
        raise fail(f'"{key}" is {_json_kind(speaker)}; expected a string or null', "a speaker name")
    key, said = _json_field(item, _JSON_TEXT_KEYS)
    if key is None:
        raise fail(
            'missing "text" (expected one of "text", "content", "sentence")', 'a "text" field'
        )
    if not isinstance(said, str):
        raise fail(f'"{key}" is {_json_kind(said)}; expected a string', "a text string")
    start = _json_time(item, _JSON_START_KEYS, fail)
    end = _json_time(item, _JSON_END_KEYS, fail)
    if start is not None and end is not None and end < start:
        raise fail(
            f"it ends ({end:g} s) before it starts ({start:g} s); "
            "expected an end time at or after the start time",
            "an end time at or after the start time",
        )
    name = " ".join(speaker.split()) if speaker else ""
    return (start, end, name or None, " ".join(said.split()), line or 0)


def _json_time(
    item: dict[str, Any], keys: tuple[str, ...], fail: Callable[[str, str], TranscriptError]
) -> float | None:
    key, value = _json_field(item, keys)
    if value is None:
        return None
    expected = 'seconds as a number, or a "hh:mm:ss" or "mm:ss" string'
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str):
        parsed = _clock_seconds(value)
        if parsed is None:
            raise fail(f'"{key}" is {_json_kind(value)}; expected {expected}', expected)
        seconds = parsed
    else:
        raise fail(f'"{key}" is {_json_kind(value)}; expected {expected}', expected)
    if not math.isfinite(seconds) or seconds < 0:
        raise fail(f'"{key}" is {_json_kind(value)}; expected {expected}, 0 or more', expected)
    return seconds
