"""The Markdown body of a Linear issue filed from an action item, and how to read it back.

The body says what to do, shows the words from the call that back it up (with the time they
were said), and lists the customer, the call and a link back to it. The ``- Customer: NAME``
line is also how cs-agent finds a customer's open issues again: Linear can filter issues by
description text, and it works on every plan without creating labels or projects per customer.

Every word from the call goes through ``integrations.linear.markdown`` (escaped, kept to its
lines, cut), so no transcript can add a link, an image, HTML, a mention or a line of its own;
in particular it cannot write, or break, the ``- Customer:`` line.
"""

from __future__ import annotations

import urllib.parse

from cs_agent.core.domain import ActionItem, Owner, Side, format_timestamp
from cs_agent.core.ports import CallContext
from integrations.linear.markdown import (
    cut,
    escape_inline,
    escape_line,
    lines,
    one_line,
    unescape,
    utf16_length,
)

CUSTOMER_PREFIX = "Customer: "
CUSTOMER_LINE = "- " + CUSTOMER_PREFIX
FOOTER = "Filed by cs-agent from a customer call."
TITLE_LIMIT = 255
"""Linear's limit on an issue title (UTF-16 units)."""
DESCRIPTION_LIMIT = 100_000
"""A conservative cap on the description: Linear does not document one; real bodies are ~1 KB."""
NAME_LIMIT = 200
"""Customer, owner and call names longer than this are cut (before escaping)."""
UNTITLED = "Follow up from the customer call"
_CUT_NOTE = "\n\n*(cut: the text from the call was too long)*"


def issue_title(item: ActionItem) -> str:
    """The issue title for ``item``: one line, at most ``TITLE_LIMIT``.

    Linear shows titles as plain text, so they are not escaped; only cut. A blank title stays
    blank, and Linear's refusal names the field.
    """
    return cut(one_line(item.title), TITLE_LIMIT)


def customer_name(name: str) -> str:
    """``name`` as the description holds it before escaping: one line, cut to ``NAME_LIMIT``."""
    return cut(one_line(name), NAME_LIMIT)


def customer_text(name: str) -> str:
    """What the description holds for customer ``name``: searchable with ``containsIgnoreCase``."""
    return CUSTOMER_PREFIX + escape_inline(customer_name(name))


def issue_description(item: ActionItem, call: CallContext, *, assigned: bool = False) -> str:
    """The issue body for ``item`` from ``call``, at most ``DESCRIPTION_LIMIT`` long.

    When the owner is not ``assigned`` (a customer, or someone no Linear user matched), the body
    says so, so a person can see why and assign the issue by hand. When the words from the call
    do not fit, they are cut (the what-to-do text first keeps its share, then the quote) and the
    body says so; the facts block and the footer are never cut.
    """
    facts = []
    if call.customer_name and customer_name(call.customer_name):
        domain = call.customer_domain and escape_inline(customer_name(call.customer_domain))
        facts.append(CUSTOMER_LINE + escape_inline(customer_name(call.customer_name)))
        if domain:
            facts[-1] += f" ({domain})"
    facts.append(f"- Call: {_call_text(call)}")
    if item.owner is not None:
        facts.append(f"- Owner: {_owner_text(item.owner, assigned=assigned)}")
    tail = "\n".join(facts) + "\n\n" + FOOTER
    stamp = format_timestamp(item.quote_time)
    said = f"> — said at {stamp} in the call" if stamp else "> — said in the call"

    what = "\n".join(escape_line(line) for line in lines(item.description or "") if line)
    what = what or escape_line(one_line(item.title)) or UNTITLED
    quote = "\n".join(f"> {escape_line(line)}" if line else ">" for line in lines(item.quote))
    room = DESCRIPTION_LIMIT - utf16_length(tail) - utf16_length(_CUT_NOTE) - len(said) - 12
    body = _join(what, quote, said, tail)
    if utf16_length(body) <= DESCRIPTION_LIMIT:
        return body
    what = cut(what, room // 2)
    quote = cut(quote, room - utf16_length(what))
    return _join(what, quote, said, _CUT_NOTE.lstrip() + "\n\n" + tail)


def customer_of(description: str | None) -> str | None:
    """The customer named in a description written by ``issue_description`` (as written)."""
    for line in (description or "").splitlines():
        if line.startswith(CUSTOMER_LINE):
            return unescape(_without_domain(line.removeprefix(CUSTOMER_LINE))).strip()
    return None


def same_customer(description: str | None, customer: str) -> bool:
    """Whether ``description`` was filed for exactly ``customer`` (not just a similar name)."""
    found = customer_of(description)
    return found is not None and found.casefold() == customer_name(customer).casefold()


def _join(what: str, quote: str, said: str, tail: str) -> str:
    parts = [what]
    if quote:
        parts.append(f"{quote}\n>\n{said}")
    parts.append(tail)
    return "\n\n".join(parts)


def _without_domain(rest: str) -> str:
    """``rest`` up to the `` (domain)`` the description adds: the first unescaped ``(``.

    Escaped text holds only escaped parentheses, so the first bare one is ours.
    """
    index = 0
    while index < len(rest):
        if rest[index] == "\\":
            index += 2
            continue
        if rest[index] == "(":
            return rest[:index]
        index += 1
    return rest


def _owner_text(owner: Owner, *, assigned: bool) -> str:
    name = escape_inline(customer_name(owner.name)) or "someone"
    if assigned:
        return name
    if owner.side == Side.CUSTOMER:
        return f"{name}, on the customer's side — unassigned; follow up with them"
    return f"{name} — no Linear user matches this owner, so the issue is unassigned"


def _call_text(call: CallContext) -> str:
    title = escape_inline(customer_name(call.title or "")) or "the call"
    when = f" on {call.call_date.isoformat()}" if call.call_date else ""
    if call.call_url:
        # Our own URL, but it carries the call id: nothing in it may end the link early.
        url = urllib.parse.quote(one_line(call.call_url), safe=":/?#@!$&'*+,;=%~-._")
        return f"[{title}]({url}){when}"
    return f"{title}{when} (call {escape_inline(one_line(call.call_id))})"


def call_text(call: CallContext) -> str:
    """The call as a line of the body: its title, linked to its page, and its date."""
    return _call_text(call)
