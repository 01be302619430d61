"""A transcript file's bytes as text: UTF-8 (with or without a byte-order mark) or UTF-16.

Binary files (images, documents, audio) and text in another encoding are refused with a
message that says what the file looks like and how to save it instead.
"""

from __future__ import annotations

import codecs
import re
from typing import Final

from cs_agent.core.domain import TranscriptFormat
from cs_agent.core.text import first_unstorable, unstorable
from cs_agent.core.transcripts.errors import TranscriptError, location_prefix

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


def _decode(data: bytes, fmt: TranscriptFormat | None) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return _check_text(data.decode("utf-16"), fmt)
        except UnicodeDecodeError as exc:
            raise TranscriptError(
                f"{location_prefix(fmt, None)}the file starts with a UTF-16 byte-order mark "
                f"but is not valid UTF-16 ({exc.reason} at byte {exc.start}); expected UTF-16 "
                "text, or save it as UTF-8",
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
            f"{location_prefix(fmt, line)}the transcript is not UTF-8 text: "
            f"byte 0x{body[exc.start]:02x} at column {column} is not valid UTF-8 "
            "(is the file Latin-1 or Windows-1252?); "
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
            f"{location_prefix(fmt, None)}the file is {kind}, not a transcript; "
            "expected a WebVTT, SRT, plain-text or JSON transcript saved as UTF-8",
            expected="a text transcript",
            format=fmt,
        )


def _check_text(text: str, fmt: TranscriptFormat | None) -> str:
    index = first_unstorable(text)
    if index is not None:
        line = text.count("\n", 0, index) + 1
        raise TranscriptError(
            f"{location_prefix(fmt, line)}the text has {unstorable(text[index])}, so it is "
            "binary data or was decoded with the wrong encoding; expected a WebVTT, SRT, "
            "plain-text or JSON transcript",
            line=line,
            expected="a text transcript",
            format=fmt,
        )
    return text[1:] if text.startswith("\ufeff") else text
