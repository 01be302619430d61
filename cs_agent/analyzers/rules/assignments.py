"""Assignments: work handed to someone else ("you will …", "the Designer to work on …").

Three cue shapes a meeting's organiser uses that the first-person cues miss:

- **"you will (have to) …"**, "you're going to …": work given to the person or people addressed.
- **"X will be sent to you"**, "you'll get X from …": something the team will receive; the item is
  the sending, owned by the speaker's side.
- **a role or name as subject**, "Marketing will find …", "the User Interface Designer to work
  on …": work given to that attendee (role names are speaker names in role-played meetings).
"""

from __future__ import annotations

import re
from typing import Final

from cs_agent.analyzers.rules.lexicon import APOS

ASSIGN: Final = re.compile(
    rf"""(?=[yY])\byou(?:\s+(?:all|guys|two|both))?
    (?:(?:{APOS}ll|\s+will|\s+shall)(?:\s+(?:all|both))?(?:\s+(?:have|need)\s+to)?
      |(?:{APOS}re|\s+are)(?:\s+(?:all|both))?\s+(?:going\s+to|gonna))\b(?!\s*\?)""",
    re.IGNORECASE | re.VERBOSE,
)
"""\"you will have to …\", \"you're going to …\": a task for whoever is addressed."""

SENT_TO_YOU: Final = re.compile(
    r"""(?P<thing>\b(?:the\s+|some\s+|more\s+|all\s+|specific\s+|further\s+|detailed\s+)*
        [a-z][\w-]*(?:\s+[a-z][\w-]*){0,3}?)\s+(?:will|(?:is|are)\s+going\s+to)\s+be\s+
        (?:sent|e-?mailed|mailed|shared|forwarded|given)\s+to\s+(?:you|y['’]all|everyone|everybody)\b""",
    re.IGNORECASE | re.VERBOSE,
)
"""\"instructions will be sent to you\": the team will receive something after the meeting."""

CONDITION_OR_COMMITMENT: Final = re.compile(
    rf"\b(?:if|when|whenever|unless|once|(?:I|we)(?:{APOS}ll|\s+will))\b", re.IGNORECASE
)
"""Before "you'll get …": a condition ("if you read before that") or the speaker's own promise, of
which the receiving is only the consequence."""

SENT_HINT: Final = re.compile(
    r"\bbe\s+(?:sent|e-?mailed|mailed|shared|forwarded|given)\s+to\b", re.I
)
"""A cheap test for `SENT_TO_YOU`, which has to start at every word."""

CLAUSE_LEAD: Final = re.compile(
    r"^(?:(?:and|so|but|then|also|um+|uh+|okay|ok|well|yeah)\b[\s,]*)+", re.IGNORECASE
)
"""Words that open the clause, not the thing sent: "And so specific instructions …"."""

TRAILING_NAME: Final = re.compile(r",\s*(?:the\s+)?(?P<name>[^,]{2,40}?)\s*[.!]*$")
"""A name said at the end of a task ("…, Marketing"): who it is for, not part of it."""

RECEIVE: Final = re.compile(r"(?:be\s+)?(?:get|receive|getting|receiving)\b", re.IGNORECASE)
"""An assignment whose verb is receiving ("you'll get more instructions") is a sending."""

FROM_SENDER: Final = re.compile(r"\s+from\s+(?:your|the|our|my)\s+[\w\s-]*$", re.IGNORECASE)
""""… from your personal coach": who sends it, not part of the task."""

NOT_ASSIGNED_BEFORE: Final = re.compile(
    r"\b(?:if|when|whenever|as|unless|what|how|where|which|whether|than|once|until|so\s+that|like)\s*$",
    re.IGNORECASE,
)
"""\"as you will see\", \"if you'll have time\": a clause about the listener, not a task."""

_ROLE_SUFFIX: Final = r"(?:\s+(?:expert|designer|team|department|manager|lead|people))?"


def role_pattern(names: list[str]) -> re.Pattern[str] | None:
    """ "Marketing will …", "the Industrial Designer to work on …" for the attendees ``names``.

    Case-insensitive, unlike the first-name cue: a role is said in lower case as often as not.
    """
    usable = sorted({n for n in names if len(n) > 2}, key=len, reverse=True)
    if not usable:
        return None
    alternatives = "|".join(r"\s+".join(map(re.escape, n.split())) for n in usable)
    return re.compile(
        rf"""\b(?:the\s+)?(?P<role>{alternatives}){_ROLE_SUFFIX}(?:\s+over\s+(?:here|there))?
        (?:\s+(?:will|shall|(?:is|are)\s+(?:going\s+to|gonna)|(?:has|have)\s+to|needs?\s+to)
          |\s+to(?=\s+(?:work|look|find|research|prepare|check|send|write|design|build|make)\b))\b""",
        re.IGNORECASE | re.VERBOSE,
    )


def role_names(names: list[str]) -> re.Pattern[str] | None:
    """Any of the attendees ``names`` said as a role or name ("the Industrial Designer")."""
    usable = sorted({n for n in names if len(n) > 2}, key=len, reverse=True)
    if not usable:
        return None
    alternatives = "|".join(r"\s+".join(map(re.escape, n.split())) for n in usable)
    return re.compile(rf"\b(?:{alternatives})\b", re.IGNORECASE)
