"""JSON transcripts: a list of utterance objects, or an object holding one.

The list may sit under ``utterances``, ``segments``, ``transcript`` or ``meeting_transcripts``
(QMSum). Fields, first match wins: speaker (``speaker``, ``speaker_name``, ``name``; ``null`` or
``""`` means unknown), text (``text``, ``content``, ``sentence``), start (``start``,
``start_time``, ``startTime``) and end (``end``, ``end_time``, ``endTime``). Times are seconds,
or ``"hh:mm:ss"`` / ``"mm:ss"`` strings. Each utterance's line is that of its opening brace.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import Any, Final

from cs_agent.core.domain import TranscriptFormat
from cs_agent.core.text import unstorable
from cs_agent.core.transcripts.common import Piece, clock_seconds
from cs_agent.core.transcripts.detect import other_format_hint
from cs_agent.core.transcripts.errors import TranscriptError, error_at, quoted

_JSON_WS = re.compile(r"[ \t\n\r]*")
_JSON_DECODER = json.JSONDecoder()
_JSON_LIST_KEYS: Final = ("utterances", "segments", "transcript", "meeting_transcripts")
_JSON_SPEAKER_KEYS: Final = ("speaker", "speaker_name", "name")
_JSON_TEXT_KEYS: Final = ("text", "content", "sentence")
_JSON_START_KEYS: Final = ("start", "start_time", "startTime")
_JSON_END_KEYS: Final = ("end", "end_time", "endTime")


def _json_kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the string {quoted(value)}" if value.strip() else "an empty string"
    if isinstance(value, list):
        return "a list"
    return "an object"


def parse_json_utterances(text: str) -> list[Piece]:
    """The pieces of a JSON transcript: one an utterance object."""
    fmt = TranscriptFormat.JSON
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        hint = other_format_hint(text, fmt)
        raise error_at(
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
    pieces: list[Piece] = []
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
                raise error_at(
                    fmt,
                    None,
                    f'"{key}" is {_json_kind(value)}; expected a list of utterances',
                    "a list of utterances",
                )
        keys = ", ".join(f'"{k}"' for k in list(document)[:6]) or "no keys"
        raise error_at(fmt, 1, f"expected {expected}, found an object with {keys}", expected)
    raise error_at(fmt, 1, f"expected {expected}, found {_json_kind(document)}", expected)


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


def _json_piece(item: Any, index: int, line: int | None) -> Piece:
    fmt = TranscriptFormat.JSON
    where = f"utterance {index}"

    def fail(detail: str, expected: str) -> TranscriptError:
        return error_at(fmt, line, f"{where}: {detail}", expected)

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
    for field, value in (("speaker", speaker), ("text", said)):
        bad = unstorable(value) if isinstance(value, str) else None
        if bad is not None:
            raise fail(f"the {field} has {bad}; expected plain text", "plain text")
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
        parsed = clock_seconds(value)
        if parsed is None:
            raise fail(f'"{key}" is {_json_kind(value)}; expected {expected}', expected)
        seconds = parsed
    else:
        raise fail(f'"{key}" is {_json_kind(value)}; expected {expected}', expected)
    if not math.isfinite(seconds) or seconds < 0:
        raise fail(f'"{key}" is {_json_kind(value)}; expected {expected}, 0 or more', expected)
    return seconds
