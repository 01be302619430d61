"""Small keyword-only functions over the tables. Every write the product makes goes through here.

Each function takes an open session and leaves committing to the caller (``session_scope``),
so a caller can make several writes atomic. Conditional updates (``transition_draft``) are
single UPDATE statements with the expected state in the WHERE clause: that, not a lock held
in Python, is what makes a double click safe across processes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, null, or_, update
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from cs_agent.core.domain import (
    ActionItem,
    CallAnalysis,
    DraftStatus,
    FollowUpDraft,
    IssueRef,
    Owner,
    Priority,
    Side,
)
from storage.models import (
    ActionItemRow,
    AuditEventRow,
    CallRow,
    DraftRow,
    LocalTaskRow,
    MailDeliveryRow,
    utcnow,
)

# --- calls ---------------------------------------------------------------------------------------


def get_call(session: Session, *, call_id: str) -> CallRow | None:
    """The call with this id, or None."""
    return session.get(CallRow, call_id)


def insert_call_if_absent(session: Session, *, row: CallRow) -> tuple[CallRow, bool]:
    """Insert ``row`` unless a call with its id exists. Returns the stored row and whether it is new.

    Safe against a concurrent insert of the same id: the loser reads the winner's row.
    """
    existing = session.get(CallRow, row.id)
    if existing is not None:
        return existing, False
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        existing = session.get(CallRow, row.id)
        if existing is None:  # the conflict was on another unique column
            raise
        return existing, False
    return row, True


def set_call_status(
    session: Session, *, call_id: str, status: str, failure_reason: str | None = None
) -> None:
    """Move a call to ``status``; ``failure_reason`` is cleared unless given."""
    session.execute(
        update(CallRow)
        .where(col(CallRow.id) == call_id)
        .values(status=status, failure_reason=failure_reason, updated_at=utcnow())
    )


def list_calls(
    session: Session, *, status: str | None = None, limit: int = 50, offset: int = 0
) -> Sequence[CallRow]:
    """Calls, newest first, optionally of one status."""
    query = select(CallRow).order_by(col(CallRow.created_at).desc(), col(CallRow.id))
    if status:
        query = query.where(CallRow.status == status)
    return session.exec(query.offset(offset).limit(limit)).all()


def count_calls(session: Session, *, status: str | None = None) -> int:
    """How many calls there are, optionally of one status."""
    query = select(func.count()).select_from(CallRow)
    if status:
        query = query.where(CallRow.status == status)
    return int(session.exec(query).one())


def list_calls_with_drafts(
    session: Session, *, status: str | None = None, limit: int = 50, offset: int = 0
) -> list[tuple[CallRow, int, DraftRow | None]]:
    """A page of calls, newest first, each with its number of action items and its draft.

    One query, and the transcripts (the bulk of a call row) are not loaded.
    """
    items = (
        select(ActionItemRow.call_id, func.count().label("items"))
        .group_by(col(ActionItemRow.call_id))
        .subquery()
    )
    query = (
        select(CallRow, func.coalesce(items.c["items"], 0), DraftRow)
        .outerjoin(items, items.c["call_id"] == col(CallRow.id))
        .outerjoin(DraftRow, col(DraftRow.call_id) == col(CallRow.id))
        .options(defer(CallRow.transcript))  # type: ignore[arg-type]
        .order_by(col(CallRow.created_at).desc(), col(CallRow.id))
    )
    if status:
        query = query.where(CallRow.status == status)
    rows = session.exec(query.offset(offset).limit(limit)).all()
    return [(call, int(count), draft) for call, count, draft in rows]


def save_analysis(
    session: Session, *, call_id: str, analysis: CallAnalysis, item_ids: Sequence[str]
) -> None:
    """Store an analysis on its call and replace the call's action items with its items.

    Replacing is safe: items are only filed after the analysis that made them is checkpointed.
    """
    call = session.get(CallRow, call_id)
    if call is None:
        raise LookupError(f"no call {call_id}")
    call.analyzer = analysis.analyzer
    call.summary = analysis.summary.model_dump(mode="json")
    call.proposed_email = analysis.email.model_dump(mode="json")
    call.analysis_notes = list(analysis.notes)
    call.usage = analysis.usage.model_dump(mode="json") if analysis.usage else None
    call.cost_usd = analysis.usage.cost_usd if analysis.usage else 0.0
    call.updated_at = utcnow()
    session.add(call)
    for old in session.exec(select(ActionItemRow).where(ActionItemRow.call_id == call_id)).all():
        session.delete(old)
    session.flush()
    for position, (item, item_id) in enumerate(zip(analysis.action_items, item_ids, strict=True)):
        existing = item.existing_issue
        session.add(
            ActionItemRow(
                id=item_id,
                call_id=call_id,
                position=position,
                title=item.title,
                description=item.description,
                owner_name=item.owner.name if item.owner else None,
                owner_side=item.owner.side.value if item.owner and item.owner.side else None,
                owner_email=item.owner.email if item.owner else None,
                due_date=item.due_date,
                priority=int(item.priority),
                quote=item.quote,
                quote_time=item.quote_time,
                issue_tracker=existing.tracker if existing else None,
                issue_id=existing.id if existing else None,
                issue_identifier=existing.identifier if existing else None,
                issue_url=existing.url if existing else None,
                issue_title=existing.title if existing else None,
                issue_existing=existing is not None,
            )
        )


def list_items(session: Session, *, call_id: str) -> Sequence[ActionItemRow]:
    """The call's action items in the order the analyzer gave them."""
    return session.exec(
        select(ActionItemRow)
        .where(ActionItemRow.call_id == call_id)
        .order_by(col(ActionItemRow.position))
    ).all()


