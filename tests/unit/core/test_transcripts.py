"""Tests for the transcript parsers: good input, malformed input, decoding, detection."""

from __future__ import annotations

import codecs
import json
import pickle
import random
from pathlib import Path

import pytest

from cs_agent.core.domain import (
    Attendee,
    CallMetadata,
    Side,
    Transcript,
    TranscriptFormat,
    Utterance,
)
from cs_agent.core.transcripts import (
    UNKNOWN_SPEAKER,
    TranscriptError,
    attendees_from,
    detect_format,
    format_for_filename,
    parse_transcript,
    read_transcript,
    unmatched_speakers,
)

from ...conftest import REPO_ROOT

FIXTURES = REPO_ROOT / "tests" / "fixtures" / "transcripts"
ZOOM_TRANSCRIPT = FIXTURES / "GMT20240124-202901_Recording.transcript.vtt"
ZOOM_CAPTIONS = FIXTURES / "GMT20240124-202901_Recording.cc.vtt"
QMSUM_MEETING = FIXTURES / "ES2004a.json"

VTT = TranscriptFormat.VTT
SRT = TranscriptFormat.SRT
TEXT = TranscriptFormat.TEXT
JSON = TranscriptFormat.JSON


def rows(transcript: Transcript) -> list[tuple[str, str, float | None, float | None, int]]:
    """Each utterance as (speaker, text, start, end, line), for compact assertions."""
    return [(u.speaker, u.text, u.start, u.end, u.line) for u in transcript.utterances]


def parse_error(data: bytes | str, fmt: TranscriptFormat | None = None) -> TranscriptError:
    with pytest.raises(TranscriptError) as info:
        parse_transcript(data, format=fmt)
    return info.value


# --- WebVTT ---------------------------------------------------------------------------------


def test_vtt_voice_tags_classes_closing_tags_and_merging() -> None:
    text = (
        "WEBVTT - a call\n"
        "Kind: captions\n"
        "\n"
        "NOTE this block is a comment\n"
        "that spans two lines\n"
        "\n"
        "STYLE\n"
        "::cue { color: yellow }\n"
        "\n"
        "REGION\n"
        "id:fred width:40%\n"
        "\n"
        "1\n"
        "00:00:01.000 --> 00:00:04.000 align:start position:10%\n"
        "<v Esme Smith>Hello, this is Esme.</v>\n"
        "\n"
        "intro-2\n"
        "00:00:04.500 --> 00:00:06.000\n"
        "<v.loud Esme Smith>Can you hear me?\n"
        "\n"
        "00:00:06.000 --> 00:00:09.250\n"
        "<v.first.loud Bob>Yes, <b>loud</b> and <i>clear</i>.</v>\n"
        "\n"
        "00:10.000 --> 00:12.500\n"
        "<v Esme Smith>Great &amp; <c.yellow>thanks</c> &lt;3</v>\n"
    )
    transcript = parse_transcript(text)
    assert transcript.format is VTT
    assert rows(transcript) == [
        ("Esme Smith", "Hello, this is Esme. Can you hear me?", 1.0, 6.0, 13),
        ("Bob", "Yes, loud and clear.", 6.0, 9.25, 21),
        ("Esme Smith", "Great & thanks <3", 10.0, 12.5, 24),
    ]


def test_vtt_zoom_name_prefix_cues_merge_by_speaker() -> None:
    text = (
        "WEBVTT\n\n"
        "1\n00:00:00.050 --> 00:00:01.790\nAlice Jones: Hi!\n\n"
        "2\n00:00:02.070 --> 00:00:04.050\nAlice Jones: Shall we start?\n\n"
        "3\n00:00:05.140 --> 00:00:08.310\nBob: Sure: the agenda first.\n\n"
        "4\n00:00:09.000 --> 00:00:10.000\nMm-hmm.\n\n"
        "5\n00:00:10.000 --> 00:00:11.000\nBob: Then pricing.\n"
    )
    assert rows(parse_transcript(text)) == [
        ("Alice Jones", "Hi! Shall we start?", 0.05, 4.05, 3),
        ("Bob", "Sure: the agenda first.", 5.14, 8.31, 11),
        (UNKNOWN_SPEAKER, "Mm-hmm.", 9.0, 10.0, 15),
        ("Bob", "Then pricing.", 10.0, 11.0, 19),
    ]


