"""The update email's words when no model drafts them: a template, labelled as such.

One line a promise kept ("On our call of 10 November you asked for X; it is done."), under
the follow-up's subject so the customer reads it as part of the same conversation.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

TEMPLATE_LABEL = "update-template"
"""What the audit log and the views name as the author of a template-drafted update."""


@dataclass(frozen=True)
class KeptLine:
    """One kept promise as the update tells it."""

    title: str
    call_date: dt.date | None
    call_title: str | None
    identifier: str | None


def spoken_date(day: dt.date) -> str:
    """``10 November`` (the year only when it is not this one's)."""
    text = f"{day.day} {day:%B}"
    return text if day.year == dt.date.today().year else f"{text} {day.year}"


def kept_sentence(line: KeptLine) -> str:
    """The sentence of one kept promise."""
    when = f"On our call of {spoken_date(line.call_date)}" if line.call_date else "On our call"
    what = line.title.rstrip(". ")
    first = what[:1].lower() + what[1:] if what[:2] != what[:2].upper() else what
    ref = f" ({line.identifier})" if line.identifier else ""
    return f"{when} you asked for this: {first}. It is done{ref}."


def update_subject(followup_subject: str | None) -> str:
    """The update's subject: a reply to the follow-up's, so mail clients thread it."""
    if not followup_subject:
        return "An update on what we promised"
    return (
        followup_subject
        if followup_subject.lower().startswith("re:")
        else f"Re: {followup_subject}"
    )


def update_body(lines: list[KeptLine], *, sender_name: str | None) -> str:
    """The Markdown body of an update telling the customer about ``lines``."""
    if len(lines) == 1:
        middle = kept_sentence(lines[0])
    else:
        bullets = "\n".join(f"- {kept_sentence(line)}" for line in lines)
        middle = f"A quick update on what we promised:\n\n{bullets}"
    sign = f"\n\nBest regards,\n{sender_name}" if sender_name else "\n\nBest regards"
    return f"Hello,\n\n{middle}{sign}\n"