def record_issue(session: Session, *, item_id: str, issue: IssueRef) -> None:
    """Remember the issue an action item was filed as."""
    session.execute(
        update(ActionItemRow)
        .where(col(ActionItemRow.id) == item_id)
        .values(
            issue_tracker=issue.tracker,
            issue_id=issue.id,
            issue_identifier=issue.identifier,
            issue_url=issue.url,
            issue_title=issue.title,
            issue_existing=issue.existing,
        )
    )


def item_from_row(row: ActionItemRow) -> ActionItem:
    """The domain form of a stored action item."""
    owner = None
    if row.owner_name:
        owner = Owner(
            name=row.owner_name,
            side=Side(row.owner_side) if row.owner_side else None,
            email=row.owner_email,
        )
    return ActionItem(
        title=row.title,
        description=row.description,
        owner=owner,
        due_date=row.due_date,
        priority=Priority(row.priority),
        quote=row.quote,
        quote_time=row.quote_time,
        existing_issue=issue_from_row(row) if row.issue_existing else None,
    )


def issue_from_row(row: ActionItemRow) -> IssueRef | None:
    """The issue an item was filed as or linked to, if any."""
    if not row.issue_id or not row.issue_tracker:
        return None
    return IssueRef(
        tracker=row.issue_tracker,
        id=row.issue_id,
        identifier=row.issue_identifier or row.issue_id,
        title=row.issue_title or row.title,
        url=row.issue_url,
        existing=row.issue_existing,
    )


# --- drafts --------------------------------------------------------------------------------------


def get_draft(session: Session, *, draft_id: str) -> DraftRow | None:
    """The draft with this id, or None."""
    return session.get(DraftRow, draft_id)


def get_draft_for_call(session: Session, *, call_id: str) -> DraftRow | None:
    """The follow-up draft of a call, or None before the analysis made one."""
    return session.exec(select(DraftRow).where(DraftRow.call_id == call_id)).first()


def find_drafts_by_prefix(session: Session, *, prefix: str, limit: int = 2) -> Sequence[DraftRow]:
    """Drafts whose id starts with ``prefix`` (so people can type a short id)."""
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return session.exec(
        select(DraftRow).where(col(DraftRow.id).like(f"{escaped}%", escape="\\")).limit(limit)
    ).all()


