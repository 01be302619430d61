"""How sure the offline analyzer is that a candidate is an action item, and why it drops one.

A candidate's score is **cue strength × deliverable × specificity**, each between 0 and 1:

- *cue strength*: "I'll …", an assignment and an accepted request are strong; "we'll …" is
  weaker (as often the plan for the next ten minutes as a promise), weaker still in a meeting
  with nobody from a customer; a question nobody answered yes is weak. A hedge ("I think …",
  "maybe …", "I'm not sure …") halves it, and "I'll just …" (a small act done on the spot) cuts it.
- *deliverable*: whether the act outlives the meeting. Verbs that produce something later (send,
  review, fix, schedule, find out, prepare …) score 1; acts inside the meeting (draw, sit down,
  pass the pen, present, go to the next slide, take a break, the whiteboard, the slides) score 0;
  other verbs (make, use, do …) score ½ unless something points past the meeting (a date, "next
  meeting", "to you", "by email", a folder). In an internal meeting the generic verbs (get,
  build, test, design …) need such a pointer too.
- *specificity*: a title with two or more content words (or one and a date) scores 1, one 0.8,
  none 0.4.

Candidates under ``THRESHOLD`` are dropped, each with the reason that weighed most, so the
analysis can say how many were dropped and why. Precision comes first: for the offline analyzer
a missed item costs less than a junk one.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Final

from cs_agent.analyzers.rules.candidates import Candidate
from cs_agent.analyzers.rules.lexicon import APOS, word_set
from cs_agent.analyzers.rules.titles import HAVE_DONE

THRESHOLD: Final = 0.55
"""Candidates scoring below this are not filed."""

IN_MEETING_ACT: Final = "in-meeting act"
HEDGE: Final = "hedge"
UNANSWERED: Final = "unanswered question"
NO_DELIVERABLE: Final = "no lasting deliverable"
VAGUE: Final = "vague title"
_PLURALS: Final = {
    IN_MEETING_ACT: "in-meeting acts",
    HEDGE: "hedges",
    UNANSWERED: "questions not answered yes",
    NO_DELIVERABLE: "with nothing that outlives the meeting",
    VAGUE: "vague titles",
}
_SINGULARS: Final = {
    UNANSWERED: "question not answered yes",
    NO_DELIVERABLE: "with nothing that outlives the meeting",
}

_HEDGE_REACH: Final = 30
"""How many characters past a title's verb phrase a hedge still qualifies it."""
_HEDGE = re.compile(
    rf"""\b(?:I\s+think|I\s+guess|I\s+suppose|I\s+figure[ds]?|I\s+reckon|I\s+assume|I\s+presume
    |maybe|perhaps|possibly|probably|might|hopefully|I{APOS}m\s+not\s+sure|I\s+am\s+not\s+sure
    |not\s+sure|don{APOS}t\s+know|do\s+not\s+know|dunno|no\s+idea|I\s+wonder|I\s+thought)\b""",
    re.IGNORECASE | re.VERBOSE,
)
# What happens in the meeting itself: the body of the cue starts with one of these.
_IN_MEETING = re.compile(
    r"""(?:draw|sketch|sit|stand|pass|hand\s+(?:over|the\s+pen)|turn\s+(?:it\s+|this\s+)?over\s+to|present|show|go|start|begin
    |continue|move\s+on|zip|break|lunch|take\s+(?:a|the|our)\s+(?:\w+\s+)?(?:break|lunch|minute|second)
    |have\s+(?:a\s+|our\s+|the\s+)?(?:lunch|break|coffee)|try\s+out|practi[cs]e|note|leave\s+space
    |raise\s+(?:a|another|one)\s+point|rate|put\s+(?:a\s+)?(?:one|two|three|four|five|six|seven|point|\d)
    |separate\s+the|work\s+out\s+the\s+average|average|do\s+the\s+(?:calculation|maths|math|rating)s?
    |call\s+(?:that|the|this)\s+slide|click|press|plug|unplug|hold|grab|erase|recap|summari[sz]e
    |review\s+what|go\s+over|read|talk|speak|discuss|chat|consider|come\s+to|get\s+(?:round|around)\s+to
    |wrap|finish|save\s+(?:this|it|that|the\s+file|these|a\s+copy)|use\s+(?:the|my|your|this|a)\s+(?:spare\s+)?(?:pen|board|whiteboard|white\s+board|mouse
      |laptop|slide|one))\b""",
    re.IGNORECASE | re.VERBOSE,
)
# Anywhere in the body: a thing only this meeting has.
_IN_MEETING_OBJECT = re.compile(
    r"""\b(?:right\s+now|now|here|(?:white|smart|flip)\s*(?:board|chart)|on\s+the\s+board|slides?|agenda|presentations?
    |this\s+meeting|the\s+meeting|the\s+pen|favou?rite\s+animal)\b""",
    re.IGNORECASE | re.VERBOSE,
)
# Past the meeting: a date, the next meeting, the recipient, a channel.
_LATER = re.compile(
    r"""\b(?:next\s+(?:meeting|time|session|call|week|month)|before\s+the\s+next|after\s+(?:this|the)
    \s+(?:call|meeting)|update\s+(?:you|everyone|the\s+team)\s+on|by\s+e-?mail|in\s+writing|to\s+(?:you|them|him|her|everyone)|back\s+to|for\s+you
    |offline|follow[-\s]?up|folder|shared\s+drive
    |(?:in|into)\s+(?:the\s+|our\s+|my\s+)?(?:final\s+|end\s+|project\s+)?(?:report|minutes
      |project\s+documents)|documents?\s+(?:file|folder)|tomorrow|tonight|later\s+today|this\s+week|end\s+of
    |ready|in\s+place|on\s+standby)\b""",
    re.IGNORECASE | re.VERBOSE,
)
# Verbs whose act produces something after the meeting (the first verb of the title).
DELIVERABLE_VERBS: Final = word_set(
    """send resend re-send share email e-mail forward mail post upload publish deliver review fix
    patch repair resolve schedule reschedule book invite arrange organize organise set find figure
    investigate research dig check double-check confirm verify validate audit look prepare draft
    write compile document update chase escalate ask follow circle report reissue issue refund
    credit waive extend apply process backfill rerun re-run restore reset reproduce test enable
    turn roll ship release create open file build design prototype model develop implement
    install configure provision migrate deploy get bring loop introduce connect reach run train
    record add nominate pick assign sign countersign approve submit quote price invoice renew
    cancel clarify explore analyze analyse estimate plan outline summarise summarize pencil fill
    work trend deliver provide order buy purchase contact call phone ping text hire
    evaluate study measure survey interview collect gather restart brief notify inform"""
)
# In an internal meeting only these count on their own; "get", "build", "test", "design" are as
# often the work of the meeting itself.
CORE_DELIVERABLE_VERBS: Final = word_set(
    """send resend re-send share email e-mail forward mail post upload publish deliver review fix
    schedule reschedule book invite investigate research confirm prepare draft document update
    chase escalate reissue refund credit evaluate survey interview fill"""
)
_PHRASES_LATER = re.compile(
    r"""(?:come|get|circle|report)\s+back|find\s+out|figure\s+out|look\s+(?:more\s+)?(?:into|at|up)|follow\s+up
    |set\s+up|write\s+up|put\s+together|sort\s+out|work\s+on|have\s+a\s+look|check\s+(?:in|on|with)
    |do\s+(?:some\s+|the\s+|a\s+)?(?:\w+\s+){0,2}?(?:trend|research|market|user|evaluation|analysis|study
      |survey|watching)|reach\s+out|loop\s+in|let\s+\w+\s+know
    |and\s+(?:send|share|email|forward|confirm)""",
    re.IGNORECASE | re.VERBOSE,
)
# Work that can only be done after the meeting: "we'll have to look into that".
_LASTING_REQUEST = re.compile(
    r"(?:look\s+(?:more\s+)?into|find\s+out|figure\s+out|follow\s+up|research|investigate"
    r"|check\s+(?:on|with|whether|if))\b",
    re.IGNORECASE,
)
# "come back to the evaluation", "come back and discuss": a later point of this meeting, unlike
# "come back to you" (a reply after it).
_BACK_HERE = re.compile(
    r"(?:come|get|go)\s+back\s+(?:to\s+(?:the|this|that|it|those|these|your|our)\b|and\s+(?:discuss"
    r"|talk|look|decide|see))",
    re.IGNORECASE,
)
_NEXT_MEETING = re.compile(r"\bnext\s+(?:meeting|time|session|call|week)\b", re.IGNORECASE)
_JUST = re.compile(r"\bjust\b", re.IGNORECASE)
_FIRST_WORD = re.compile(r"[A-Za-z][\w'’-]*")


