"""Where a cue's clause starts and ends in ASR text: markers, repeated cues and restarts."""

from __future__ import annotations

import re

from cs_agent.analyzers.rules.cues import CLAUSE_OPENERS, CLAUSE_START
from cs_agent.analyzers.rules.dates import ORDINALS, WEEKDAYS
from cs_agent.analyzers.rules.lexicon import APOS

RESTART = re.compile(r"\s*(?:\w+\s+){0,2}?\{disfmarker\}\s*|\s*(?:\w+\s+){0,2}?[-–—]+\s*")
"""What an ASR transcript shows when a speaker breaks off and starts the sentence again."""
_MARKERS = re.compile(r"\{\w+\}|\[\w+\]")
_REPEATED_CUE = re.compile(
    rf"(?:\b(?:I|we|you)(?:{APOS}ll|{APOS}m|{APOS}re|\s+will|\s+am|\s+are)?[\s,]*)+$", re.IGNORECASE
)


_TAIL = 80
"""How much of the text before a cue decides whether the cue starts a clause."""


def at_clause_start(before: str) -> bool:
    """Whether a cue starts a clause, so "what I can do is" and "a date I can give you" don't count."""
    # Transcript markers ("{vocalsound}") are not words, and a cue said twice ("So I'll I'll
    # check that") starts where its first saying did.
    if before.rstrip().endswith("{disfmarker}"):
        return True  # the speaker broke off and started again
    # Only the end of the text matters; reading all of it for every cue of a long run of cues
    # ("I'll I'll I'll …") would be quadratic.
    stripped = _REPEATED_CUE.sub("", _MARKERS.sub(" ", before[-_TAIL:])).rstrip()
    if not stripped or stripped[-1] in ',;:—–-("“':
        return True
    last = stripped.split()[-1].strip(".!?\"'”’").lower()
    return (
        last in CLAUSE_OPENERS
        or last in WEEKDAYS
        or last in ORDINALS
        or bool(re.fullmatch(r"\d{1,2}(?:st|nd|rd|th)?", last))
    )


def last_clause(text: str) -> str:
    """The last clause of ``text`` (after its last comma, "and", "but" …)."""
    starts = [m.end() for m in CLAUSE_START.finditer(text)]
    return text[starts[-1] :] if starts else text
