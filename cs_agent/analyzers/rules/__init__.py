"""The offline analyzer: cue-phrase rules for when no model credentials exist.

A fresh checkout has no API key, and the whole flow (items filed, a draft waiting for approval)
must still run. This module reads a call with regular expressions instead of a model:

- **Commitments** ("I'll send …", "we're going to …", "let me check …", "I can get you …")
  belong to the speaker. **Requests** ("Tom, can you …", "could you …", "please send …")
  belong to the person addressed by name, else to whoever accepts in the next turns (the other
  side first), else to the next speaker. **Offers** ("do you want me to …") count once the
  other side accepts. Negated, hypothetical and small-talk phrases ("I'll be honest", "we don't
  need to …", "if we were to …") are skipped.
- A request and its acceptance, a commitment said twice, or two cues in one sentence by the
  same person become one item.
- Titles are the verb phrase after the cue with dates, fillers and pronouns fixed; due dates
  come from a small resolver (`resolve_due_date`) against the call date; the quote is the
  sentence as said (a verbatim slice of the utterance text).
- The summary, sentiment and risks come from counts and cue words; the email is the
  ``followup_email_offline`` template filled in.

Everything it produces says it came from rules, not a model, so nobody mistakes it for one.
"""

from __future__ import annotations

import asyncio
import calendar
import datetime as dt
import re
import string
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

from cs_agent.core.domain import (
    OFFLINE_ANALYZER,
    ActionItem,
    CallAnalysis,
    CallMetadata,
    CallSummary,
    EmailDraft,
    Owner,
    Priority,
    Sentiment,
    Side,
    Transcript,
    Utterance,
    format_timestamp,
)
from cs_agent.core.ports import TaskTracker
from cs_agent.core.transcripts import UNKNOWN_SPEAKER, attendees_from, unmatched_speakers
from prompts import load_prompt

__all__ = ["ANALYZER_NAME", "EMAIL_TEMPLATE", "RulesAnalyzer", "resolve_due_date"]

ANALYZER_NAME = OFFLINE_ANALYZER
EMAIL_TEMPLATE: Final = "followup_email_offline"
"""The prompt (``prompts/<name>.md``) the follow-up email is rendered from."""

_TITLE_MAX: Final = 80
_QUOTE_MAX: Final = 320
_ACCEPT_WINDOW: Final = 3
"""How many turns after a request or offer to look for the answer."""
_TRACKER_CONCURRENCY: Final = 4

_Kind = Literal["commit", "request", "offer", "plan"]


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


# --- due dates ---------------------------------------------------------------------------------

_WEEKDAYS: Final = {
    "monday": 0,
    "tuesday": 1,
    "tues": 1,
    "wednesday": 2,
    "weds": 2,
    "thursday": 3,
    "thurs": 3,
    "friday": 4,
    "saturday": 5,
    "sunday": 6,
}
_MONTHS: Final = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
_COUNTS: Final = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "couple": 2,
    "few": 3,
}
_ORDINAL_UNITS: Final = (
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
)
_ORDINAL_TEENS: Final = (
    "tenth",
    "eleventh",
    "twelfth",
    "thirteenth",
    "fourteenth",
    "fifteenth",
    "sixteenth",
    "seventeenth",
    "eighteenth",
    "nineteenth",
)


def _ordinal_words() -> dict[str, int]:
    words = {word: n for n, word in enumerate(_ORDINAL_UNITS, 1)}
    words.update({word: n for n, word in enumerate(_ORDINAL_TEENS, 10)})
    words["twentieth"] = 20
    words["thirtieth"] = 30
    for n, unit in enumerate(_ORDINAL_UNITS, 1):
        words[f"twenty-{unit}"] = 20 + n
    words["thirty-first"] = 31
    return words


_ORDINALS: Final = _ordinal_words()
_ORDINAL_RE: Final = "|".join(
    w.replace("-", r"[-\s]") for w in sorted(_ORDINALS, key=len, reverse=True)
)
_DAYNUM: Final = rf"(?:\d{{1,2}}(?:st|nd|rd|th)?|{_ORDINAL_RE})"
_MONTH: Final = (
    r"(?:january|february|march|april|may|june|july|august|september|october|november|december"
    r"|jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)\.?"
)
_COUNT: Final = (
    r"(?:\d{1,2}|an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve"
    r"|a\s+couple(?:\s+of)?|couple(?:\s+of)?|a\s+few|few)"
)
# A date may only follow "the 15th" when the ordinal is not an adjective ("the 2nd wave").
_AFTER_ORDINAL: Final = r"(?=\s*(?:[.,;:!?)]|$|of\b|and\b|or\b|at\b|so\b|then\b|latest\b))"

_DATE = re.compile(
    rf"""
    \b(?:
      (?P<eod>(?:the\s+)?end\s+of\s+(?:the\s+|business\s+)?day|eod|cob|eob
        |close\s+of\s+business|end\s+of\s+business)
    | (?P<overmorrow>(?:the\s+)?day\s+after\s+tomorrow)
    | (?P<tomorrow>(?:first\s+thing\s+)?tomorrow(?:\s+(?:morning|afternoon|evening|night))?)
    | (?P<today>(?:later\s+)?today|tonight|this\s+(?:morning|afternoon|evening)
        |(?:right\s+)?after\s+(?:this|the|our)\s+(?:call|meeting)
        |(?:with)?in\s+the\s+(?:next\s+)?(?:hour|(?:couple|few)\s+(?:of\s+)?hours|\w+\s+hours)
        |in\s+(?:an|a\s+couple\s+(?:of\s+)?|a\s+few|\w+)\s+hours?)
    | (?P<end_next_week>(?:the\s+)?end\s+of\s+next\s+week)
    | (?P<end_week>(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?week|eow)
    | (?P<end_next_month>(?:the\s+)?end\s+of\s+next\s+month)
    | (?P<end_month>(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?month|eom|month[-\s]end)
    | (?P<end_quarter>(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?quarter|eoq|quarter[-\s]end)
    | (?P<end_year>(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?year|eoy|year[-\s]end)
    | (?P<next_week>(?P<nw_mod>early|late|later|mid)?[-\s]*next\s+week)
    | (?P<this_week>(?:later\s+)?this\s+week)
    | (?P<next_month>next\s+month)
    | (?P<rel>(?:with)?in\s+(?:the\s+next\s+)?(?P<rel_n>{_COUNT})\s+(?P<rel_unit>days?|weeks?|months?)
        (?:\s+from\s+(?:now|today))?
        |(?P<rel_n2>{_COUNT})\s+(?P<rel_unit2>days?|weeks?)\s+from\s+(?:now|today))
    | (?<!black\s)(?<!cyber\s)(?<!\ba\s)(?<!every\s)(?<!through\s)
      (?P<weekday_phrase>(?:(?P<wd_mod>next|this\s+coming|this|coming)\s+)?
        (?P<weekday>monday|tuesday|wednesday|thursday|friday|saturday|sunday|tues|thurs|weds)
        (?!['’]s|s\b|\s+(?:through|to|thru|and)\s)
        (?:\s+(?:morning|afternoon|evening|night|eod)(?!s))?)
    | (?P<month_day>(?P<md_month>{_MONTH})\s+(?:the\s+)?(?P<md_day>{_DAYNUM})(?!\d)
        (?:,?\s+(?P<md_year>20\d\d))?)
    | (?P<day_month>(?:the\s+)?(?P<dm_day>{_DAYNUM})\s+(?:of\s+)?(?P<dm_month>{_MONTH})
        (?:,?\s+(?P<dm_year>20\d\d))?)
    | (?P<day_only>(?:by|before|on|until|till|for|after)\s+the\s+(?P<do_day>{_DAYNUM}){_AFTER_ORDINAL}
        (?:\s+of\s+(?P<do_next>next\s+)?(?:the\s+|this\s+)?month)?)
    | (?P<numeric>(?:by|on|due)\s+(?P<num_m>\d{{1,2}})/(?P<num_d>\d{{1,2}})(?:/(?P<num_y>\d{{2,4}}))?)
    | (?P<iso>20\d\d-\d\d-\d\d)
    )\b
    """,
    re.IGNORECASE | re.VERBOSE,
)
# Every date expression has one of these words; most clauses have none, and this is 30x faster.
_DATE_ANCHOR = re.compile(
    r"\d|\b(?:to(?:day|night|morrow)|eo[dbwmqy]|cob|end|close|morning|afternoon|evening|call"
    r"|meeting|hours?|days?|weeks?|months?|quarter|year|mon|tue|wed|thu|fri|sat|sun|jan|feb|mar"
    r"|apr|may|jun|jul|aug|sep|oct|nov|dec|first|second|third|fourth|fifth|sixth|seventh|eighth"
    r"|ninth|tenth|eleventh|twelfth|thirteenth|fourteenth|fifteenth|sixteenth|seventeenth"
    r"|eighteenth|nineteenth|twentieth|twenty|thirtieth|thirty)",
    re.IGNORECASE,
)
# A date right after these words is the past or a span, not a deadline ("the deck from today").
_NOT_DEADLINE_BEFORE = re.compile(
    r"\b(?:from|since|last|past|over\s+the|of|ago|during)\s+(?:the\s+)?$", re.IGNORECASE
)
_AGO_AFTER = re.compile(r"\s+ago\b", re.IGNORECASE)
_DEADLINE_BEFORE = re.compile(
    r"\b(?:by|before|until|till|no\s+later\s+than|due(?:\s+(?:by|on))?|latest)\s+(?:the\s+)?$",
    re.IGNORECASE,
)
_CORRECTION = re.compile(
    r"\b(?:sorry|i\s+mean|actually|rather|make\s+that|scratch\s+that|no\s+wait|or\s+rather)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class _DateHit:
    start: int
    end: int
    date: dt.date
    deadline: bool


def _day_number(token: str) -> int | None:
    token = token.lower().replace(" ", "-")
    digits = re.match(r"\d+", token)
    if digits:
        return int(digits.group())
    return _ORDINALS.get(token)


def _month_number(token: str) -> int:
    return _MONTHS[token.lower().rstrip(".")[:3]]


def _count(token: str) -> int:
    token = token.lower().replace(" of", "").split()[-1]
    return int(token) if token.isdigit() else _COUNTS.get(token, 1)


def _add_months(base: dt.date, months: int) -> dt.date:
    month_index = base.month - 1 + months
    year, month = base.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(base.day, calendar.monthrange(year, month)[1]))


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _this_friday(base: dt.date) -> dt.date:
    return base + dt.timedelta(days=(4 - base.weekday()) % 7)


