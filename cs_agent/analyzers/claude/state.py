"""What the agent records for one call, and the handlers its tools run to record it.

The tools fill an ``AnalysisState``; nothing is sent or filed from here. Every argument is
checked against the call before it is kept, and an item already recorded (the same title, or
a similar title for the same owner from the same words of the same line) is not kept twice,
even when the overlap of two windows shows it to the model again.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

from cs_agent.analyzers.claude.checks import (
    PRIORITIES,
    ToolRejection,
    call_attendees,
    check_recipients,
    parse_due_date,
    resolve_owner,
)
from cs_agent.analyzers.claude.quotes import QuoteIndex, clean_quote, normalise, parse_stamp
from cs_agent.analyzers.claude.tool_names import FIND_ISSUES
from cs_agent.core.domain import (
    ActionItem,
    CallMetadata,
    CallSummary,
    EmailDraft,
    IssueRef,
    Owner,
    Side,
    Transcript,
    format_timestamp,
)
from cs_agent.core.errors import ExternalError
from cs_agent.core.ports import TaskTracker

MIN_QUOTE_CHARS = 12


@dataclass
class AnalysisState:
    """What the agent has recorded so far for one call (across all its windows)."""

    transcript: Transcript
    metadata: CallMetadata
    our_domain: str | None = None
    items: list[ActionItem] = field(default_factory=list)
    anchors: list[int] = field(default_factory=list)
    """The utterance each item's quote starts in (same order as ``items``)."""
    part_summaries: list[CallSummary] = field(default_factory=list)
    summary: CallSummary | None = None
    email: EmailDraft | None = None
    no_followup_reason: str | None = None
    """Why no follow-up email is needed, when the agent recorded that instead of a draft."""
    known_issues: dict[str, IssueRef] = field(default_factory=dict)
    rejections: list[str] = field(default_factory=list)
    """Every rejected tool call and why, in order (for the analysis notes and for tests)."""

    def __post_init__(self) -> None:
        self.quotes = QuoteIndex(self.transcript)
        self.attendees = call_attendees(self.transcript, self.metadata, our_domain=self.our_domain)

    @property
    def customer_domain(self) -> str | None:
        """The customer's email domain, when the metadata says it."""
        return self.metadata.customer.domain if self.metadata.customer else None

    # --- record_action_item ----------------------------------------------------------------
    def record_item(self, args: dict[str, Any]) -> str:
        """Check and keep one action item. Returns what to tell the model."""
        title = str(args.get("title") or "").strip()
        if not title:
            raise ToolRejection("title is empty: give a short imperative title.")
        owner = resolve_owner(args.get("owner"), self.attendees)
        due = parse_due_date(args.get("due_date"), call_date=self.metadata.call_date)
        quote = clean_quote(str(args.get("quote") or ""))
        if len(normalise(quote)) < MIN_QUOTE_CHARS:
            raise ToolRejection(
                "quote is too short to support an item: copy the whole sentence that says it."
            )
        match = self.quotes.find(quote, near=parse_stamp(args.get("quote_time")))
        if match is None:
            raise ToolRejection(
                "quote not found in the transcript (compared ignoring case and spacing). Copy "
                "one sentence word for word from one line, without the [mm:ss] Speaker: prefix "
                "and without '...'."
            )
        existing = None
        issue_id = args.get("existing_issue_id")
        if issue_id:
            existing = self.known_issues.get(str(issue_id))
            if existing is None:
                raise ToolRejection(
                    f"existing_issue_id {issue_id!r} was not returned by {FIND_ISSUES}: use an "
                    "id it returned, or leave existing_issue_id out to file a new issue."
                )
        priority = PRIORITIES.get(str(args.get("priority") or "none").lower())
        if priority is None:
            raise ToolRejection("priority must be one of urgent, high, medium, low, none.")
        side = owner.side or _side(args.get("side"))
        item = ActionItem(
            title=title,
            description=str(args.get("description") or "").strip(),
            owner=Owner(name=owner.name, side=side, email=owner.email),
            due_date=due,
            priority=priority,
            quote=quote,
            quote_time=match.start,
            existing_issue=existing,
        )
        duplicate = self._duplicate_of(item, match.utterance)
        if duplicate is not None:
            return f"Already recorded as item {duplicate + 1}; not added again."
        self.items.append(item)
        self.anchors.append(match.utterance)
        due_text = due.isoformat() if due else "no date"
        linked = f", linked to {existing.identifier}" if existing else ""
        return f"Recorded item {len(self.items)}: {title} ({owner.name}, {due_text}{linked})."

    def _duplicate_of(self, item: ActionItem, anchor: int) -> int | None:
        title = normalise(item.title)
        quote = normalise(item.quote)
        for index, (other, other_anchor) in enumerate(zip(self.items, self.anchors, strict=True)):
            if normalise(other.title) == title:
                return index
            same_words = quote in normalise(other.quote) or normalise(other.quote) in quote
            similar = difflib.SequenceMatcher(None, normalise(other.title), title).ratio() >= 0.6
            same_owner = (other.owner.name if other.owner else None) == (
                item.owner.name if item.owner else None
            )
            if other_anchor == anchor and same_words and same_owner and similar:
                return index
        return None

    # --- find_open_issues ------------------------------------------------------------------
    async def find_issues(self, args: dict[str, Any], tracker: TaskTracker) -> str:
        """Search the tracker for open issues; remember them so an item can link to one."""
        query = str(args.get("query") or "").strip()
        if not query:
            raise ToolRejection("query is empty: send a few words from the item's title.")
        customer = self.metadata.customer.name if self.metadata.customer else None
        try:
            issues = await tracker.find_open_issues(query=query, customer=customer, limit=5)
        except ExternalError as error:
            raise ToolRejection(
                f"the tracker could not be searched ({error}); record the item without "
                "existing_issue_id."
            ) from None
        if not issues:
            return "No open issues match."
        lines = []
        for issue in issues:
            self.known_issues[issue.id] = issue
            lines.append(f"id={issue.id} | {issue.identifier} | {issue.title}")
        return "\n".join(lines)

    # --- set_summary -----------------------------------------------------------------------
    def set_summary(self, args: dict[str, Any], *, whole_call: bool) -> str:
        """Keep the summary (of the whole call, or of one part of a long call)."""
        text = str(args.get("text") or "").strip()
        if not text:
            raise ToolRejection("text is empty: write a few sentences on the call.")
        sentiment = str(args.get("sentiment") or "neutral")
        if sentiment not in {"positive", "neutral", "negative", "mixed"}:
            raise ToolRejection("sentiment must be positive, neutral, negative or mixed.")
        risks = args.get("risks") or []
        if not isinstance(risks, list):
            raise ToolRejection("risks must be a list of short sentences.")
        summary = CallSummary(
            text=text,
            sentiment=sentiment,
            risks=[str(r).strip() for r in risks if str(r).strip()],
        )
        if whole_call:
            self.summary = summary
        else:
            self.part_summaries.append(summary)
        return "Summary saved."

    # --- draft_followup_email --------------------------------------------------------------
    def draft_email(self, args: dict[str, Any]) -> str:
        """Keep the draft (replacing an earlier one) once its recipients pass the checks."""
        subject = str(args.get("subject") or "").strip()
        body = str(args.get("body") or "").strip()
        if not subject or not body:
            raise ToolRejection("subject and body must both be non-empty.")
        to = check_recipients(
            args.get("to"),
            field_name="to",
            attendees=self.attendees,
            customer_domain=self.customer_domain,
        )
        cc = check_recipients(
            args.get("cc"),
            field_name="cc",
            attendees=self.attendees,
            customer_domain=self.customer_domain,
        )
        customers = [a.email.lower() for a in self.attendees if a.side == Side.CUSTOMER and a.email]
        if not to and customers:
            raise ToolRejection(
                f"to is empty: address the customer's attendees ({', '.join(customers)})."
            )
        cc = [address for address in cc if address not in to]
        replaced = self.email is not None
        self.email = EmailDraft(subject=subject, body=body, to=to, cc=cc)
        self.no_followup_reason = None  # a draft replaces an earlier "no follow-up needed"
        return (
            "Draft replaced." if replaced else "Draft saved. A person reviews it before it is sent."
        )

    # --- what later windows are told -------------------------------------------------------
    def recorded_items_text(self) -> str:
        """The items so far, one a line, for the prompt of a later window."""
        lines = []
        for number, item in enumerate(self.items, start=1):
            owner = item.owner.name if item.owner else "no owner"
            due = item.due_date.isoformat() if item.due_date else "no date"
            stamp = format_timestamp(item.quote_time)
            lines.append(f"{number}. {item.title} ({owner}, {due}) [{stamp}]")
        return "\n".join(lines) or "(none yet)"


def _side(value: object) -> Side | None:
    try:
        return Side(str(value)) if value else None
    except ValueError:
        return None
