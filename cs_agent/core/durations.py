"""Durations and points in time as people type them: ``90d``, ``24h``, ``1h30m``, ``2026-11-01``.

Used by the settings (``CS_AGENT_REMIND_AFTER=24h``) and by the commands that take an age
(``cs-agent purge --older-than 90d``, ``cs-agent costs --since 30d``).
"""

from __future__ import annotations

import datetime as dt
import re

_UNITS = {"w": 7 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1}
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([wdhms])")
_WHOLE = re.compile(r"^(?:\s*\d+(?:\.\d+)?\s*[wdhms])+\s*$")


def parse_duration(text: str) -> dt.timedelta:
    """``90d``, ``24h``, ``1h30m``, ``45s``, ``2w`` (or a plain number of seconds).

    Raises ``ValueError`` saying what is expected.
    """
    value = text.strip().lower()
    if re.fullmatch(r"\d+(?:\.\d+)?", value):
        return dt.timedelta(seconds=float(value))
    if not value or not _WHOLE.match(value):
        raise ValueError(
            f"{text!r} is not a duration: use a number and a unit, like 90d, 24h, 30m or 1h30m "
            "(w weeks, d days, h hours, m minutes, s seconds)"
        )
    seconds = sum(float(amount) * _UNITS[unit] for amount, unit in _PART.findall(value))
    return dt.timedelta(seconds=seconds)


def parse_since(text: str, *, now: dt.datetime) -> dt.datetime:
    """A point in time: a date (``2026-11-01``, midnight UTC), an ISO time, or an age (``30d``)."""
    value = text.strip()
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        pass
    else:
        return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        pass
    else:
        return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    try:
        return now - parse_duration(value)
    except ValueError:
        raise ValueError(f"{text!r} is neither a date (2026-11-01) nor an age (30d, 12h)") from None


def describe_duration(delta: dt.timedelta) -> str:
    """``1d 2h``, ``3h 5m``, ``45s``: the two largest units, for messages people read."""
    seconds = int(delta.total_seconds())
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        amount, seconds = divmod(seconds, size)
        if amount:
            parts.append(f"{amount}{unit}")
    return " ".join(parts[:2]) or "0s"


def cron_every(interval: dt.timedelta) -> str:
    """A six-field cron expression (seconds first) that fires every ``interval``.

    Cron can only divide a minute, an hour or a day evenly, so the interval must be a whole
    number of seconds dividing 60, of minutes dividing 60, or of hours dividing 24.
    """
    seconds = interval.total_seconds()
    whole = int(seconds)
    if whole != seconds or whole <= 0:
        raise ValueError(f"{describe_duration(interval)}: use a whole number of seconds")
    if whole < 60 and 60 % whole == 0:
        return f"*/{whole} * * * * *"
    if whole % 60 == 0 and whole < 3600 and 60 % (whole // 60) == 0:
        return f"0 */{whole // 60} * * * *"
    if whole % 3600 == 0 and whole <= 86400 and 24 % (whole // 3600) == 0:
        return f"0 0 */{whole // 3600} * * *"
    raise ValueError(
        f"every {describe_duration(interval)} cannot be a schedule: use seconds dividing a "
        "minute (1s, 5s, 30s), minutes dividing an hour (1m, 5m, 15m) or hours dividing a day"
    )
