"""The product's vocabulary: calls, transcripts, action items and follow-up drafts.

These are plain pydantic models with no behaviour that touches the outside world, so every
layer (parsers, analyzers, adapters, storage, API) can share them and serialise them to JSON.
"""

from __future__ import annotations

import datetime as dt
from enum import IntEnum, StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from cs_agent.core.followup import PolicyChoice
from cs_agent.core.text import StorableStr

OFFLINE_ANALYZER = "offline-rules"
"""The name the offline (rules) analyzer records on what it produced; pages label it loudly."""


class Side(StrEnum):
    """Which side of the call a person is on."""

    CUSTOMER = "customer"
    US = "us"


class TranscriptFormat(StrEnum):
    """The transcript formats cs-agent reads."""

    VTT = "vtt"
    SRT = "srt"
    TEXT = "text"
    JSON = "json"


class Customer(BaseModel):
    """The customer account a call was with."""

    name: StorableStr
    domain: StorableStr | None = None


class Attendee(BaseModel):
    """Someone on the call. Email and side are known when the metadata says so."""

    name: StorableStr
    email: StorableStr | None = None
    side: Side | None = None


class Utterance(BaseModel):
    """One stretch of speech: who said what, when, and where it stood in the source file."""

    model_config = ConfigDict(frozen=True)

    speaker: str
    text: str
    start: float | None = None
    """Seconds from the start of the call, when the source has timestamps."""
    end: float | None = None
    line: int = 0
    """1-based line of the source file where this utterance begins (0 when not from a file)."""


def format_timestamp(seconds: float | None) -> str:
    """Render seconds as ``mm:ss`` (or ``h:mm:ss`` past the hour); empty when unknown."""
    if seconds is None:
        return ""
    total = int(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes:02d}:{secs:02d}"


class Transcript(BaseModel):
    """A parsed transcript: the utterances in order, and the format they came from."""

    format: TranscriptFormat
    utterances: list[Utterance]

    def speakers(self) -> list[str]:
        """Distinct speaker names in order of first appearance."""
        seen: dict[str, None] = {}
        for utterance in self.utterances:
            seen.setdefault(utterance.speaker, None)
        return list(seen)

    def word_count(self) -> int:
        """Number of words spoken in the call."""
        return sum(len(u.text.split()) for u in self.utterances)

    def duration(self) -> float | None:
        """Seconds from the first to the last timestamp, when the source has them."""
        stamps = [u.end if u.end is not None else u.start for u in self.utterances]
        known = [s for s in stamps if s is not None]
        return max(known) if known else None

    def compact(self) -> str:
        """One line an utterance, ``[mm:ss] Speaker: text``: the form analyzers read."""
        lines = []
        for u in self.utterances:
            stamp = format_timestamp(u.start)
            prefix = f"[{stamp}] " if stamp else ""
            lines.append(f"{prefix}{u.speaker}: {u.text}")
        return "\n".join(lines)


class CallMetadata(BaseModel):
    """What is known about a call besides its transcript."""

    title: StorableStr | None = None
    call_date: dt.date | None = None
    customer: Customer | None = None
    attendees: list[Attendee] = Field(default_factory=list)
    source_id: StorableStr | None = None
    """The id the sending system uses for this call (a Zoom meeting UUID, a recorder's id)."""
    gmail_thread_id: StorableStr | None = None
    """A Gmail thread to reply in, when the follow-up continues an existing conversation."""
    gmail_thread_subject: StorableStr | None = None
    """A subject to find that thread by, when its id is not known."""


class Priority(IntEnum):
    """Priority on Linear's scale, which every tracker adapter maps from."""

    NONE = 0
    URGENT = 1
    HIGH = 2
    MEDIUM = 3
    LOW = 4


class Owner(BaseModel):
    """Who an action item belongs to."""

    name: str
    side: Side | None = None
    email: str | None = None


class IssueRef(BaseModel):
    """A task in a tracker that an action item was filed as, or matched."""

    tracker: str
    id: str
    identifier: str
    title: str
    url: str | None = None
    existing: bool = False
    """True when the item matched an issue that was already open, so nothing new was filed."""


class ActionItem(BaseModel):
    """One follow-up a person committed to or was asked for on the call, with its evidence."""

    title: str
    description: str = ""
    owner: Owner | None = None
    due_date: dt.date | None = None
    priority: Priority = Priority.NONE
    quote: str
    """The words from the transcript that support this item, verbatim."""
    quote_time: float | None = None
    """Seconds into the call where the quote was said."""
    existing_issue: IssueRef | None = None
    """An open issue that already covers this item; set instead of filing a new one."""


