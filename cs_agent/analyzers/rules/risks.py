"""Risks: phrases that flag churn, a renewal at risk, a competitor, budget, an outage, an unhappy
customer or an escalation, each quoted with the sentence it was said in.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Final

from cs_agent.analyzers.rules.lexicon import APOS
from cs_agent.analyzers.rules.sentences import sentence_spans
from cs_agent.core.domain import Transcript, format_timestamp

_RISKS: Final = (
    (
        "Churn risk",
        re.compile(
            rf"\b(?:cancel(?:l?ing|l?ed|lation)?|churn\w*|terminat(?:e|ing|ion)"
            rf"|not\s+(?:going\s+to\s+)?renew\w*|won{APOS}t\s+renew|walk\s+away|move\s+away"
            r"|switch(?:ing)?\s+away|leave\s+the\s+platform|pull\s+the\s+plug)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "Renewal at risk",
        re.compile(
            r"\b(?:renewal\s+(?:is\s+)?at\s+risk|at\s+risk|(?:re)?consider(?:ing)?\s+(?:the\s+)?renewal"
            r"|(?:hold|holding)\s+off\s+on\s+(?:the\s+)?renewal|not\s+sure\s+(?:about|we['’]ll)\s+renew\w*)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "Competitor",
        re.compile(
            r"\b(?:competitors?|other\s+vendors?|rfp|switch(?:ing)?\s+to|shopping\s+around"
            r"|evaluat(?:e|ing)\s+(?:other|another)|looking\s+at\s+(?:other|alternatives)"
            r"|alternatives?)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "Budget",
        re.compile(
            r"\b(?:budget\s+(?:cuts?|freeze|is\s+tight|pressure|constraints?|reduction)"
            r"|cut(?:ting)?\s+(?:costs?|spend|the\s+budget|seats)|cost[-\s]cutting|too\s+expensive"
            r"|price\s+increase|pric(?:e|ing)\s+(?:hike|jump|went\s+up)|can['’]t\s+afford"
            r"|reduce\s+(?:seats|spend|the\s+contract)|downsiz\w*|tight\s+budget)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "Outage",
        re.compile(
            r"\b(?:outages?|downtime|went\s+down|was\s+down|data\s+loss|stopped\s+(?:updating|working)"
            r"|incident)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "Unhappy customer",
        re.compile(
            r"\b(?:frustrat\w*|not\s+happy|unhappy|disappoint\w*|unacceptable|lost\s+(?:trust|confidence)"
            r"|angry|upset|fed\s+up)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "Escalation",
        re.compile(
            r"\b(?:escalat\w*|legal\s+action|breach(?:ed)?|go(?:ing)?\s+over\s+your\s+head)\b",
            re.IGNORECASE,
        ),
    ),
)
# Every risk phrase holds a word starting with one of these; the word pass flags the turns that
# do, so the risk patterns only run on those.
RISK_STEMS: Final = (
    "cancel",
    "churn",
    "terminat",
    "renew",
    "compet",
    "alternativ",
    "vendor",
    "rfp",
    "switch",
    "shopping",
    "evaluat",
    "looking",
    "budget",
    "cut",
    "cost",
    "expensive",
    "pric",
    "afford",
    "reduc",
    "downsiz",
    "outage",
    "downtime",
    "down",
    "loss",
    "stopped",
    "incident",
    "frustrat",
    "happy",
    "unhappy",
    "disappoint",
    "unacceptable",
    "lost",
    "angry",
    "upset",
    "fed",
    "escalat",
    "legal",
    "breach",
    "head",
    "risk",
    "walk",
    "move",
    "leave",
    "plug",
    "hold",
    "consider",
    "reconsider",
    "tight",
)
_RISK_ANY = re.compile(
    "|".join(f"(?P<r{n}>{pattern.pattern})" for n, (_, pattern) in enumerate(_RISKS)),
    re.IGNORECASE,
)
_RISK_NEGATION = re.compile(
    rf"\b(?:no|not|never|don{APOS}t|didn{APOS}t|aren{APOS}t|isn{APOS}t|won{APOS}t|without"
    r"|nothing)\b[^,.;]{0,20}$",
    re.IGNORECASE,
)
_RISK_MAX_PER_KIND: Final = 2
_RISK_MAX: Final = 8


def find_risks(transcript: Transcript, risky: set[int]) -> list[str]:
    """Risk phrases with the sentence they were said in: at most two a kind, eight in all."""
    risks: list[str] = []
    per_kind: Counter[str] = Counter()
    for index in sorted(risky):
        utterance = transcript.utterances[index]
        text = utterance.text
        used: set[int] = set()
        for match in _RISK_ANY.finditer(text):
            label = _RISKS[int((match.lastgroup or "r0")[1:])][0]
            if per_kind[label] >= _RISK_MAX_PER_KIND:
                continue
            if _RISK_NEGATION.search(text[max(0, match.start() - 30) : match.start()]):
                continue
            span = next(
                (s for s in sentence_spans(text) if s[0] <= match.start() < s[1]), (0, len(text))
            )
            if span[0] in used:
                continue  # one risk a sentence
            used.add(span[0])
            excerpt = _excerpt(text, span, match.start(), match.end())
            stamp = format_timestamp(utterance.start)
            where = f"{utterance.speaker}, {stamp}" if stamp else utterance.speaker
            risks.append(f'{label} ("{match.group()}"): "{excerpt}" ({where})')
            per_kind[label] += 1
            if len(risks) >= _RISK_MAX:
                return risks
    return risks


def _excerpt(text: str, span: tuple[int, int], start: int, end: int, limit: int = 160) -> str:
    low, high = span
    if high - low <= limit:
        return text[low:high]
    low = max(low, start - limit // 2)
    high = min(high, end + limit // 2)
    while low > span[0] and not text[low - 1].isspace():
        low += 1
    while high < span[1] and not text[high].isspace():
        high -= 1
    return ("…" if low > span[0] else "") + text[low:high].strip() + ("…" if high < span[1] else "")
