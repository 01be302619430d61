"""The agent's tools, and the checks that keep what it records grounded in the call.

The model can act only through four tools, served in-process over MCP: record an action
item, look up open issues, set the summary, draft the follow-up email. None of them sends or
files anything: they fill an ``AnalysisState`` that the workflow files and shows a person
afterwards. Every argument is checked against the call before it is kept; a call that fails a
check returns ``is_error`` with the reason, so the model corrects itself on its next turn.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from email.utils import parseaddr
from typing import Any

from claude_agent_sdk import SdkMcpTool, create_sdk_mcp_server
from claude_agent_sdk.types import McpSdkServerConfig

from cs_agent.core.domain import (
    ActionItem,
    Attendee,
    CallMetadata,
    CallSummary,
    EmailDraft,
    IssueRef,
    Owner,
    Priority,
    Side,
    Transcript,
    format_timestamp,
)
from cs_agent.core.errors import ExternalError
from cs_agent.core.ports import TaskTracker

SERVER_NAME = "cs"
RECORD_ITEM = "record_action_item"
FIND_ISSUES = "find_open_issues"
SET_SUMMARY = "set_summary"
DRAFT_EMAIL = "draft_followup_email"
MIN_QUOTE_CHARS = 12


def full_tool_name(short: str) -> str:
    """The name the model calls a tool by: ``mcp__<server>__<tool>``."""
    return f"mcp__{SERVER_NAME}__{short}"


class ToolRejection(Exception):
    """A tool call that fails a check. ``reason`` goes back to the model."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# --- checks (pure functions) -------------------------------------------------------------------

_QUOTE_CHARS = str.maketrans({"‘": "'", "’": "'", "‚": "'", "“": '"', "”": '"', "„": '"'})
_DASHES = re.compile(r"[‐-―−]")
_SPEAKER_PREFIX = re.compile(r"^\[?\d{1,2}:\d{2}(?::\d{2})?\]?\s*(?:[^:\n]{1,60}:\s*)?")
_ELLIPSIS = re.compile(r"^(?:\.\.\.|…)+|(?:\.\.\.|…)+$")
_STAMP = re.compile(r"^\[?(?:(\d+):)?(\d{1,2}):(\d{2})(?:\.\d+)?\]?$")


def normalise(text: str) -> str:
    """Case-folded, whitespace-collapsed, with typographic quotes and dashes made plain."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTE_CHARS)
    text = _DASHES.sub("-", text)
    return " ".join(text.casefold().split())


def clean_quote(quote: str) -> str:
    """The quote as the model meant it: no surrounding quote marks, ellipses or line prefix."""
    text = quote.strip().strip("\"'“”‘’ ").strip()
    text = _SPEAKER_PREFIX.sub("", text, count=1) if _SPEAKER_PREFIX.match(text) else text
    return _ELLIPSIS.sub("", text).strip().strip("\"'“”‘’ ").strip()


def parse_stamp(value: object) -> float | None:
    """Seconds from ``mm:ss``, ``h:mm:ss``, ``[mm:ss]`` or a number; None when unreadable."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value) if value >= 0 else None
    if not isinstance(value, str):
        return None
    match = _STAMP.match(value.strip())
    if not match:
        return None
    hours, minutes, seconds = match.groups()
    return int(hours or 0) * 3600 + int(minutes) * 60 + float(seconds)


@dataclass(frozen=True)
class QuoteMatch:
    """Where a quote was found: the utterance it starts in and that utterance's time."""

    utterance: int
    start: float | None


class QuoteIndex:
    """The transcript's words, normalised once, for finding quotes in it."""

    def __init__(self, transcript: Transcript) -> None:
        self._starts = [u.start for u in transcript.utterances]
        self._texts = [normalise(u.text) for u in transcript.utterances]
        # The whole call as one string, to find a quote a cue boundary split in two.
        self._joined = " ".join(self._texts)
        self._offsets = []
        offset = 0
        for text in self._texts:
            self._offsets.append(offset)
            offset += len(text) + 1

    def find(self, quote: str, *, near: float | None = None) -> QuoteMatch | None:
        """The occurrence of ``quote`` (nearest to ``near`` when it occurs more than once)."""
        needle = normalise(quote)
        if not needle:
            return None
        found = [i for i, text in enumerate(self._texts) if needle in text]
        if not found:
            found = self._find_across(needle)
        if not found:
            return None
        if near is not None:
            found.sort(key=lambda i: abs((self._starts[i] or 0.0) - near))
        return QuoteMatch(utterance=found[0], start=self._starts[found[0]])

    def _find_across(self, needle: str) -> list[int]:
        hits = []
        position = self._joined.find(needle)
        while position != -1:
            hits.append(self._utterance_at(position))
            position = self._joined.find(needle, position + 1)
        return hits

    def _utterance_at(self, offset: int) -> int:
        low, high = 0, len(self._offsets) - 1
        while low < high:
            middle = (low + high + 1) // 2
            if self._offsets[middle] <= offset:
                low = middle
            else:
                high = middle - 1
        return low


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


