"""Scoring the offline analyzer against the labelled real meetings in ``tests/fixtures/rules_eval``.

Shared by ``tests/unit/analyzers/test_rules_eval.py`` and ``bench/rules_eval.py``. The labels
(and how they were written, and which meetings are only measured) are described in
``tests/fixtures/rules_eval/README.md``.

Matching: a label and a found item match when their quotes overlap, or when they were said at
most ``TURN_WINDOW`` turns apart and their titles share a meaningful word; the matching is one to
one (see ``rules_matching.match_items``). Real meetings have no times for QMSum, so the window is
counted in turns rather than seconds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal

from cs_agent.analyzers.rules import RulesAnalyzer
from cs_agent.core.domain import ActionItem, CallMetadata, Transcript
from cs_agent.core.transcripts import read_transcript

from .rules_matching import (
    REPO_ROOT,
    NoOpenIssues,
    Score,
    evaluate,
    example_names,
    meaningful_words,
    normalise,
    quotes_overlap,
)

LABELS_DIR: Final = REPO_ROOT / "tests" / "fixtures" / "rules_eval" / "labels"
TURN_WINDOW: Final = 3
"""Turns between a label's quote and an item's quote that may still be the same item."""

Split = Literal["tune", "tune-extra", "measured"]

TARGET_PRECISION: Final = 0.7
TARGET_RECALL: Final = 0.5
MAX_ITEMS_RATIO: Final = 2
"""No meeting may get more than twice as many items as it has labels (one if it has none)."""


@dataclass(frozen=True)
class Label:
    """One labelled action item of a real meeting."""

    title: str
    owner: str | None
    quote: str
    turn: int | None


@dataclass
class Meeting:
    """A labelled meeting: its transcript, its split and its labels."""

    name: str
    split: Split
    transcript: Transcript
    labels: list[Label]


@dataclass
class MeetingScore:
    """How the analyzer did on one labelled meeting."""

    name: str
    split: Split
    labels: list[Label]
    found: list[ActionItem]
    pairs: list[tuple[Label, ActionItem]] = field(default_factory=list)

    @property
    def matched(self) -> int:
        """Labels matched by a found item."""
        return len(self.pairs)

    @property
    def missed(self) -> list[Label]:
        """Labels no found item matched."""
        hit = {id(label) for label, _ in self.pairs}
        return [label for label in self.labels if id(label) not in hit]

    @property
    def extra(self) -> list[ActionItem]:
        """Found items no label matched: the junk a reader would see."""
        hit = {id(item) for _, item in self.pairs}
        return [item for item in self.found if id(item) not in hit]

    @property
    def item_limit(self) -> int:
        """The most items this meeting may get (twice its labels, one if it has none)."""
        return max(MAX_ITEMS_RATIO * len(self.labels), 1)

    @property
    def too_many(self) -> bool:
        """Whether the analyzer filed more than ``item_limit`` items."""
        return len(self.found) > self.item_limit


@dataclass
class SplitTotal:
    """Counts added up over a split (labelled meetings and, for tune, the example calls)."""

    split: Split
    expected: int = 0
    found: int = 0
    matched: int = 0
    meetings: int = 0
    over_limit: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        """Matched share of the found items."""
        return self.matched / self.found if self.found else 1.0

    @property
    def recall(self) -> float:
        """Matched share of the labels."""
        return self.matched / self.expected if self.expected else 1.0

    @property
    def items_per_meeting(self) -> float:
        """Found items per meeting."""
        return self.found / self.meetings if self.meetings else 0.0

    def add(self, expected: int, found: int, matched: int) -> None:
        """Add one meeting's counts."""
        self.expected += expected
        self.found += found
        self.matched += matched
        self.meetings += 1

    @property
    def met(self) -> bool:
        """Whether this split meets the precision, recall and items-per-meeting targets."""
        return (
            self.precision >= TARGET_PRECISION
            and self.recall >= TARGET_RECALL
            and not self.over_limit
        )


