"""Sentences: how an utterance splits into sentences, and the content words of a text."""

from __future__ import annotations

import re
from typing import Final

from cs_agent.analyzers.rules.lexicon import TITLE_STOP, WORD

_QUOTE_MAX: Final = 320

_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s|$)")
_ABBREVIATION = re.compile(
    r"(?:\b(?:mr|mrs|ms|dr|st|vs|etc|inc|jr|sr|no|approx|dept|est|ltd|co|corp|e\.g|i\.e|a\.m|p\.m)"
    r"|\b[A-Za-z](?:\.[A-Za-z])*)$",
    re.IGNORECASE,
)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentence spans of ``text`` (offsets into it), whitespace trimmed."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        if match.group().startswith(".") and len(match.group()) == 1:
            word = text[max(start, match.start() - 12) : match.start()]
            if _ABBREVIATION.search(word):
                continue
        spans.append((start, match.end()))
        start = match.end()
    if start < len(text):
        spans.append((start, len(text)))
    trimmed: list[tuple[int, int]] = []
    for begin, end in spans:
        while begin < end and text[begin].isspace():
            begin += 1
        while end > begin and text[end - 1].isspace():
            end -= 1
        if begin < end:
            trimmed.append((begin, end))
    return trimmed


def content_words(text: str, stop: frozenset[str] = TITLE_STOP) -> frozenset[str]:
    return frozenset(
        w
        for w in (m.group().lower().replace("’", "'") for m in WORD.finditer(text))
        if len(w) > 2 and w not in stop
    )


def quote_span(text: str, start: int, end: int, cue_start: int) -> str:
    """The quote for a cue at ``cue_start`` in the sentence ``text[start:end]``: verbatim.

    The whole sentence when it is short; in an unpunctuated monologue, the clause around the
    cue, cut on word boundaries.
    """
    if end - start <= _QUOTE_MAX:
        return text[start:end]
    low = max(start, cue_start - 80)
    boundary = max(text.rfind(",", low, cue_start), text.rfind(";", low, cue_start))
    low = boundary + 1 if boundary >= 0 else low
    high = min(end, cue_start + _QUOTE_MAX - (cue_start - low))
    while low < cue_start and not text[low - 1].isspace() and low > start:
        low += 1
    while high < end and not text[high].isspace():
        high -= 1
    return text[low:high].strip()
