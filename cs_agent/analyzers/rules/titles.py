"""Item titles: the verb phrase after a cue made a short imperative.

Dates, fillers and pronouns are fixed ("send you the list" becomes "Send the list"), and the
patterns that end a title's verb phrase live here too.
"""

from __future__ import annotations

import re
from typing import Final

from cs_agent.analyzers.rules.dates import DATE
from cs_agent.analyzers.rules.lexicon import APOS, TITLE_STOP

_TITLE_MAX: Final = 80

# Where a title's verb phrase ends.
TITLE_END = re.compile(
    rf"""
      \s*[;:!?]
    | \s+[-–—]+\s+ | \s*[–—]\s* | \s*\.\.\.
    | ,\s*(?=(?:and|but|so|because|since|which|who|where|or|once|if|when|while|as|plus|though
             |although|unless|then|just\s+in\s+case|in\s+case|assuming|provided|that\s+way
             |otherwise|is\s+that|does\s+that|right|okay|ok|sound|sorry|I\s+mean|actually)\b)
    | \s+(?=(?:but|so\s+that|so|because|since|once|unless|while|whereas|although|though
             |as\s+soon\s+as|in\s+case|which\s+means|assuming|provided\s+that|and\s+then\s+(?:I|we))\b)
    | \s+(?=(?:if|when|whenever)\b)
    | ,\s*(?=(?:I|we|you|they|he|she|it|that|this|there)(?:{APOS}|\s)\w)
    | \s+(?=and\s+(?:you|they|he|she|it|there)(?:{APOS}|\s)\w)
    | \s+(?=with\s+(?:what|how|why|whatever)\b)
    | [\s,]+(?=I{APOS}m\s+not\s+sure|I\s+am\s+not\s+sure|I\s+don{APOS}t\s+know|I\s+dunno|I\s+guess|I\s+think)
    | \.\s*$ | \.(?=\s)
    """,
    re.IGNORECASE | re.VERBOSE,
)
KEEPS_IF = re.compile(
    r"\b(?:check|see|confirm|ask|know|verify|find\s+out|figure\s+out|test|whether|let\s+\w+\s+know)\s*$",
    re.IGNORECASE,
)

