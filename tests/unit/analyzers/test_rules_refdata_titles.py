"""The offline analyzer on every real transcript we carry: what it files must read as tasks.

Runs the analyzer on the 20 QMSum/AMI meetings and the Zoom recording (transcript and captions)
in ``tests/fixtures/transcripts`` and checks every title and quote it produces, whatever the
labels say: no filler opening a title, no stray character closing one, no transcript markers, no
act that happens inside the meeting, no word cut off, and quotes that are verbatim runs of one
utterance. The failure message lists the offending titles.
"""

from __future__ import annotations

import re
from itertools import pairwise
from pathlib import Path

import pytest

from cs_agent.analyzers.rules import RulesAnalyzer
from cs_agent.analyzers.rules.pronouns import LOOKBACK
from cs_agent.core.domain import (
    ActionItem,
    CallMetadata,
    Transcript,
    TranscriptFormat,
    Utterance,
)
from cs_agent.core.transcripts import read_transcript

from .rules_matching import NoOpenIssues

TRANSCRIPTS = Path(__file__).resolve().parents[2] / "fixtures" / "transcripts"
REAL = sorted(p for p in TRANSCRIPTS.iterdir() if p.suffix in (".json", ".vtt"))

FILLER_START = re.compile(
    r"^(?:yeah|yes|yep|so|um+|uh+|erm|er|mm+|hmm+|okay|ok|oh|well|like|right|alright|and|but"
    r"|just|actually|basically|sorry)\b",
    re.IGNORECASE,
)
# Acts that happen inside the meeting (written here independently of the analyzer's own list).
IN_MEETING = re.compile(
    r"""^(?:draw|sketch|sit(?:\s+down)?|stand\s+up|pass\s+the\s+(?:pen|marker|mouse)|present\b
    |show\s+(?:the|my|this)\s+(?:slide|screen|presentation)|go\s+(?:to\s+)?(?:the\s+)?(?:next|previous)
    |go\s+first|take\s+a\s+break|have\s+(?:a|the)\s+(?:lunch|break)|close\s+the\s+meeting
    |open\s+the\s+meeting|rate|vote|erase|plug|click)\b|\b(?:next|previous)\s+slide\b
    |\bfavou?rite\s+animal\b|\bwhite\s*board\b""",
    re.IGNORECASE | re.VERBOSE,
)
MARKER = re.compile(r"\{\w+\}|_")
ENDS_CLEANLY = re.compile(r"[A-Za-z0-9)]$")
REAL_SHORT_WORDS = frozenset(
    [
        "a",
        "an",
        "as",
        "at",
        "be",
        "by",
        "do",
        "for",
        "go",
        "he",
        "in",
        "is",
        "it",
        "me",
        "my",
        "no",
        "of",
        "on",
        "one",
        "or",
        "our",
        "out",
        "so",
        "the",
        "to",
        "up",
        "us",
        "we",
    ]
)
_WORD = re.compile(r"[a-z0-9]+(?:['’-][a-z0-9]+)*")


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower().replace("_", "")))


def problems(transcript: Transcript, items: list[ActionItem], extra_words: set[str]) -> list[str]:
    """Every rule an item of ``transcript`` breaks, one line each."""
    found = []
    texts = [u.text for u in transcript.utterances]
    for item in items:
        title = item.title
        if FILLER_START.match(title):
            found.append(f"filler opens the title: {title!r}")
        if not ENDS_CLEANLY.search(title):
            found.append(f"stray character closes the title: {title!r}")
        if MARKER.search(title):
            found.append(f"transcript marker in the title: {title!r}")
        if IN_MEETING.search(title):
            found.append(f"in-meeting act: {title!r}")
        words = _WORD.findall(title.lower())
        for first, second in pairwise(words):
            if first not in REAL_SHORT_WORDS and second.startswith(first) and second != first:
                found.append(f"cut-off word {first!r} in the title: {title!r}")
        holders = [t for t in texts if item.quote and item.quote in t]
        if not holders:
            found.append(f"quote is not a verbatim run of one utterance: {item.quote!r}")
            continue
        # A pronoun's object may come from the open question of the turns just before
        # (`pronouns.LOOKBACK`), so the title's last word may be said there.
        at = next(n for n, t in enumerate(texts) if item.quote in t)
        source = texts[max(at - LOOKBACK, 0) : at] + holders
        last = _WORD.findall(title.lower())[-1:] or [""]
        if last[0] not in _words(" ".join(source)) | extra_words:
            found.append(f"last word of {title!r} is not a whole word of its utterance")
    return found


