"""What Slack shows of a call's follow-up policy: the policy line on every request, a draft
waiting in the sender's Gmail (no Approve button), and the message for a call with no draft
("No follow-up needed: …" with a Draft one anyway button, or "no email under this policy").

Pure functions, like ``blocks``; text from a call or a model is escaped before ``mrkdwn``.
"""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from cs_agent.core.domain import FollowUpDraft, FollowUpNotice
from cs_agent.core.followup import FollowUpPolicy, PolicyChoice
from cs_agent.core.slack_ids import DRAFT_ANYWAY
from integrations.slack.text import (
    HEADER_TEXT,
    MAX_BLOCKS,
    NOTIFICATION_TEXT,
    SECTION_TEXT,
    cut,
    cut_escaped,
    escape,
)

NOTICE_EVENT_TYPE = "cs_agent_followup_notice"
"""Message metadata type on a "no draft" message: how a repost after a crash is avoided."""

ITEMS_LISTED = 15


def _link(url: str | None, label: str) -> str:
    if url and url.startswith(("https://", "http://")) and not any(c in url for c in "|<> "):
        return f"<{url}|{escape(label)}>"
    return escape(label)


def policy_note(policy: PolicyChoice | None) -> str:
    """`` · Follow-up policy: approval (default)`` for a context line; empty when unknown."""
    if policy is None:
        return ""
    return f" · Follow-up policy: *{policy.name.value}* ({escape(cut(policy.source, 200))})"


def mailbox_draft_blocks(draft: FollowUpDraft) -> list[Block]:
    """A draft waiting in the sender's Gmail: where to open it, and that nobody approves here."""
    line = (
        ":memo: *Draft in Gmail*, in the customer's thread: the sender reviews and sends it "
        "from Gmail. Nothing is sent from here."
    )
    if draft.mailbox_url:
        line += " " + _link(draft.mailbox_url, "Open in Gmail")
    return [ContextBlock(elements=[MarkdownTextObject(text=line)])]


def notice_metadata(notice: FollowUpNotice) -> dict[str, Any]:
    """The metadata posted with a "no draft" message, found again by ``conversations.history``."""
    return {"event_type": NOTICE_EVENT_TYPE, "event_payload": {"call_id": notice.call_id}}


def notice_message(
    notice: FollowUpNotice, *, call_url: str | None = None
) -> tuple[str, list[dict[str, Any]]]:
    """The notification text and blocks of a call that ended without a draft."""
    customer = notice.customer.name if notice.customer else "an unnamed customer"
    when = notice.call_date.strftime("%b %d, %Y").replace(" 0", " ") if notice.call_date else ""
    heading = f"Call with {customer}" + (f" · {when}" if when else "")
    blocks: list[Block] = [HeaderBlock(text=PlainTextObject(text=cut(heading, HEADER_TEXT)))]
    about = [f"*{escape(cut(notice.call_title or 'Customer call', 200))}*"]
    if call_url:
        about.append(_link(call_url, "Open the call"))
    blocks.append(SectionBlock(text=MarkdownTextObject(text=" · ".join(about))))
    if notice.policy.name == FollowUpPolicy.NONE:
        headline = "No follow-up email: the follow-up policy for this customer is *none*."
    else:
        reason = cut_escaped(notice.no_followup_reason or "", 1500)
        headline = f":zzz: *No follow-up needed:* {reason}"
    blocks.append(SectionBlock(text=MarkdownTextObject(text=headline)))
    summary = cut_escaped(notice.summary.text or "No summary.", SECTION_TEXT - 40)
    blocks.append(SectionBlock(text=MarkdownTextObject(text=f"*Summary*\n{summary}")))
    blocks.append(SectionBlock(text=MarkdownTextObject(text=_items_text(notice))))
    blocks.append(
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text="Action items are filed; no email was drafted."
                    + policy_note(notice.policy)
                )
            ]
        )
    )
    if notice.offers_draft:
        blocks.append(
            ActionsBlock(
                block_id="cs_agent_no_followup",
                elements=[
                    ButtonElement(
                        text="Draft one anyway", action_id=DRAFT_ANYWAY, value=notice.call_id
                    )
                ],
            )
        )
    elif notice.drafted_anyway_by:
        blocks.append(
            ContextBlock(
                elements=[
                    MarkdownTextObject(
                        text=f"Drafting one, as {_who(notice.drafted_anyway_by)} asked…"
                    )
                ]
            )
        )
    serialised = [block.to_dict() for block in blocks]
    if len(serialised) > MAX_BLOCKS:  # a fixed handful of blocks; kept honest anyway
        raise ValueError(f"notice has {len(serialised)} blocks; Slack allows 50")
    reason = (
        "no email under the follow-up policy"
        if notice.policy.name == FollowUpPolicy.NONE
        else f"no follow-up needed: {notice.no_followup_reason}"
    )
    return cut_escaped(f"{heading}: {reason}", NOTIFICATION_TEXT), serialised


def _items_text(notice: FollowUpNotice) -> str:
    if not notice.action_items:
        return "*Action items*\nNone found."
    lines = [f"*Action items* ({len(notice.action_items)})"]
    for position, item in enumerate(notice.action_items[:ITEMS_LISTED], start=1):
        issue = notice.issues[position - 1] if position - 1 < len(notice.issues) else None
        ref = f"{_link(issue.url, issue.identifier)} " if issue else ""
        lines.append(f"{position}. {ref}{escape(cut(item.title, 200))}")
    if len(notice.action_items) > ITEMS_LISTED:
        lines.append(f"…and {len(notice.action_items) - ITEMS_LISTED} more.")
    return cut("\n".join(lines), SECTION_TEXT)


def _who(actor: str) -> str:
    if actor.startswith("slack:"):
        return f"<@{actor.removeprefix('slack:')}>"
    return escape(actor)
