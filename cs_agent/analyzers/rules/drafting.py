"""The follow-up email: the ``followup_email_offline`` template filled in.

A greeting for the customer's attendees, a recap of the topics and the next steps grouped by
side; sent to the customer's attendees with ours on copy.
"""

from __future__ import annotations

import re
import string
from collections.abc import Sequence
from typing import Final

from cs_agent.analyzers.rules.roster import Roster
from cs_agent.analyzers.rules.wording import due_text, join_names
from cs_agent.core.domain import ActionItem, CallMetadata, EmailDraft, Side
from prompts import load_prompt

EMAIL_TEMPLATE: Final = "followup_email_offline"
"""The prompt (``prompts/<name>.md``) the follow-up email is rendered from."""


def followup_email(
    metadata: CallMetadata,
    roster: Roster,
    items: Sequence[ActionItem],
    topics: Sequence[str],
    *,
    company_name: str,
    sender_name: str | None,
) -> EmailDraft:
    """The follow-up draft: a greeting, a recap of ``topics`` and the items grouped by side."""
    customer = metadata.customer.name if metadata.customer else None
    theirs = [p for p in roster.people if p.side is Side.CUSTOMER and p.present]
    ours = [p for p in roster.people if p.side is Side.US and p.present]
    first_names = list(dict.fromkeys(p.first_name for p in theirs))
    if first_names and len(first_names) <= 4:
        greeting = f"Hi {join_names(first_names)},"
    elif customer and not first_names:
        greeting = f"Hi {customer} team,"
    else:
        greeting = "Hi all,"
    when = f" on {metadata.call_date:%B} {metadata.call_date.day}" if metadata.call_date else ""
    recap = (
        f"We covered {join_names(topics[:3])}, and below is what each of us agreed to do next."
        if topics
        else "Below is what each of us agreed to do next."
    )
    main_us = roster.main_speaker(Side.US)
    sender = sender_name or (main_us.name if main_us else "")
    text = string.Template(load_prompt(EMAIL_TEMPLATE).text).substitute(
        greeting=greeting,
        call_date=when,
        recap=recap,
        next_steps=_next_steps(items),
        sender_name=sender,
        company_name=company_name,
    )
    body = re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"
    subject = f"Follow-up: {metadata.title or customer or 'our call'} — next steps"
    to = list(dict.fromkeys(p.email for p in theirs if p.email))
    cc = list(dict.fromkeys(p.email for p in ours if p.email))
    return EmailDraft(subject=subject, body=body, to=to, cc=cc)


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
                details.append(f"by {due_text(item.due_date)}")
            suffix = f" ({', '.join(details)})" if details else ""
            lines.append(f"- {item.title}{suffix}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)