_TITLE_DATE = re.compile(
    rf"""(?:\b(?:by|before|until|till|no\s+later\s+than|on|for|at|around|starting|from|within
        |in|sometime|some\s+time|due)\s+)?(?:the\s+)?(?:{DATE.pattern})
    |\bat\s+(?:\d{{1,2}}(?::\d\d)?\s*(?:am|pm|a\.m\.|p\.m\.)?|noon|one|two|three|four|five|six
        |seven|eight|nine|ten|eleven|twelve)(?:\s+(?:am|pm|a\.m\.|p\.m\.|o{APOS}clock))?\b
    |\b(?:asap|as\s+soon\s+as\s+(?:possible|I\s+can|we\s+can)|right\s+away|immediately
        |first\s+thing|right\s+now|real\s+quick|later|soon)\b""",
    re.IGNORECASE | re.VERBOSE,
)
_TITLE_FILLER = re.compile(
    r",?\s*\b(?:um+|uh+|erm|mm+|hmm+|mhm|(?<![-'’])[b-hj-z](?![-'’])|you\s+know|I\s+mean|basically|actually|literally|just|definitely"
    r"|probably|quickly|certainly|totally|really|go\s+ahead\s+and)\b,?",
    re.IGNORECASE,
)
_YOU: Final = r"(?:you\s+guys|you\s+all|y['’]all|you)"
_INDIRECT = re.compile(
    rf"""\b(?P<verb>send|sending|get|getting|give|giving|email|e-mail|forward|show|bring|mail
        |shoot|ping|text|pass|hand|drop|write|find|pull|make|put\s+together\s+for)
    (?P<over>\s+over)?\s+(?:{_YOU}|me|us|him|her|them|everyone|everybody)\b
    (?=\s+(?!(?:know|to|up|back|in|on|off|added|set|through|posted|updated)\b)(?!\w+ed\b)\w)""",
    re.IGNORECASE | re.VERBOSE,
)
_TO_YOU = re.compile(
    rf"\s+(?:(?:over|back)\s+)?(?:to|for)\s+(?:{_YOU}|me|us)\b(?!\s+(?:two|both|all|three))", re.I
)
_BACK_TO_YOU = re.compile(rf"\b(?P<word>back|over)\s+to\s+(?:{_YOU}|me|us)\b", re.IGNORECASE)
_WITH_YOU = re.compile(rf"\bwith\s+{_YOU}\b", re.IGNORECASE)
_WITH_ME = re.compile(r"\bwith\s+(?P<who>me|us)\b", re.IGNORECASE)
_PRONOUNS = re.compile(
    rf"\b(?P<you>{_YOU})\b|\b(?P<your>your|our|my)\b|\b(?P<yours>yours)\b"
    r"|\b(?P<me>me)\b|\b(?P<us>us)\b|\b(?P<self>myself|ourselves|yourself|yourselves)\b",
    re.IGNORECASE,
)
_SEND_OVER = re.compile(r"\b(send|shoot|pass|get)\s+over\b", re.IGNORECASE)
_DANGLING = re.compile(
    r"(?:[\s,;:.!?'\"]+|(?<![-\w])(?:and|or|but|so|with|to|by|for|the|a|an|of|at|on|in|from|then|that"
    r"|as|well|like|um|uh|over|this|your|our|until|before|within|around|starting|also|too"
    r"|yeah|yes|yep|okay|ok|right|mm|hmm|oh|alright"
    r"|either|now|here|there|due|sometime)\b)+$",
    re.IGNORECASE,
)
_LEADING_JUNK = re.compile(
    r"^(?:[^\w(]+|\b(?:and|then|also|so|to|just|yeah|yes|yep|okay|ok|um+|uh+|erm|mm+|hmm+|oh|well"
    r"|like|right|alright|sorry|be)\b)+",
    re.IGNORECASE,
)
_TRAILING_JUNK = re.compile(r"[^\w)]+$")
# Transcript markers ("{disfmarker}", "{vocalsound}", "{gap}") and spelled acronyms ("T_V_").
_MARKER = re.compile(r"\{\w+\}|\[\w+\]")
_SPELLED = re.compile(r"\b(?:[A-Za-z]_){2,}")
# One pass for the clean-ups: "the the", stutters ("send send"), space before commas, ",,".
_TITLE_TIDY = re.compile(
    r"\b(?P<the>the)\s+the\b|\b(?P<repeat>\w+)(?:[\s,]+(?P=repeat)\b)+|\s+(?P<punct>[,.;:])"
    r"|,(?:\s*,)+",
    re.IGNORECASE,
)
_GERUNDS: Final = {
    "making": "make",
    "taking": "take",
    "sharing": "share",
    "writing": "write",
    "scheduling": "schedule",
    "creating": "create",
    "updating": "update",
    "preparing": "prepare",
    "having": "have",
    "giving": "give",
    "using": "use",
    "closing": "close",
    "providing": "provide",
    "reviewing": "review",
    "issuing": "issue",
    "reissuing": "reissue",
    "arranging": "arrange",
    "coming": "come",
    "getting": "get",
    "setting": "set",
    "putting": "put",
    "running": "run",
    "shipping": "ship",
    "doing": "do",
    "playing": "play",
}
_DELIVERED = re.compile(rf"\b(?:over\s+)?to\s+(?:{_YOU}|me|us)\b", re.IGNORECASE)
PRONOUN_OBJECT = re.compile(r"\b(?:it|that|this|them|those|these)\b", re.IGNORECASE)
HAVE_DONE = re.compile(
    r"\b(?:ready|done|finished|complete|live|available|in\s+place|on\s+standby|standby|over|out"
    r"|to\s+you|back\s+to|\w+ed|\w+en)\b",
    re.IGNORECASE,
)