def _cue_strength(candidate: Candidate, *, one_team: bool) -> float:
    group, cue = candidate.group, candidate.cue.lower()
    if candidate.kind == "request":
        question = candidate.quote.rstrip().endswith("?") or cue.startswith(
            ("can ", "could ", "would ", "will ", "do you", "are you", "is there")
        )
        if candidate.accepted:
            return 1.0
        return 0.4 if question else 0.8
    if candidate.kind == "offer":
        return 0.9 if candidate.accepted else 0.3
    we = bool(re.match(r"we\b", cue))
    if group == "commit":
        # "we'll …" is as often the plan for the next ten minutes as a promise; with nobody from
        # a customer on the call it is the team's own plan more often still.
        if not we:
            return 1.0
        lasting = _LATER.search(candidate.rest) or _LASTING_REQUEST.match(candidate.title)
        return 0.4 if one_team and not lasting else 0.6
    if group == "weak":
        return 0.5 if we else 0.8
    return {"let_me": 0.9, "plan": 0.8, "agenda": 1.0}.get(group, 0.9)


def _deliverable(candidate: Candidate, *, one_team: bool) -> float:
    body = candidate.body.strip()
    title = candidate.title
    later = candidate.due is not None or candidate.handoff or bool(_LATER.search(body))
    if (
        (_BACK_HERE.match(body) or _BACK_HERE.match(title))
        and candidate.due is None
        and not _NEXT_MEETING.search(body)
    ):
        return 0.0  # "we'll come back to the product evaluation": later in this meeting
    if _IN_MEETING.match(body) or _IN_MEETING.match(title):
        # "go through it with the managers and come back to you" ends past the meeting.
        if candidate.due is not None or _PHRASES_LATER.search(body):
            return 1.0
        return 0.5 if later else 0.0
    if _IN_MEETING_OBJECT.search(body) and not later:
        return 0.0
    first = _FIRST_WORD.match(title)
    verb = first.group().lower() if first else ""
    if verb == "look" and not re.match(r"look\s+(?:more\s+)?into", title, re.IGNORECASE):
        return 1.0 if later else 0.5  # "we'll look at the exterior" is this meeting's agenda
    if verb == "have" and HAVE_DONE.search(body):
        return 1.0  # "have one of our engineers on standby", "have a prototype ready"
    if _PHRASES_LATER.match(title) or verb in CORE_DELIVERABLE_VERBS:
        return 1.0
    if verb in DELIVERABLE_VERBS and not one_team:
        return 1.0
    return 1.0 if later else 0.5


