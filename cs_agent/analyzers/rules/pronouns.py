"""A title whose object is only a pronoun ("I'll check it for you", "we'll have to look into
that") takes its object from the open question just before it.

"Can we go to channel twenty five? … I'll check that" files "Check whether we can go to channel
twenty five"; "I don't know whether that would be powerful enough … So we'll have to look into
that" files "Look into whether that would be powerful enough". Only an open question can stand in
for the pronoun: a question someone asked, or "I'm not sure / I don't know / I wonder whether …".
Without one the candidate stays vague and is not filed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

from cs_agent.analyzers.rules.lexicon import APOS
from cs_agent.analyzers.rules.sentences import sentence_spans
from cs_agent.core.domain import Utterance

LOOKBACK: Final = 2
"""How many turns before the commitment the question may have been asked."""

_VERB_PRONOUN = re.compile(
    r"""^(?P<verb>[A-Za-z]+(?:\s+(?:into|up|on|with|at))?)\s+(?:it|that|this)(?P<out>\s+out)?
    (?:\s+(?:for\s+(?:you|them|us|everyone)|as\s+well|too|then))?\W*$""",
    re.IGNORECASE | re.VERBOSE,
)
_MARKER = re.compile(r"\{\w+\}|\[\w+\]")
"""A title that is a verb and a pronoun: "Check that", "Look into that", "Find that out"."""

_UNSURE = re.compile(
    rf"""\b(?:(?:don{APOS}t|do\s+not|didn{APOS}t)\s+know|not\s+sure|no\s+idea|wonder(?:ing)?
    |(?:need|have)\s+to\s+(?:check|find\s+out|know))\s+(?P<q>(?:whether|if|what|how|why|where
    |when|which|who)\b[^.?!;]*)""",
    re.IGNORECASE | re.VERBOSE,
)
_WH_QUESTION = re.compile(
    r"(?:^|[,\s])(?P<q>(?:what|how|why|where|when|which|who)\b[^?.!;]*)\?", re.IGNORECASE
)
_YES_NO = re.compile(
    r"^\W*(?:(?:so|and|but|um+|uh+|well|okay)[\s,]+)*(?P<aux>is|are|can|could|will|would"
    r"|should|has|have)\s+(?P<subject>we|it|there|they)\s+(?P<rest>[^?.!;]+)\?",
    re.IGNORECASE,
)
_ABOUT_SPEAKER = re.compile(r"(?:if|whether)\s+I\b", re.IGNORECASE)
""" "I don't know if I can find that" is about the speaker, not the open question."""
_MAX_WORDS: Final = 12


def resolve_pronoun(
    body: str, utterances: Sequence[Utterance], index: int, sentence_number: int
) -> str | None:
    """The verb phrase ``body`` ("check that") with its pronoun replaced by the open question
    before it, or None when it is not a bare verb and pronoun or no question comes before."""
    shape = _VERB_PRONOUN.match(" ".join(_MARKER.sub(" ", body).split()))
    if shape is None:
        return None
    question = _open_question(utterances, index, sentence_number)
    if question is None:
        return None
    verb = shape["verb"] + (" out" if shape["out"] else "")
    words = question.split()
    if len(words) > _MAX_WORDS:
        return None  # a long ramble is no object for a title
    return f"{verb} {question}"


def _open_question(utterances: Sequence[Utterance], index: int, sentence_number: int) -> str | None:
    """The nearest open question in the sentences before, this turn first, then earlier turns."""
    text = utterances[index].text
    spans = sentence_spans(text)[:sentence_number]
    candidates = [text[a:b] for a, b in reversed(spans)]
    for earlier in range(index - 1, max(index - 1 - LOOKBACK, -1), -1):
        previous = utterances[earlier].text
        last = sentence_spans(previous)
        candidates.extend(previous[a:b] for a, b in reversed(last[-2:]))
    for sentence in candidates:
        found = _question_in(sentence)
        if found:
            return found
    return None


def _question_in(sentence: str) -> str | None:
    unsure = _UNSURE.search(sentence)
    if unsure is not None and not _ABOUT_SPEAKER.match(unsure["q"]):
        return unsure["q"].strip(" ,")
    yes_no = _YES_NO.match(sentence)
    if yes_no is not None:
        subject, aux = yes_no["subject"].lower(), yes_no["aux"].lower()
        return f"whether {subject} {aux} {yes_no['rest'].strip(' ,')}"
    wh = _WH_QUESTION.search(sentence)
    if wh is not None:
        return wh["q"].strip(" ,")
    return None
