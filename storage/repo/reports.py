"""Aggregates for operators: the business metrics, model costs, and the page of calls.

Each is a handful of SQL aggregates or one joined query; no more rows are loaded than shown.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from cs_agent.core.domain import DraftStatus
from storage.models import ActionItemRow, AuditEventRow, CallRow, DraftRow

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
        .outerjoin(
            DraftRow,
            (col(DraftRow.call_id) == col(CallRow.id)) & (col(DraftRow.kind) == "followup"),
        )
        .options(defer(CallRow.transcript))  # type: ignore[arg-type]
        .order_by(col(CallRow.created_at).desc(), col(CallRow.id))
    )
    if status:
        query = query.where(CallRow.status == status)
    rows = session.exec(query.offset(offset).limit(limit)).all()
    return [(call, int(count), draft) for call, count, draft in rows]
