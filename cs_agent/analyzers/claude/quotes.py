"""Finding the model's quotes in the transcript, ignoring case, spacing and typography.

A quote grounds an action item in what was said. The model copies a sentence from the
compact transcript, sometimes with its ``[mm:ss] Speaker:`` prefix, quote marks or ellipses;
those are stripped, and both sides are compared in one normal form.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from cs_agent.core.domain import Transcript

_QUOTE_CHARS = str.maketrans({"‘": "'", "’": "'", "‚": "'", "“": '"', "”": '"', "„": '"'})
_DASHES = re.compile(r"[‐-―−]")
_SPEAKER_PREFIX = re.compile(r"^\[?\d{1,2}:\d{2}(?::\d{2})?\]?\s*(?:[^:\n]{1,60}:\s*)?")
_ELLIPSIS = re.compile(r"^(?:\.\.\.|…)+|(?:\.\.\.|…)+$")
_STAMP = re.compile(r"^\[?(?:(\d+):)?(\d{1,2}):(\d{2})(?:\.\d+)?\]?$")


def normalise(text: str) -> str:
    """Case-folded, whitespace-collapsed, with typographic quotes and dashes made plain."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTE_CHARS)
    text = _DASHES.sub("-", text)
    return " ".join(text.casefold().split())


def clean_quote(quote: str) -> str:
    """The quote as the model meant it: no surrounding quote marks, ellipses or line prefix."""
    text = quote.strip().strip("\"'“”‘’ ").strip()
    text = _SPEAKER_PREFIX.sub("", text, count=1) if _SPEAKER_PREFIX.match(text) else text
    return _ELLIPSIS.sub("", text).strip().strip("\"'“”‘’ ").strip()


def parse_stamp(value: object) -> float | None:
    """Seconds from ``mm:ss``, ``h:mm:ss``, ``[mm:ss]`` or a number; None when unreadable."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value) if value >= 0 else None
    if not isinstance(value, str):
        return None
    match = _STAMP.match(value.strip())
    if not match:
        return None
    hours, minutes, seconds = match.groups()
    return int(hours or 0) * 3600 + int(minutes) * 60 + float(seconds)


@dataclass(frozen=True)
class QuoteMatch:
    """Where a quote was found: the utterance it starts in and that utterance's time."""

    utterance: int
    start: float | None


class QuoteIndex:
    """The transcript's words, normalised once, for finding quotes in it."""

    def __init__(self, transcript: Transcript) -> None:
        self._starts = [u.start for u in transcript.utterances]
        self._texts = [normalise(u.text) for u in transcript.utterances]
        # The whole call as one string, to find a quote a cue boundary split in two.
        self._joined = " ".join(self._texts)
        self._offsets = []
        offset = 0
        for text in self._texts:
            self._offsets.append(offset)
            offset += len(text) + 1

    def find(self, quote: str, *, near: float | None = None) -> QuoteMatch | None:
        """The occurrence of ``quote`` (nearest to ``near`` when it occurs more than once)."""
        needle = normalise(quote)
        if not needle:
            return None
        found = [i for i, text in enumerate(self._texts) if needle in text]
        if not found:
            found = self._find_across(needle)
        if not found:
            return None
        if near is not None:
            found.sort(key=lambda i: abs((self._starts[i] or 0.0) - near))
        return QuoteMatch(utterance=found[0], start=self._starts[found[0]])

    def _find_across(self, needle: str) -> list[int]:
        hits = []
        position = self._joined.find(needle)
        while position != -1:
            hits.append(self._utterance_at(position))
            position = self._joined.find(needle, position + 1)
        return hits

    def _utterance_at(self, offset: int) -> int:
        low, high = 0, len(self._offsets) - 1
        while low < high:
            middle = (low + high + 1) // 2
            if self._offsets[middle] <= offset:
                low = middle
            else:
                high = middle - 1
        return low
