"""Turning stored calls into what the pages show: rows, transcript lines, audit sentences."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from markdown_it import MarkdownIt
from markupsafe import Markup, escape

from cs_agent.core.domain import Transcript, format_timestamp
from storage.models import AuditEventRow, CallRow, DraftRow

CALL_STATUS_LABELS = {
    "received": "Received",
    "analyzing": "Analysing",
    "filing": "Filing items",
    "awaiting_approval": "Awaiting approval",
    "completed": "Completed",
    "failed": "Failed",
}
DRAFT_STATUS_LABELS = {
    "pending": "Pending approval",
    "approved": "Approved",
    "sending": "Sending",
    "sent": "Sent",
    "rejected": "Rejected",
    "failed": "Send failed",
    "in_gmail": "Draft in Gmail",
}
PROCESSING_STATUSES = frozenset({"received", "analyzing", "filing"})
SENDING_STATUSES = frozenset({"approved", "sending"})

# The same rendering the email's HTML part gets: raw HTML escaped, unsafe links dropped.
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})


def render_markdown(text: str) -> Markup:
    """A draft body as HTML for the page. Safe to embed: raw HTML in it is escaped."""
    return Markup(_markdown.render(text))  # noqa: S704 - markdown-it escapes raw HTML (html=False)


@dataclass(frozen=True)
class CallListRow:
    """One row of the calls table."""

    call_id: str
    title: str
    customer: str | None
    date: dt.date
    status: str
    items: int
    draft_status: str | None
    cost_usd: float
    analyzer: str | None
    no_email: str | None = None
    """Why a finished call has no draft: ``none`` (the policy) or ``not needed``."""


def call_list_row(call: CallRow, items: int, draft: DraftRow | None) -> CallListRow:
    """The calls-table row of a call: the call's date, else the day it arrived."""
    return CallListRow(
        call_id=call.id,
        title=call.title or "Untitled call",
        customer=call.customer_name,
        date=call.call_date or call.created_at.date(),
        status=call.status,
        items=items,
        draft_status=draft.status if draft else None,
        cost_usd=call.cost_usd,
        analyzer=call.analyzer,
        no_email=_no_email(call) if draft is None else None,
    )


def _no_email(call: CallRow) -> str | None:
    if call.followup_policy == "none":
        return "No email (policy)"
    if call.no_followup_reason:
        return "Not needed"
    return None


@dataclass(frozen=True)
class TranscriptLine:
    """One utterance as the transcript view shows it; ``anchor`` is its element id."""

    index: int
    anchor: str
    start: float | None
    stamp: str
    speaker: str
    text: str


def transcript_lines(stored: dict[str, Any] | None) -> list[TranscriptLine]:
    """The call's stored transcript as lines (empty when it was purged)."""
    if not stored:
        return []
    transcript = Transcript.model_validate(stored)
    return [
        TranscriptLine(
            index=index,
            anchor=f"t-{index}",
            start=u.start,
            stamp=format_timestamp(u.start),
            speaker=u.speaker,
            text=u.text,
        )
        for index, u in enumerate(transcript.utterances)
    ]


_NON_WORD = re.compile(r"[^\w]+")


def _normal(text: str) -> str:
    return _NON_WORD.sub(" ", text.lower()).strip()


def locate_quotes(
    lines: Sequence[TranscriptLine], quotes: Sequence[tuple[str, float | None]]
) -> list[int | None]:
    """For each ``(quote, seconds)``, the index of the utterance it was said in, or None.

    The words decide first (the utterance containing the quote, or its opening words when the
    quote runs across utterances); among several matches, the one nearest the quote's time.
    Without a textual match, the time alone picks the utterance under way at that moment.
    """
    texts = [_normal(line.text) for line in lines]
    return [_locate(lines, texts, quote, quote_time) for quote, quote_time in quotes]


def _locate(
    lines: Sequence[TranscriptLine], texts: Sequence[str], quote: str, quote_time: float | None
) -> int | None:
    needle = _normal(quote)
    for probe in (needle, " ".join(needle.split()[:8])):
        if not probe:
            continue
        matches = [i for i, text in enumerate(texts) if probe in text]
        if matches:
            if quote_time is None:
                return matches[0]
            return min(matches, key=lambda i: abs((lines[i].start or 0.0) - quote_time))
    if quote_time is None:
        return None
    under_way = [
        line.index for line in lines if line.start is not None and line.start <= quote_time
    ]
    return under_way[-1] if under_way else None


def highlight(text: str, quotes: Sequence[str]) -> Markup:
    """``text``, escaped, with each quote found in it (ignoring case) wrapped in ``<mark>``."""
    spans = []
    lowered = text.lower()
    for quote in quotes:
        needle = quote.strip().strip("\"“”'").lower()
        at = lowered.find(needle) if needle else -1
        if at >= 0:
            spans.append((at, at + len(needle)))
    html, cursor = Markup(""), 0
    for start, end in sorted(spans):
        if start < cursor:  # overlapping quotes: mark the first only
            continue
        html += escape(text[cursor:start]) + Markup("<mark>") + escape(text[start:end])
        html += Markup("</mark>")
        cursor = end
    return html + escape(text[cursor:])


def describe_event(event: AuditEventRow) -> str:
    """One readable line for an audit event's details."""
    d = event.detail or {}
    match event.action:
        case "received":
            return f"{d.get('words', '?')} words, {d.get('format', '?')} transcript"
        case "analyzed":
            cost = d.get("cost_usd") or 0.0
            return f"{d.get('action_items', 0)} action items" + (
                f", ${cost:.4f}" if cost else ", no model cost"
            )
        case "issue_filed":
            return f"{d.get('issue', '?')} in {d.get('tracker', '?')}: {d.get('item', '')}"
        case "draft_created":
            return f"v{d.get('version', 1)}: {d.get('subject', '')}"
        case "approval_requested":
            return f"in {d.get('channel', '?')}"
        case "approved":
            return f"v{d.get('version', '?')}"
        case "edited":
            before, after = d.get("before") or {}, d.get("after") or {}
            changed = [k for k in ("subject", "body", "to", "cc") if before.get(k) != after.get(k)]
            what = ", ".join(changed) if changed else "nothing"
            return f"v{d.get('from_version', '?')} → v{d.get('to_version', '?')} (changed {what})"
        case "rejected":
            reason = d.get("reason")
            return f"v{d.get('version', '?')}" + (f": {reason}" if reason else "")
        case "email_sent":
            return f"v{d.get('version', '?')} as {d.get('message_id', '?')}"
        case "send_failed" | "failed":
            return str(d.get("reason", ""))
        case "reminder_sent":
            return f"v{d.get('version', '?')} waited {d.get('waited', '?')}, in {d.get('channel', '?')}"
        case "transcript_purged":
            return f"older than {d.get('older_than', '?')} ({d.get('words', '?')} words removed)"
    return ", ".join(f"{k}: {v}" for k, v in d.items() if not isinstance(v, dict | list))