def test_vtt_without_speakers_gives_one_unknown_utterance_per_cue() -> None:
    text = (
        "WEBVTT\n\n"
        "00:00:01.000 --> 00:00:02.000\nfirst caption\n\n"
        "00:00:02.000 --> 00:00:03.000\nsecond <00:00:02.500>caption\n\n"
        "00:00:03.000 --> 00:00:04.000\nNote: a colon does not make a speaker\n"
    )
    assert rows(parse_transcript(text)) == [
        (UNKNOWN_SPEAKER, "first caption", 1.0, 2.0, 3),
        (UNKNOWN_SPEAKER, "second caption", 2.0, 3.0, 6),
        (UNKNOWN_SPEAKER, "Note: a colon does not make a speaker", 3.0, 4.0, 9),
    ]


def test_vtt_speaker_prefix_used_by_a_minority_counts_when_the_name_recurs() -> None:
    cues = [
        "MARTA: Welcome back.",
        "Today we look at renewals.",
        "And the pricing change.",
        "TOM: Thanks, Marta.",
        "MARTA: Let's go.",
        "First the numbers.",
        "They went up.",
        "TOM: Wow.",
        "Agenda: renewals",
        "That is all.",
        "Bye.",
    ]
    body = "".join(
        f"00:00:{i:02d}.000 --> 00:00:{i + 1:02d}.000\n{cue}\n\n" for i, cue in enumerate(cues)
    )
    transcript = parse_transcript("WEBVTT\n\n" + body)
    unknown = UNKNOWN_SPEAKER
    assert [u.speaker for u in transcript.utterances] == (
        ["MARTA", unknown, unknown, "TOM", "MARTA", unknown, unknown, "TOM"] + [unknown] * 3
    )
    assert transcript.utterances[8].text == "Agenda: renewals"


def test_vtt_cue_with_two_voices_and_multiline_text() -> None:
    text = (
        "WEBVTT\n\n"
        "00:01:00.000 --> 00:01:03.000\n"
        "<v Ana>So the export\n"
        "is broken again?</v>\n"
        "<v Raj>Yes, since Monday.</v>\n"
    )
    assert rows(parse_transcript(text)) == [
        ("Ana", "So the export is broken again?", 60.0, 63.0, 3),
        ("Raj", "Yes, since Monday.", 60.0, 63.0, 3),
    ]


def test_vtt_line_with_arrow_starts_a_new_cue_even_without_a_blank_line() -> None:
    text = (
        "WEBVTT\n\n"
        "00:00:01.000 --> 00:00:02.000\n<v A>one\n"
        "00:00:02.000 --> 00:00:03.000\n<v B>two\n"
    )
    assert rows(parse_transcript(text)) == [
        ("A", "one", 1.0, 2.0, 3),
        ("B", "two", 2.0, 3.0, 5),
    ]


def test_vtt_hour_timings_crlf_and_out_of_order_cues_are_accepted() -> None:
    text = (
        "WEBVTT\r\n\r\n"
        "00:00:10.000 --> 00:00:12.000\r\n<v A>later\r\n\r\n"
        "00:00:05.000 --> 00:00:06.000\r\n<v B>earlier\r\n\r\n"
        "01:02:03.456 --> 01:02:04.000\r\n<v A>an hour in\r\n"
    )
    assert rows(parse_transcript(text)) == [
        ("A", "later", 10.0, 12.0, 3),
        ("B", "earlier", 5.0, 6.0, 6),
        ("A", "an hour in", 3723.456, 3724.0, 9),
    ]


