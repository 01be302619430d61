"""Calls and their action items: storing what arrived, what the analysis found, what was filed.

Also the retention rule's side of a call: finding transcripts old enough to remove, and
removing them while the call's items, draft and audit log stay.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, null, or_, update
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from cs_agent.core.domain import ActionItem, CallAnalysis, IssueRef, Owner, Priority, Side
from storage.models import ActionItemRow, CallRow, utcnow


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
    call.no_followup_reason = analysis.no_followup_reason
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


# --- retention -------------------------------------------------------------------------------------


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
