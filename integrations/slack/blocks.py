"""What the Slack approval request looks like: Block Kit built with ``slack_sdk.models``.

Everything here is pure (no I/O), so it can be tested on its own. ``slack_sdk`` checks the
per-element limits when a block is serialised; the limits it does not check (blocks per
message, characters per section field) are kept here. Text that comes from a call or a model
is escaped before it goes into ``mrkdwn``, so a transcript cannot make the bot ping
``@channel`` or fake a link.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from cs_agent.core.domain import ApprovalRequest, DraftStatus, FollowUpDraft, IssueRef
from cs_agent.core.slack_ids import (
    APPROVE,
    EDIT,
    EDIT_VIEW,
    REJECT,
    REJECT_VIEW,
    RETRY,
    ButtonValue,
)
from integrations.slack.policy_blocks import mailbox_draft_blocks, policy_note
from integrations.slack.text import (
    CONFIRM_TEXT,
    FIELD_TEXT,
    HEADER_TEXT,
    INPUT_TEXT,
    MAX_BLOCKS,
    NOTIFICATION_TEXT,
    SECTION_TEXT,
    cut,
    cut_escaped,
    escape,
)

EVENT_TYPE = "cs_agent_approval_request"
"""Message metadata type on every approval request: how a repost after a crash is avoided."""
REMINDER_EVENT_TYPE = "cs_agent_reminder"
"""Message metadata type on every reminder: the thread is searched for it before posting."""

MAX_ITEM_SECTIONS = 8
"""Action items are packed into sections; past this many the rest are counted, not listed."""
RISKS_SHOWN = 5
RISK_TEXT = 300
"""Each risk's escaped length: five of them always leave room for the summary."""

_MENTIONABLE = re.compile(r"^slack:([UW][A-Z0-9]+)$")


# --- text helpers ---------------------------------------------------------------------------------


def mention(actor: str | None) -> str:
    """``<@U123>`` for a Slack actor (``slack:U123``), the escaped name for anyone else."""
    if not actor:
        return "someone"
    match = _MENTIONABLE.match(actor)
    return f"<@{match.group(1)}>" if match else escape(actor)