Sentiment = Literal["positive", "neutral", "negative", "mixed"]


class CallSummary(BaseModel):
    """A few sentences on the call, how it went, and what could go wrong."""

    text: str
    sentiment: Sentiment = "neutral"
    risks: list[str] = Field(default_factory=list)


class EmailDraft(BaseModel):
    """The follow-up email as drafted, before anyone has approved it."""

    subject: str
    body: str
    """Markdown."""
    to: list[str] = Field(default_factory=list)
    cc: list[str] = Field(default_factory=list)


class Usage(BaseModel):
    """What an analysis cost: tokens, money, turns and time."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_creation_tokens: int = 0
    cost_usd: float = 0.0
    turns: int = 0
    requests: int = 0
    """Round trips to the model API (each one resends the conversation so far)."""
    duration_ms: int = 0


class CallAnalysis(BaseModel):
    """Everything an analyzer extracts from one call."""

    analyzer: str
    """Which analyzer produced this (``claude`` or ``offline-rules``)."""
    summary: CallSummary
    action_items: list[ActionItem]
    email: EmailDraft
    usage: Usage | None = None
    notes: list[str] = Field(default_factory=list)
    """Anything a reader should know about how this analysis was made."""
    no_followup_reason: str | None = None
    """Set when the analyzer found that no follow-up email is needed, and why. ``email`` is
    then what a person gets if they ask for a draft anyway."""


class CallStatus(StrEnum):
    """Where a call is in its processing."""

    RECEIVED = "received"
    ANALYZING = "analyzing"
    FILING = "filing"
    AWAITING_APPROVAL = "awaiting_approval"
    COMPLETED = "completed"
    """The follow-up went out, or was rejected, or no email was drafted (the follow-up policy
    is ``none``, or none was needed): nothing more will happen unless a person asks."""
    FAILED = "failed"


class DraftStatus(StrEnum):
    """The life of a follow-up draft: pending → approved → sending → sent, or rejected/failed."""

    PENDING = "pending"
    APPROVED = "approved"
    SENDING = "sending"
    SENT = "sent"
    REJECTED = "rejected"
    FAILED = "failed"
    IN_GMAIL = "in_gmail"
    """Placed in the sender's Gmail (the ``gmail-draft`` policy): a person sends it there."""


class FollowUpDraft(BaseModel):
    """The follow-up email of one call as stored: its content, version and approval state."""

    id: str
    call_id: str
    version: int
    status: DraftStatus
    subject: str
    body: str
    to: list[str]
    cc: list[str]
    approval_ref: dict[str, str] = Field(default_factory=dict)
    """Where the approval request lives (a Slack channel and ts, or the local inbox)."""
    decided_by: str | None = None
    decided_at: dt.datetime | None = None
    sent_at: dt.datetime | None = None
    message_id: str | None = None
    """The RFC 5322 Message-ID the email was (or will be) sent with."""
    provider_message_id: str | None = None
    failure_reason: str | None = None
    reject_reason: str | None = None
    kind: str = "followup"
    """``followup`` (a call's recap) or ``update`` (promises kept); see ``DraftKind``."""
    in_reply_to: str | None = None
    """For an update: the Message-ID of the follow-up it replies to, so it threads."""
    drafted_by: str | None = None
    """For an update: who wrote it (``update-template``, or the model's analyzer name)."""
    gmail_draft_id: str | None = None
    """The draft in the sender's Gmail, under the ``gmail-draft`` policy."""
    mailbox_url: str | None = None
    """Where the sender opens that draft in their mailbox."""


class ApprovalRequest(BaseModel):
    """What an approval channel shows a person deciding on a follow-up."""

    draft: FollowUpDraft
    call_id: str
    call_title: str | None
    call_date: dt.date | None
    customer: Customer | None
    summary: CallSummary
    action_items: list[ActionItem]
    issues: list[IssueRef | None]
    """The issue each action item was filed as (same order), or None when it was not filed."""
    analyzer: str
    attendees: list[Attendee] = Field(default_factory=list)
    """Who was on the call: a channel may mention the account owner among them."""
    tracker_customer: TrackerCustomer | None = None
    """The call's customer as the tracker knows it (its owner, its channel), when it does."""
    tracker_customer_note: str | None = None
    """Why the call has no tracker customer (not in Linear, and not created), for the message."""
    policy: PolicyChoice | None = None
    """The follow-up policy in force for the call, and where it came from."""


