"""Scoring the offline analyzer against the hand-labelled example calls.

Shared by ``tests/unit/test_rules.py`` (which asserts minimum recall and precision) and
``bench/rules_eval.py`` (which prints the table), so both measure the same thing.

Matching: an expected item and a found item match when their quotes overlap, or when they were
said within 20 seconds of each other and their titles share a meaningful word. Each expected
item matches at most one found item and the other way round (a maximum bipartite matching), so
a commitment found twice counts once and its double lowers precision.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path

from cs_agent.analyzers.rules import RulesAnalyzer
from cs_agent.core.domain import ActionItem, CallMetadata, IssueRef, Transcript
from cs_agent.core.ports import CallContext
from cs_agent.core.transcripts import read_transcript

REPO_ROOT = Path(__file__).resolve().parents[3]
EXAMPLES_DIR = REPO_ROOT / "examples"
TIME_WINDOW = 20.0
"""Seconds between two quotes that may still be the same item."""
MIN_OVERLAP = 0.5
"""Share of the shorter quote that must appear, contiguous, in the other."""

_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset(
    {
        *("a", "an", "and", "the", "to", "of", "for", "on", "in", "with", "by", "from", "at"),
        *("our", "your", "their", "we", "you", "i", "it", "is", "be", "up", "this", "that"),
        *("them", "they", "me", "us", "my", "send", "get", "set", "follow", "share"),
    }
)


@dataclass(frozen=True)
class ExpectedItem:
    """One item a careful human filed for an example call."""

    title: str
    owner: str | None
    side: str | None
    due_date: dt.date | None
    quote: str
    quote_time: float | None


@dataclass
class Example:
    """An example call: transcript, metadata and the items a human would file."""

    name: str
    transcript: Transcript
    metadata: CallMetadata
    expected: list[ExpectedItem]
    missing_quotes: list[str] = field(default_factory=list)
    """Expected quotes that are not verbatim in the transcript (a problem with the example)."""


@dataclass
class Score:
    """How the analyzer did on one call (or on all of them, added up)."""

    name: str
    expected: int = 0
    found: int = 0
    matched: int = 0
    owner_ok: int = 0
    due_ok: int = 0
    pairs: list[tuple[ExpectedItem, ActionItem]] = field(default_factory=list)
    missed: list[ExpectedItem] = field(default_factory=list)
    extra: list[ActionItem] = field(default_factory=list)

    @property
    def recall(self) -> float:
        """Matched share of the expected items."""
        return self.matched / self.expected if self.expected else 1.0

    @property
    def precision(self) -> float:
        """Matched share of the found items."""
        return self.matched / self.found if self.found else 1.0

    @property
    def owner_accuracy(self) -> float:
        """Share of matched items whose owner is the expected person."""
        return self.owner_ok / self.matched if self.matched else 0.0

    @property
    def due_accuracy(self) -> float:
        """Share of matched items whose due date equals the expected one (both None counts)."""
        return self.due_ok / self.matched if self.matched else 0.0

    def add(self, other: Score) -> None:
        """Add another call's counts to this total."""
        self.expected += other.expected
        self.found += other.found
        self.matched += other.matched
        self.owner_ok += other.owner_ok
        self.due_ok += other.due_ok


def normalise(text: str) -> str:
    """Lower case, curly quotes straightened, whitespace collapsed."""
    return " ".join(text.lower().replace("’", "'").replace("‘", "'").split())


def quotes_overlap(a: str, b: str) -> bool:
    """True when one quote contains the other, or they share a long contiguous stretch."""
    left, right = normalise(a), normalise(b)
    if not left or not right:
        return False
    if left in right or right in left:
        return True
    matcher = SequenceMatcher(None, left, right, autojunk=False)
    match = matcher.find_longest_match(0, len(left), 0, len(right))
    return match.size >= MIN_OVERLAP * min(len(left), len(right))


def meaningful_words(title: str) -> set[str]:
    """A title's words minus the ones every title has."""
    return {w for w in _WORD.findall(title.lower()) if w not in _STOP and len(w) > 2}


def is_match(expected: ExpectedItem, found: ActionItem) -> bool:
    """The matching rule of the evaluation (see the module docstring)."""
    if quotes_overlap(expected.quote, found.quote):
        return True
    if expected.quote_time is None or found.quote_time is None:
        return False
    close = abs(expected.quote_time - found.quote_time) <= TIME_WINDOW
    return close and bool(meaningful_words(expected.title) & meaningful_words(found.title))