@pytest.mark.parametrize(
    ("text", "line", "expected", "found"),
    [
        pytest.param(
            "00:00:01.000 --> 00:00:02.000\nhi\n",
            1,
            'the header "WEBVTT"',
            '"00:00:01.000 --> 00:00:02.000"',
            id="no-header",
        ),
        pytest.param(
            "WEBVTTX\n\n00:00:01.000 --> 00:00:02.000\nhi\n",
            1,
            'the header "WEBVTT"',
            '"WEBVTTX"',
            id="header-typo",
        ),
        pytest.param(
            "WEBVTT\n\n14\n00:01:02 -> 00:01:05\nhi\n",
            4,
            'a cue timing like "00:01:02.000 --> 00:01:05.000"',
            '"00:01:02 -> 00:01:05"',
            id="bad-timing-after-identifier",
        ),
        pytest.param(
            "WEBVTT\n\n00:01:02.000 --> 00:01:05\nhi\n",
            3,
            'a cue timing like "00:01:02.000 --> 00:01:05.000"',
            '"00:01:02.000 --> 00:01:05"',
            id="bad-end-stamp",
        ),
        pytest.param(
            "WEBVTT\n\n00:75:00.000 --> 00:76:00.000\nhi\n",
            3,
            'a cue timing like "00:01:02.000 --> 00:01:05.000"',
            '"00:75:00.000 --> 00:76:00.000"',
            id="minutes-over-59",
        ),
        pytest.param(
            "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v A>hi\n\nthere\n",
            6,
            'a cue timing like "00:01:02.000 --> 00:01:05.000"',
            '"there"',
            id="blank-line-inside-cue",
        ),
    ],
)
def test_vtt_malformed(text: str, line: int, expected: str, found: str) -> None:
    error = parse_error(text, VTT)
    assert error.line == line
    assert error.expected == expected
    assert error.format is VTT
    assert str(error).startswith(f"WebVTT line {line}: expected {expected}, found {found}")


def test_vtt_bad_timing_message_is_exactly_what_a_person_reads() -> None:
    error = parse_error("WEBVTT\n\n14\n00:01:02 -> 00:01:05\nhi\n")
    assert str(error) == (
        'WebVTT line 4: expected a cue timing like "00:01:02.000 --> 00:01:05.000", '
        'found "00:01:02 -> 00:01:05"'
    )


def test_vtt_blank_line_inside_cue_says_why() -> None:
    error = parse_error("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v A>hi\n\nthere\n")
    assert "a blank line inside a cue's text ends the cue" in str(error)


def test_vtt_header_error_hints_at_the_real_format() -> None:
    error = parse_error("1\n00:00:01,000 --> 00:00:02,000\nhi\n", VTT)
    assert error.line == 1
    assert "the content looks like SRT" in str(error)


def test_vtt_end_before_start_names_the_timing_line() -> None:
    error = parse_error("WEBVTT\n\n1\n00:00:05.000 --> 00:00:03.000\n<v A>hi\n")
    assert error.line == 4
    assert error.expected == "an end time at or after the start time"
    assert str(error) == (
        'WebVTT line 4: the cue ends before it starts ("00:00:05.000 --> 00:00:03.000"); '
        "expected an end time at or after the start time"
    )


def test_vtt_with_no_cue_text_is_an_error() -> None:
    error = parse_error("WEBVTT\n\nNOTE nothing here\n\n00:00:01.000 --> 00:00:02.000\n")
    assert error.line is None
    assert str(error).startswith("WebVTT: the transcript has no utterances")


# --- SRT ------------------------------------------------------------------------------------


def test_srt_multiline_tags_and_speaker_prefixes() -> None:
    text = (
        "1\n"
        "00:00:01,000 --> 00:00:03,500\n"
        "Alice: Thanks for joining.\n"
        "<i>Let's start</i> with renewals.\n"
        "\n"
        "2\n"
        "00:00:03,600 --> 00:00:05,000 X1:100 X2:200 Y1:10 Y2:20\n"
        "{\\an8}Alice: The contract ends in June.\n"
        "\n"
        "3\n"
        "00:00:05,100 --> 00:00:07,000\n"
        'Bob: Right, &amp; we want <font color="red">more seats</font>.\n'
        "\n\n"
    )
    transcript = parse_transcript(text)
    assert transcript.format is SRT
    assert rows(transcript) == [
        (
            "Alice",
            "Thanks for joining. Let's start with renewals. The contract ends in June.",
            1.0,
            5.0,
            1,
        ),
        ("Bob", "Right, & we want more seats.", 5.1, 7.0, 10),
    ]


def test_srt_dialogue_dashes_do_not_make_a_speaker() -> None:
    text = "1\n00:00:01,000 --> 00:00:02,000\n- Alice: hi\n- Bob: yo\n"
    assert rows(parse_transcript(text)) == [(UNKNOWN_SPEAKER, "- Alice: hi - Bob: yo", 1.0, 2.0, 1)]