def _next_week_day(base: dt.date, weekday: int) -> dt.date:
    monday = base - dt.timedelta(days=base.weekday()) + dt.timedelta(days=7)
    return monday + dt.timedelta(days=weekday)


def _calendar_date(
    base: dt.date, month: int, day: int | None, year_text: str | None
) -> dt.date | None:
    if day is None or not 1 <= day <= 31:
        return None
    year = int(year_text) if year_text else base.year
    if year < 100:
        year += 2000
    try:
        candidate = dt.date(year, month, day)
    except ValueError:
        return None
    if year_text is None and candidate < base:
        # A date a few weeks back is a reference to the past, not a deadline; "January 10"
        # said in December is next year's.
        if (base - candidate).days < 90:
            return None
        candidate = dt.date(year + 1, month, min(day, calendar.monthrange(year + 1, month)[1]))
    return candidate


def _resolve_match(match: re.Match[str], base: dt.date) -> dt.date | None:
    group = match.lastgroup
    if group in ("eod", "today"):
        return base
    if group == "tomorrow":
        return base + dt.timedelta(days=1)
    if group == "overmorrow":
        return base + dt.timedelta(days=2)
    if group in ("end_week", "this_week"):
        return _this_friday(base)
    if group == "end_next_week":
        return _next_week_day(base, 4)
    if group == "next_week":
        modifier = (match["nw_mod"] or "").lower()
        return _next_week_day(base, {"early": 1, "mid": 2}.get(modifier, 4))
    if group == "end_month":
        return _month_end(base.year, base.month)
    if group in ("end_next_month", "next_month"):
        following = _add_months(base.replace(day=1), 1)
        return _month_end(following.year, following.month)
    if group == "end_quarter":
        last_month = ((base.month - 1) // 3 + 1) * 3
        return _month_end(base.year, last_month)
    if group == "end_year":
        return dt.date(base.year, 12, 31)
    if group == "rel":
        return _relative(
            base, match["rel_n"] or match["rel_n2"], match["rel_unit"] or match["rel_unit2"]
        )
    if group == "weekday_phrase":
        weekday = _WEEKDAYS[match["weekday"].lower()]
        modifier = " ".join((match["wd_mod"] or "").lower().split())
        if modifier == "next":
            return _next_week_day(base, weekday)
        ahead = (weekday - base.weekday()) % 7
        if ahead == 0 and modifier != "this":
            ahead = 7  # "by Friday" said on a Friday means the next one
        return base + dt.timedelta(days=ahead)
    if group == "month_day":
        return _calendar_date(
            base, _month_number(match["md_month"]), _day_number(match["md_day"]), match["md_year"]
        )
    if group == "day_month":
        return _calendar_date(
            base, _month_number(match["dm_month"]), _day_number(match["dm_day"]), match["dm_year"]
        )
    if group == "day_only":
        return _day_of_month(base, _day_number(match["do_day"]), bool(match["do_next"]))
    if group == "numeric":
        return (
            _calendar_date(base, int(match["num_m"]), int(match["num_d"]), match["num_y"])
            if (1 <= int(match["num_m"]) <= 12)
            else None
        )
    if group == "iso":
        try:
            return dt.date.fromisoformat(match["iso"])
        except ValueError:
            return None
    return None


def _relative(base: dt.date, count_text: str | None, unit_text: str | None) -> dt.date:
    count = _count(count_text or "1")
    unit = (unit_text or "day").lower()
    if unit.startswith("week"):
        return base + dt.timedelta(weeks=count)
    if unit.startswith("month"):
        return _add_months(base, count)
    return base + dt.timedelta(days=count)


def _day_of_month(base: dt.date, day: int | None, next_month: bool) -> dt.date | None:
    if day is None or not 1 <= day <= 31:
        return None
    month_start = base.replace(day=1)
    if next_month or day < base.day:
        month_start = _add_months(month_start, 1)
    last = calendar.monthrange(month_start.year, month_start.month)[1]
    return month_start.replace(day=min(day, last))


def _date_hits(text: str, base: dt.date) -> list[_DateHit]:
    hits: list[_DateHit] = []
    if not _DATE_ANCHOR.search(text):
        return hits
    for match in _DATE.finditer(text):
        before = text[max(0, match.start() - 24) : match.start()]
        if _NOT_DEADLINE_BEFORE.search(before) or _AGO_AFTER.match(text, match.end()):
            continue
        resolved = _resolve_match(match, base)
        if resolved is None:
            continue
        deadline = bool(_DEADLINE_BEFORE.search(before)) or match.lastgroup in (
            "eod",
            "day_only",
        )
        hits.append(_DateHit(match.start(), match.end(), max(resolved, base), deadline))
    return hits


def _choose_date(hits: Sequence[_DateHit], text: str) -> dt.date | None:
    if not hits:
        return None
    chosen = next((hit for hit in hits if hit.deadline), hits[0])
    # "by Friday, sorry, Monday": a correction after the chosen date replaces it.
    for later in hits:
        if later.start > chosen.end and _CORRECTION.search(text, chosen.end, later.start):
            chosen = later
    return chosen.date


def resolve_due_date(text: str, call_date: dt.date | None = None) -> dt.date | None:
    """The due date a phrase names, resolved against the call date (today when None).

    Understands "by Friday" (the coming Friday), "next Tuesday" (Tuesday of next week),
    "tomorrow", "EOD", "end of the week" (Friday), "end of the month", "before the 15th",
    "in two weeks", "by December 3rd", "Monday morning", "next week" (its Friday) and more.
    A "by/before …" deadline wins over other dates in the text; a correction ("Friday, sorry,
    Monday") wins over what it corrects. Dates after "from", "since" or "last" are not
    deadlines. Returns None when the text names no date; never a date before ``call_date``.
    """
    base = call_date or dt.date.today()
    return _choose_date(_date_hits(text, base), text)


# --- cue phrases -------------------------------------------------------------------------------

_APOS: Final = "['’]"
_SUBJECT_WILL: Final = rf"(?:{_APOS}ll|\s+will|\s+shall)"
_GOING: Final = rf"(?:{_APOS}m|{_APOS}re|\s+am|\s+are)\s+(?:going\s+to|gonna)"

# The lookahead skips words that cannot start a cue before the alternation is tried (2x faster).
_CUE = re.compile(
    rf"""
    (?=[iwmolcdaspn])
    (?:(?P<commit>\b(?:I|we)(?:{_SUBJECT_WILL}|{_GOING})
      |\b(?:I|we){_APOS}d\s+be\s+(?:happy|glad|delighted)\s+to
      |\b(?:my|our)\s+team(?:{_SUBJECT_WILL}|\s+is\s+going\s+to)
      |\bI\s+(?:promise|commit)\s+to)
    | (?P<weak>\b(?:I|we)\s+(?:can|could\s+definitely|need\s+to|have\s+to|plan\s+to)
      |\bI{_APOS}ve\s+got\s+to)
    | (?P<let_me>\blet\s+me)
    | (?P<plan>\blet{_APOS}?s(?:\s+(?:go\s+ahead\s+and|also|definitely|just|make\s+sure\s+we))?
        (?=\s+(?:schedule|set\s+up|book|plan\s+(?:on|for|a|an)|pencil|reconvene|regroup|sync\s+(?:up\s+)?(?:again|on|next)
               |find\s+(?:a\s+)?time|(?:get|put)\s+(?:\w+\s+){{0,3}}?(?:on\s+the\s+calendar|scheduled|booked)
               |follow\s+up|touch\s+base|do\s+a\s+follow)\b))
    | (?P<request>\b(?:can|could|would|will)\s+(?:you|y{_APOS}all|your\s+team)(?:\s+(?:guys|all))?
        (?:\s+please)?(?:\s+be\s+able\s+to)?
      |\bwould\s+you\s+mind|\bdo\s+you\s+mind|\bare\s+you\s+able\s+to
      |\bis\s+there\s+any\s+(?:way|chance)\s+you\s+(?:could|can)
      |\b(?:I|we)(?:{_APOS}d|\s+would)\s+(?:like|love)\s+(?:for\s+)?you\s+to
      |\b(?:I|we)(?:{_APOS}ll)?\s+need\s+you\s+to|\b(?:I|we)\s+(?:need|want)\s+you\s+to
      |\bif\s+you\s+(?:could|can)
      |\bmake\s+sure\s+you|\bdon{_APOS}t\s+forget\s+to
      |\bplease(?=\s+(?:send|share|forward|email|get|set|schedule|book|loop|confirm|provide
                     |review|sign|countersign|fill|upload|add|invite|let\s+(?:me|us)\s+know\s+by)\b))
    | (?P<offer>\b(?:do\s+you\s+want|would\s+you\s+like|want)\s+(?:me|us)\s+to
      |\b(?:should|shall)\s+(?:I|we)(?=\s)
      |\bwould\s+it\s+help\s+if\s+(?:I|we))
    | (?P<agenda>\baction\s+items?(?:\s+(?:for|on)\s+(?P<agenda_who>me|us|you|[A-Z][a-z]+))?\s*(?:is|:|,|-|–|—)
      |\bnext\s+steps?\s+(?:is|are|would\s+be|will\s+be)(?:\s+for\s+(?P<next_who>me|us|you|[A-Z][a-z]+)\s+to)?))
    """,
    re.IGNORECASE | re.VERBOSE,
)
# Fillers between a cue and its verb: "I'll, um, just go ahead and send …".
_LEAD_FILLER = re.compile(
    r"""(?:[\s,]+|\b(?:um+|uh+|erm|er|ah|like|you\s+know|I\s+mean|just|actually|also|definitely
        |certainly|probably|absolutely|personally|then|still|happily|gladly|quickly|totally
        |first(?:\s+thing)?|go\s+ahead\s+and|make\s+sure\s+(?:to|that\s+(?:I|we)(?:{a}ll|\s+will)?)
        |try\s+(?:to|and)|be\s+able\s+to|need\s+to|have\s+to|immediately|right\s+away
        |myself|ourselves|really|happy\s+to|glad\s+to|going\s+to|gonna)\b)+""".replace(
        "{a}", _APOS
    ),
    re.IGNORECASE | re.VERBOSE,
)
_NEGATED_BODY = re.compile(r"(?:not|never|no\s+longer|n{a}t)\b".replace("{a}", _APOS), re.I)
_NEGATED_BEFORE = re.compile(
    r"""\b(?:don{a}t\s+think|do\s+not\s+think|not\s+sure(?:\s+(?:that|if))?|doubt|no\s+way
        |wish|unless|if\s+(?:I|we)\s+were|were\s+to|what\s+if|suppose|supposing|hypothetically
        |in\s+theory|imagine|if\s+we\s+ever|if\s+I\s+ever|whether|I\s+said|you\s+said|we\s+said
        |last\s+time|in\s+the\s+past|used\s+to)\b[^,.;]*$""".replace("{a}", _APOS),
    re.IGNORECASE | re.VERBOSE,
)
_NON_COMMITMENT = re.compile(
    r"""(?:
      be(?!\s+(?:\w+ing|happy|glad|able|sure\s+to|in\s+touch|reaching|sending))\b
    | (?:know|see(?!\s+(?:if|whether|about|what\s+(?:I|we)\s+can))|need(?!\s+to)|want|wish|hope|guess
      |bet|admit|say|remember|miss|lose|grow|hit|reach|love|like|hear|feel|notice|survive
      |manage|wait|hold|end\s+up|die|assume|imagine|think|believe|get\s+there|cross\s+that
      |leave\s+it|stop|hand\s+(?:it|this|things)|pass\s+(?:it|this)|turn\s+it\s+over|jump|start
      |kick|repeat|try\s*[.,]|take\s+(?:that|it)\s+as|note\s+that|mention|probably\s+have
      |likely|watch|discuss|earn|owe|deserve|regret|apologi[sz]e)\b
    | (?:talk|speak|chat)\s+(?:about|through|more)\b
    | keep\s+an\s+eye | look\s+out\s+for | stay\s+tuned | stand\s+by\b
    | take\s+(?:\w+\s+)?(?:credit|blame|the\s+hit|a\s+step\s+back)\b
    | take\s+(?:\d|one|two|three|four|five|six|seven|eight|nine|ten|twenty|thirty|forty|fifty
        |sixty|seventy|eighty|ninety|a\s+hundred|hundred)
    | (?:come|circle|get|go)\s+back\s+to\s+(?:that|this|it|those|these)\b
    | get\s+(?:\w+ed|told|paid|hit|caught|stuck|burned|burnt|done\s+with)\b
    | have\s+(?:\w+ed|been|gotten|got|done|burnt|burned|seen|made|taken)\b
    | (?:recap|summari[sz]e)\b
    | tell\s+(?:you|ya|y{a}all|everyone)\b
    | let\s+(?:you|you\s+guys|you\s+all|everyone)\s+go\b
    | let\s+(?!(?:\w+\s+){{0,2}}know\b)
    | give\s+(?:you|everyone|y{a}all)\s+(?:a|an|some|the)\s+(?:quick\s+|brief\s+|little\s+)?
        (?:example|overview|background|context|rundown|recap|summary|sense|idea|intro|bit)
    | keep\s+(?:it|this)\s+(?:short|brief|quick)
    | talk\s+(?:to\s+(?:you|y{a}all|everyone)\s+)?(?:soon|later|then|next|tomorrow)
    | speak\s+soon
    | put\s+it\s+(?:this|that|another)\s+way
    | go\s+(?:first|back|on|ahead\s+and\s+share)
    | share\s+(?:my|the|your|our)?\s*screen
    | pull\s+(?:it|that|this|them|up)\b
    | ask\s+(?:you|a\s+question|one\s+question|a\s+quick)
    | walk\s+(?:you|us|everyone)\s+through
    | get\s+(?:into|started|going|through\s+(?:this|the\s+agenda))
    | have\s+to\s+(?:see|think|wait)
    | do\s+(?:a\s+)?(?:quick\s+)?(?:intro|introductions|round)
    )""".replace("{a}", _APOS).replace("{{0,2}}", "{0,2}"),
    re.IGNORECASE | re.VERBOSE,
)
_ACTION_VERBS: Final = _word_set(
    """send share get set setup schedule reschedule book create open file prepare draft write
    put provide forward email e-mail loop introduce connect reach follow check double-check look
    dig investigate confirm find figure review update fix enable turn add remove apply process
    issue reissue deliver have arrange organize organise coordinate escalate raise chase ask talk
    speak run pull export compile extend waive credit refund upgrade downgrade configure
    provision deploy test ship submit sign countersign approve nominate pick assign invite host
    train record document circle come let grab block reserve call ping text go take make do
    handle sort bring collect gather pass hand sync meet give clean migrate install build kick
    finalize finalise finish complete resend re-send rerun re-run backfill restore reset
    reproduce patch release publish generate calculate estimate quote price invoice bill cancel
    renew move push keep post upload attach include clarify verify validate audit analyze
    analyse explore research scope plan outline summarize summarise recap fill shoot drop
    pencil align work"""
)
_ACCEPT = re.compile(
    r"""^\W*(?:(?:um+|uh+|oh|so|well|and|okay|ok|alright|yeah|yes|sure|great|perfect)[\s,.!-]+)*?
    (?:yes|yeah|yep|yup|sure|absolutely|definitely|of\s+course|will\s+do|can\s+do|no\s+problem
      |no\s+worries|sounds\s+good|sounds\s+great|happy\s+to|for\s+sure|certainly|consider\s+it\s+done
      |on\s+it|(?:I|we)\s+can\s+do\s+(?:that|it)|(?:I|we)(?:{a}ll|\s+will)\s+\w+|okay|ok|alright
      |all\s+right|done|perfect|great|that\s+works|works\s+for\s+(?:me|us)|that{a}s\s+fine
      |that\s+(?:would|{a}d)\s+be\s+(?:great|helpful|perfect|amazing)|please|that\s+helps)\b""".replace(
        "{a}", _APOS
    ),
    re.IGNORECASE | re.VERBOSE,
)
_DECLINE = re.compile(
    r"""^\W*(?:(?:um+|uh+|so|well|oh|hmm)[\s,.]+)*
    (?:no(?!\s+(?:problem|worries))\b|nope|unfortunately|not\s+(?:really|right\s+now|yet)
      |(?:I|we)\s+(?:can{a}t|cannot|won{a}t|can\s+not|don{a}t\s+think)|I{a}d\s+rather\s+not
      |that{a}s\s+not)""".replace("{a}", _APOS),
    re.IGNORECASE | re.VERBOSE,
)
_STRONG_ACCEPT = re.compile(
    r"""^\W*(?:(?:oh|um+|uh+|well|so|and|okay|ok)[\s,.!-]+)*
    (?:yes|yeah|yep|yup|please|sure|absolutely|definitely|perfect|amazing|that\s+helps
      |that\s+(?:would|{a}d|will)\s+(?:be\s+)?(?:great|good|helpful|perfect|amazing|work|help)
      |that\s+works|sounds\s+(?:good|great)|let{a}s\s+do\s+(?:that|it)|do\s+it|great,?\s+thank)\b""".replace(
        "{a}", _APOS
    ),
    re.IGNORECASE | re.VERBOSE,
)
_LET_ME_VERBS: Final = _word_set(
    """check double-check follow get circle find look dig talk speak confirm loop send set
    schedule put take reach sync chase email forward ping escalate raise book write draft
    prepare run see ask verify investigate"""
)
_NOT_A_VERB: Final = _word_set(
    """a an the this that these those some any my our your their his her its it one two three
    four five six seven eight nine ten hundred thousand million all both each every no more
    less much many what which who"""
)
_CLAUSE_OPENERS: Final = _word_set(
    """and but so then or because since once plus also just probably definitely honestly
    obviously actually now today tomorrow tonight first second third next finally otherwise
    meanwhile basically right okay ok yeah yes yep sure absolutely great perfect um uh well oh
    alright think guess suppose figure promise that hopefully still anyway fine cool good course
    noted understood agreed sorry thanks personally certainly totally hmm though too again
    morning afternoon evening week month myself ourselves instead meantime mean"""
)
# Verbs that usually describe what happens on this call, not after it.
_IN_CALL_VERB = re.compile(
    r"""(?:go\s+(?:over|through)|walk\s+(?:\w+\s+)?through|cover|present|show|talk\s+through
    |run\s+through|start\s+with|touch\s+on|dive\s+into|focus\s+on|look\s+at\s+(?:the\s+)?
    (?:numbers|wins|problems|agenda|slides?|deck|next))\b""",
    re.IGNORECASE | re.VERBOSE,
)
_FOLLOW_UP = re.compile(
    r"""\b(?:send|share|email|come\s+back|get\s+back|circle\s+back|report\s+back|follow\s+up
    |recommend\w*|let\s+\w+\s+know|write\s+up|with\s+(?:the|my|our|your)\s+\w+)\b""",
    re.IGNORECASE | re.VERBOSE,
)
_QUESTION_TAG = re.compile(
    r"""[,-]\s*(?:right|ok(?:ay)?|yeah|sound\s+good|sounds\s+good|does\s+that\s+work(?:\s+for\s+\w+)?
    |is\s+that\s+(?:ok(?:ay)?|alright|fair|good|all\s+right)|fair|cool|how\s+does\s+that\s+sound
    |works)\s*\?+\s*$""",
    re.IGNORECASE | re.VERBOSE,
)
# Where a title's verb phrase ends.
_TITLE_END = re.compile(
    rf"""
      \s*[;:!?]
    | \s+[-–—]+\s+ | \s*[–—]\s* | \s*\.\.\.
    | ,\s*(?=(?:and|but|so|because|since|which|who|where|or|once|if|when|while|as|plus|though
             |although|unless|then|just\s+in\s+case|in\s+case|assuming|provided|that\s+way
             |otherwise|is\s+that|does\s+that|right|okay|ok|sound|sorry|I\s+mean|actually)\b)
    | \s+(?=(?:but|so\s+that|so|because|since|once|unless|while|whereas|although|though
             |as\s+soon\s+as|in\s+case|which\s+means|assuming|provided\s+that|and\s+then\s+(?:I|we))\b)
    | \s+(?=(?:if|when|whenever)\b)
    | ,\s*(?=(?:I|we|you|they|he|she|it|that|this|there)(?:{_APOS}|\s)\w)
    | \s+(?=and\s+(?:you|they|he|she|it|there)(?:{_APOS}|\s)\w)
    | \s+(?=with\s+(?:what|how|why|whatever)\b)
    | \.\s*$ | \.(?=\s)
    """,
    re.IGNORECASE | re.VERBOSE,
)
_KEEPS_IF = re.compile(
    r"\b(?:check|see|confirm|ask|know|verify|find\s+out|figure\s+out|test|whether|let\s+\w+\s+know)\s*$",
    re.IGNORECASE,
)
# Where the words a date may belong to stop: a new subject starts another clause.
_SUBJECT_CHANGE = re.compile(
    rf"""(?:,\s*|\s+)(?:and\s+|but\s+|so\s+|then\s+)?(?:you|they|he|she|it|that|there|this)
    (?:{_APOS}(?:ll|re|s|d|ve)\b|\s+(?:will|would|should|can|could|are|is|were|was|have|had|get
       |got|need|might|may|did|do)\b)|\b(?:because|since)\b""",
    re.IGNORECASE | re.VERBOSE,
)
_CLAUSE_START = re.compile(r"[,;:]\s*|\b(?:and|but|so|then)\s+", re.IGNORECASE)

# --- titles ------------------------------------------------------------------------------------

_TITLE_DATE = re.compile(
    rf"""(?:\b(?:by|before|until|till|no\s+later\s+than|on|for|at|around|starting|from|within
        |in|sometime|some\s+time|due)\s+)?(?:the\s+)?(?:{_DATE.pattern})
    |\bat\s+(?:\d{{1,2}}(?::\d\d)?\s*(?:am|pm|a\.m\.|p\.m\.)?|noon|one|two|three|four|five|six
        |seven|eight|nine|ten|eleven|twelve)(?:\s+(?:am|pm|a\.m\.|p\.m\.|o{_APOS}clock))?\b
    |\b(?:asap|as\s+soon\s+as\s+(?:possible|I\s+can|we\s+can)|right\s+away|immediately
        |first\s+thing|right\s+now|real\s+quick|later|soon)\b""",
    re.IGNORECASE | re.VERBOSE,
)
_TITLE_FILLER = re.compile(
    r",?\s*\b(?:um+|uh+|erm|you\s+know|I\s+mean|basically|actually|literally|just|definitely"
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
_TO_YOU = re.compile(rf"\s+(?:(?:over|back)\s+)?(?:to|for)\s+(?:{_YOU}|me|us)\b", re.I)
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
    r"|either|now|here|there|due|sometime)\b)+$",
    re.IGNORECASE,
)
_LEADING_JUNK = re.compile(r"^(?:[\s,;:.-]+|\b(?:and|then|also|so|to|just)\b)+", re.IGNORECASE)
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
}
_DELIVERED = re.compile(rf"\b(?:over\s+)?to\s+(?:{_YOU}|me|us)\b", re.IGNORECASE)
_PRONOUN_OBJECT = re.compile(r"\b(?:it|that|this|them|those|these)\b", re.IGNORECASE)
_HAVE_DONE = re.compile(
    r"\b(?:ready|done|finished|complete|live|available|in\s+place|on\s+standby|standby|over|out"
    r"|to\s+you|back\s+to|\w+ed|\w+en)\b",
    re.IGNORECASE,
)