def _without_fragments(text: str) -> str:
    """ASR cut-offs dropped: "protu product", "th technical", "cl a clay" keep the whole word."""
    words = text.split(" ")
    kept = []
    for n, word in enumerate(words):
        bare = word.lower().strip(",.;:")
        ahead = [w.lower() for w in words[n + 1 : n + 3]]
        if (
            1 < len(bare) <= 8
            and bare.isalpha()
            and bare not in TITLE_STOP
            and any(w.startswith(bare) and len(w.strip(",.;:")) > len(bare) for w in ahead)
        ):
            continue
        kept.append(word)
    return " ".join(kept)


def _strip_dangling(text: str) -> str:
    previous = None
    while previous != text:
        previous = text
        text = _DANGLING.sub("", text)
        text = _TRAILING_JUNK.sub("", text)
        text = _LEADING_JUNK.sub("", text)
    return text


def _base_verb(word: str) -> str:
    lowered = word.lower()
    if lowered in _GERUNDS:
        return _GERUNDS[lowered]
    if lowered.endswith("ing") and len(lowered) > 5:
        stem = lowered[:-3]
        if len(stem) > 2 and stem[-1] == stem[-2] and stem[-1] not in "lsz":
            stem = stem[:-1]
        return stem
    return lowered


def _title_case(text: str) -> str:
    return text[:1].upper() + text[1:]


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit]
    if " " in cut:
        cut = cut[: cut.rfind(" ")]
    return _strip_dangling(cut)


def make_title(body: str, *, you: str, me: str, us: str) -> str:
    """A short imperative from a verb phrase: dates, fillers and pronouns fixed."""
    text = _MARKER.sub(" ", body)
    text = _SPELLED.sub(lambda m: m.group().replace("_", ""), text)
    text = _TITLE_DATE.sub(" ", text)
    text = _TITLE_FILLER.sub(" ", text)
    text = _SEND_OVER.sub(lambda m: m.group(1), text)
    if _PRONOUNS.search(text):
        text = _fix_pronouns(text, you=you, me=me, us=us)
    text = _TITLE_TIDY.sub(_tidy, text)
    text = _without_fragments(" ".join(text.split()))
    text = _strip_dangling(text)
    text = _TITLE_TIDY.sub(_tidy, text)  # again: a marker may have hidden a stutter
    words = text.split(" ", 1)
    if words and words[0].lower().endswith("ing"):
        text = " ".join([_base_verb(words[0]), *words[1:]])
    elif words and words[0].lower() == "have" and _DELIVERED.search(body):
        text = " ".join(["deliver", *words[1:]])  # "we'll have the RCA to you" is a delivery
    return _title_case(_shorten(text, _TITLE_MAX))


def _tidy(match: re.Match[str]) -> str:
    if match["the"]:
        return match["the"]
    if match["repeat"]:
        return match["repeat"]
    return match["punct"] or ","


def _fix_pronouns(text: str, *, you: str, me: str, us: str) -> str:
    """ "send you the list" → "send the list"; "with you" → "with <them>"; "your" → "the"."""
    text = _INDIRECT.sub(lambda m: m["verb"] + (m["over"] or ""), text)
    text = _BACK_TO_YOU.sub(lambda m: m["word"], text)
    text = _TO_YOU.sub("", text)
    text = _WITH_YOU.sub(f"with {you}", text)
    text = _WITH_ME.sub(lambda m: f"with {me if m['who'].lower() == 'me' else us}", text)

    def pronoun(match: re.Match[str]) -> str:
        if match["you"]:
            return you
        if match["your"]:
            return "the"
        if match["yours"]:
            return f"{you}'s"
        if match["me"]:
            return me
        if match["us"]:
            return us
        return ""

    return _PRONOUNS.sub(pronoun, text)


def title_end(rest: str) -> int:
    """Where the verb phrase of a title ends in ``rest`` (the words after a cue)."""
    for match in TITLE_END.finditer(rest):
        if match.start() == 0:
            continue
        boundary = rest[match.end() : match.end() + 8].lower()
        if boundary.startswith(("if", "when")) and KEEPS_IF.search(rest[: match.start()]):
            continue
        return match.start()
    return len(rest)
