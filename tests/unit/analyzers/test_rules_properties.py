"""Hostile text never breaks the offline analyzer: it returns, and what it files is well formed.

The utterances are built from the analyzer's own cue words, transcript markers, stray
punctuation and characters that trip regular expressions, so the generated calls reach the cue,
title and scoring rules instead of being rejected at the first word.
"""

from __future__ import annotations

import asyncio
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from cs_agent.analyzers.rules import RulesAnalyzer
from cs_agent.core.domain import CallMetadata, Transcript, TranscriptFormat, Utterance

from .rules_matching import NoOpenIssues

PIECES = [
    *("I'll", "we'll", "you will have to", "you'll get", "let me", "can you", "could you"),
    *("Marketing will", "the Industrial Designer to", "will be sent to you", "let's schedule"),
    *("send", "the", "report", "next", "meeting", "by Friday", "yes", "okay", "um", "just"),
    *("draw", "the pen", "I think", "maybe", "{disfmarker}", "{vocalsound}", "T_V_", "?"),
    *(".", ",", "$", "—", "...", "'", "’", "(", ")", "\u2028", "\ufeff", "é", "ß", "  ", "\t"),
]
SENTENCE = st.lists(st.sampled_from(PIECES), max_size=40).map(" ".join)
SPEAKERS = st.sampled_from(["Project Manager", "Marketing", "Dana Reyes", "Unknown Speaker"])
CALL = st.lists(st.tuples(SPEAKERS, SENTENCE), min_size=1, max_size=12)
ENDS_CLEANLY = re.compile(r"[\w)]$")


def _transcript(turns: list[tuple[str, str]]) -> Transcript:
    return Transcript(
        format=TranscriptFormat.JSON,
        utterances=[
            Utterance(speaker=speaker, text=text, start=float(n * 5))
            for n, (speaker, text) in enumerate(turns)
        ],
    )


def _analyze(transcript: Transcript) -> list[tuple[str, str]]:
    analyzer = RulesAnalyzer(company_name="Brightwave")
    analysis = asyncio.run(analyzer.analyze(transcript, CallMetadata(), tracker=NoOpenIssues()))
    assert analysis.notes[0].startswith("OFFLINE ANALYZER")
    return [(item.title, item.quote) for item in analysis.action_items]


@settings(max_examples=200, deadline=None)
@given(turns=CALL)
def test_hostile_calls_are_read_and_items_are_well_formed(turns: list[tuple[str, str]]) -> None:
    """No exception; every title ends cleanly and has no marker; every quote is verbatim."""
    transcript = _transcript(turns)
    texts = [u.text for u in transcript.utterances]
    for title, quote in _analyze(transcript):
        assert title and ENDS_CLEANLY.search(title), title
        assert "{" not in title and "_" not in title, title
        assert any(quote in text for text in texts), quote


def test_pathological_repetition_is_read() -> None:
    """Long runs of cue words and fillers (regex backtracking bait) still come back."""
    texts = [
        "I'll " * 3000 + "send the report.",
        "um , " * 5000 + "you will have to " * 500,
        "the " * 8000 + "will be sent to you",
        "Marketing will " * 2000,
        "{disfmarker} " * 4000 + "let me check the invoice",
    ]
    transcript = _transcript([("Project Manager", text) for text in texts])
    items = _analyze(transcript)
    assert all(any(q in t for t in texts) for _, q in items)