# --- words -------------------------------------------------------------------------------------

_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*[A-Za-z]|[A-Za-z]")
_FUNCTION_WORDS: Final = _word_set(
    """a about above across after again against all almost also although always am among an and
    another any anybody anyone anything anyway are around as at back be because been before being
    below between both but by can cannot could did do does doing done down during each either
    else enough even ever every everyone everything few for from further get gets getting go goes
    going gone got gotten had has have having he her here hers herself him himself his how i if in
    into is it its itself just least less let lets like made make makes many may me might mine
    more most much must my myself near need needs neither never next no nobody none nor not
    nothing now of off often on once one only onto or other others otherwise our ours ourselves
    out over own per perhaps please put quite rather really same see seem seems several shall she
    should since so some somebody someone something sometimes somewhat soon still such than that
    the their theirs them themselves then there these they this those though through thus to
    together too toward towards under until up upon us very via want wants was way we well were
    what whatever when where whether which while who whoever whom whose why will with within
    without would yes yet you your yours yourself yourselves yeah yep okay ok um uh oh hi hey
    hello bye thanks thank right sure actually basically literally probably maybe definitely
    totally gonna wanna kinda let's i'm i'll i've i'd we're we'll we've we'd you're you'll you've
    you'd it's that's there's here's what's don't doesn't didn't can't won't isn't aren't wasn't
    weren't couldn't shouldn't wouldn't haven't hasn't hadn't they're they'll they've he's she's
    already again able"""
)
# Words too common in any call to name its topics.
_TOPIC_STOP: Final = _FUNCTION_WORDS | _word_set(
    """thing things great good fine cool awesome perfect kind sort lot lots bit little think
    thought know knew said say says saying tell told mean means meant look looking looks looked
    stuff guess guys folks today tomorrow week weeks month months year years day days time times
    call calls meeting everybody first second third last new old big small different whole
    sounds sound happy glad hear heard start started come came take took give gave keep kept work
    works worked working part much something two three four five six seven eight nine ten
    hundred thousand monday tuesday wednesday thursday friday saturday sunday january february
    march april june july august september october november december end send sending sent
    follow check happen happens happened talk talking talked done doing tried try trying eleven
    twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty thirty forty
    fifty sixty seventy eighty ninety point percent dollars bucks million billion zero half
    quarter number numbers people person question questions idea sense whole"""
)
# Verbs every title starts with: they say nothing about what the item is.
_TITLE_STOP: Final = _FUNCTION_WORDS | _word_set(
    """send get do take look check have make set put go come follow handle sort run give keep
    thing things stuff"""
)