def test_srt_without_speakers_and_without_blank_line_between_cues() -> None:
    text = (
        "1\n00:00:01,000 --> 00:00:02,000\nfirst\n"
        "2\n00:00:02,000 --> 00:00:03,000\nsecond\n\n"
        "3\n1:00:00,5 --> 1:00:01,25\nthird\n"
    )
    assert rows(parse_transcript(text)) == [
        (UNKNOWN_SPEAKER, "first", 1.0, 2.0, 1),
        (UNKNOWN_SPEAKER, "second", 2.0, 3.0, 4),
        (UNKNOWN_SPEAKER, "third", 3600.5, 3601.25, 8),
    ]


@pytest.mark.parametrize(
    ("text", "line", "expected", "found"),
    [
        pytest.param(
            "1\n00:00:01,000 --> 00:00:02,000\nhi\n\n00:00:03,000 --> 00:00:04,000\nthere\n",
            5,
            'a cue number like "2"',
            '"00:00:03,000 --> 00:00:04,000"',
            id="missing-index",
        ),
        pytest.param(
            "1\nhello there\n",
            2,
            'a cue timing like "00:01:02,000 --> 00:01:05,000"',
            '"hello there"',
            id="missing-timing",
        ),
        pytest.param(
            "1\n00:00:01,000 --> 00:00:02,000\nhi\n\n2\n",
            6,
            'a cue timing like "00:01:02,000 --> 00:01:05,000"',
            "the end of the file",
            id="index-at-end-of-file",
        ),
        pytest.param(
            "1\n00:00:01.000 -> 00:00:02.000\nhi\n",
            2,
            'a cue timing like "00:01:02,000 --> 00:01:05,000"',
            '"00:00:01.000 -> 00:00:02.000"',
            id="bad-timing",
        ),
        pytest.param(
            "1\n00:00:01,000 --> 00:00:02,000\nhi\n\nthere\n",
            5,
            'a cue number like "2"',
            '"there"',
            id="blank-line-inside-cue",
        ),
    ],
)
def test_srt_malformed(text: str, line: int, expected: str, found: str) -> None:
    error = parse_error(text, SRT)
    assert error.line == line
    assert error.expected == expected
    assert str(error).startswith(f"SRT line {line}: expected {expected}, found {found}")


def test_srt_end_before_start() -> None:
    error = parse_error("1\n00:00:09,000 --> 00:00:02,000\nhi\n")
    assert error.line == 2
    assert error.expected == "an end time at or after the start time"
    assert str(error).startswith("SRT line 2: the cue ends before it starts")


# --- plain text -----------------------------------------------------------------------------


def test_text_speaker_lines_continuations_and_merging() -> None:
    text = (
        "Acme renewal call\n"
        "\n"
        "Alice Smith: Thanks for joining.\n"
        "We have thirty minutes.\n"
        "Alice Smith: First item: pricing.\n"
        "\n"
        "Bob: Sounds good.\n"
        "   Let me share my screen.\n"
        "Alice Smith:\n"
        "Go ahead.\n"
    )
    transcript = parse_transcript(text)
    assert transcript.format is TEXT
    assert rows(transcript) == [
        (UNKNOWN_SPEAKER, "Acme renewal call", None, None, 1),
        (
            "Alice Smith",
            "Thanks for joining. We have thirty minutes. First item: pricing.",
            None,
            None,
            3,
        ),
        ("Bob", "Sounds good. Let me share my screen.", None, None, 7),
        ("Alice Smith", "Go ahead.", None, None, 9),
    ]


@pytest.mark.parametrize(
    ("line", "start"),
    [
        ("[01:02:03] Alice: hello", 3723.0),
        ("[02:03] Alice: hello", 123.0),
        ("(02:03) Alice: hello", 123.0),
        ("(01:02:03) Alice: hello", 3723.0),
        ("Alice [01:02:03]: hello", 3723.0),
        ("Alice (02:03): hello", 123.0),
        ("Alice [00:00:02.500]: hello", 2.5),
        ("Alice: hello", None),
    ],
)
def test_text_timestamps_before_or_after_the_name(line: str, start: float | None) -> None:
    transcript = parse_transcript(f"{line}\nBob: hi\n", format=TEXT)
    assert rows(transcript)[0] == ("Alice", "hello", start, None, 1)


