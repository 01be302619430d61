"""Work handed out at the end of a meeting, and assignments whose owner was named a turn earlier.

A chair closing a meeting hands out the work in a few turns: "we'll meet again in thirty minutes
… you will focus on the component concept", "you're looking at the working design". In those
turns an assignment outlives the meeting even when its verb alone ("focus", "look at") would not
say so. The chair may also name the owner first and give the task in the next turn ("The
Industrial Designer, what does that stand for?" … "is going to be looking more into the working
design"), and the team may be told what it will receive ("your personal coach will send you some
instructions").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

from cs_agent.analyzers.rules.lexicon import APOS
from cs_agent.core.domain import Utterance

HANDOFF_TURN: Final = re.compile(
    r"""\b(?:next\s+(?:meeting|session|phase|round)|individual\s+work|before\s+we\s+meet\s+again
    |(?:meet|meeting|see\s+(?:you|each\s+other))(?:\s+(?:all|again|back))*\s+in\s+(?:another\s+)?
      (?:\w+\s+)?(?:minutes|half\s+an\s+hour|an\s+hour))\b""",
    re.IGNORECASE | re.VERBOSE,
)
"""A turn that speaks of the next meeting or of the work between meetings."""

HANDOFF_SPAN: Final = 4
"""How many turns after such a turn the same speaker may still be handing out work."""

YOU_WORKING: Final = re.compile(
    rf"\byou(?:{APOS}re|\s+are)(?=\s+(?:looking|working|focusing)\s+(?:at|on|into)\b)",
    re.IGNORECASE,
)
""" "you're looking at the working design": an assignment, but only while work is handed out."""

GROUP_ASSIGN: Final = re.compile(
    r"""\b(?:the\s+)?(?:two|three|both)\s+(?:of\s+you|designers|experts|engineers|teams)
    \s+(?:are\s+(?:going\s+to|gonna)|will)\b""",
    re.IGNORECASE | re.VERBOSE,
)
""" "the two designers are going to work together on the prototype": work for several attendees."""

YOUR_TASK: Final = re.compile(
    rf"""\b(?:it{APOS}s|it\s+is|that{APOS}s)\s+(?:(?:your|you)\s+)+(?:\w+\s+)?(?:task|job)\s+to
    |\byour\s+(?:\w+\s+)?(?:task|job)\s+(?:is|will\s+be)\s+to""",
    re.IGNORECASE | re.VERBOSE,
)
""" "it's your task to look into the costs": an assignment to whoever is addressed."""

SENDS_YOU: Final = re.compile(
    rf"""\b(?:your|the|our|my)\s+(?:[\w-]+\s+)?(?:coach|manager|team|assistant|secretary|office
        |department|colleague|lead|representative|rep)\s+will\s+(?:send|e-?mail|mail|forward)
        \s+(?:you|everyone|everybody|y{APOS}all)(?:\s+(?:all|guys))?\b(?P<thing>[^.?!;]*)""",
    re.IGNORECASE | re.VERBOSE,
)
""" "your personal coach will send you some instructions": something the team will receive."""

SENDS_HINT: Final = re.compile(
    r"\bwill\s+(?:send|e-?mail|mail|forward)\s+(?:you|everyone|everybody|y)", re.IGNORECASE
)
"""A cheap test for `SENDS_YOU`."""

SUBJECTLESS: Final = re.compile(
    r"""^(?:[\s,.]|\{\w+\}|\b(?:um+|uh+|yeah|yes|okay|ok|so|and|right)\b)*+
    (?P<cue>(?:is|are)\s+(?:going\s+to|gonna)|will|(?:has|have)\s+to)\b""",
    re.IGNORECASE | re.VERBOSE,
)
"""A turn that opens on the verb ("… um is going to be looking …"): its subject was said before."""

OWNER_LOOKBACK: Final = 3
"""How many turns back the subject of a subjectless turn may have been named."""


def handoff_turns(utterances: Sequence[Utterance]) -> frozenset[int]:
    """Turns where work is being handed out: one naming the next meeting and its speaker's next few."""
    found: set[int] = set()
    for index, utterance in enumerate(utterances):
        if not HANDOFF_TURN.search(utterance.text):
            continue
        found.add(index)
        for later in range(index + 1, min(index + 1 + HANDOFF_SPAN, len(utterances))):
            if utterances[later].speaker == utterance.speaker:
                found.add(later)
    return frozenset(found)


def named_before(utterances: Sequence[Utterance], index: int, names: re.Pattern[str]) -> str | None:
    """The last name ``names`` finds in the same speaker's turns just before ``index``."""
    speaker = utterances[index].speaker
    for earlier in range(index - 1, max(index - 1 - OWNER_LOOKBACK, -1), -1):
        if utterances[earlier].speaker != speaker:
            continue
        hits = list(names.finditer(utterances[earlier].text))
        if hits:
            return hits[-1].group()
    return None
