"""The tables cs-agent keeps: calls, action items, follow-up drafts, the audit log, local tasks.

Columns that hold structured values (the parsed transcript, the summary, address lists) are
JSON, so the same schema serves SQLite and PostgreSQL. Every change here needs a migration in
``storage/migrations/versions``; a test compares the two.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel


def utcnow() -> dt.datetime:
    """Timezone-aware now in UTC; every timestamp in the database is UTC."""
    return dt.datetime.now(dt.UTC)


class CallRow(SQLModel, table=True):
    """One customer call: its transcript, metadata, where it is in processing, what it cost."""

    __tablename__ = "calls"
    __table_args__ = (Index("ix_calls_created_at", "created_at"),)

    id: str = Field(primary_key=True, max_length=64)
    created_at: dt.datetime = Field(default_factory=utcnow)
    updated_at: dt.datetime = Field(default_factory=utcnow)
    source: str = Field(max_length=32)
    """How it arrived: ``api``, ``cli`` or ``zoom``."""
    source_id: str | None = Field(default=None, max_length=255, index=True)
    idempotency_key: str | None = Field(default=None, max_length=255, unique=True)
    request_hash: str = Field(max_length=64)
    """SHA-256 of the transcript and metadata as submitted: a repeat with other content is a conflict."""
    title: str | None = Field(default=None, max_length=500)
    call_date: dt.date | None = None
    customer_name: str | None = Field(default=None, max_length=255, index=True)
    customer_domain: str | None = Field(default=None, max_length=255)
    call_metadata: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    transcript_format: str = Field(max_length=16)
    transcript: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    """The parsed transcript, for calls submitted already parsed; None once purged."""
    transcript_text: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    """The transcript as received (decoded, line endings normalised); the workflow parses it.
    None for calls submitted already parsed, and once purged."""
    word_count: int = 0
    status: str = Field(default="received", max_length=32, index=True)
    failure_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    analyzer: str | None = Field(default=None, max_length=64)
    summary: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    proposed_email: dict[str, Any] | None = Field(
        default=None, sa_column=Column(JSON, nullable=True)
    )
    """The follow-up email as the analyzer drafted it; the draft row starts from it."""
    analysis_notes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    usage: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    cost_usd: float = 0.0
    workflow_id: str = Field(max_length=128)
    signature: str | None = Field(default=None, max_length=64, unique=True, index=True)
    """The request signature that delivered this call: an exact replay finds the call by it."""
    followup_policy: str | None = Field(default=None, max_length=32)
    """The follow-up policy in force for this call (``approval``, ``gmail-draft``, ``none``)."""
    followup_policy_source: str | None = Field(default=None, max_length=255)
    """Where that policy came from: ``default``, the setting, or the override that matched."""
    no_followup_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    """Why the analysis found no follow-up email needed (no draft was made)."""
    followup_notice_ref: dict[str, str] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False, server_default="{}")
    )
    """Where the channel said that no draft was made (a Slack message), when it did."""
    drafted_anyway_by: str | None = Field(default=None, max_length=255)
    """Who asked for a draft after the analysis found none needed (set once, conditionally)."""
    drafted_anyway_at: dt.datetime | None = None


class ActionItemRow(SQLModel, table=True):
    """An action item of a call, and the issue it was filed as (or matched)."""

    __tablename__ = "action_items"
    __table_args__ = (UniqueConstraint("call_id", "position"),)

    id: str = Field(primary_key=True, max_length=64)
    """uuid5 of the call and the item: also the issue id the tracker is asked to use."""
    call_id: str = Field(foreign_key="calls.id", index=True, max_length=64)
    position: int
    title: str = Field(max_length=500)
    description: str = Field(default="", sa_column=Column(Text, nullable=False))
    owner_name: str | None = Field(default=None, max_length=255)
    owner_side: str | None = Field(default=None, max_length=16)
    owner_email: str | None = Field(default=None, max_length=320)
    due_date: dt.date | None = None
    priority: int = 0
    quote: str = Field(sa_column=Column(Text, nullable=False))
    quote_time: float | None = None
    issue_tracker: str | None = Field(default=None, max_length=32)
    issue_id: str | None = Field(default=None, max_length=64)
    issue_identifier: str | None = Field(default=None, max_length=64)
    issue_url: str | None = Field(default=None, max_length=1000)
    issue_title: str | None = Field(default=None, max_length=500)
    issue_existing: bool = False
    """True when the item was linked to an issue already open instead of filed."""


class DraftRow(SQLModel, table=True):
    """An email for a person to approve: a call's follow-up, or an update on promises kept.

    Edits bump ``version``; the audit log keeps each one. A call has one follow-up (a partial
    unique index), and any number of updates replying in its thread.
    """

    __tablename__ = "drafts"
    __table_args__ = (
        Index(
            "uq_drafts_followup_call",
            "call_id",
            unique=True,
            sqlite_where=text("kind = 'followup'"),
            postgresql_where=text("kind = 'followup'"),
        ),
    )

    id: str = Field(primary_key=True, max_length=64)
    call_id: str = Field(foreign_key="calls.id", index=True, max_length=64)
    version: int = 1
    status: str = Field(default="pending", max_length=16, index=True)
    subject: str = Field(sa_column=Column(Text, nullable=False))
    body: str = Field(sa_column=Column(Text, nullable=False))
    to: list[str] = Field(default_factory=list, sa_column=Column("to_addrs", JSON, nullable=False))
    cc: list[str] = Field(default_factory=list, sa_column=Column("cc_addrs", JSON, nullable=False))
    approval_ref: dict[str, str] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    decided_by: str | None = Field(default=None, max_length=255)
    decided_at: dt.datetime | None = None
    sent_at: dt.datetime | None = None
    message_id: str | None = Field(default=None, max_length=255)
    provider_message_id: str | None = Field(default=None, max_length=255)
    failure_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    reject_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    reminded_at: dt.datetime | None = None
    """When the one reminder about this pending draft was claimed (set once, conditionally)."""
    gmail_draft_id: str | None = Field(default=None, max_length=255)
    """The draft placed in the sender's Gmail under the ``gmail-draft`` policy."""
    mailbox_url: str | None = Field(default=None, max_length=1000)
    """Where the sender opens that draft."""
    created_at: dt.datetime = Field(default_factory=utcnow)
    updated_at: dt.datetime = Field(default_factory=utcnow)
    kind: str = Field(default="followup", max_length=16, index=True)
    """``followup`` or ``update`` (promises kept, told to the customer)."""
    in_reply_to: str | None = Field(default=None, max_length=255)
    """An update's parent: the follow-up's Message-ID, so the update lands in its thread."""
    customer_key: str | None = Field(default=None, max_length=255, index=True)
    """An update's customer (see ``core.ids.customer_key``): one pending update a customer."""
    drafted_by: str | None = Field(default=None, max_length=64)
    """Who wrote an update's current text: the template, or the model (a person's edit aside)."""
    drafted_sha: str | None = Field(default=None, max_length=64)
    """SHA-256 of the body cs-agent last wrote: a body that differs was edited by a person."""