def test_text_without_any_speaker_line_is_an_error() -> None:
    error = parse_error("just some notes\nabout the call\n", TEXT)
    assert error.line == 1
    assert error.expected == 'lines like "Alice: text" or "[00:01:02] Alice: text"'
    assert "no line in the file names a speaker" in str(error)
    assert str(error).startswith("Plain-text transcript line 1:")


def test_text_holding_webvtt_says_so_instead_of_parsing_garbage() -> None:
    error = parse_error("\nWEBVTT\n\n00:00:01.000 --> 00:00:02.000\nA: hi\n", TEXT)
    assert error.line == 2
    assert "the content looks like WebVTT" in str(error)


# --- JSON -----------------------------------------------------------------------------------


def test_json_list_with_numbers_strings_and_lines() -> None:
    text = json.dumps(
        [
            {"speaker": "Alice", "text": "Hello there.", "start": 1.5, "end": 3},
            {"speaker": "Alice", "text": "  Welcome.  ", "start": "00:00:04", "end": "00:05.5"},
            {"speaker": "Bob", "text": "Hi.", "start": "1:02:03.25"},
            {"speaker": None, "text": "[crosstalk]"},
            {"speaker": "", "text": "(inaudible)"},
            {"speaker": "Bob", "text": ""},
        ],
        indent=2,
    )
    transcript = parse_transcript(text)
    assert transcript.format is JSON
    assert rows(transcript) == [
        ("Alice", "Hello there. Welcome.", 1.5, 5.5, 2),
        ("Bob", "Hi.", 3723.25, None, 14),
        (UNKNOWN_SPEAKER, "[crosstalk]", None, None, 19),
        (UNKNOWN_SPEAKER, "(inaudible)", None, None, 23),
    ]


@pytest.mark.parametrize(
    "document",
    [
        {"utterances": [{"speaker_name": "Ann", "sentence": "Yes.", "start_time": 2}]},
        {"meta": {"id": 1}, "segments": [{"name": "Ann", "content": "Yes.", "startTime": 2}]},
        {"transcript": [{"speaker": "Ann", "text": "Yes.", "start": "00:02"}]},
    ],
    ids=["utterances-key", "segments-key-after-other-keys", "transcript-key"],
)
def test_json_wrapped_lists_and_field_aliases(document: dict[str, object]) -> None:
    transcript = parse_transcript(json.dumps(document))
    assert rows(transcript) == [("Ann", "Yes.", 2.0, None, 1)]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        pytest.param(
            '[\n  {"speaker": "A", "text": "x"},\n  {"speaker": "B" "text": "y"}\n]',
            3,
            "JSON line 3: expected valid JSON at column 19 (Expecting ',' delimiter)",
            id="syntax",
        ),
        pytest.param(
            '[\n{"speaker": "A", "text": "x"},\n{"speaker": "B", "txt": "y"}\n]',
            3,
            'JSON line 3: utterance 1: missing "text" '
            '(expected one of "text", "content", "sentence")',
            id="missing-text",
        ),
        pytest.param(
            '{"utterances": [\n{"who": "B", "text": "y"}]}',
            2,
            'JSON line 2: utterance 0: missing "speaker" '
            '(expected one of "speaker", "speaker_name", "name")',
            id="missing-speaker",
        ),
        pytest.param(
            '[{"speaker": "A", "text": 42}]',
            1,
            'JSON line 1: utterance 0: "text" is the number 42; expected a string',
            id="text-number",
        ),
        pytest.param(
            '[{"speaker": ["A"], "text": "x"}]',
            1,
            'JSON line 1: utterance 0: "speaker" is a list; expected a string or null',
            id="speaker-list",
        ),
        pytest.param(
            '[{"speaker": "A", "text": "x", "start": "soon"}]',
            1,
            'JSON line 1: utterance 0: "start" is the string "soon"; expected seconds as a '
            'number, or a "hh:mm:ss" or "mm:ss" string',
            id="start-string",
        ),
        pytest.param(
            '[{"speaker": "A", "text": "x", "start": true}]',
            1,
            'JSON line 1: utterance 0: "start" is true; expected seconds',
            id="start-bool",
        ),
        pytest.param(
            '[{"speaker": "A", "text": "x", "start": -1}]',
            1,
            'JSON line 1: utterance 0: "start" is the number -1; expected seconds',
            id="start-negative",
        ),
        pytest.param(
            '[{"speaker": "A", "text": "x", "start": 9, "end": 2}]',
            1,
            "JSON line 1: utterance 0: it ends (2 s) before it starts (9 s); "
            "expected an end time at or after the start time",
            id="end-before-start",
        ),
        pytest.param(
            '["hello"]',
            1,
            'JSON line 1: utterance 0: expected an object like {"speaker": "Alice", '
            '"text": "..."}, found the string "hello"',
            id="item-not-object",
        ),
        pytest.param(
            '{"title": "call", "text": "hello"}',
            1,
            'JSON line 1: expected a list of utterances, or an object with an "utterances" '
            'list, found an object with "title", "text"',
            id="object-without-list",
        ),
    ],
)
def test_json_malformed(text: str, line: int, message: str) -> None:
    error = parse_error(text, JSON)
    assert error.line == line
    assert str(error).startswith(message)
    assert error.expected


