"""The ports the services talk through, each stating its idempotency contract.

The four of the main flow (``Analyzer``, ``TaskTracker``, ``ApprovalChannel``, ``Mailer``) each
have a local adapter and a real one; ``TranscriptDownloader`` fetches a source's file;
``SelfChecking`` and ``CheckResult`` are what ``cs-agent doctor`` asks of an adapter;
``InteractiveApprovals`` is what the Slack listener asks of its channel.

Every method is async: the real adapters speak HTTP, and the workflows run on one event loop.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Protocol, runtime_checkable

from pydantic import BaseModel, Field

from cs_agent.core.domain import (
    ActionItem,
    ApprovalRequest,
    CallAnalysis,
    CallMetadata,
    FollowUpDraft,
    FollowUpNotice,
    IssueRef,
    IssueState,
    OutgoingEmail,
    OverduePromise,
    SentEmail,
    TrackerCustomer,
    Transcript,
    UpdateRequest,
)


class CallContext(BaseModel):
    """What an adapter may need to know about the call an item or draft came from."""

    call_id: str
    title: str | None = None
    call_date: dt.date | None = None
    customer_name: str | None = None
    customer_domain: str | None = None
    call_url: str | None = None
    """A link back to the call in cs-agent (web inbox or API)."""


class ApprovalOutcome(BaseModel):
    """How a decided draft ended, for the approval channel to show."""

    status: str
    actor: str | None = None
    detail: str | None = None
    location: str | None = None


@runtime_checkable
class Analyzer(Protocol):
    """Reads a call and proposes action items, a summary and a follow-up email."""

    name: str

    async def analyze(
        self,
        transcript: Transcript,
        metadata: CallMetadata,
        *,
        tracker: TaskTracker,
    ) -> CallAnalysis:
        """Analyse one call. ``tracker`` lets an analyzer look for issues already open."""
        ...


@runtime_checkable
class TaskTracker(Protocol):
    """Where action items are filed (Linear, or the local task list)."""

    name: str

    async def create_issue(
        self, item: ActionItem, *, issue_id: uuid.UUID, call: CallContext
    ) -> IssueRef:
        """File ``item`` under the caller-chosen ``issue_id``.

        Must be idempotent: a second call with the same id returns the issue the first made.
        """
        ...

    async def find_open_issues(
        self, *, query: str, customer: str | None, limit: int = 5
    ) -> list[IssueRef]:
        """Open issues whose titles match ``query``, for ``customer`` when given."""
        ...

    async def resolve_customer(
        self, *, domains: list[str], name: str | None, create: bool
    ) -> TrackerCustomer | None:
        """The tracker's customer record for a call's customer: by any of ``domains``, then ``name``.

        When none matches and ``create`` is true, the customer is created (named ``name``, with
        ``domains``); otherwise the answer is None. Safe to repeat: a second call finds what the
        first created (a create that raced another is answered with the one that won).
        """
        ...

    async def add_customer_need(
        self,
        issue: IssueRef,
        *,
        need_id: uuid.UUID,
        customer: TrackerCustomer,
        body: str,
        call: CallContext | None = None,
        said_at: float | None = None,
    ) -> None:
        """Record on ``issue`` that ``customer`` asked for it, with ``body`` as the evidence.

        ``body`` is the words from the call, plain text (the tracker escapes them for its own
        format); ``call`` and ``said_at`` (seconds into it) say where they were said.

        Must be idempotent on ``need_id``: a repeat (after a timeout, a crash, a retried step)
        leaves exactly one need.
        """
        ...

    async def attach_link(
        self, issue: IssueRef, *, url: str, title: str, subtitle: str | None = None
    ) -> None:
        """Link ``url`` (the call's page) from ``issue``, so the issue shows where it came from.

        Idempotent on (issue, ``url``): a repeat updates the one link instead of adding another.
        """
        ...

    async def issue_states(
        self, issue_ids: list[str], *, updated_since: dt.datetime | None = None
    ) -> list[IssueState]:
        """The current state of those issues (only the ones updated since ``updated_since``
        when given). A read: safe to repeat. Ids the tracker does not know are left out."""
        ...


@runtime_checkable
class ApprovalChannel(Protocol):
    """Where a person sees the drafted follow-up and approves, edits or rejects it."""

    name: str

    async def request_approval(self, request: ApprovalRequest) -> dict[str, str]:
        """Show the request to the people who decide. Returns where it lives (the approval ref).

        Must be idempotent for a draft whose ``approval_ref`` is already set: update, not repost.
        """
        ...

    async def show_outcome(self, draft: FollowUpDraft, outcome: ApprovalOutcome) -> None:
        """Tell the people watching that a draft was approved, sent, rejected or failed."""
        ...

    async def remind(
        self, request: ApprovalRequest, *, waited: dt.timedelta, number: int = 1
    ) -> None:
        """Remind the people who decide that ``request`` has waited ``waited`` for a decision.

        ``number`` counts the draft's reminders from 1. Must be idempotent per (draft,
        ``number``): the reminder workflow may run this again after a crash between posting and
        recording it, and a channel that can look (Slack: the thread's message metadata) posts
        it only if it is not there yet. A channel that cannot tell posts it (a second reminder
        is better than none) and logs why. A channel with nowhere to say it does nothing: the
        audit log records the reminder either way.
        """
        ...


@runtime_checkable
class InteractiveApprovals(ApprovalChannel, Protocol):
    """An approval channel people answer in place (Slack: buttons and modals on its messages).

    What the listeners for those answers need from it: who may decide, a word to one person,
    the Edit and Reject modals, and how its messages name a person.
    """

    async def is_approver(self, user_id: str) -> bool:
        """Whether the channel's user ``user_id`` may decide on drafts."""
        ...

    def approvers_hint(self) -> str:
        """Who may decide, for the answer someone who may not gets."""
        ...

    async def tell(self, channel_id: str, user_id: str, text: str) -> None:
        """A message in ``channel_id`` that only ``user_id`` sees."""
        ...

    async def open_edit_modal(
        self, trigger_id: str, draft: FollowUpDraft, *, channel_id: str
    ) -> None:
        """Open the Edit modal on ``draft`` for the person whose click ``trigger_id`` names."""
        ...

    async def open_reject_modal(
        self, trigger_id: str, draft: FollowUpDraft, *, channel_id: str
    ) -> None:
        """Open the Reject modal (an optional reason) for the person who clicked."""
        ...

    def mention(self, actor: str | None) -> str:
        """How the channel's messages name ``actor`` (an audit-log actor such as ``slack:U1``)."""
        ...


@runtime_checkable
class OwnerReminders(Protocol):
    """An approval channel that can remind a promise's owner it is overdue (Slack).

    Optional: a channel without it (the local inbox) has nowhere to say it, and the audit log
    and the Promises page show the reminder instead.
    """

    async def remind_owner(self, promise: OverduePromise) -> None:
        """Tell the owner (a direct message, else the call's approval thread) that ``promise``
        is past its due date. Must be idempotent per (promise, due date): run again after a
        crash between posting and recording, a channel that can look finds its earlier post."""
        ...


@runtime_checkable
class UpdateDrafter(Protocol):
    """An analyzer that can also write a customer update on promises kept (the Claude agent).

    Optional: without it (the offline analyzer) updates come from a template, labelled so.
    """

    async def draft_update(self, request: UpdateRequest) -> str:
        """The update's Markdown body. No side effect: safe to repeat; a person approves it."""
        ...


@runtime_checkable
class Mailer(Protocol):
    """Sends the approved follow-up (Gmail, SMTP, or the local outbox)."""

    name: str

    async def send(self, email: OutgoingEmail) -> SentEmail:
        """Send once. The caller has already checked ``find_sent`` for a retry."""
        ...

    async def find_sent(self, message_id: str) -> SentEmail | None:
        """The message already sent under ``message_id``, if any: how retries stay exactly-once."""
        ...


class AdapterChoice(BaseModel):
    """Which adapter a port uses and why: shown at start-up and by ``cs-agent doctor``."""

    port: str
    adapter: str
    reason: str
    local: bool = Field(default=False, description="True for a no-credentials local adapter.")


class CheckResult(BaseModel):
    """One thing doctor checked."""

    port: str
    adapter: str
    ok: bool
    detail: str
    fix: str | None = None


@runtime_checkable
class SelfChecking(Protocol):
    """An adapter that can verify its own configuration against its service."""

    name: str

    async def check(self) -> list[CheckResult]:
        """Live checks; never raises for a failed check, returns it with ``ok=False``."""
        ...


@runtime_checkable
class TranscriptDownloader(Protocol):
    """Fetches a recording's transcript file from the URL its source's event named."""

    name: str

    async def download(self, url: str, *, token: str) -> bytes:
        """The file's bytes. A GET: safe to repeat after a crash."""
        ...


@runtime_checkable
class FollowUpNotifier(Protocol):
    """An approval channel that can also say a call ended with no draft (Slack, the inbox)."""

    async def notify_no_draft(self, notice: FollowUpNotice) -> dict[str, str]:
        """Show ``notice``; returns where it lives.

        Must be idempotent: with ``notice.ref`` set, update that message rather than post;
        a channel that can look (Slack: message metadata naming the call) finds a notice it
        posted just before a crash and updates it.
        """
        ...


@runtime_checkable
class MailboxDrafts(Protocol):
    """A mailer that can place a follow-up in the sender's mailbox as a draft (Gmail)."""

    async def create_draft(self, email: OutgoingEmail) -> SentEmail:
        """Create the draft once; returns its id as ``provider_message_id`` and a link.

        Must be idempotent on ``email.message_id``: look the draft up by its Message-ID
        before creating, so a create retried after a timeout makes no second draft.
        """
        ...

    async def find_draft(self, message_id: str) -> SentEmail | None:
        """The draft created under ``message_id``, if it is still a draft."""
        ...