# --- summary cues ------------------------------------------------------------------------------

# Tone by cue words, looked up per word (one pass with the topic counts, no regex).
_POSITIVE_WORDS: Final = _word_set(
    """great excellent love loving loved happy glad excited exciting impressed appreciate
    appreciated helpful perfect awesome fantastic amazing pleased smooth wonderful thrilled
    delighted win wins"""
)
_POSITIVE_PAIRS: Final = frozenset(
    {("nice", "work"), ("good", "news"), ("works", "well"), ("working", "well")}
)
_NEGATIVE_WORDS: Final = _word_set(
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
_NEGATORS: Final = _word_set(
    "not never no isn't wasn't aren't weren't don't doesn't didn't won't can't hardly"
)
# "Great." or "Perfect." opening a turn acknowledges; it says little about how the call went.
_ACK_LEAD: Final = _word_set("oh okay ok yeah yes so well um uh")
_ACK_WORDS: Final = _word_set("great perfect awesome excellent amazing love")
_RISKS: Final = (
    (
        "Churn risk",
        re.compile(
            rf"\b(?:cancel(?:l?ing|l?ed|lation)?|churn\w*|terminat(?:e|ing|ion)"
            rf"|not\s+(?:going\s+to\s+)?renew\w*|won{_APOS}t\s+renew|walk\s+away|move\s+away"
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
_RISK_STEMS: Final = (
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
    rf"\b(?:no|not|never|don{_APOS}t|didn{_APOS}t|aren{_APOS}t|isn{_APOS}t|won{_APOS}t|without"
    r"|nothing)\b[^,.;]{0,20}$",
    re.IGNORECASE,
)
_RISK_MAX_PER_KIND: Final = 2
_RISK_MAX: Final = 8
_URGENT = re.compile(
    r"\b(?:asap|as\s+soon\s+as\s+possible|urgent(?:ly)?|critical|outage|emergency|sev[-\s]?[01]"
    r"|p0|right\s+away|immediately)\b",
    re.IGNORECASE,
)
_HIGH = re.compile(
    r"\b(?:escalat\w*|blocker|blocking|high[-\s]priority|top\s+priority|p1|sev[-\s]?2)\b",
    re.IGNORECASE,
)
_INCIDENT = re.compile(
    r"\b(?:outages?|incident|downtime|went\s+down|data\s+loss|missing\s+data|data\s+gap"
    r"|stopped\s+(?:updating|working|syncing|loading)|sev[-\s]?[012]|p[01])\b",
    re.IGNORECASE,
)

# --- sentences ---------------------------------------------------------------------------------

_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s|$)")
_ABBREVIATION = re.compile(
    r"(?:\b(?:mr|mrs|ms|dr|st|vs|etc|inc|jr|sr|no|approx|dept|est|ltd|co|corp|e\.g|i\.e|a\.m|p\.m)"
    r"|\b[A-Za-z](?:\.[A-Za-z])*)$",
    re.IGNORECASE,
)


def _sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans of ``text`` (offsets into it), whitespace trimmed."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        if match.group().startswith(".") and len(match.group()) == 1:
            word = text[max(start, match.start() - 12) : match.start()]
            if _ABBREVIATION.search(word):
                continue
        spans.append((start, match.end()))
        start = match.end()
    if start < len(text):
        spans.append((start, len(text)))
    trimmed: list[tuple[int, int]] = []
    for begin, end in spans:
        while begin < end and text[begin].isspace():
            begin += 1
        while end > begin and text[end - 1].isspace():
            end -= 1
        if begin < end:
            trimmed.append((begin, end))
    return trimmed


def _content_words(text: str, stop: frozenset[str] = _TITLE_STOP) -> frozenset[str]:
    return frozenset(
        w
        for w in (m.group().lower().replace("’", "'") for m in _WORD.finditer(text))
        if len(w) > 2 and w not in stop
    )


# --- people ------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Person:
    name: str
    side: Side | None
    email: str | None
    guessed_side: bool = False
    words: int = 0
    attendee: bool = False
    """Listed as an attendee (or, without a list, a speaker): greeted and emailed."""

    @property
    def present(self) -> bool:
        """On the call: an attendee, or someone who spoke."""
        return self.attendee or self.words > 0

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name.split() else self.name

    def owner(self) -> Owner:
        return Owner(name=self.name, side=self.side, email=self.email)


def _key(name: str) -> str:
    return " ".join(re.sub(r"\([^)]*\)", " ", name).split()).casefold()


class _Roster:
    """Who was on the call, which side each is on, and how to find them by a speaker label."""

    def __init__(
        self,
        transcript: Transcript,
        metadata: CallMetadata,
        *,
        company_name: str,
        sender_name: str | None,
    ) -> None:
        self._customer_domain = (
            metadata.customer.domain.lower().lstrip("@")
            if metadata.customer and metadata.customer.domain
            else None
        )
        self._customer_name = metadata.customer.name if metadata.customer else None
        self._company = company_name
        self._sender_key = _key(sender_name) if sender_name else None
        self.people: list[_Person] = []
        self._by_key: dict[str, _Person] = {}
        self._by_first: dict[str, _Person | None] = {}
        for attendee in attendees_from(transcript, metadata):
            person = _Person(attendee.name, attendee.side, attendee.email, attendee=True)
            if person.side is None:
                person.side = self._guess_side(attendee.name, attendee.email)
                person.guessed_side = person.side is not None
            self._add(person)
        self._speaker_cache: dict[str, _Person] = {}
        for utterance in transcript.utterances:
            self.person(utterance.speaker).words += len(utterance.text.split())
        names = sorted(
            {p.name for p in self.people} | {p.first_name for p in self.people},
            key=len,
            reverse=True,
        )
        self.name_pattern = (
            re.compile(r"\b(?:" + "|".join(re.escape(n) for n in names if n) + r")\b")
            if names
            else None
        )

    def _add(self, person: _Person) -> None:
        self.people.append(person)
        self._by_key.setdefault(_key(person.name), person)
        if person.email:
            self._by_key.setdefault(person.email.casefold(), person)
        first = _key(person.first_name)
        if first in self._by_first and self._by_first[first] is not person:
            self._by_first[first] = None  # two people share it: a first name alone is ambiguous
        else:
            self._by_first[first] = person

    def _domain_side(self, email: str | None) -> Side | None:
        if not email or "@" not in email or not self._customer_domain:
            return None
        domain = email.rsplit("@", 1)[1].lower()
        if domain == self._customer_domain or domain.endswith("." + self._customer_domain):
            return Side.CUSTOMER
        return Side.US

    def _guess_side(self, name: str, email: str | None) -> Side | None:
        side = self._domain_side(email)
        if side is not None:
            return side
        lowered = name.casefold()
        if self._customer_name and self._customer_name.casefold() in lowered:
            return Side.CUSTOMER
        if self._company and self._company.casefold() in lowered:
            return Side.US
        if self._sender_key and _key(name) == self._sender_key:
            return Side.US
        return None

    def lookup(self, name: str) -> _Person | None:
        """The attendee a name or speaker label refers to, by full name, email or first name."""
        key = _key(name)
        person = self._by_key.get(key)
        if person is None and key:
            person = self._by_first.get(key.split()[0]) if len(key.split()) <= 2 else None
            if person is not None and len(key.split()) == 2 and _key(person.name) != key:
                # "Tom K" is Tom Kowalski; "Tom Smith" is not.
                surname = key.split()[1]
                if not _key(person.name).split()[-1].startswith(surname.rstrip(".")):
                    person = None
        return person

    def person(self, speaker: str) -> _Person:
        """The person behind a speaker label; someone new (side guessed) if not an attendee."""
        cached = self._speaker_cache.get(speaker)
        if cached is not None:
            return cached
        person = self.lookup(speaker)
        if person is None:
            side = None if speaker == UNKNOWN_SPEAKER else self._guess_side(speaker, None)
            person = _Person(speaker, side, None, guessed_side=side is not None)
            self.people.append(person)
        self._speaker_cache[speaker] = person
        return person

    def main_speaker(self, side: Side | None) -> _Person | None:
        """Who spoke the most on ``side``."""
        candidates = [p for p in self.people if p.side is side and p.words > 0]
        return max(candidates, key=lambda p: p.words) if candidates else None

    def side_name(self, side: Side | None) -> str:
        """How a side is named in titles: the customer's name or ours."""
        if side is Side.CUSTOMER:
            return self._customer_name or "the customer"
        if side is Side.US:
            return self._company
        return "them"

    def other_side_name(self, side: Side | None) -> str:
        """What "you" means when someone on ``side`` says it."""
        if side is Side.US:
            return self._customer_name or "the customer"
        if side is Side.CUSTOMER:
            return self._company
        return "them"


# --- candidates --------------------------------------------------------------------------------


_Cue = tuple[int, int, str, "re.Match[str] | None", "_Person | None"]
"""A cue phrase: start, end, kind (a `_CUE` group name, "third" or "weak"), match, named person."""


@dataclass(frozen=True, slots=True)
class _Sentence:
    """A sentence with a cue, and where it was said."""

    index: int
    """Position of its utterance in the transcript."""
    utterance: Utterance
    number: int
    """Position of the sentence in its utterance."""
    start: int
    """Offset of the sentence in the utterance text."""
    text: str
    previous: str
    """The sentence before it in the same utterance ("" for the first)."""


@dataclass(slots=True)
class _Candidate:
    kind: _Kind
    index: int
    utterance: Utterance
    sentence_start: int
    sentence_end: int
    sentence_number: int
    cue: str
    cue_start: int
    speaker: _Person
    owner: _Person | None
    title: str
    content: frozenset[str]
    due: dt.date | None
    priority: Priority
    quote: str
    accepted: bool = False
    vague: bool = False
    """Too vague to file ("Sure, I'll get that to you"); kept only to merge into a request."""
    merged_cues: list[str] = field(default_factory=list)


def _strip_dangling(text: str) -> str:
    previous = None
    while previous != text:
        previous = text
        text = _DANGLING.sub("", text)
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


def _make_title(body: str, *, you: str, me: str, us: str) -> str:
    """A short imperative from a verb phrase: dates, fillers and pronouns fixed."""
    text = _TITLE_DATE.sub(" ", body)
    text = _TITLE_FILLER.sub(" ", text)
    text = _SEND_OVER.sub(lambda m: m.group(1), text)
    if _PRONOUNS.search(text):
        text = _fix_pronouns(text, you=you, me=me, us=us)
    text = _TITLE_TIDY.sub(_tidy, text)
    text = " ".join(text.split())
    text = _strip_dangling(text)
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


class _Extractor:
    """Finds the action items of one call."""

    def __init__(
        self, transcript: Transcript, roster: _Roster, call_date: dt.date, title: str | None
    ) -> None:
        self._utterances = transcript.utterances
        self._roster = roster
        self._base = call_date
        self._incident_call = bool(title and _INCIDENT.search(title)) or any(
            _INCIDENT.search(u.text) for u in transcript.utterances
        )
        self._third_party = self._third_party_pattern()

    def _third_party_pattern(self) -> re.Pattern[str] | None:
        names = sorted(
            {p.first_name for p in self._roster.people if p.words or p.email}
            | {p.name for p in self._roster.people if p.words or p.email},
            key=len,
            reverse=True,
        )
        names = [n for n in names if n and n != UNKNOWN_SPEAKER]
        if not names:
            return None
        alternatives = "|".join(re.escape(n) for n in names)
        initials = re.escape("".join(sorted({n[0] for n in names})))
        return re.compile(
            rf"(?=[{initials}])\b(?P<name>{alternatives})(?:{_SUBJECT_WILL}|{_APOS}s\s+going\s+to|\s+is\s+going\s+to"
            r"|\s+can)\b(?!\s*\?)"
        )

    def run(self) -> list[_Candidate]:
        """Every cue phrase of the call read as a candidate item, merged within sentences."""
        found: list[_Candidate] = []
        for index, utterance in enumerate(self._utterances):
            cues = self._cues(utterance)
            if not cues:
                continue
            text = utterance.text
            spans = _sentences(text)
            position = 0
            for number, (start, end) in enumerate(spans):
                inside: list[_Cue] = []
                while position < len(cues) and cues[position][0] < end:
                    cue = cues[position]
                    if cue[0] >= start and cue[1] <= end:
                        inside.append((cue[0] - start, cue[1] - start, *cue[2:]))
                    position += 1
                if inside:
                    previous = text[spans[number - 1][0] : spans[number - 1][1]] if number else ""
                    where = _Sentence(index, utterance, number, start, text[start:end], previous)
                    found.extend(self._from_sentence(where, inside))
        return found

    def _cues(self, utterance: Utterance) -> list[_Cue]:
        """The cue phrases in an utterance, in order, with offsets into its text."""
        text = utterance.text
        cues: list[_Cue] = [
            (match.start(), match.end(), match.lastgroup or "", match, None)
            for match in _CUE.finditer(text)
        ]
        if self._third_party is not None:
            speaker = self._roster.person(utterance.speaker)
            for match in self._third_party.finditer(text):
                person = self._roster.lookup(match["name"])
                if person is not None and person is not speaker:
                    kind = "weak" if match.group().lower().endswith("can") else "third"
                    cues.append((match.start(), match.end(), kind, None, person))
            cues.sort(key=lambda c: c[0])
        return cues

    # A sentence can hold several cues; each is read up to the next one.
    def _from_sentence(self, where: _Sentence, cues: list[_Cue]) -> list[_Candidate]:
        results: list[_Candidate] = []
        for position, (cue_start, cue_end, group, cue_match, person) in enumerate(cues):
            limit = cues[position + 1][0] if position + 1 < len(cues) else len(where.text)
            candidate = self._candidate(
                where, (cue_start, cue_end, limit), group, cue_match, person
            )
            if candidate is not None:
                results.append(candidate)
        return self._merge_in_sentence(results)

    def _candidate(
        self,
        where: _Sentence,
        bounds: tuple[int, int, int],
        group: str,
        match: re.Match[str] | None,
        person: _Person | None,
    ) -> _Candidate | None:
        index, utterance, number = where.index, where.utterance, where.number
        sentence_start, sentence = where.start, where.text
        cue_start, cue_end, limit = bounds
        speaker = self._roster.person(utterance.speaker)
        filler = _LEAD_FILLER.match(sentence, cue_end)
        body_start = filler.end() if filler else cue_end
        rest = sentence[body_start:limit]
        words = rest.split()
        if not words or _NEGATED_BODY.match(rest):
            return None
        first_verb = words[0].lower().strip(",.;:!?")
        before = sentence[:cue_start]
        if _NEGATED_BEFORE.search(before):
            return None
        kind: _Kind
        owner: _Person | None
        commitment = group in ("commit", "weak", "let_me", "third")
        # Cheap rejections first: most cues in a long call end here.
        if commitment:
            kind, owner = "commit", person or speaker
            if (
                not _at_clause_start(before)
                or first_verb in _NOT_A_VERB
                or _NON_COMMITMENT.match(rest)
                or (group == "let_me" and first_verb not in _LET_ME_VERBS)
                or (group == "weak" and first_verb not in _ACTION_VERBS)
                or (sentence.rstrip().endswith("?") and not _QUESTION_TAG.search(sentence))
            ):
                return None
        elif group == "plan":
            kind, owner = "plan", speaker
        elif group in ("request", "offer"):
            kind = "request" if group == "request" else "offer"
            owner = None if group == "request" else speaker
            if first_verb not in _ACTION_VERBS or _NON_COMMITMENT.match(rest):
                return None
        elif group == "agenda":
            kind, owner = "commit", speaker
            who = (match["agenda_who"] or match["next_who"]) if match is not None else None
            if who:
                owner = self._who(who, speaker)
                if who.lower() == "you":
                    kind, owner = "request", None
        else:
            return None
        date_text = sentence[cue_start : self._date_end(sentence, body_start, limit)]
        hits = _date_hits(date_text, self._base)
        if commitment:
            if group == "weak" and not (hits or self._answered(index, speaker, _STRONG_ACCEPT)):
                return None  # "we can set that up" is an offer until dated or accepted
            if first_verb == "have" and not (
                _HAVE_DONE.search(rest) or hits or self._names_person(rest)
            ):
                return None
            if first_verb == "be" and not hits:
                return None  # "I'll be setting up …" describes a role unless it has a date
        if (
            group not in ("plan", "agenda")
            and _IN_CALL_VERB.match(rest)
            and not (hits or _FOLLOW_UP.search(date_text))
        ):
            return None  # "I'll go through the numbers" is the agenda of this call
        body = rest[: self._title_end(rest)]
        title = _make_title(
            body,
            you=self._roster.other_side_name(speaker.side),
            me=speaker.first_name,
            us=self._roster.side_name(speaker.side),
        )
        content = _content_words(title)
        # "Adjust it" or "Get that over": nothing a tracker issue could say on its own.
        vague = (
            not content
            or len(title.split()) < 2
            or (len(content) == 1 and bool(_PRONOUN_OBJECT.search(title)) and not hits)
        )
        if vague and (kind != "commit" or number > 1):
            return None
        due = _choose_date(hits, date_text)
        if due is None:
            clause = _last_clause(before)
            due = _choose_date(_date_hits(clause, self._base), clause)
        quote = self._quote(
            utterance.text,
            sentence_start,
            sentence_start + len(sentence),
            sentence_start + cue_start,
        )
        return _Candidate(
            kind=kind,
            index=index,
            utterance=utterance,
            sentence_start=sentence_start,
            sentence_end=sentence_start + len(sentence),
            sentence_number=number,
            cue=" ".join(sentence[cue_start:cue_end].split()),
            cue_start=sentence_start + cue_start,
            speaker=speaker,
            owner=owner,
            title=title,
            content=content,
            due=due,
            priority=self._priority(sentence, where.previous, due),
            quote=quote,
            vague=vague,
        )

    def _answered(self, index: int, speaker: _Person, pattern: re.Pattern[str]) -> bool:
        """Whether the next other speaker's turn starts with ``pattern`` (an acceptance)."""
        for later in self._utterances[index + 1 : index + 1 + _ACCEPT_WINDOW]:
            if self._roster.person(later.speaker) is speaker:
                continue
            return bool(pattern.match(later.text)) and not _DECLINE.match(later.text)
        return False

    def _names_person(self, text: str) -> bool:
        pattern = self._roster.name_pattern
        return bool(
            re.search(r"\b(?:someone|somebody|one\s+of|my\s+team|our\s+team)\b", text, re.I)
            or (pattern is not None and pattern.search(text))
        )

    def _who(self, who: str, speaker: _Person) -> _Person | None:
        lowered = who.lower()
        if lowered in ("me", "us"):
            return speaker
        return self._roster.lookup(who)

    @staticmethod
    def _title_end(rest: str) -> int:
        for match in _TITLE_END.finditer(rest):
            if match.start() == 0:
                continue
            boundary = rest[match.end() : match.end() + 8].lower()
            if boundary.startswith(("if", "when")) and _KEEPS_IF.search(rest[: match.start()]):
                continue
            return match.start()
        return len(rest)

    @staticmethod
    def _date_end(sentence: str, body_start: int, limit: int) -> int:
        change = _SUBJECT_CHANGE.search(sentence, body_start, limit)
        return change.start() if change else limit

    @staticmethod
    def _quote(text: str, start: int, end: int, cue_start: int) -> str:
        if end - start <= _QUOTE_MAX:
            return text[start:end]
        # An unpunctuated monologue: quote the clause around the cue, on word boundaries.
        low = max(start, cue_start - 80)
        boundary = max(text.rfind(",", low, cue_start), text.rfind(";", low, cue_start))
        low = boundary + 1 if boundary >= 0 else low
        high = min(end, cue_start + _QUOTE_MAX - (cue_start - low))
        while low < cue_start and not text[low - 1].isspace() and low > start:
            low += 1
        while high < end and not text[high].isspace():
            high -= 1
        return text[low:high].strip()

    def _priority(self, sentence: str, previous: str, due: dt.date | None) -> Priority:
        if _URGENT.search(sentence):
            return Priority.URGENT
        if _HIGH.search(sentence) or _HIGH.search(previous):
            return Priority.HIGH
        if self._incident_call and due is not None and (due - self._base).days <= 1:
            # Work promised for today or tomorrow on an incident call is the fix itself.
            return Priority.URGENT if due == self._base else Priority.HIGH
        return Priority.NONE

    @staticmethod
    def _merge_in_sentence(items: list[_Candidate]) -> list[_Candidate]:
        merged: list[_Candidate] = []
        for item in items:
            twin = next(
                (
                    m
                    for m in merged
                    if m.kind == item.kind and m.owner is item.owner and item.kind == "commit"
                ),
                None,
            )
            if twin is None:
                merged.append(item)
                continue
            _absorb(twin, item)
        return merged

    # --- after extraction -------------------------------------------------------------------

    def resolve(self, found: list[_Candidate]) -> list[_Candidate]:
        """Owners for requests and offers, then merged duplicates."""
        kept: list[_Candidate] = []
        for item in found:
            if item.kind == "request":
                owner = self._addressee(item)
                if owner is None:
                    continue
                item.owner = owner
            elif item.kind == "offer":
                if not self._accepted_by_other(item):
                    continue
                item.accepted = True
            kept.append(item)
        return _merge_duplicates(kept)

    def _addressee(self, item: _Candidate) -> _Person | None:
        speaker = item.speaker
        sentence = item.utterance.text[item.sentence_start : item.sentence_end]
        named = self._vocative(sentence, speaker)
        if named is None and item.sentence_number <= 1:
            opening = _sentences(item.utterance.text)[0]
            first = item.utterance.text[opening[0] : opening[1]]
            named = self._vocative(first, speaker, opening_only=True)
        if named is not None:
            return named
        next_speaker: _Person | None = None
        for later in self._utterances[item.index + 1 : item.index + 1 + _ACCEPT_WINDOW]:
            person = self._roster.person(later.speaker)
            if person is speaker:
                continue
            if next_speaker is None:
                next_speaker = person
                if _DECLINE.match(later.text) and not _ACCEPT.match(later.text):
                    return None
            if _ACCEPT.match(later.text) and (
                person.side is None or speaker.side is None or person.side is not speaker.side
            ):
                item.accepted = True
                return person
        if next_speaker is not None:
            return next_speaker
        other = Side.CUSTOMER if speaker.side is Side.US else Side.US
        return self._roster.main_speaker(other) if speaker.side is not None else None

    def _vocative(
        self, sentence: str, speaker: _Person, *, opening_only: bool = False
    ) -> _Person | None:
        pattern = self._roster.name_pattern
        if pattern is None:
            return None
        for match in pattern.finditer(sentence):
            before = sentence[: match.start()].rstrip()
            after = sentence[match.end() :].lstrip()
            at_start = not re.sub(r"\b(?:and|so|ok(?:ay)?|um+|uh+|oh|also|hey)\b|[\s,]", "", before)
            addressed = (at_start and after.startswith(",")) or (
                not opening_only
                and (before.endswith(",") or at_start)
                and (after[:1] in ("?", ".", "!", "") or after.startswith(","))
                and not re.search(r"\b(?:to|with|for|from|cc|ask|tell|and)$", before.rstrip(","))
            )
            if not addressed:
                continue
            person = self._roster.lookup(match.group())
            if person is not None and person is not speaker:
                return person
        return None

    def _accepted_by_other(self, item: _Candidate) -> bool:
        for later in self._utterances[item.index + 1 : item.index + 1 + _ACCEPT_WINDOW]:
            person = self._roster.person(later.speaker)
            if person is item.speaker:
                continue
            return bool(_ACCEPT.match(later.text)) and not _DECLINE.match(later.text)
        return False


def _at_clause_start(before: str) -> bool:
    """Whether a cue starts a clause, so "what I can do is" and "a date I can give you" don't count."""
    stripped = before.rstrip()
    if not stripped or stripped[-1] in ',;:—–-("“':
        return True
    last = stripped.split()[-1].strip(".!?\"'”’").lower()
    return (
        last in _CLAUSE_OPENERS
        or last in _WEEKDAYS
        or last in _ORDINALS
        or bool(re.fullmatch(r"\d{1,2}(?:st|nd|rd|th)?", last))
    )


def _last_clause(text: str) -> str:
    starts = [m.end() for m in _CLAUSE_START.finditer(text)]
    return text[starts[-1] :] if starts else text


def _evidence(candidate: _Candidate) -> tuple[int, int, int]:
    """How good a candidate's quote is as evidence: the owner's own words, with a date, rich."""
    if candidate.vague:
        return (0, 0, 0)
    own_words = candidate.kind == "commit" and candidate.owner is candidate.speaker
    return (int(own_words), int(candidate.due is not None), len(candidate.content))


def _absorb(keeper: _Candidate, other: _Candidate) -> None:
    """Fold ``other`` into ``keeper``: the richer title and the better quote win."""
    better_quote = _evidence(other) > _evidence(keeper)
    richer = len(other.content) > len(keeper.content) and not other.vague
    if keeper.vague and not other.vague:
        keeper.vague, richer = False, True
    if richer or (better_quote and len(other.content) == len(keeper.content)):
        keeper.title, keeper.content = other.title, other.content
    if better_quote:
        keeper.quote = other.quote
        keeper.utterance = other.utterance
        keeper.sentence_start, keeper.sentence_end = other.sentence_start, other.sentence_end
    keeper.due = keeper.due or other.due
    if other.priority and (not keeper.priority or other.priority < keeper.priority):
        keeper.priority = other.priority
    keeper.accepted = keeper.accepted or other.accepted
    keeper.merged_cues.append(other.cue)
    keeper.merged_cues.extend(other.merged_cues)


def _similar(a: frozenset[str], b: frozenset[str]) -> bool:
    """Two titles say the same thing: two or more shared words, most of the shorter one."""
    if not a or not b:
        return False
    shared = len(a & b)
    return shared >= 2 and shared / min(len(a), len(b)) >= 0.6


def _merge_duplicates(items: list[_Candidate]) -> list[_Candidate]:
    """A request and its acceptance, or a commitment restated later, become one item."""
    kept: list[_Candidate] = []
    requests: dict[int, list[_Candidate]] = {}
    # Earlier items by (owner, title word): a restatement shares words, so only those are compared.
    by_word: dict[tuple[int, str], dict[int, _Candidate]] = {}
    order: dict[int, int] = {}
    for item in items:
        owner = id(item.owner)
        target = next(
            (
                earlier
                for earlier in reversed(requests.get(owner, [])[-_ACCEPT_WINDOW:])
                if _accepts(earlier, item)
            ),
            None,
        )
        if target is None and not item.vague:
            similar = {
                id(earlier): earlier
                for word in item.content
                for earlier in by_word.get((owner, word), {}).values()
                if _similar(earlier.content, item.content)
            }
            if similar:
                target = max(similar.values(), key=lambda c: order[id(c)])
        if target is None:
            if item.vague:
                continue
            order[id(item)] = len(kept)
            kept.append(item)
            target = item
            if item.kind in ("request", "offer"):
                requests.setdefault(owner, []).append(item)
        else:
            if target.kind in ("request", "offer") and item.kind == "commit":
                target.accepted = True
            _absorb(target, item)
        for word in target.content:
            bucket = by_word.setdefault((owner, word), {})
            bucket[id(target)] = target
    return kept


def _accepts(request: _Candidate, item: _Candidate) -> bool:
    """Whether ``item`` is its owner saying yes to ``request`` in the next turns."""
    return (
        item.kind == "commit"
        and 0 < item.index - request.index <= _ACCEPT_WINDOW
        and item.sentence_number <= 1
        and (len(item.content) <= 1 or bool(item.content & request.content))
    )


# --- summary -----------------------------------------------------------------------------------


@dataclass(slots=True)
class _WordStats:
    """What one pass over the words of a call finds: topics and tone."""

    topics: list[str]
    sentiment: Sentiment
    positive: int
    negative: int
    risky: set[int]
    """Indexes of the utterances that may hold a risk phrase."""


def _word_stats(transcript: Transcript, exclude: set[str], count: int = 4) -> _WordStats:
    """Topics (frequent word pairs, then words) and tone (cue words) in one pass."""
    unigrams: Counter[str] = Counter()
    bigrams: Counter[tuple[str, str]] = Counter()
    positive = negative = 0
    risky: set[int] = set()
    for index, utterance in enumerate(transcript.utterances):
        words = [m.group().lower().replace("’", "'") for m in _WORD.finditer(utterance.text)]
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
            if word.startswith(_RISK_STEMS):
                risky.add(index)
            if len(word) < 3 or word in _TOPIC_STOP or word in exclude:
                previous_topic = None
                continue
            unigrams[word] += 1
            if previous_topic is not None:
                bigrams[(previous_topic, word)] += 1
            previous_topic = word
    sentiment, positive, negative = _tone(positive, negative)
    return _WordStats(_pick_topics(unigrams, bigrams, count), sentiment, positive, negative, risky)


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


def _risks(transcript: Transcript, risky: set[int]) -> list[str]:
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
                (s for s in _sentences(text) if s[0] <= match.start() < s[1]), (0, len(text))
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


def _with_article(phrase: str) -> str:
    """ "a 9-minute call", "an 8-minute call", "an 11-minute call"."""
    spoken_vowel = re.match(r"(?:8|11|18|8\d)(?!\d)|[aeiou]", phrase, re.IGNORECASE)
    return f"{'an' if spoken_vowel else 'a'} {phrase}"


def _names(names: Sequence[str]) -> str:
    if not names:
        return ""
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " and " + names[-1]


def _due_text(due: dt.date | None) -> str:
    return f"{due:%A}, {due:%B} {due.day}" if due else ""


# --- the analyzer ------------------------------------------------------------------------------


class RulesAnalyzer:
    """Finds commitments by cue phrases. Every output says it came from the offline analyzer."""

    name = ANALYZER_NAME

    def __init__(self, *, company_name: str, sender_name: str | None = None) -> None:
        self._company = company_name
        self._sender = sender_name

    async def analyze(
        self, transcript: Transcript, metadata: CallMetadata, *, tracker: TaskTracker
    ) -> CallAnalysis:
        """Extract action items, a summary and a follow-up draft from cue phrases.

        Each item is checked against ``tracker`` for an open issue with a matching title,
        which is then set as the item's ``existing_issue`` so the workflow links, not refiles.
        """
        call_date = metadata.call_date or dt.date.today()
        roster = _Roster(transcript, metadata, company_name=self._company, sender_name=self._sender)
        extractor = _Extractor(transcript, roster, call_date, metadata.title)
        candidates = extractor.resolve(extractor.run())
        items = [self._item(c) for c in candidates]
        await _link_existing(items, tracker, metadata)
        # Names are not topics, however often they are said.
        exclude = {w.lower() for p in roster.people for w in p.name.split()}
        for name in (metadata.customer.name if metadata.customer else "", self._company):
            exclude.update(w.lower() for w in name.split())
        stats = _word_stats(transcript, exclude)
        summary = self._summary(transcript, metadata, roster, items, stats)
        email = self._email(metadata, roster, items, stats.topics)
        return CallAnalysis(
            analyzer=ANALYZER_NAME,
            summary=summary,
            action_items=items,
            email=email,
            notes=self._notes(transcript, metadata, roster, email),
        )

    @staticmethod
    def _item(candidate: _Candidate) -> ActionItem:
        owner = candidate.owner
        stamp = format_timestamp(candidate.utterance.start)
        at = f" (at {stamp})" if stamp else ""
        speaker = candidate.speaker.name
        title = candidate.title
        task = title[:1].lower() + title[1:] if title[1:2].islower() else title
        if candidate.kind == "request" and owner is not None:
            answer = f" {owner.first_name} agreed." if candidate.accepted else ""
            text = f"{speaker} asked {owner.name} to {task}{at}.{answer}"
        elif candidate.kind == "offer":
            text = f"{speaker} offered to {task}{at}, and the offer was accepted."
        elif candidate.kind == "plan":
            text = f"{speaker} proposed to {task}{at}."
        elif owner is not None and owner is not candidate.speaker:
            text = f"{speaker} said {owner.name} would {task}{at}."
        else:
            text = f"{speaker} committed to {task}{at}."
        if candidate.due:
            text += f" Due {_due_text(candidate.due)}."
        cues = ", ".join(f'"{c}"' for c in [candidate.cue, *candidate.merged_cues])
        label = "cue phrase" if len(candidate.merged_cues) == 0 else "cue phrases"
        description = f"{text} Found by the offline analyzer ({label} {cues})."
        known = owner is not None and owner.name != UNKNOWN_SPEAKER
        return ActionItem(
            title=candidate.title,
            description=description,
            owner=owner.owner() if owner is not None and known else None,
            due_date=candidate.due,
            priority=candidate.priority,
            quote=candidate.quote,
            quote_time=candidate.utterance.start,
        )

    def _summary(
        self,
        transcript: Transcript,
        metadata: CallMetadata,
        roster: _Roster,
        items: Sequence[ActionItem],
        stats: _WordStats,
    ) -> CallSummary:
        duration = transcript.duration()
        words = transcript.word_count()
        length = (
            _with_article(f"{max(1, round(duration / 60))}-minute call")
            if duration
            else _with_article(f"{words}-word call")
        )
        customer = metadata.customer.name if metadata.customer else "the customer"
        ours = [p.name for p in roster.people if p.side is Side.US and p.present]
        theirs = [p.name for p in roster.people if p.side is Side.CUSTOMER and p.present]
        unknown = [
            p.name
            for p in roster.people
            if p.side is None and p.words and p.name != UNKNOWN_SPEAKER
        ]
        who = []
        if theirs:
            who.append(f"{customer} ({_names(theirs)})")
        if ours:
            who.append(f"{self._company} ({_names(ours)})")
        if unknown:
            who.append(f"{_names(unknown)} (side unknown)")
        parts = [f"Offline analyzer summary: {length}"]
        if metadata.title:
            parts[0] += f', "{metadata.title}"'
        parts[0] += f" with {_names(who)}." if who else "."
        if stats.topics:
            parts.append(f"Main topics (most frequent keywords): {', '.join(stats.topics)}.")
        counts = Counter(i.owner.side if i.owner else None for i in items)
        dated = sum(1 for i in items if i.due_date)
        commitments = (
            f"Action items found: {len(items)} ({counts[Side.US]} for {self._company}, "
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
        risks = _risks(transcript, stats.risky)
        if risks:
            parts.append(f"{len(risks)} risk phrase(s) flagged; see the risks.")
        return CallSummary(text=" ".join(parts), sentiment=sentiment, risks=risks)

    def _email(
        self,
        metadata: CallMetadata,
        roster: _Roster,
        items: Sequence[ActionItem],
        topics: Sequence[str],
    ) -> EmailDraft:
        customer = metadata.customer.name if metadata.customer else None
        theirs = [p for p in roster.people if p.side is Side.CUSTOMER and p.present]
        ours = [p for p in roster.people if p.side is Side.US and p.present]
        first_names = list(dict.fromkeys(p.first_name for p in theirs))
        if first_names and len(first_names) <= 4:
            greeting = f"Hi {_names(first_names)},"
        elif customer and not first_names:
            greeting = f"Hi {customer} team,"
        else:
            greeting = "Hi all,"
        when = f" on {metadata.call_date:%B} {metadata.call_date.day}" if metadata.call_date else ""
        recap = (
            f"We covered {_names(topics[:3])}, and below is what each of us agreed to do next."
            if topics
            else "Below is what each of us agreed to do next."
        )
        main_us = roster.main_speaker(Side.US)
        sender = self._sender or (main_us.name if main_us else "")
        text = string.Template(load_prompt(EMAIL_TEMPLATE).text).substitute(
            greeting=greeting,
            call_date=when,
            recap=recap,
            next_steps=self._next_steps(items),
            sender_name=sender,
            company_name=self._company,
        )
        body = re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"
        subject = f"Follow-up: {metadata.title or customer or 'our call'} — next steps"
        to = list(dict.fromkeys(p.email for p in theirs if p.email))
        cc = list(dict.fromkeys(p.email for p in ours if p.email))
        return EmailDraft(subject=subject, body=body, to=to, cc=cc)

    @staticmethod
    def _next_steps(items: Sequence[ActionItem]) -> str:
        if not items:
            return "No action items were noted on the call; reply if we missed one."
        groups: list[tuple[str, list[ActionItem]]] = [
            ("From us:", [i for i in items if i.owner and i.owner.side is Side.US]),
            ("From your team:", [i for i in items if i.owner and i.owner.side is Side.CUSTOMER]),
            ("Other follow-ups:", [i for i in items if not i.owner or i.owner.side is None]),
        ]
        blocks = []
        for label, group in groups:
            if not group:
                continue
            lines = [f"**{label}**", ""]
            for item in group:
                details = [item.owner.name] if item.owner else []
                if item.due_date:
                    details.append(f"by {_due_text(item.due_date)}")
                suffix = f" ({', '.join(details)})" if details else ""
                lines.append(f"- {item.title}{suffix}")
            blocks.append("\n".join(lines))
        return "\n\n".join(blocks)

    def _notes(
        self,
        transcript: Transcript,
        metadata: CallMetadata,
        roster: _Roster,
        email: EmailDraft,
    ) -> list[str]:
        notes = [
            "OFFLINE ANALYZER: made by the offline-rules analyzer from cue phrases, not by a "
            "language model. It can miss commitments phrased unusually and misread context; "
            "review every item, the summary and the email.",
            "Set ANTHROPIC_API_KEY to use the Claude agent.",
        ]
        if metadata.call_date is None:
            notes.append("The call has no date, so due dates were resolved against today.")
        guessed = [p.name for p in roster.people if p.guessed_side and p.words]
        if guessed:
            notes.append(f"Sides guessed from email domains or names: {_names(guessed)}.")
        unmatched = unmatched_speakers(transcript, metadata)
        if unmatched:
            notes.append(f"Speakers not in the attendee list: {_names(unmatched)}.")
        if not email.to:
            notes.append(
                "No customer email address is known: add a recipient before approving the email."
            )
        return notes


async def _link_existing(
    items: Iterable[ActionItem], tracker: TaskTracker, metadata: CallMetadata
) -> None:
    customer = metadata.customer.name if metadata.customer else None
    gate = asyncio.Semaphore(_TRACKER_CONCURRENCY)

    async def link(item: ActionItem) -> None:
        async with gate:
            matches = await tracker.find_open_issues(query=item.title, customer=customer)
        if matches:
            item.existing_issue = matches[0].model_copy(update={"existing": True})

    await asyncio.gather(*(link(item) for item in items))
