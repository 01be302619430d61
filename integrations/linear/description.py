"""The Markdown body of a Linear issue filed from an action item, and how to read it back.

The body says what to do, shows the words from the call that back it up (with the time they
were said), and lists the customer, the call and a link back to it. The ``- Customer: NAME``
line is also how cs-agent finds a customer's open issues again: Linear can filter issues by
description text, and it works on every plan without creating labels or projects per customer.
"""

from __future__ import annotations

import re

from cs_agent.core.domain import ActionItem, Owner, Side, format_timestamp
from cs_agent.core.ports import CallContext

CUSTOMER_PREFIX = "Customer: "
FOOTER = "Filed by cs-agent from a customer call."

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~])")
_CUSTOMER_LINE = re.compile(
    r"^\s*[-*]\s+" + re.escape(CUSTOMER_PREFIX) + r"(?P<name>.*?)(?:\s+\((?P<domain>[^()]*)\))?\s*$"
)


def escape_markdown(text: str) -> str:
    """``text`` with Markdown syntax escaped, so words from a transcript stay words."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def customer_text(name: str) -> str:
    """What the description holds for customer ``name``: searchable with ``containsIgnoreCase``."""
    return CUSTOMER_PREFIX + escape_markdown(name.strip())


def issue_description(item: ActionItem, call: CallContext, *, assigned: bool = False) -> str:
    """The issue body for ``item`` from ``call``.

    When the owner is not ``assigned`` (a customer, or someone no Linear user matched), the body
    says so, so a person can see why and assign the issue by hand.
    """
    parts = [item.description.strip() or item.title.strip()]
    if item.quote.strip():
        quote = "\n".join(
            f"> {escape_markdown(line)}" if line.strip() else ">"
            for line in item.quote.strip().splitlines()
        )
        stamp = format_timestamp(item.quote_time)
        said = f"> — said at {stamp} in the call" if stamp else "> — said in the call"
        parts.append(f"{quote}\n>\n{said}")
    facts = []
    if call.customer_name:
        domain = f" ({escape_markdown(call.customer_domain)})" if call.customer_domain else ""
        facts.append(f"- {customer_text(call.customer_name)}{domain}")
    facts.append(f"- Call: {_call_text(call)}")
    if item.owner is not None:
        facts.append(f"- Owner: {_owner_text(item.owner, assigned=assigned)}")
    parts.append("\n".join(facts))
    parts.append(FOOTER)
    return "\n\n".join(parts)


def customer_of(description: str | None) -> str | None:
    """The customer named in a description written by ``issue_description`` (escaped form)."""
    for line in (description or "").splitlines():
        match = _CUSTOMER_LINE.match(line)
        if match:
            return match.group("name").strip()
    return None


def same_customer(description: str | None, customer: str) -> bool:
    """Whether ``description`` was filed for exactly ``customer`` (not just a similar name)."""
    found = customer_of(description)
    return found is not None and found.casefold() == escape_markdown(customer.strip()).casefold()


def _owner_text(owner: Owner, *, assigned: bool) -> str:
    name = escape_markdown(owner.name)
    if assigned:
        return name
    if owner.side == Side.CUSTOMER:
        return f"{name}, on the customer's side — unassigned; follow up with them"
    return f"{name} — no Linear user matches this owner, so the issue is unassigned"


def _call_text(call: CallContext) -> str:
    title = escape_markdown(call.title) if call.title else "the call"
    when = f" on {call.call_date.isoformat()}" if call.call_date else ""
    if call.call_url:
        return f"[{title}]({call.call_url}){when}"
    return f"{title}{when} (call {call.call_id})"
