"""The summary: topics, tone from cue words, and who met, what was agreed and what is at risk."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from cs_agent.analyzers.rules.lexicon import TOPIC_STOP, WORD, word_set
from cs_agent.analyzers.rules.risks import RISK_STEMS, find_risks
from cs_agent.analyzers.rules.roster import Roster
from cs_agent.analyzers.rules.wording import join_names, with_article
from cs_agent.core.domain import ActionItem, CallMetadata, CallSummary, Sentiment, Side, Transcript
from cs_agent.core.transcripts import UNKNOWN_SPEAKER

# Tone by cue words, looked up per word (one pass with the topic counts, no regex).
_POSITIVE_WORDS: Final = word_set(
    """great excellent love loving loved happy glad excited exciting impressed appreciate
    appreciated helpful perfect awesome fantastic amazing pleased smooth wonderful thrilled
    delighted win wins"""
)
_POSITIVE_PAIRS: Final = frozenset(
    {("nice", "work"), ("good", "news"), ("works", "well"), ("working", "well")}
)
_NEGATIVE_WORDS: Final = word_set(
    """unhappy angry upset concern concerned concerns worry worried worrying problem problems
    broken outage outages downtime fail failed failing failure failures unacceptable terrible
    awful painful risk blocked blocker missed sorry apologize apologise froze frozen lost bug
    bugs error errors timeout timeouts wrong unfortunately slowest stopped"""
)
_NEGATIVE_STEMS: Final = (
    "frustrat",
    "disappoint",
    "annoy",
    "complain",
    "escalat",
    "churn",
    "cancel",
    "embarrass",
    "hurt",
)
_NEGATIVE_PAIRS: Final = frozenset({("timed", "out"), ("timing", "out")})
_NEGATORS: Final = word_set(
    "not never no isn't wasn't aren't weren't don't doesn't didn't won't can't hardly"
)
# "Great." or "Perfect." opening a turn acknowledges; it says little about how the call went.
_ACK_LEAD: Final = word_set("oh okay ok yeah yes so well um uh")
_ACK_WORDS: Final = word_set("great perfect awesome excellent amazing love")


@dataclass(slots=True)
class WordStats:
    """What one pass over the words of a call finds: topics and tone."""

    topics: list[str]
    sentiment: Sentiment
    positive: int
    negative: int
    risky: set[int]
    """Indexes of the utterances that may hold a risk phrase."""


def word_stats(transcript: Transcript, exclude: set[str], count: int = 4) -> WordStats:
    """Topics (frequent word pairs, then words) and tone (cue words) in one pass."""
    unigrams: Counter[str] = Counter()
    bigrams: Counter[tuple[str, str]] = Counter()
    positive = negative = 0
    risky: set[int] = set()
    for index, utterance in enumerate(transcript.utterances):
        words = [m.group().lower().replace("’", "'") for m in WORD.finditer(utterance.text)]
        lead = 0
        while lead < len(words) and words[lead] in _ACK_LEAD:
            lead += 1
        acknowledgement = lead if lead < len(words) and words[lead] in _ACK_WORDS else -1
        previous_word = ""
        previous_topic: str | None = None
        for position, word in enumerate(words):
            if position != acknowledgement:
                if word in _POSITIVE_WORDS:
                    if previous_word in _NEGATORS:
                        negative += 1
                    else:
                        positive += 1
                elif word in _NEGATIVE_WORDS or word.startswith(_NEGATIVE_STEMS):
                    negative += 1
                elif (previous_word, word) in _POSITIVE_PAIRS:
                    positive += 1
                elif (previous_word, word) in _NEGATIVE_PAIRS:
                    negative += 1
            previous_word = word
            if word.startswith(RISK_STEMS):
                risky.add(index)
            if len(word) < 3 or word in TOPIC_STOP or word in exclude:
                previous_topic = None
                continue
            unigrams[word] += 1
            if previous_topic is not None:
                bigrams[(previous_topic, word)] += 1
            previous_topic = word
    sentiment, positive, negative = _tone(positive, negative)
    return WordStats(_pick_topics(unigrams, bigrams, count), sentiment, positive, negative, risky)


def _pick_topics(
    unigrams: Counter[str], bigrams: Counter[tuple[str, str]], count: int
) -> list[str]:
    chosen: list[str] = []
    used: set[str] = set()
    for (first, second), seen in bigrams.most_common(12):
        if seen < 2 or len(chosen) >= count - 1:
            break
        if first in used or second in used:
            continue
        chosen.append(f"{first} {second}")
        used.update((first, second))
    for word, seen in unigrams.most_common(20):
        if len(chosen) >= count:
            break
        if seen < 2 or word in used:
            continue
        chosen.append(word)
        used.add(word)
    return chosen


def _tone(positive: int, negative: int) -> tuple[Sentiment, int, int]:
    total = positive + negative
    if total < 3:
        return "neutral", positive, negative
    share = positive / total
    # Cue words are blunt ("failure emails" is not a complaint), so "mixed" gets a wide band.
    if share >= 0.6:
        return "positive", positive, negative
    if share <= 0.2:
        return "negative", positive, negative
    return "mixed", positive, negative


def call_summary(
    transcript: Transcript,
    metadata: CallMetadata,
    roster: Roster,
    items: Sequence[ActionItem],
    stats: WordStats,
    *,
    company_name: str,
) -> CallSummary:
    """The summary of a call: who met, its topics, the items by side, its tone and its risks."""
    duration = transcript.duration()
    words = transcript.word_count()
    length = (
        with_article(f"{max(1, round(duration / 60))}-minute call")
        if duration
        else with_article(f"{words}-word call")
    )
    customer = metadata.customer.name if metadata.customer else "the customer"
    ours = [p.name for p in roster.people if p.side is Side.US and p.present]
    theirs = [p.name for p in roster.people if p.side is Side.CUSTOMER and p.present]
    unknown = [
        p.name for p in roster.people if p.side is None and p.words and p.name != UNKNOWN_SPEAKER
    ]
    who = []
    if theirs:
        who.append(f"{customer} ({join_names(theirs)})")
    if ours:
        who.append(f"{company_name} ({join_names(ours)})")
    if unknown:
        who.append(f"{join_names(unknown)} (side unknown)")
    parts = [f"Offline analyzer summary: {length}"]
    if metadata.title:
        parts[0] += f', "{metadata.title}"'
    parts[0] += f" with {join_names(who)}." if who else "."
    if stats.topics:
        parts.append(f"Main topics (most frequent keywords): {', '.join(stats.topics)}.")
    counts = Counter(i.owner.side if i.owner else None for i in items)
    dated = sum(1 for i in items if i.due_date)
    commitments = (
        f"Action items found: {len(items)} ({counts[Side.US]} for {company_name}, "
        f"{counts[Side.CUSTOMER]} for {customer}"
    )
    if counts[None]:
        commitments += f", {counts[None]} with no known side"
    parts.append(commitments + f"; {dated} with a due date).")
    sentiment = stats.sentiment
    parts.append(
        f"Sentiment from cue words: {sentiment} "
        f"({stats.positive} positive, {stats.negative} negative)."
    )
    risks = find_risks(transcript, stats.risky)
    if risks:
        parts.append(f"{len(risks)} risk phrase(s) flagged; see the risks.")
    return CallSummary(text=" ".join(parts), sentiment=sentiment, risks=risks)
