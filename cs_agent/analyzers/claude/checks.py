"""The checks a tool argument passes before it is kept: due dates, owners, recipients.

Owners and recipients are checked against the call's attendees (the metadata's, plus any
speaker it left out). Each check returns the value in the form the analysis keeps, or raises
``ToolRejection`` with a reason written for the model, so it can correct the call.
"""

from __future__ import annotations

import datetime as dt
import re
from email.utils import parseaddr

from cs_agent.analyzers.claude.quotes import normalise
from cs_agent.core.domain import Attendee, CallMetadata, Priority, Side, Transcript

PRIORITIES = {
    "urgent": Priority.URGENT,
    "high": Priority.HIGH,
    "medium": Priority.MEDIUM,
    "low": Priority.LOW,
    "none": Priority.NONE,
}


class ToolRejection(Exception):
    """A tool call that fails a check. ``reason`` goes back to the model."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def parse_due_date(value: object, *, call_date: dt.date | None) -> dt.date | None:
    """An ISO date (or None for no date). Raises ``ToolRejection`` saying what to send instead."""
    if value is None or (isinstance(value, str) and value.strip().lower() in {"", "null", "none"}):
        return None
    hint = (
        f" Resolve words like 'Friday' against the call date {call_date.isoformat()} "
        f"({call_date:%A})."
        if call_date
        else ""
    )
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        raise ToolRejection(
            f"due_date {value!r} is not a date: send YYYY-MM-DD, or null when no date was said."
            + hint
        )
    try:
        due = dt.date.fromisoformat(value.strip())
    except ValueError:
        raise ToolRejection(f"due_date {value!r} is not a real calendar date." + hint) from None
    if call_date is not None and due < call_date:
        raise ToolRejection(
            f"due_date {due.isoformat()} is before the call ({call_date.isoformat()})." + hint
        )
    return due


def call_attendees(
    transcript: Transcript, metadata: CallMetadata, *, our_domain: str | None
) -> list[Attendee]:
    """Everyone on the call: the metadata's attendees, plus any speaker it left out.

    A missing side is inferred from the email domain (the customer's, or ours).
    """
    customer_domain = (metadata.customer.domain or "").lower() if metadata.customer else ""
    people: list[Attendee] = []
    seen: set[str] = set()
    for attendee in metadata.attendees:
        people.append(_with_side(attendee, customer_domain, (our_domain or "").lower()))
        seen.add(normalise(attendee.name))
    for speaker in transcript.speakers():
        if normalise(speaker) not in seen:
            people.append(Attendee(name=speaker))
            seen.add(normalise(speaker))
    return people


def _with_side(attendee: Attendee, customer_domain: str, our_domain: str) -> Attendee:
    if attendee.side is not None or not attendee.email:
        return attendee
    domain = attendee.email.rpartition("@")[2].lower()
    if customer_domain and _on_domain(domain, customer_domain):
        return attendee.model_copy(update={"side": Side.CUSTOMER})
    if our_domain and _on_domain(domain, our_domain):
        return attendee.model_copy(update={"side": Side.US})
    return attendee


def _on_domain(domain: str, expected: str) -> bool:
    return domain == expected or domain.endswith("." + expected)


def describe_attendee(attendee: Attendee) -> str:
    """``Name <email> (side)`` with whatever is known."""
    text = attendee.name
    if attendee.email:
        text += f" <{attendee.email}>"
    if attendee.side:
        text += f" ({attendee.side.value})"
    return text


def resolve_owner(name: object, attendees: list[Attendee]) -> Attendee:
    """The attendee ``name`` refers to (full name, or a first or last name only one has)."""
    listed = "; ".join(a.name for a in attendees) or "none known"
    if not isinstance(name, str) or not name.strip():
        raise ToolRejection(f"owner is empty: name the attendee who will do it ({listed}).")
    wanted = normalise(name)
    for attendee in attendees:
        if normalise(attendee.name) == wanted:
            return attendee
    partial = [a for a in attendees if wanted in normalise(a.name).split()]
    if len(partial) == 1:
        return partial[0]
    if partial:
        raise ToolRejection(f"owner {name!r} matches several attendees: use the full name.")
    raise ToolRejection(f"owner {name!r} is not an attendee of this call. Use one of: {listed}.")


def check_recipients(
    addresses: object,
    *,
    field_name: str,
    attendees: list[Attendee],
    customer_domain: str | None,
) -> list[str]:
    """Bare addresses, each an attendee's or at the customer's domain; else ``ToolRejection``."""
    if addresses is None:
        return []
    if not isinstance(addresses, list) or not all(isinstance(a, str) for a in addresses):
        raise ToolRejection(f"{field_name} must be a list of email addresses.")
    known = {a.email.lower() for a in attendees if a.email}
    domain = (customer_domain or "").lower()
    allowed = f"attendees ({', '.join(sorted(known)) or 'none with an email'})" + (
        f" or addresses at {domain}" if domain else ""
    )
    clean: list[str] = []
    for raw in addresses:
        address = parseaddr(raw)[1].strip().lower()
        if address.count("@") != 1 or "." not in address.rpartition("@")[2]:
            raise ToolRejection(f"{field_name}: {raw!r} is not an email address.")
        if address not in known and not (domain and _on_domain(address.rpartition("@")[2], domain)):
            raise ToolRejection(
                f"{field_name}: {address} is not allowed. The follow-up may only go to {allowed}."
            )
        if address not in clean:
            clean.append(address)
    return clean