def load_meetings() -> list[Meeting]:
    """Every labelled meeting, in name order."""
    meetings = []
    for path in sorted(LABELS_DIR.glob("*.json")):
        raw = json.loads(path.read_text(encoding="utf-8"))
        transcript = read_transcript(REPO_ROOT / raw["transcript"])
        labels = [
            Label(
                title=item["title"],
                owner=item.get("owner"),
                quote=item["quote"],
                turn=item.get("turn"),
            )
            for item in raw["action_items"]
        ]
        meetings.append(Meeting(raw["meeting"], raw["split"], transcript, labels))
    return meetings


def turn_of(transcript: Transcript, quote: str) -> int | None:
    """Index of the first utterance holding ``quote``, or None."""
    wanted = normalise(quote)
    for index, utterance in enumerate(transcript.utterances):
        if wanted and wanted in normalise(utterance.text):
            return index
    return None


def _pairs(meeting: Meeting, found: list[ActionItem]) -> list[tuple[Label, ActionItem]]:
    """A one-to-one matching: quote overlaps first, then turn window and a shared title word."""
    found_turns = [turn_of(meeting.transcript, item.quote) for item in found]
    label_turns = [
        label.turn if label.turn is not None else turn_of(meeting.transcript, label.quote)
        for label in meeting.labels
    ]

    def by_quote(i: int, j: int) -> bool:
        return quotes_overlap(meeting.labels[i].quote, found[j].quote)

    def by_turn(i: int, j: int) -> bool:
        a, b = label_turns[i], found_turns[j]
        if a is None or b is None or abs(a - b) > TURN_WINDOW:
            return False
        return bool(meaningful_words(meeting.labels[i].title) & meaningful_words(found[j].title))

    owner_of: dict[int, int] = {}

    def augment(i: int, seen: set[int], edges: list[list[int]]) -> bool:
        for j in edges[i]:
            if j in seen:
                continue
            seen.add(j)
            if j not in owner_of or augment(owner_of[j], seen, edges):
                owner_of[j] = i
                return True
        return False

    labels = range(len(meeting.labels))
    quote_edges = [[j for j in range(len(found)) if by_quote(i, j)] for i in labels]
    for i in labels:
        augment(i, set(), quote_edges)
    matched = set(owner_of.values())
    turn_edges = [
        [] if i in matched else [j for j in range(len(found)) if by_turn(i, j)] for i in labels
    ]
    for i in labels:
        if i not in matched:
            augment(i, set(owner_of), turn_edges)
    return [(meeting.labels[i], found[j]) for j, i in sorted(owner_of.items(), key=lambda p: p[1])]


async def score_meeting(meeting: Meeting) -> MeetingScore:
    """Run the offline analyzer on one labelled meeting and score it."""
    analyzer = RulesAnalyzer(company_name="Real Reaction")
    analysis = await analyzer.analyze(
        meeting.transcript, CallMetadata(title=meeting.name), tracker=NoOpenIssues()
    )
    found = analysis.action_items
    result = MeetingScore(meeting.name, meeting.split, meeting.labels, found)
    result.pairs = _pairs(meeting, found)
    return result


async def score_all() -> tuple[list[MeetingScore], list[Score], dict[Split, SplitTotal]]:
    """Score every labelled meeting and every example call; totals per split.

    The example calls belong to the tune part: their rules were written while looking at them.
    """
    totals: dict[Split, SplitTotal] = {
        "tune": SplitTotal("tune"),
        "tune-extra": SplitTotal("tune-extra"),
        "measured": SplitTotal("measured"),
    }
    meetings = [await score_meeting(m) for m in load_meetings()]
    for result in meetings:
        total = totals[result.split]
        total.add(len(result.labels), len(result.found), result.matched)
        if result.too_many:
            total.over_limit.append(result.name)
    examples = []
    for name in example_names():
        _, example_score = await evaluate(name)
        examples.append(example_score)
        totals["tune"].add(example_score.expected, example_score.found, example_score.matched)
        if example_score.found > max(MAX_ITEMS_RATIO * example_score.expected, 1):
            totals["tune"].over_limit.append(name)
    return meetings, examples, totals


def transcripts_in(directory: Path) -> list[Path]:
    """Every transcript file in ``directory`` that the reader understands (no licences or READMEs)."""
    return sorted(
        p
        for p in directory.iterdir()
        if p.suffix in (".json", ".vtt", ".srt", ".txt") and "LICENSE" not in p.name
    )