def test_json_wrapped_value_that_is_not_a_list() -> None:
    error = parse_error('{"utterances": "Alice: hi"}')
    assert str(error) == (
        'JSON: "utterances" is the string "Alice: hi"; expected a list of utterances'
    )


@pytest.mark.parametrize("text", ["[]", '{"utterances": []}', '[{"speaker": "A", "text": " "}]'])
def test_json_with_no_utterances_is_an_error(text: str) -> None:
    error = parse_error(text)
    assert str(error).startswith("JSON: the transcript has no utterances")


def test_json_error_for_non_json_content_hints_at_the_format() -> None:
    error = parse_error("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nhi\n", JSON)
    assert error.line == 1
    assert "the content looks like WebVTT" in str(error)


# --- decoding -------------------------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"   \n\t\r\n", "", "  \n ", codecs.BOM_UTF8 + b"\n  "])
def test_empty_or_whitespace_only(data: bytes | str) -> None:
    error = parse_error(data)
    assert str(error).startswith("the transcript is empty")
    assert error.line is None


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00", "a PNG image"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "a PDF document"),
        (b"Alice: hi\x00\x00\x00\x01", "binary data (it has NUL bytes"),
        (bytes(range(1, 32)) * 10, "binary data (it is mostly control characters)"),
    ],
)
def test_binary_data_is_refused(data: bytes, kind: str) -> None:
    error = parse_error(data)
    assert f"the file is {kind}" in str(error)
    assert error.expected == "a text transcript"


def test_nul_in_a_str_is_refused() -> None:
    error = parse_error("Alice: hi\nBob: \x00")
    assert error.line == 2
    assert "NUL character" in str(error)


def test_latin1_bytes_name_the_line_and_byte() -> None:
    error = parse_error(b"Alice: hello\nBob: caf\xe9 later\n")
    assert error.line == 2
    assert error.expected == "UTF-8 text"
    assert str(error).startswith(
        "line 2: the transcript is not UTF-8 text: byte 0xe9 at column 9 is not valid UTF-8"
    )


def test_latin1_error_names_the_format_when_known() -> None:
    assert str(parse_error(b"caf\xe9", TEXT)).startswith("Plain-text transcript line 1:")


def test_utf8_bom_is_stripped() -> None:
    data = codecs.BOM_UTF8 + "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v Zoë>Café\n".encode()
    transcript = parse_transcript(data)
    assert transcript.format is VTT
    assert rows(transcript) == [("Zoë", "Café", 1.0, 2.0, 3)]


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_with_bom(codec: str) -> None:
    bom = codecs.BOM_UTF16_LE if codec.endswith("le") else codecs.BOM_UTF16_BE
    data = bom + "1\n00:00:01,000 --> 00:00:02,000\nZoë: ça va\n".encode(codec)
    transcript = parse_transcript(data)
    assert transcript.format is SRT
    assert rows(transcript) == [("Zoë", "ça va", 1.0, 2.0, 1)]


def test_utf16_with_bom_but_broken_body() -> None:
    error = parse_error(codecs.BOM_UTF16_LE + b"A\x00:\x00 ")
    assert "not valid UTF-16" in str(error)


def test_str_input_with_bom() -> None:
    assert parse_transcript("\ufeffAlice: hi").utterances[0].speaker == "Alice"