_PRIORITIES = {
    "urgent": Priority.URGENT,
    "high": Priority.HIGH,
    "medium": Priority.MEDIUM,
    "low": Priority.LOW,
    "none": Priority.NONE,
}


# --- the state the tools fill ------------------------------------------------------------------


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
        priority = _PRIORITIES.get(str(args.get("priority") or "none").lower())
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


# --- the MCP server ----------------------------------------------------------------------------

_RECORD_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "title": {"type": "string", "description": "Short imperative title"},
        "description": {"type": "string", "description": "What exactly, with context"},
        "owner": {"type": "string", "description": "The attendee who will do it, name as listed"},
        "side": {"type": "string", "enum": ["customer", "us"]},
        "due_date": {
            "type": ["string", "null"],
            "description": "YYYY-MM-DD, resolved against the call date; null if none was said",
        },
        "priority": {"type": "string", "enum": list(_PRIORITIES)},
        "quote": {
            "type": "string",
            "description": "One sentence copied word for word from one transcript line, "
            "without the [mm:ss] Speaker: prefix",
        },
        "quote_time": {"type": "string", "description": "mm:ss of that line"},
        "existing_issue_id": {
            "type": "string",
            "description": f"An id from {FIND_ISSUES} whose open issue already covers this item",
        },
    },
    "required": ["title", "owner", "due_date", "quote"],
}
_FIND_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"query": {"type": "string", "description": "A few words of the item"}},
    "required": ["query"],
}
_SUMMARY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "text": {"type": "string", "description": "2-4 sentences"},
        "sentiment": {"type": "string", "enum": ["positive", "neutral", "negative", "mixed"]},
        "risks": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["text", "sentiment", "risks"],
}
_DRAFT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "subject": {"type": "string"},
        "body": {"type": "string", "description": "Markdown"},
        "to": {"type": "array", "items": {"type": "string"}},
        "cc": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["subject", "body", "to"],
}

Handler = Callable[[dict[str, Any]], Awaitable[str]]


def _mcp_tool(
    state: AnalysisState, name: str, description: str, schema: dict[str, Any], run: Handler
) -> SdkMcpTool[Any]:
    async def handler(args: dict[str, Any]) -> dict[str, Any]:
        try:
            text = await run(args)
        except ToolRejection as rejection:
            state.rejections.append(f"{name}: {rejection.reason}")
            return {"content": [{"type": "text", "text": rejection.reason}], "is_error": True}
        return {"content": [{"type": "text", "text": text}]}

    return SdkMcpTool(name=name, description=description, input_schema=schema, handler=handler)


def build_tools(
    state: AnalysisState, tracker: TaskTracker, *, last_window: bool
) -> list[SdkMcpTool[Any]]:
    """The tools of one window. Only the last window (the whole call, when short) drafts."""

    async def record(args: dict[str, Any]) -> str:
        return state.record_item(args)

    async def find(args: dict[str, Any]) -> str:
        return await state.find_issues(args, tracker)

    async def summary(args: dict[str, Any]) -> str:
        return state.set_summary(args, whole_call=last_window)

    async def draft(args: dict[str, Any]) -> str:
        return state.draft_email(args)

    tools = [
        _mcp_tool(
            state,
            RECORD_ITEM,
            "Record one action item: a commitment made, or a request accepted, on the call. "
            "Checked against the transcript and attendees; an error says what to fix.",
            _RECORD_SCHEMA,
            record,
        ),
        _mcp_tool(
            state,
            FIND_ISSUES,
            "Search the customer's open issues, to link an item that is already tracked "
            "instead of filing it again.",
            _FIND_SCHEMA,
            find,
        ),
        _mcp_tool(
            state,
            SET_SUMMARY,
            "Set the summary of the call" + ("" if last_window else " part you were given") + ".",
            _SUMMARY_SCHEMA,
            summary,
        ),
    ]
    if last_window:
        tools.append(
            _mcp_tool(
                state,
                DRAFT_EMAIL,
                "Save the follow-up email draft; a person approves it before anything is sent. "
                "Recipients: attendees or addresses at the customer's domain only. Calling "
                "again replaces the draft.",
                _DRAFT_SCHEMA,
                draft,
            )
        )
    return tools


def tool_server(tools: list[SdkMcpTool[Any]]) -> McpSdkServerConfig:
    """One in-process MCP server holding ``tools``."""
    return create_sdk_mcp_server(SERVER_NAME, tools=tools)