def cue_breaks(path: Path) -> dict[str, list[tuple[int, str]]]:
    """For a Zoom VTT: each merged utterance's text → where its cues were joined (offset, cue)."""
    speaker_line = re.compile(r"^(?P<speaker>[^:]{1,60}): (?P<text>.*)$")
    pieces: list[tuple[str | None, str]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or "-->" in line or line.isdigit() or line == "WEBVTT":
            continue
        match = speaker_line.match(line)
        pieces.append((match["speaker"], match["text"]) if match else (None, line))
    merged: dict[str, list[tuple[int, str]]] = {}
    run: list[str] = []
    previous: str | None = None
    for speaker, text in [*pieces, (None, "")]:
        if run and (speaker is None or speaker != previous):
            joined, breaks, offset = " ".join(run), [], 0
            for cue in run[:-1]:
                offset += len(cue)
                breaks.append((offset, cue))
                offset += 1
            merged[joined] = breaks
            run = []
        run.append(text)
        previous = speaker
    return merged


def spans_a_finished_cue(text: str, quote: str, breaks: list[tuple[int, str]]) -> bool:
    """Whether ``quote`` joins a cue that ended its sentence to the next one."""
    start = text.find(quote)
    end = start + len(quote)
    return any(
        start < offset < end and cue.rstrip().endswith((".", "!", "?")) for offset, cue in breaks
    )


@pytest.mark.parametrize("path", REAL, ids=[p.name for p in REAL])
async def test_titles_and_quotes_on_real_transcripts(path: Path) -> None:
    transcript = read_transcript(path)
    analyzer = RulesAnalyzer(company_name="Real Reaction")
    analysis = await analyzer.analyze(
        transcript, CallMetadata(title=path.stem), tracker=NoOpenIssues()
    )
    names = _words(" ".join(transcript.speakers())) | {"real", "reaction"}
    titles = [item.title for item in analysis.action_items]
    assert problems(transcript, analysis.action_items, names) == [], titles
    if path.suffix == ".vtt":
        merged = cue_breaks(path)
        for item in analysis.action_items:
            text = next(u.text for u in transcript.utterances if item.quote in u.text)
            assert not spans_a_finished_cue(text, item.quote, merged.get(text, [])), item.quote


def test_the_checks_catch_what_they_are_for() -> None:
    transcript = Transcript(
        format=TranscriptFormat.JSON,
        utterances=[
            Utterance(speaker="Project Manager", text="So I'll draw my favourite animal ."),
            Utterance(speaker="Marketing", text="I'll send the trend report to everyone ."),
        ],
    )
    bad = [
        ActionItem(title="Draw animal", description="", quote="So I'll draw my favourite animal ."),
        ActionItem(title="Yeah send the report.$", description="", quote="send the trend report"),
        ActionItem(title="Send the trend rep", description="", quote="send the trend report"),
        ActionItem(
            title="Send the tre trend report", description="", quote="send the trend report"
        ),
        ActionItem(
            title="Send the report",
            description="",
            quote="I'll send the trend report to everyone I",
        ),
    ]
    lines = problems(transcript, bad, set())
    assert any("in-meeting act: 'Draw animal'" in line for line in lines)
    assert any("filler opens" in line for line in lines)
    assert any("stray character" in line for line in lines)
    assert any("'Send the trend rep' is not a whole word" in line for line in lines)
    assert any("not a verbatim run" in line for line in lines)
    assert any("cut-off word 'tre'" in line for line in lines)