# --- detection ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "fmt"),
    [
        ("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nhi\n", VTT),
        ("\n\nWEBVTT - with title\n", VTT),
        ("00:00:01.000 --> 00:00:02.000\nhi\n", VTT),
        ("1\n00:00:01,000 --> 00:00:02,000\nhi\n", SRT),
        ("00:00:01,000 --> 00:00:02,000\nhi\n", SRT),
        ('[{"speaker": "A", "text": "x"}]', JSON),
        ('  {"utterances": []}', JSON),
        ("[]", JSON),
        ("[00:00:01] Alice: hi\n", TEXT),
        ("Alice: hi\nBob: hello\n", TEXT),
        ("1\nAlice: one\n", TEXT),
    ],
)
def test_detect_format(text: str, fmt: TranscriptFormat) -> None:
    assert detect_format(text) is fmt


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("call.vtt", VTT),
        ("CALL.VTT", VTT),
        ("dir.v1/call.srt", SRT),
        ("notes.txt", TEXT),
        ("call.json", JSON),
        ("call.docx", None),
        ("call", None),
    ],
)
def test_format_for_filename(name: str, fmt: TranscriptFormat | None) -> None:
    assert format_for_filename(name) is fmt
    assert format_for_filename(Path(name)) is fmt


def test_read_transcript_uses_extension_then_content(tmp_path: Path) -> None:
    vtt = "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v A>hi\n"
    unknown = tmp_path / "call.transcript"
    unknown.write_text(vtt, encoding="utf-8")
    assert read_transcript(unknown).format is VTT
    misnamed = tmp_path / "call.srt"
    misnamed.write_text(vtt, encoding="utf-8")
    with pytest.raises(TranscriptError, match="the content looks like WebVTT") as info:
        read_transcript(misnamed)
    assert info.value.format is SRT
    assert read_transcript(misnamed, format=VTT).utterances[0].text == "hi"


# --- real files -----------------------------------------------------------------------------


def test_real_zoom_transcript() -> None:
    transcript = read_transcript(ZOOM_TRANSCRIPT)
    assert transcript.format is VTT
    assert transcript.speakers() == [
        "Srijani Ghosh",
        "Conor Healy",
        "Dr. Melissa Ko",
        "Shreeharsh Kelkar",
        UNKNOWN_SPEAKER,
        "Ryan Sloan",
    ]
    assert len(transcript.utterances) == 26
    assert rows(transcript)[:3] == [
        ("Srijani Ghosh", "Hi!", 0.05, 1.79, 3),
        ("Conor Healy", "Get this party started.", 2.07, 4.05, 7),
        ("Srijani Ghosh", "Hello! Hello! Hello! Why are you so dark? So", 5.14, 11.67, 11),
    ]
    unknown = [u for u in transcript.utterances if u.speaker == UNKNOWN_SPEAKER]
    assert [(u.text, u.start, u.end, u.line) for u in unknown] == [("Hmm.", 307.3, 307.98, 191)]
    last = transcript.utterances[-1]
    assert last.speaker == "Conor Healy"
    assert last.end == pytest.approx(12 * 60 + 15.62)
    assert transcript.word_count() == sum(
        len(line.split(":", 1)[-1].split())
        for line in ZOOM_TRANSCRIPT.read_text(encoding="utf-8").splitlines()[1:]
        if line and "-->" not in line and not line.isdigit()
    )


def test_real_zoom_captions_have_no_speakers() -> None:
    transcript = read_transcript(ZOOM_CAPTIONS)
    assert transcript.speakers() == [UNKNOWN_SPEAKER]
    assert len(transcript.utterances) == 100
    assert rows(transcript)[0] == (UNKNOWN_SPEAKER, "This doesn't.", 68.0, 69.0, 3)


def test_real_qmsum_meeting() -> None:
    transcript = read_transcript(QMSUM_MEETING)
    source = json.loads(QMSUM_MEETING.read_text(encoding="utf-8"))["meeting_transcripts"]
    assert transcript.format is JSON
    assert len(transcript.utterances) == len(source) == 320
    assert set(transcript.speakers()) == {
        "Project Manager",
        "Marketing",
        "Industrial Designer",
        "User Interface",
    }
    first = transcript.utterances[0]
    assert (first.speaker, first.text, first.start) == ("User Interface", "Hmm hmm hmm .", None)
    lines = QMSUM_MEETING.read_text(encoding="utf-8").splitlines()
    assert '"speaker": "User Interface"' in lines[first.line]  # the line after the "{"
    assert transcript.word_count() == sum(len(t["content"].split()) for t in source)