def match_items(expected: list[ExpectedItem], found: list[ActionItem]) -> list[tuple[int, int]]:
    """A one-to-one matching, as (expected index, found index) pairs.

    Quote overlaps are matched first (a maximum matching on them alone); the time-and-title
    rule then only pairs what is left, so it never takes a found item from its own quote.
    """
    by_quote = [
        [j for j, item in enumerate(found) if quotes_overlap(e.quote, item.quote)] for e in expected
    ]
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

    for i in range(len(expected)):
        augment(i, set(), by_quote)
    matched = set(owner_of.values())
    free = [j for j in range(len(found)) if j not in owner_of]
    by_time = [
        [] if i in matched else [j for j in free if is_match(e, found[j])]
        for i, e in enumerate(expected)
    ]
    for i in range(len(expected)):
        if i not in matched:
            augment(i, set(owner_of), by_time)
    return sorted((i, j) for j, i in owner_of.items())


def quote_time(transcript: Transcript, quote: str) -> float | None:
    """When the utterance holding ``quote`` started, or None if no utterance holds it."""
    wanted = normalise(quote)
    for utterance in transcript.utterances:
        if wanted in normalise(utterance.text):
            return utterance.start
    return None


def example_names() -> list[str]:
    """The example calls that have metadata and expected items."""
    return sorted(
        p.name.removesuffix(".expected.json") for p in EXAMPLES_DIR.glob("*.expected.json")
    )


def load_example(name: str) -> Example:
    """Read an example's transcript, metadata and expected items."""
    transcript_path = next(
        p
        for p in sorted(EXAMPLES_DIR.glob(f"{name}.*"))
        if not p.name.endswith((".meta.json", ".expected.json"))
    )
    transcript = read_transcript(transcript_path)
    metadata = CallMetadata.model_validate(
        json.loads((EXAMPLES_DIR / f"{name}.meta.json").read_text(encoding="utf-8"))
    )
    raw = json.loads((EXAMPLES_DIR / f"{name}.expected.json").read_text(encoding="utf-8"))
    expected: list[ExpectedItem] = []
    missing: list[str] = []
    for item in raw["action_items"]:
        time = quote_time(transcript, item["quote"])
        if time is None and not any(
            normalise(item["quote"]) in normalise(u.text) for u in transcript.utterances
        ):
            missing.append(item["quote"])
        due = item.get("due_date")
        expected.append(
            ExpectedItem(
                title=item["title"],
                owner=item.get("owner"),
                side=item.get("side"),
                due_date=dt.date.fromisoformat(due) if due else None,
                quote=item["quote"],
                quote_time=time,
            )
        )
    return Example(name, transcript, metadata, expected, missing)


class NoOpenIssues:
    """A tracker with nothing open: the evaluation scores extraction, not linking."""

    name = "none"

    async def create_issue(
        self, item: ActionItem, *, issue_id: uuid.UUID, call: CallContext
    ) -> IssueRef:
        """Never called by the analyzer; present to satisfy the port."""
        raise NotImplementedError

    async def find_open_issues(
        self, *, query: str, customer: str | None, limit: int = 5
    ) -> list[IssueRef]:
        """Nothing is open."""
        return []


def score(name: str, expected: list[ExpectedItem], found: list[ActionItem]) -> Score:
    """Compare found items to expected ones."""
    result = Score(name=name, expected=len(expected), found=len(found))
    pairs = match_items(expected, found)
    matched_expected = {i for i, _ in pairs}
    matched_found = {j for _, j in pairs}
    for i, j in pairs:
        want, got = expected[i], found[j]
        result.matched += 1
        result.pairs.append((want, got))
        got_owner = got.owner.name if got.owner else None
        if normalise(got_owner or "") == normalise(want.owner or ""):
            result.owner_ok += 1
        if got.due_date == want.due_date:
            result.due_ok += 1
    result.missed = [e for i, e in enumerate(expected) if i not in matched_expected]
    result.extra = [f for j, f in enumerate(found) if j not in matched_found]
    return result


async def evaluate(name: str, *, company_name: str = "Brightwave") -> tuple[Example, Score]:
    """Run the offline analyzer on one example and score it."""
    example = load_example(name)
    analyzer = RulesAnalyzer(company_name=company_name)
    analysis = await analyzer.analyze(example.transcript, example.metadata, tracker=NoOpenIssues())
    return example, score(name, example.expected, analysis.action_items)
