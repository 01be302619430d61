"""Hostile text never breaks a transcript parser: it parses, or it is refused with a line."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cs_agent.core.domain import TranscriptFormat
from cs_agent.core.text import unstorable
from cs_agent.core.transcripts import TranscriptError, parse_transcript

HOSTILE = st.text(
    alphabet=st.sampled_from(
        [*'Alice: -->\n\t 0123456789:.,[]{}"<>&;WEBVTT', "\x00", "\ud800", "\u2028", "\ufeff"]
    ),
    max_size=200,
)


@settings(max_examples=150, deadline=None)
@given(text=HOSTILE, fmt=st.sampled_from([None, *TranscriptFormat]))
def test_hostile_text_parses_or_is_refused(text: str, fmt: TranscriptFormat | None) -> None:
    """Only `TranscriptError` is raised, and what parses is storable."""
    try:
        transcript = parse_transcript(text, format=fmt)
    except TranscriptError:
        return
    for utterance in transcript.utterances:
        assert unstorable(utterance.text) is None
        assert unstorable(utterance.speaker) is None
        utterance.text.encode("utf-8")


@pytest.mark.parametrize("escape", ["\\u0000", "\\ud800"])
def test_json_escapes_that_cannot_be_stored_are_refused_with_the_line(escape: str) -> None:
    """A JSON escape for NUL or a lone surrogate is refused at the utterance's line."""
    good = json.dumps({"speaker": "Alice", "text": "hello"})
    bad = '{"speaker": "Bob", "text": "x' + escape + 'y"}'
    text = "[\n" + good + ",\n" + bad + "\n]"
    with pytest.raises(TranscriptError) as caught:
        parse_transcript(text, format=TranscriptFormat.JSON)
    assert caught.value.line == 3
    assert "JSON line 3" in str(caught.value)


def test_lone_surrogate_in_text_is_refused_with_the_line() -> None:
    """Text handed over as str (not bytes) with a lone surrogate is refused at its line."""
    with pytest.raises(TranscriptError) as caught:
        parse_transcript("Alice: hi\nBob: \ud800 there\n")
    assert caught.value.line == 2
