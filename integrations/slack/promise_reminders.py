"""The reminder a promise's owner gets in the call's approval thread once it is overdue.

It carries message metadata naming the promise and its due date, so a step run again after a
crash finds it in the thread and does not post it twice.
"""

from __future__ import annotations

from typing import Any

from cs_agent.core.domain import OverduePromise, Side
from integrations.slack.text import cut_escaped, escape

PROMISE_REMINDER_EVENT_TYPE = "cs_agent_promise_reminder"
TITLE_LIMIT = 300


def promise_reminder_metadata(promise: OverduePromise) -> dict[str, Any]:
    """The metadata of the one reminder about ``promise`` for its due date."""
    return {
        "event_type": PROMISE_REMINDER_EVENT_TYPE,
        "event_payload": {"item_id": promise.item_id, "due_date": promise.due_date.isoformat()},
    }


def promise_reminder_text(promise: OverduePromise, *, mention: str | None) -> str:
    """The reminder's mrkdwn: who, what, for whom, when it was due, where it is tracked."""
    who = mention or escape(promise.owner_name or "Someone")
    what = cut_escaped(promise.title, TITLE_LIMIT)
    customer = escape(promise.customer or "the customer")
    if promise.side == Side.CUSTOMER:
        line = f"{who} ({customer}) promised *{what}*"
    else:
        line = f"{who}: we promised {customer} *{what}*"
    due = f"{promise.due_date.day} {promise.due_date:%B %Y}"
    issue = ""
    if promise.issue is not None:
        name = escape(promise.issue.identifier)
        issue = f" (<{promise.issue.url}|{name}>)" if promise.issue.url else f" ({name})"
    return f":alarm_clock: {line}, due {due}; it is still open{issue}."