def slack_date(moment: dt.datetime | None) -> str:
    """A date Slack shows in each reader's time zone, with a UTC fallback."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    fallback = moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} at {{time}}|{fallback}>"


def _link(url: str | None, label: str) -> str:
    if url and url.startswith(("https://", "http://")) and not any(c in url for c in "|<> "):
        return f"<{url}|{escape(label)}>"
    return escape(label)


# --- the approval request message ---------------------------------------------------------------


def approval_message(
    request: ApprovalRequest,
    *,
    owner: str | None = None,
    call_url: str | None = None,
    thread_note: bool = False,
) -> tuple[str, list[dict[str, Any]]]:
    """The message's notification text and blocks, for the draft's current status.

    A pending draft gets the three buttons; a decided one shows who decided, when, and what
    happened instead, so the buttons disappear once used.
    """
    draft = request.draft
    customer = request.customer.name if request.customer else "an unnamed customer"
    when = request.call_date.strftime("%b %d, %Y").replace(" 0", " ") if request.call_date else ""
    update = draft.kind == "update"  # promises kept, told to the customer: no call summary
    heading = (
        f"Update for {customer}: promises kept" if update else f"Follow-up for {customer}"
    ) + (f" · call of {when}" if when else "")
    blocks: list[Block] = [HeaderBlock(text=PlainTextObject(text=cut(heading, HEADER_TEXT)))]

    about = [f"*{escape(cut(request.call_title or 'Customer call', 200))}*"]
    if owner:
        about.append(f"Account owner: <@{owner}>")
    if call_url:
        about.append(_link(call_url, "Open the call"))
    known = request.tracker_customer
    if known is not None and known.url:
        about.append(_link(known.url, cut(f"{known.name} (customer page)", 120)))
    blocks.append(SectionBlock(text=MarkdownTextObject(text=" · ".join(about))))
    if request.tracker_customer_note:
        note = escape(cut(request.tracker_customer_note, 500))
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=f":warning: {note}")]))

    if not update:
        blocks.append(_summary_block(request))
        blocks.extend(_item_blocks(request))
    blocks.append(DividerBlock())
    blocks.append(_email_fields(draft))
    blocks.append(_body_preview(draft))
    analyzer = (
        "the offline analyzer (cue-phrase rules, not a model)"
        if request.analyzer == "offline-rules"
        else escape(request.analyzer or "cs-agent")
    )
    if update:
        analyzer = (
            "a template (not a model)"
            if draft.drafted_by in (None, "update-template")
            else f"the model ({escape(draft.drafted_by or '')})"
        )
    blocks.append(
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text=f"Draft version {draft.version} · by {analyzer}"
                    + policy_note(request.policy)
                )
            ]
        )
    )
    blocks.extend(_status_blocks(draft, thread_note=thread_note))

    serialised = [block.to_dict() for block in blocks]  # slack_sdk validates each block here
    if len(serialised) > MAX_BLOCKS:
        raise ValueError(f"approval message has {len(serialised)} blocks; Slack allows 50")
    # The notification text is mrkdwn too: escaped like every other field.
    text = cut_escaped(f"{heading}: {draft.subject} ({_status_word(draft)})", NOTIFICATION_TEXT)
    return text, serialised


def message_metadata(request: ApprovalRequest) -> dict[str, Any]:
    """The metadata posted with the message, found again by ``conversations.history``."""
    return {
        "event_type": EVENT_TYPE,
        "event_payload": {"draft_id": request.draft.id, "call_id": request.call_id},
    }


def reminder_metadata(draft_id: str, number: int) -> dict[str, Any]:
    """The metadata posted with reminder ``number`` about ``draft_id``, found again by
    ``conversations.replies``."""
    return {
        "event_type": REMINDER_EVENT_TYPE,
        "event_payload": {"draft_id": draft_id, "reminder": number},
    }


def _summary_block(request: ApprovalRequest) -> SectionBlock:
    summary = request.summary
    head = f"*Summary* ({escape(summary.sentiment)})\n"
    risks = "".join(f"\n• Risk: {cut_escaped(r, RISK_TEXT)}" for r in summary.risks[:RISKS_SHOWN])
    # Risks are bounded (5 × ~310) and the head is short, so the room is never negative; the
    # max() and the final cut keep that true even if those bounds change.
    room = max(SECTION_TEXT - len(head) - len(risks), 0)
    text = cut_escaped(summary.text or "No summary.", room)
    return SectionBlock(text=MarkdownTextObject(text=(head + text + risks)[:SECTION_TEXT]))


def _item_line(position: int, title: str, issue: IssueRef | None, extra: str) -> str:
    label = escape(cut(title, 200))
    if issue is None:
        return f"{position}. {label}{extra} · _not filed_"
    ref = _link(issue.url, issue.identifier)
    marker = " · _already open: matched, not filed again_" if issue.existing else ""
    return f"{position}. {ref} {label}{extra}{marker}"


def _item_blocks(request: ApprovalRequest) -> list[Block]:
    items = request.action_items
    if not items:
        return [SectionBlock(text=MarkdownTextObject(text="*Action items*\nNone found."))]
    lines = []
    for position, item in enumerate(items, start=1):
        issue = request.issues[position - 1] if position - 1 < len(request.issues) else None
        issue = issue or item.existing_issue
        extra = ""
        if item.owner:
            extra += f" — {escape(cut(item.owner.name, 80))}"
        if item.due_date:
            extra += f", due {item.due_date:%b %d}"
        lines.append(_item_line(position, item.title, issue, extra))
    sections: list[list[str]] = [[f"*Action items* ({len(items)})"]]
    size = len(sections[0][0])
    shown = 0
    for line in lines:
        if size + len(line) + 1 > SECTION_TEXT:
            if len(sections) == MAX_ITEM_SECTIONS:
                break
            sections.append([])
            size = 0
        sections[-1].append(line)
        size += len(line) + 1
        shown += 1
    if shown < len(lines):
        sections[-1].append(f"…and {len(lines) - shown} more: open the call to see them all.")
    return [SectionBlock(text=MarkdownTextObject(text="\n".join(lines_))) for lines_ in sections]


def _email_fields(draft: FollowUpDraft) -> SectionBlock:
    def field(name: str, value: str) -> MarkdownTextObject:
        return MarkdownTextObject(text=f"*{name}*\n" + cut_escaped(value, FIELD_TEXT - 20))

    return SectionBlock(
        fields=[
            field("To", ", ".join(draft.to) or "nobody yet"),
            field("Cc", ", ".join(draft.cc) or "—"),
            field("Subject", draft.subject),
        ]
    )


def _body_preview(draft: FollowUpDraft) -> SectionBlock:
    body = draft.body.strip() or "(empty)"
    if len(body) > SECTION_TEXT:
        note = f"\n\n[preview: {len(body):,} characters in all]"
        body = cut(body, SECTION_TEXT - len(note)) + note
    # plain_text: shown exactly as the recipient's plain-text part reads, no mrkdwn surprises.
    return SectionBlock(text=PlainTextObject(text=body, emoji=False))


def confirm_text(draft: FollowUpDraft) -> str:
    """The Approve dialog's text: the subject and every recipient, To and Cc."""
    to = ", ".join(draft.to) or "nobody"
    cc = f"; Cc: {', '.join(draft.cc)}" if draft.cc else ""
    return cut(f"“{draft.subject}” goes now to: {to}{cc}.", CONFIRM_TEXT)