def list_drafts(
    session: Session, *, status: str | None = None, limit: int = 50
) -> Sequence[DraftRow]:
    """Drafts, newest first, optionally of one status."""
    query = select(DraftRow).order_by(col(DraftRow.created_at).desc())
    if status:
        query = query.where(DraftRow.status == status)
    return session.exec(query.limit(limit)).all()


def insert_draft_if_absent(session: Session, *, row: DraftRow) -> tuple[DraftRow, bool]:
    """Insert the call's draft unless it has one. Returns the stored draft and whether it is new."""
    existing = get_draft_for_call(session, call_id=row.call_id)
    if existing is not None:
        return existing, False
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        existing = get_draft_for_call(session, call_id=row.call_id)
        if existing is None:
            raise
        return existing, False
    return row, True


def transition_draft(
    session: Session,
    *,
    draft_id: str,
    from_statuses: Iterable[DraftStatus],
    to_status: DraftStatus,
    version: int | None = None,
    **values: Any,
) -> bool:
    """Move a draft to ``to_status`` if, and only if, it is in one of ``from_statuses``.

    One conditional UPDATE: of two concurrent callers exactly one sees True.
    ``version`` (when given) must also match, so a decision on an old version cannot apply to
    an edited draft.
    """
    query = (
        update(DraftRow)
        .where(col(DraftRow.id) == draft_id)
        .where(col(DraftRow.status).in_([s.value for s in from_statuses]))
    )
    if version is not None:
        query = query.where(col(DraftRow.version) == version)
    result = session.execute(query.values(status=to_status.value, updated_at=utcnow(), **values))
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def revise_draft(
    session: Session,
    *,
    draft_id: str,
    expected_version: int,
    subject: str,
    body: str,
    to: list[str],
    cc: list[str],
) -> bool:
    """Save an edit as the next version; only a pending or failed draft can be edited.

    A failed draft goes back to pending, so the fixed email can be approved again.
    """
    result = session.execute(
        update(DraftRow)
        .where(col(DraftRow.id) == draft_id)
        .where(col(DraftRow.version) == expected_version)
        .where(col(DraftRow.status).in_([DraftStatus.PENDING.value, DraftStatus.FAILED.value]))
        .values(
            version=expected_version + 1,
            status=DraftStatus.PENDING.value,
            subject=subject,
            body=body,
            to=to,
            cc=cc,
            failure_reason=None,
            message_id=None,  # the new version gets its own when it is sent
            updated_at=utcnow(),
        )
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def set_approval_ref(session: Session, *, draft_id: str, ref: dict[str, str]) -> None:
    """Remember where the approval request for a draft lives."""
    session.execute(
        update(DraftRow)
        .where(col(DraftRow.id) == draft_id)
        .values(approval_ref=ref, updated_at=utcnow())
    )


def draft_from_row(row: DraftRow) -> FollowUpDraft:
    """The domain form of a stored draft."""
    return FollowUpDraft(
        id=row.id,
        call_id=row.call_id,
        version=row.version,
        status=DraftStatus(row.status),
        subject=row.subject,
        body=row.body,
        to=list(row.to),
        cc=list(row.cc),
        approval_ref=dict(row.approval_ref),
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        sent_at=row.sent_at,
        message_id=row.message_id,
        provider_message_id=row.provider_message_id,
        failure_reason=row.failure_reason,
        reject_reason=row.reject_reason,
    )


# --- audit log -----------------------------------------------------------------------------------


def add_audit(
    session: Session,
    *,
    actor: str,
    action: str,
    call_id: str | None = None,
    draft_id: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Append one event to the audit log."""
    session.add(
        AuditEventRow(
            actor=actor, action=action, call_id=call_id, draft_id=draft_id, detail=detail or {}
        )
    )


def audit_exists(session: Session, *, draft_id: str, action: str) -> bool:
    """Whether the audit log has an ``action`` event for ``draft_id``."""
    found = session.exec(
        select(AuditEventRow.id)
        .where(AuditEventRow.draft_id == draft_id)
        .where(AuditEventRow.action == action)
        .limit(1)
    ).first()
    return found is not None


def list_audit(session: Session, *, call_id: str) -> Sequence[AuditEventRow]:
    """A call's audit log, oldest first."""
    return session.exec(
        select(AuditEventRow)
        .where(AuditEventRow.call_id == call_id)
        .order_by(col(AuditEventRow.at), col(AuditEventRow.id))
    ).all()


# --- the local task list -------------------------------------------------------------------------


def insert_local_task_if_absent(
    session: Session,
    *,
    task_id: str,
    title: str,
    description: str,
    customer: str | None,
    assignee: str | None,
    due_date: dt.date | None,
    priority: int,
    call_id: str | None,
) -> tuple[LocalTaskRow, bool]:
    """File a local task under ``task_id`` unless it exists. Returns the task and whether it is new."""
    existing = session.get(LocalTaskRow, task_id)
    if existing is not None:
        return existing, False
    for _attempt in range(5):
        number = (
            int(session.exec(select(func.coalesce(func.max(LocalTaskRow.number), 0))).one()) + 1
        )
        row = LocalTaskRow(
            id=task_id,
            number=number,
            title=title,
            description=description,
            customer=customer,
            assignee=assignee,
            due_date=due_date,
            priority=priority,
            call_id=call_id,
        )
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
            return row, True
        except IntegrityError:
            existing = session.get(LocalTaskRow, task_id)
            if existing is not None:
                return existing, False
            # Another writer took this number; take the next one.
    raise RuntimeError("could not allocate a local task number")


def list_local_tasks(
    session: Session, *, customer: str | None = None, state: str | None = None
) -> Sequence[LocalTaskRow]:
    """Local tasks in filing order, optionally of one customer and state."""
    query = select(LocalTaskRow).order_by(col(LocalTaskRow.number))
    if customer is not None:
        query = query.where(LocalTaskRow.customer == customer)
    if state is not None:
        query = query.where(LocalTaskRow.state == state)
    return session.exec(query).all()


# --- the journal of mailers that cannot be asked (SMTP) -------------------------------------------


def get_mail_delivery(session: Session, *, message_id: str) -> MailDeliveryRow | None:
    """The journal entry of ``message_id``, if an attempt to hand it over ever started."""
    return session.get(MailDeliveryRow, message_id)


def begin_mail_delivery(
    session: Session, *, message_id: str, mailer: str, recipients: list[str]
) -> bool:
    """Record that ``message_id`` is about to be handed over. False if an entry exists already."""
    try:
        with session.begin_nested():
            session.add(
                MailDeliveryRow(message_id=message_id, mailer=mailer, recipients=recipients)
            )
            session.flush()
    except IntegrityError:
        return False
    return True


def finish_mail_delivery(session: Session, *, message_id: str, server_reply: str) -> None:
    """The server confirmed it has the message."""
    session.execute(
        update(MailDeliveryRow)
        .where(col(MailDeliveryRow.message_id) == message_id)
        .values(status="accepted", server_reply=server_reply, finished_at=utcnow())
    )


def forget_mail_delivery(session: Session, *, message_id: str) -> None:
    """The server refused the message outright: nothing was delivered, so no entry is kept."""
    row = session.get(MailDeliveryRow, message_id)
    if row is not None and row.status != "accepted":
        session.delete(row)


# --- operations: metrics, costs, reminders, retention ---------------------------------------------

TOKEN_KINDS = ("input", "output", "cache_read", "cache_creation")


def _tokens(kind: str) -> Any:
    """The sum of one kind of token over calls, read from the ``usage`` JSON in SQL."""
    return func.coalesce(func.sum(col(CallRow.usage)[f"{kind}_tokens"].as_integer()), 0)


@dataclass
class MetricsSnapshot:
    """The business numbers, as the database has them (the same whichever process asks)."""

    calls_by_status: dict[str, int] = field(default_factory=dict)
    calls_received: int = 0
    calls_analyzed: int = 0
    call_failures: int = 0
    items_filed: int = 0
    items_linked: int = 0
    drafts_by_status: dict[str, int] = field(default_factory=dict)
    emails_sent: int = 0
    reminders_sent: int = 0
    cost_usd: float = 0.0
    tokens: dict[str, int] = field(default_factory=dict)
    oldest_pending_draft: dt.datetime | None = None


def metrics_snapshot(session: Session) -> MetricsSnapshot:
    """Counts and sums for ``/metrics``: a handful of aggregate queries, no rows loaded."""
    snap = MetricsSnapshot()
    for status, count in session.execute(
        sa_select(col(CallRow.status), func.count()).group_by(col(CallRow.status))
    ).all():
        snap.calls_by_status[str(status)] = int(count)
    snap.calls_received = sum(snap.calls_by_status.values())
    analyzed, cost, *tokens = session.execute(
        sa_select(
            func.count(col(CallRow.analyzer)),
            func.coalesce(func.sum(col(CallRow.cost_usd)), 0.0),
            *(_tokens(kind) for kind in TOKEN_KINDS),
        )
    ).one()
    snap.calls_analyzed, snap.cost_usd = int(analyzed), float(cost)
    snap.tokens = {kind: int(value) for kind, value in zip(TOKEN_KINDS, tokens, strict=True)}
    snap.call_failures = int(
        session.execute(
            sa_select(func.count())
            .select_from(AuditEventRow)
            .where(col(AuditEventRow.action) == "failed")
        ).scalar_one()
    )
    for existing, count in session.execute(
        sa_select(col(ActionItemRow.issue_existing), func.count())
        .where(col(ActionItemRow.issue_id).is_not(None))
        .group_by(col(ActionItemRow.issue_existing))
    ).all():
        if existing:
            snap.items_linked = int(count)
        else:
            snap.items_filed = int(count)
    for status, count in session.execute(
        sa_select(col(DraftRow.status), func.count()).group_by(col(DraftRow.status))
    ).all():
        snap.drafts_by_status[str(status)] = int(count)
    snap.emails_sent = snap.drafts_by_status.get(DraftStatus.SENT.value, 0)
    reminded, oldest = session.execute(
        sa_select(
            func.count(col(DraftRow.reminded_at)),
            func.min(col(DraftRow.updated_at)).filter(
                col(DraftRow.status) == DraftStatus.PENDING.value
            ),
        )
    ).one()
    snap.reminders_sent = int(reminded)
    if oldest is not None:
        snap.oldest_pending_draft = oldest if oldest.tzinfo else oldest.replace(tzinfo=dt.UTC)
    return snap


@dataclass
class CostLine:
    """What the analyses of one customer's calls (or of one call) cost."""

    customer: str | None
    calls: int
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_creation_tokens: int
    cost_usd: float
    call_id: str | None = None
    title: str | None = None
    received: dt.datetime | None = None
    analyzer: str | None = None


def costs_by_customer(session: Session, *, since: dt.datetime | None = None) -> list[CostLine]:
    """Model cost and tokens per customer for calls received since ``since``, dearest first."""
    query = sa_select(
        col(CallRow.customer_name),
        func.count(),
        *(_tokens(kind) for kind in TOKEN_KINDS),
        func.coalesce(func.sum(col(CallRow.cost_usd)), 0.0),
    ).group_by(col(CallRow.customer_name))
    if since is not None:
        query = query.where(col(CallRow.created_at) >= since)
    lines = [
        CostLine(
            customer=customer,
            calls=int(calls),
            input_tokens=int(tin),
            output_tokens=int(tout),
            cache_read_tokens=int(tcr),
            cache_creation_tokens=int(tcc),
            cost_usd=float(cost),
        )
        for customer, calls, tin, tout, tcr, tcc, cost in session.execute(query).all()
    ]
    return sorted(lines, key=lambda line: (-line.cost_usd, line.customer or ""))


def costs_by_call(
    session: Session, *, since: dt.datetime | None = None, limit: int = 100
) -> list[CostLine]:
    """Model cost and tokens of each call received since ``since``, newest first."""
    query = (
        sa_select(
            col(CallRow.id),
            col(CallRow.title),
            col(CallRow.customer_name),
            col(CallRow.created_at),
            col(CallRow.analyzer),
            col(CallRow.usage),
            col(CallRow.cost_usd),
        )
        .order_by(col(CallRow.created_at).desc(), col(CallRow.id))
        .limit(limit)
    )
    if since is not None:
        query = query.where(col(CallRow.created_at) >= since)
    lines = []
    for call_id, title, customer, created, analyzer, usage, cost in session.execute(query).all():
        tokens = usage or {}
        lines.append(
            CostLine(
                customer=customer,
                calls=1,
                input_tokens=int(tokens.get("input_tokens") or 0),
                output_tokens=int(tokens.get("output_tokens") or 0),
                cache_read_tokens=int(tokens.get("cache_read_tokens") or 0),
                cache_creation_tokens=int(tokens.get("cache_creation_tokens") or 0),
                cost_usd=float(cost or 0.0),
                call_id=call_id,
                title=title,
                received=created,
                analyzer=analyzer,
            )
        )
    return lines


def drafts_due_a_reminder(
    session: Session, *, pending_since: dt.datetime, limit: int = 100
) -> list[str]:
    """Ids of drafts pending since before ``pending_since`` and never reminded about."""
    return list(
        session.exec(
            select(col(DraftRow.id))
            .where(col(DraftRow.status) == DraftStatus.PENDING.value)
            .where(col(DraftRow.reminded_at).is_(None))
            .where(col(DraftRow.updated_at) <= pending_since)
            .order_by(col(DraftRow.updated_at))
            .limit(limit)
        ).all()
    )


def claim_reminder(
    session: Session, *, draft_id: str, pending_since: dt.datetime, now: dt.datetime
) -> bool:
    """Take the one reminder of a draft: True for exactly one caller, however many ask at once.

    The draft must still be pending, still unreminded, and still old enough (an edit moved it on).
    """
    result = session.execute(
        update(DraftRow)
        .where(col(DraftRow.id) == draft_id)
        .where(col(DraftRow.status) == DraftStatus.PENDING.value)
        .where(col(DraftRow.reminded_at).is_(None))
        .where(col(DraftRow.updated_at) <= pending_since)
        .values(reminded_at=now)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


@dataclass
class PurgeCandidate:
    """A call whose transcript a retention rule removes."""

    call_id: str
    received: dt.datetime
    customer: str | None
    word_count: int


def calls_with_transcripts_before(session: Session, *, cutoff: dt.datetime) -> list[PurgeCandidate]:
    """Calls received before ``cutoff`` that still hold their transcript, oldest first."""
    rows = session.execute(
        sa_select(
            col(CallRow.id),
            col(CallRow.created_at),
            col(CallRow.customer_name),
            col(CallRow.word_count),
        )
        .where(col(CallRow.created_at) < cutoff)
        .where(_has_transcript())
        .order_by(col(CallRow.created_at), col(CallRow.id))
    ).all()
    return [
        PurgeCandidate(str(i), created, customer, int(words))
        for i, created, customer, words in rows
    ]


def _has_transcript() -> Any:
    """A call still holds its transcript: parsed, or as received."""
    return or_(col(CallRow.transcript).is_not(None), col(CallRow.transcript_text).is_not(None))


def purge_transcript(session: Session, *, call_id: str) -> bool:
    """Remove a call's transcript, parsed and as received (SQL NULL); its items, draft and
    audit log stay. True if there was one to remove."""
    result = session.execute(
        update(CallRow)
        .where(col(CallRow.id) == call_id)
        .where(_has_transcript())
        .values(transcript=null(), transcript_text=None, updated_at=utcnow())
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]
