"""Due dates: the date expressions a sentence may name, resolved against the call date.

"By Friday", "next Tuesday", "EOD", "end of the month", "before the 15th", "in two weeks",
"December 3rd" and more; `resolve_due_date` is the entry point.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

WEEKDAYS: Final = {
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


ORDINALS: Final = _ordinal_words()
_ORDINAL_RE: Final = "|".join(
    w.replace("-", r"[-\s]") for w in sorted(ORDINALS, key=len, reverse=True)
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

DATE = re.compile(
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
    return ORDINALS.get(token)


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
        weekday = WEEKDAYS[match["weekday"].lower()]
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


def date_hits(text: str, base: dt.date) -> list[_DateHit]:
    hits: list[_DateHit] = []
    if not _DATE_ANCHOR.search(text):
        return hits
    for match in DATE.finditer(text):
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


def choose_date(hits: Sequence[_DateHit], text: str) -> dt.date | None:
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
    return choose_date(date_hits(text, base), text)