def _status_word(draft: FollowUpDraft) -> str:
    return {
        DraftStatus.PENDING: "waiting for approval",
        DraftStatus.APPROVED: "approved, sending",
        DraftStatus.SENDING: "approved, sending",
        DraftStatus.SENT: "sent",
        DraftStatus.REJECTED: "rejected",
        DraftStatus.FAILED: "sending failed",
        DraftStatus.IN_GMAIL: "draft in Gmail",
    }[draft.status]


def _status_blocks(draft: FollowUpDraft, *, thread_note: bool) -> list[Block]:
    value = ButtonValue(draft.id, draft.version).encode()
    if draft.status == DraftStatus.PENDING:
        return [
            ActionsBlock(
                block_id="cs_agent_decision",
                elements=[
                    ButtonElement(
                        text="Approve & send",
                        action_id=APPROVE,
                        value=value,
                        style="primary",
                        confirm=ConfirmObject(
                            title="Send this email?",
                            # plain_text: nothing here is meant as formatting.
                            text=PlainTextObject(text=confirm_text(draft), emoji=False),
                            confirm="Send",
                            deny="Not yet",
                        ),
                    ),
                    ButtonElement(text="Edit", action_id=EDIT, value=value),
                    ButtonElement(text="Reject", action_id=REJECT, value=value, style="danger"),
                ],
            )
        ]
    if draft.status == DraftStatus.IN_GMAIL:
        return mailbox_draft_blocks(draft)
    who, when = mention(draft.decided_by), slack_date(draft.decided_at)
    if draft.status in (DraftStatus.APPROVED, DraftStatus.SENDING):
        line = f":white_check_mark: Approved by {who} {when} · sending…"
    elif draft.status == DraftStatus.SENT and draft.gmail_draft_id and not draft.decided_by:
        line = f":incoming_envelope: Sent {slack_date(draft.sent_at)} from the sender's Gmail"
    elif draft.status == DraftStatus.SENT:
        line = f":incoming_envelope: Sent {slack_date(draft.sent_at)} · approved by {who} {when}"
    elif draft.status == DraftStatus.REJECTED:
        reason = f": {cut_escaped(draft.reject_reason, 500)}" if draft.reject_reason else ""
        line = f":no_entry_sign: Rejected by {who} {when}{reason}"
    else:
        reason = cut_escaped(draft.failure_reason or "unknown error", 1000)
        line = f":warning: Sending failed: {reason}"
        if thread_note:
            line += " · Retry or edit it in the thread."
    return [ContextBlock(elements=[MarkdownTextObject(text=line)])]


def failure_reply(draft: FollowUpDraft, reason: str) -> tuple[str, list[dict[str, Any]]]:
    """The thread reply when sending failed: why, and Retry / Edit buttons."""
    value = ButtonValue(draft.id, draft.version).encode()
    text = cut_escaped(f"Sending “{draft.subject}” failed: {reason}", NOTIFICATION_TEXT)
    blocks: list[Block] = [
        SectionBlock(
            text=MarkdownTextObject(
                text=":warning: *The email was not sent.*\n" + cut_escaped(reason, 2500)
            )
        ),
        ActionsBlock(
            block_id="cs_agent_failure",
            elements=[
                ButtonElement(text="Retry", action_id=RETRY, value=value, style="primary"),
                ButtonElement(text="Edit", action_id=EDIT, value=value),
            ],
        ),
    ]
    return text, [block.to_dict() for block in blocks]