class AuditEventRow(SQLModel, table=True):
    """Who did what, when: every decision and side effect, append-only."""

    __tablename__ = "audit_events"

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = Field(default_factory=utcnow, index=True)
    call_id: str | None = Field(default=None, max_length=64, index=True)
    draft_id: str | None = Field(default=None, max_length=64)
    actor: str = Field(max_length=255)
    action: str = Field(max_length=64, index=True)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class LocalTaskRow(SQLModel, table=True):
    """The local task list: where action items go when no tracker is configured."""

    __tablename__ = "local_tasks"

    id: str = Field(primary_key=True, max_length=64)
    number: int = Field(unique=True)
    title: str = Field(max_length=500)
    description: str = Field(default="", sa_column=Column(Text, nullable=False))
    customer: str | None = Field(default=None, max_length=255, index=True)
    assignee: str | None = Field(default=None, max_length=255)
    due_date: dt.date | None = None
    priority: int = 0
    state: str = Field(default="open", max_length=16)
    call_id: str | None = Field(default=None, max_length=64)
    created_at: dt.datetime = Field(default_factory=utcnow)
    state_changed_at: dt.datetime | None = None
    """When ``cs-agent tasks done/drop`` last changed ``state`` (the tracker's updatedAt)."""
    state_changed_by: str | None = Field(default=None, max_length=255)


class MailDeliveryRow(SQLModel, table=True):
    """The journal of a mailer that cannot be asked what it sent (SMTP).

    A row is written, and committed, just before the message is handed to the server
    (``transmitting``) and marked ``accepted`` when the server confirms. A row still
    ``transmitting`` after the attempt ended means the outcome is unknown.
    """

    __tablename__ = "mail_deliveries"

    message_id: str = Field(primary_key=True, max_length=255)
    mailer: str = Field(max_length=32)
    status: str = Field(default="transmitting", max_length=16)
    recipients: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    server_reply: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    started_at: dt.datetime = Field(default_factory=utcnow)
    finished_at: dt.datetime | None = None


class WorkerRow(SQLModel, table=True):
    """A running worker's heartbeat, so the others can resume its work if it dies."""

    __tablename__ = "workers"

    executor_id: str = Field(primary_key=True, max_length=128)
    host: str = Field(max_length=255)
    pid: int
    started_at: dt.datetime = Field(default_factory=utcnow)
    last_seen: dt.datetime = Field(default_factory=utcnow, index=True)


class AcceptedSignatureRow(SQLModel, table=True):
    """A request signature the API accepted, kept until it expires so it is accepted once.

    The primary key is the signature itself: a second insert fails, in every process at once.
    """

    __tablename__ = "accepted_signatures"

    signature: str = Field(primary_key=True, max_length=64)
    accepted_at: dt.datetime = Field(default_factory=utcnow)
    expires_at: dt.datetime = Field(index=True)
    """After this the signature's timestamp is outside the window anyway; the row may go."""


