"""Candidate items: a cue read in its sentence, and how duplicates merge into one item.

A request and its acceptance, or a commitment said twice, become one candidate: the richer
title and the better quote win.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Literal

from cs_agent.analyzers.rules.cues import ACCEPT_WINDOW
from cs_agent.analyzers.rules.roster import Person
from cs_agent.core.domain import Priority, Utterance

ItemKind = Literal["commit", "request", "offer", "plan", "assign"]


Cue = tuple[int, int, str, "re.Match[str] | None", "Person | None"]
"""A cue phrase: start, end, kind (a `CUE` group name, "third" or "weak"), match, named person."""


@dataclass(frozen=True, slots=True)
class CueSentence:
    """A sentence with a cue, and where it was said."""

    index: int
    """Position of its utterance in the transcript."""
    utterance: Utterance
    number: int
    """Position of the sentence in its utterance."""
    start: int
    """Offset of the sentence in the utterance text."""
    text: str
    previous: str
    """The sentence before it in the same utterance ("" for the first)."""


@dataclass(slots=True)
class Candidate:
    kind: ItemKind
    index: int
    utterance: Utterance
    sentence_start: int
    sentence_end: int
    sentence_number: int
    cue: str
    cue_start: int
    speaker: Person
    owner: Person | None
    title: str
    content: frozenset[str]
    due: dt.date | None
    priority: Priority
    quote: str
    accepted: bool = False
    vague: bool = False
    """Too vague to file ("Sure, I'll get that to you"); kept only to merge into a request."""
    merged_cues: list[str] = field(default_factory=list)
    group: str = ""
    """The cue's group: a `CUE` group name, "third", "weak", "assign", "sent" or "role"."""
    body: str = ""
    """The words after the cue the title was made from."""
    before: str = ""
    """The sentence up to the cue (where hedges and "if" sit)."""
    rest: str = ""
    """The sentence after the cue, up to the next cue (hedges after the verb sit here)."""
    lead: str = ""
    """The fillers between the cue and its verb ("just", "um", "go ahead and")."""
    handoff: bool = False
    """An assignment said while the work between meetings is handed out (`handoff`)."""
    score: float = 0.0
    """Cue strength × deliverable × specificity (`scoring.score_candidate`)."""


def _evidence(candidate: Candidate) -> tuple[int, int, int]:
    """How good a candidate's quote is as evidence: the owner's own words, with a date, rich."""
    if candidate.vague:
        return (0, 0, 0)
    own_words = candidate.kind == "commit" and candidate.owner is candidate.speaker
    return (int(own_words), int(candidate.due is not None), len(candidate.content))


def absorb(keeper: Candidate, other: Candidate) -> None:
    """Fold ``other`` into ``keeper``: the richer title and the better quote win."""
    better_quote = _evidence(other) > _evidence(keeper)
    richer = len(other.content) > len(keeper.content) and not other.vague
    if keeper.vague and not other.vague:
        keeper.vague, richer = False, True
    if richer or (better_quote and len(other.content) == len(keeper.content)):
        keeper.title, keeper.content = other.title, other.content
    if better_quote:
        keeper.quote = other.quote
        keeper.utterance = other.utterance
        keeper.sentence_start, keeper.sentence_end = other.sentence_start, other.sentence_end
    keeper.due = keeper.due or other.due
    if other.priority and (not keeper.priority or other.priority < keeper.priority):
        keeper.priority = other.priority
    keeper.accepted = keeper.accepted or other.accepted
    keeper.merged_cues.append(other.cue)
    keeper.merged_cues.extend(other.merged_cues)


def _similar(a: frozenset[str], b: frozenset[str]) -> bool:
    """Two titles say the same thing: two or more shared words, most of the shorter one."""
    if not a or not b:
        return False
    shared = len(a & b)
    return shared >= 2 and shared / min(len(a), len(b)) >= 0.6


def merge_duplicates(items: list[Candidate]) -> list[Candidate]:
    """A request and its acceptance, or a commitment restated later, become one item."""
    kept: list[Candidate] = []
    requests: dict[int, list[Candidate]] = {}
    # Earlier items by (owner, title word): a restatement shares words, so only those are compared.
    by_word: dict[tuple[int, str], dict[int, Candidate]] = {}
    order: dict[int, int] = {}
    for item in items:
        owner = id(item.owner)
        target = next(
            (
                earlier
                for earlier in reversed(requests.get(owner, [])[-ACCEPT_WINDOW:])
                if _accepts(earlier, item)
            ),
            None,
        )
        if target is None and not item.vague:
            similar = {
                id(earlier): earlier
                for word in item.content
                for earlier in by_word.get((owner, word), {}).values()
                if _similar(earlier.content, item.content)
            }
            if similar:
                target = max(similar.values(), key=lambda c: order[id(c)])
        if target is None:
            if item.vague:
                continue
            order[id(item)] = len(kept)
            kept.append(item)
            target = item
            if item.kind in ("request", "offer"):
                requests.setdefault(owner, []).append(item)
        else:
            if target.kind in ("request", "offer") and item.kind == "commit":
                target.accepted = True
            absorb(target, item)
        for word in target.content:
            bucket = by_word.setdefault((owner, word), {})
            bucket[id(target)] = target
    return kept


def _accepts(request: Candidate, item: Candidate) -> bool:
    """Whether ``item`` is its owner saying yes to ``request`` in the next turns."""
    return (
        item.kind == "commit"
        and 0 < item.index - request.index <= ACCEPT_WINDOW
        and item.sentence_number <= 1
        and (len(item.content) <= 1 or bool(item.content & request.content))
    )