def reminder_reply(
    request: ApprovalRequest, *, waited: dt.timedelta, owner: str | None, approvers: list[str]
) -> tuple[str, list[dict[str, Any]]]:
    """The one reminder in a request's thread: how long it has waited, and who can decide."""
    draft = request.draft
    customer = request.customer.name if request.customer else "the customer"
    hours = waited.total_seconds() / 3600
    age = f"{hours:.0f} hours" if hours >= 2 else f"{waited.total_seconds() / 60:.0f} minutes"
    who = [f"<@{owner}>"] if owner else []
    who += [person for person in approvers if person not in who]
    text = cut_escaped(
        f"Reminder: the follow-up to {customer} (“{draft.subject}”) has waited {age} for a decision.",
        NOTIFICATION_TEXT,
    )
    line = (
        f":alarm_clock: *Still waiting for a decision* after {age}: the follow-up to "
        f"{escape(customer)}, “{cut_escaped(draft.subject, 300)}”. Approve, edit or reject it "
        "in the message above."
    )
    if who:
        line += "\n" + " ".join(who)
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=line))]
    return text, [block.to_dict() for block in blocks]


# --- modals ----------------------------------------------------------------------------------------


def edit_modal(
    draft: FollowUpDraft, *, channel_id: str, inbox_url: str | None = None
) -> dict[str, Any]:
    """The Edit modal, prefilled with the draft. A body too long for Slack stays as it is.

    A To, Cc or Subject too long for a Slack input cannot be kept aside like the body (the
    form would save it cut), so the modal then only says to edit the draft in the web inbox.
    """
    too_long = [
        label
        for label, value in (
            ("To", ", ".join(draft.to)),
            ("Cc", ", ".join(draft.cc)),
            ("Subject", draft.subject),
        )
        if len(value) > INPUT_TEXT
    ]
    if too_long:
        return _edit_elsewhere_modal(too_long, inbox_url)
    body_editable = len(draft.body) <= INPUT_TEXT
    metadata = json.dumps(
        {
            "draft": draft.id,
            "version": draft.version,
            "channel": channel_id,
            "body_editable": body_editable,
        }
    )

    def text_input(
        block_id: str,
        label: str,
        value: str,
        *,
        multiline: bool = False,
        optional: bool = False,
        hint: str | None = None,
    ) -> InputBlock:
        return InputBlock(
            block_id=block_id,
            label=label,
            optional=optional,
            hint=hint,
            element=PlainTextInputElement(
                action_id="value",
                initial_value=value or None,
                multiline=multiline,
                max_length=INPUT_TEXT,
            ),
        )

    blocks: list[Block] = [
        text_input("to", "To", ", ".join(draft.to), hint="Addresses, separated by commas"),
        text_input("cc", "Cc", ", ".join(draft.cc), optional=True),
        text_input("subject", "Subject", draft.subject),
    ]
    if body_editable:
        blocks.append(text_input("body", "Body (Markdown)", draft.body, multiline=True))
    else:
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(
                    text=f"The body is {len(draft.body):,} characters, more than Slack can edit "
                    f"({INPUT_TEXT:,}); it is kept as it is."
                )
            )
        )
    view = View(
        type="modal",
        callback_id=EDIT_VIEW,
        title=PlainTextObject(text="Edit follow-up"),
        submit=PlainTextObject(text="Save"),
        close=PlainTextObject(text="Cancel"),
        private_metadata=metadata,
        blocks=blocks,
    )
    return dict(view.to_dict())


def _edit_elsewhere_modal(fields: list[str], inbox_url: str | None) -> dict[str, Any]:
    where = f"<{inbox_url}|the web inbox>" if inbox_url else "the web inbox"
    view = View(
        type="modal",
        title=PlainTextObject(text="Edit follow-up"),
        close=PlainTextObject(text="Close"),
        blocks=[
            SectionBlock(
                text=MarkdownTextObject(
                    text=f"This draft's {' and '.join(fields)} "
                    f"{'is' if len(fields) == 1 else 'are'} longer than a Slack form allows "
                    f"({INPUT_TEXT:,} characters): edit it in {where}."
                )
            )
        ],
    )
    return dict(view.to_dict())


def reject_modal(draft: FollowUpDraft, *, channel_id: str) -> dict[str, Any]:
    """The Reject modal: an optional reason, kept in the audit log."""
    metadata = json.dumps({"draft": draft.id, "version": draft.version, "channel": channel_id})
    view = View(
        type="modal",
        callback_id=REJECT_VIEW,
        title=PlainTextObject(text="Reject follow-up"),
        submit=PlainTextObject(text="Reject"),
        close=PlainTextObject(text="Cancel"),
        private_metadata=metadata,
        blocks=[
            SectionBlock(
                text=MarkdownTextObject(
                    text=f"Nothing will be sent for *{cut_escaped(draft.subject, 500)}*."
                )
            ),
            InputBlock(
                block_id="reason",
                label="Reason (optional)",
                optional=True,
                element=PlainTextInputElement(action_id="value", multiline=True, max_length=1000),
            ),
        ],
    )
    return dict(view.to_dict())