# --- a long generated call ------------------------------------------------------------------


VOCABULARY = (
    "renewal pricing seats export dashboard we should follow up next week the API "
    "is slow on Friday invoice contract SSO rollout okay yeah I think that works"
)


def generated_call(style: str) -> tuple[str, list[tuple[str, str]], int]:
    """A 3-hour WebVTT call: the text, the expected (speaker, text) turns, and the cue count."""
    rng = random.Random(11)
    vocabulary = VOCABULARY.split()
    speakers = ["Dana Whitfield", "Priya Raman", "Marcus O'Neil (Acme)", "Jun Park"]
    out = ["WEBVTT", ""]
    turns: list[tuple[str, str]] = []
    clock = 0.0
    cues = 0
    speaker = speakers[0]
    while clock < 3 * 3600:
        speaker = rng.choice([s for s in speakers if s != speaker])
        said: list[str] = []
        for _ in range(rng.randint(1, 5)):
            text = " ".join(rng.choices(vocabulary, k=rng.randint(8, 18))) + "."
            words = len(text.split())
            cues += 1
            stamp = f"{_stamp(clock)} --> {_stamp(clock + words / 4.2)}"
            if style == "zoom":
                out += [str(cues), stamp, f"{speaker}: {text}", ""]
            else:
                out += [f"cue-{cues}", stamp + " line:90%", f"<v.loud {speaker}>{text}</v>", ""]
            said.append(text)
            clock += words / 4.2 + 0.1
        turns.append((speaker, " ".join(said)))
    return "\n".join(out), turns, cues


def _stamp(seconds: float) -> str:
    millis = round(seconds * 1000)
    return (
        f"{millis // 3_600_000:02d}:{millis // 60_000 % 60:02d}:"
        f"{millis // 1000 % 60:02d}.{millis % 1000:03d}"
    )


@pytest.mark.parametrize("style", ["zoom", "voice"])
def test_three_hour_call(style: str) -> None:
    text, turns, cues = generated_call(style)
    transcript = parse_transcript(text.encode("utf-8"))
    assert cues >= 3000
    assert transcript.word_count() >= 40_000
    assert [(u.speaker, u.text) for u in transcript.utterances] == turns
    assert transcript.duration() == pytest.approx(3 * 3600, abs=30)
    starts = [u.start for u in transcript.utterances if u.start is not None]
    assert len(starts) == len(turns)
    assert starts == sorted(starts)


# --- attendees ------------------------------------------------------------------------------


def _transcript(*speakers: str) -> Transcript:
    return Transcript(
        format=TEXT,
        utterances=[Utterance(speaker=s, text="hi", line=n) for n, s in enumerate(speakers, 1)],
    )


def test_attendees_from_speakers_when_metadata_has_none() -> None:
    transcript = _transcript("Alice Smith", UNKNOWN_SPEAKER, "bob", "alice  smith", "Bob")
    assert attendees_from(transcript, CallMetadata()) == [
        Attendee(name="Alice Smith"),
        Attendee(name="bob"),
    ]
    assert unmatched_speakers(transcript, CallMetadata()) == []


def test_attendees_from_metadata_are_authoritative() -> None:
    metadata = CallMetadata(
        attendees=[
            Attendee(name="Alice Smith", email="alice@acme.com", side=Side.CUSTOMER),
            Attendee(name="Carol Diaz", email="carol@us.example", side=Side.US),
        ]
    )
    transcript = _transcript("alice smith", "Dave (dial-in)", "CAROL@US.EXAMPLE", UNKNOWN_SPEAKER)
    attendees = attendees_from(transcript, metadata)
    assert attendees == metadata.attendees
    assert attendees[0] is not metadata.attendees[0]
    assert unmatched_speakers(transcript, metadata) == ["Dave (dial-in)"]


# --- the error type -------------------------------------------------------------------------


def test_transcript_error_is_a_value_error_and_pickles_with_its_details() -> None:
    error = parse_error("WEBVTT\n\n00:00:01 --> 00:00:02\nhi\n")
    assert isinstance(error, ValueError)
    copy = pickle.loads(pickle.dumps(error))
    assert (str(copy), copy.line, copy.expected, copy.format) == (
        str(error),
        error.line,
        error.expected,
        error.format,
    )
