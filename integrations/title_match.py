"""Whether two task titles say the same thing: the duplicate check every tracker shares.

Titles are compared by their meaningful words (stop words and filler verbs dropped), so
"Send the revised pricing proposal" and "Revised pricing proposal" match while "Send the
security questionnaire" does not.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[a-z0-9]+")
_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "the",
        "to",
        "of",
        "for",
        "on",
        "in",
        "with",
        "by",
        "from",
        "at",
        "our",
        "your",
        "their",
        "we",
        "you",
        "i",
        "it",
        "is",
        "be",
        "up",
        "send",
        "sends",
        "share",
        "follow",
        "followup",
        "set",
        "get",
    ]
)


def title_tokens(title: str) -> set[str]:
    """The words of a title that carry meaning, for fuzzy matching of duplicates."""
    return {w for w in _WORD.findall(title.lower()) if w not in _STOPWORDS and len(w) > 1}


def title_similarity(a: str, b: str) -> float:
    """Jaccard similarity of two titles' meaningful words (0.0 to 1.0)."""
    left, right = title_tokens(a), title_tokens(b)
    if not left or not right:
        return 0.0
    return len(left & right) / len(left | right)