class FollowUpNotice(BaseModel):
    """What a channel shows when a call ends with no draft: the policy said none, or the
    analysis found no follow-up needed (then a person may ask for one anyway)."""

    call_id: str
    call_title: str | None
    call_date: dt.date | None
    customer: Customer | None
    summary: CallSummary
    action_items: list[ActionItem]
    issues: list[IssueRef | None]
    analyzer: str
    policy: PolicyChoice
    no_followup_reason: str | None = None
    """Set when the analysis found no email needed; None when the policy is ``none``."""
    drafted_anyway_by: str | None = None
    """Who asked for a draft anyway, once someone has."""
    ref: dict[str, str] = Field(default_factory=dict)
    """Where the notice was posted before, so it is updated rather than posted again."""
    tracker_customer: TrackerCustomer | None = None
    """The call's customer as the tracker knows it: its channel, when none is configured."""

    @property
    def offers_draft(self) -> bool:
        """Whether a person may still ask for a draft (the analysis, not the policy, said no)."""
        return self.no_followup_reason is not None and self.drafted_anyway_by is None


class OutgoingEmail(BaseModel):
    """A follow-up ready for a mailer: addresses, content, and the ids that make it idempotent."""

    message_id: str
    """Deterministic per draft version, so a retry can look the message up instead of resending."""
    sender: str
    sender_name: str | None = None
    to: list[str]
    cc: list[str] = Field(default_factory=list)
    reply_to: str | None = None
    subject: str
    body: str
    """Markdown."""
    thread_id: str | None = None
    """The provider's conversation to reply in (a Gmail thread id), when known."""
    thread_subject: str | None = None
    """A subject to find that conversation by, when its id is not known."""
    in_reply_to: str | None = None
    references: list[str] = Field(default_factory=list)


class SentEmail(BaseModel):
    """What a mailer reports after a send (or after finding an earlier send)."""

    message_id: str
    provider_message_id: str
    location: str | None = None
    """Where a person can see it: a file path for the outbox, a thread for Gmail."""


class TrackerCustomer(BaseModel):
    """A customer record in the tracker (Linear's ``Customer``, or the local task list's)."""

    id: str
    name: str
    domains: list[str] = Field(default_factory=list)
    owner_name: str | None = None
    """The workspace member who owns the account: the person the approval message mentions."""
    owner_email: str | None = None
    slack_channel_id: str | None = None
    """The customer's Slack channel: where its approval requests go when none is configured."""
    tier: str | None = None
    url: str | None = None


# Both name TrackerCustomer, defined after them.
ApprovalRequest.model_rebuild()
FollowUpNotice.model_rebuild()
# --- promises: where a filed action item stands in its tracker -----------------------------------

TrackerStateType = Literal["open", "completed", "canceled"]
"""Linear's WorkflowState.type folded to what a promise needs: ``completed`` and ``canceled``
as they are, every other type (triage, backlog, unstarted, started) ``open``."""


class IssueState(BaseModel):
    """Where a filed issue stands in the tracker."""

    id: str
    """The issue's id in the tracker (``IssueRef.id``)."""
    identifier: str
    """What people call it, e.g. ``ENG-12``."""
    state_type: TrackerStateType
    state_name: str
    """The state as the team named it, e.g. ``Done``."""
    updated_at: dt.datetime
    actor: str | None = None
    """Who made the change, when the tracker says."""


class PromiseStatus(StrEnum):
    """A promise (a filed action item) is open until its issue is completed or canceled."""

    OPEN = "open"
    KEPT = "kept"
    DROPPED = "dropped"


class DraftKind(StrEnum):
    """What a draft is: a call's follow-up, or an update telling the customer promises were kept."""

    FOLLOWUP = "followup"
    UPDATE = "update"


class OverduePromise(BaseModel):
    """What the owner of a promise past its due date is reminded of."""

    item_id: str
    title: str
    due_date: dt.date
    owner_name: str | None = None
    owner_email: str | None = None
    side: Side | None = None
    customer: str | None = None
    call_id: str
    call_title: str | None = None
    call_date: dt.date | None = None
    issue: IssueRef | None = None
    followup_approval_ref: dict[str, str] = Field(default_factory=dict)
    """Where the call's follow-up was posted for approval (the thread a reminder can go to)."""


class KeptPromise(BaseModel):
    """A promise kept, as an update to the customer tells it."""

    title: str
    call_date: dt.date | None = None
    call_title: str | None = None
    issue: str | None = None
    """The issue's identifier, e.g. ``CS-142``."""


class UpdateRequest(BaseModel):
    """What a drafter needs to write the update telling a customer its promises were kept."""

    customer: str | None
    kept: list[KeptPromise]
    subject: str
    """The reply subject (``Re: <follow-up subject>``): kept as it is, so the email threads."""
    followup_body: str | None = None
    """The follow-up the update replies to, for tone and context."""
    sender_name: str | None = None
    company_name: str | None = None