class WebSessionRow(SQLModel, table=True):
    """A signed-in inbox session. The cookie carries a random id; only its SHA-256 is stored.

    ``credential`` is a keyed digest of the password hash or admin token the person signed in
    with: when that credential changes, the session no longer matches and is revoked.
    """

    __tablename__ = "web_sessions"

    id_hash: str = Field(primary_key=True, max_length=64)
    user: str = Field(max_length=255, index=True)
    via: str = Field(max_length=16)
    credential: str = Field(max_length=64)
    created_at: dt.datetime = Field(default_factory=utcnow)
    expires_at: dt.datetime = Field(index=True)
    revoked_at: dt.datetime | None = None


class TrackerCustomerRow(SQLModel, table=True):
    """What the tracker answered for a customer key (a domain or a name), cached for a while.

    ``customer`` is the ``TrackerCustomer`` as JSON, or null when the tracker had none (also
    worth remembering, for less time). Keys are lower-cased: ``domain:acme.com``, ``name:acme``.
    """

    __tablename__ = "tracker_customers"

    tracker: str = Field(primary_key=True, max_length=32)
    key: str = Field(primary_key=True, max_length=300)
    customer: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    resolved_at: dt.datetime = Field(default_factory=utcnow)


class LocalCustomerRow(SQLModel, table=True):
    """A customer of the local task list (its own stand-in for Linear's customers)."""

    __tablename__ = "local_customers"

    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=255)
    domains: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    owner_name: str | None = Field(default=None, max_length=255)
    owner_email: str | None = Field(default=None, max_length=255)
    slack_channel_id: str | None = Field(default=None, max_length=64)
    tier: str | None = Field(default=None, max_length=64)
    created_at: dt.datetime = Field(default_factory=utcnow)


class LocalCustomerNeedRow(SQLModel, table=True):
    """A customer need on a local task: which customer asked for it, and the evidence."""

    __tablename__ = "local_customer_needs"

    id: str = Field(primary_key=True, max_length=64)
    customer_id: str = Field(max_length=64, index=True)
    task_id: str = Field(max_length=64, index=True)
    body: str = Field(default="", sa_column=Column(Text, nullable=False))
    created_at: dt.datetime = Field(default_factory=utcnow)


class LocalTaskLinkRow(SQLModel, table=True):
    """A link on a local task (the call it came from); one a URL a task."""

    __tablename__ = "local_task_links"

    task_id: str = Field(primary_key=True, max_length=64)
    url: str = Field(primary_key=True, max_length=1000)
    title: str = Field(max_length=500)
    subtitle: str | None = Field(default=None, max_length=500)


class PromiseRow(SQLModel, table=True):
    """Where a promise (a filed action item) stands: open, kept or dropped, and who was told.

    Keyed by the action item. A filed item with no row yet is open; the row is written by the
    first state change, reminder or update that concerns it. Every change is one conditional
    UPDATE, so a webhook, its replay, the reconcile and ``cs-agent tasks`` agree.
    """

    __tablename__ = "promises"

    item_id: str = Field(primary_key=True, foreign_key="action_items.id", max_length=64)
    call_id: str = Field(foreign_key="calls.id", index=True, max_length=64)
    issue_id: str | None = Field(default=None, max_length=64, index=True)
    status: str = Field(default="open", max_length=16, index=True)
    tracker_state: str | None = Field(default=None, max_length=255)
    """The tracker's name for the state, e.g. ``Done``."""
    tracker_updated_at: dt.datetime | None = None
    """The tracker's time of the state applied last: an older report never overwrites it."""
    changed_at: dt.datetime | None = None
    """When it was kept or dropped."""
    changed_by: str | None = Field(default=None, max_length=255)
    update_draft_id: str | None = Field(default=None, max_length=64, index=True)
    """The update draft that tells the customer it was kept."""
    told_at: dt.datetime | None = None
    """When that update was sent."""
    reminded_due_date: dt.date | None = None
    """The due date its owner was reminded about (once a due date, claimed conditionally)."""
    reminded_at: dt.datetime | None = None
    created_at: dt.datetime = Field(default_factory=utcnow)
    updated_at: dt.datetime = Field(default_factory=utcnow)


class WebhookDeliveryRow(SQLModel, table=True):
    """A tracker webhook delivery already taken in: a redelivery (same id) is accepted once."""

    __tablename__ = "webhook_deliveries"

    delivery_id: str = Field(primary_key=True, max_length=128)
    source: str = Field(max_length=32)
    received_at: dt.datetime = Field(default_factory=utcnow, index=True)


class SyncMarkRow(SQLModel, table=True):
    """How far a periodic job got (the promise reconcile: the last time it asked the tracker)."""

    __tablename__ = "sync_marks"

    name: str = Field(primary_key=True, max_length=64)
    at: dt.datetime