def _specificity(candidate: Candidate) -> float:
    words = len(candidate.content)
    if words >= 2 or (words == 1 and candidate.due is not None):
        return 1.0
    return 0.8 if words == 1 else 0.4


def score_candidate(candidate: Candidate, *, one_team: bool = False) -> tuple[float, str | None]:
    """The candidate's score and, when it is under ``THRESHOLD``, the main reason.

    ``one_team``: nobody on the call is known to be a customer (an internal meeting).
    """
    strength = _cue_strength(candidate, one_team=one_team)
    # "I think we'll …" before the cue, or "we'll meet back at, I'm not sure, …" after it.
    # After the cue only near its verb phrase: "…, or as much as seems like, maybe not the
    # articles" qualifies what follows, not the promise.
    near = candidate.rest[: len(candidate.body) + _HEDGE_REACH]
    hedged = bool(_HEDGE.search(candidate.before) or _HEDGE.search(near))
    if hedged:
        strength *= 0.5
    if _JUST.search(candidate.lead):
        strength *= 0.6  # "I'll just put the cable in": a small act, usually done on the spot
    deliverable = _deliverable(candidate, one_team=one_team)
    specificity = _specificity(candidate)
    value = round(strength * deliverable * specificity, 3)
    candidate.score = value
    if value >= THRESHOLD:
        return value, None
    if deliverable == 0.0:
        reason = IN_MEETING_ACT
    elif hedged:
        reason = HEDGE
    elif candidate.kind == "request" and not candidate.accepted:
        reason = UNANSWERED
    elif specificity < deliverable:
        reason = VAGUE
    else:
        reason = NO_DELIVERABLE
    return value, reason


def keep_scored(
    candidates: list[Candidate], dropped: Counter[str], *, one_team: bool = False
) -> list[Candidate]:
    """The candidates at or above ``THRESHOLD``; each dropped one counted under its reason."""
    kept = []
    for candidate in candidates:
        if candidate.vague:
            kept.append(candidate)  # "Sure, I'll get that to you": only ever merged into a request
            continue
        _, reason = score_candidate(candidate, one_team=one_team)
        if reason is None:
            kept.append(candidate)
        else:
            dropped[reason] += 1
    return kept


def dropped_note(dropped: dict[str, int]) -> str | None:
    """ "Dropped 12 candidate items scoring under 0.55: 7 in-meeting acts, 3 hedges, …"."""
    total = sum(dropped.values())
    if not total:
        return None
    parts = ", ".join(
        f"{count} {_PLURALS[reason] if count > 1 else _SINGULARS.get(reason, reason)}"
        for reason, count in sorted(dropped.items(), key=lambda r: -r[1])
    )
    noun = "candidate item" if total == 1 else "candidate items"
    return (
        f"Dropped {total} {noun} scoring under {THRESHOLD} (cue strength × deliverable × "
        f"specificity): {parts}."
    )
