"""One customer as the inbox shows it: its calls, its promises, the emails it was sent."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from cs_agent.services.promise_views import PromiseView, list_promises
from storage.db import session_scope
from storage.models import CallRow, DraftRow


class CustomerCall(BaseModel):
    """A call with the customer."""

    call_id: str
    title: str | None
    call_date: dt.date | None
    status: str


class SentEmailLine(BaseModel):
    """An email that went to the customer: a follow-up or an update."""

    draft_id: str
    call_id: str
    kind: str
    subject: str
    sent_at: dt.datetime | None
    to: list[str]


class CustomerView(BaseModel):
    """Everything the customer page shows."""

    name: str
    calls: list[CustomerCall]
    open_promises: list[PromiseView]
    kept_promises: list[PromiseView]
    dropped_promises: list[PromiseView]
    emails: list[SentEmailLine]


def load_customer(engine: Engine, name: str) -> CustomerView | None:
    """The customer named ``name`` (case ignored), or None when no call was with it."""
    with session_scope(engine) as session:
        calls = session.exec(
            select(CallRow)
            .where(col(CallRow.customer_name).ilike(name))
            .order_by(col(CallRow.created_at).desc())
        ).all()
        if not calls:
            return None
        call_ids = [c.id for c in calls]
        drafts = session.exec(
            select(DraftRow)
            .where(col(DraftRow.call_id).in_(call_ids))
            .where(DraftRow.status == "sent")
            .order_by(col(DraftRow.sent_at).desc())
        ).all()
        shown = calls[0].customer_name or name
        call_lines = [
            CustomerCall(call_id=c.id, title=c.title, call_date=c.call_date, status=c.status)
            for c in calls
        ]
        emails = [
            SentEmailLine(
                draft_id=d.id,
                call_id=d.call_id,
                kind=d.kind,
                subject=d.subject,
                sent_at=d.sent_at,
                to=list(d.to),
            )
            for d in drafts
        ]
    promises = list_promises(engine, customer=shown)
    return CustomerView(
        name=shown,
        calls=call_lines,
        open_promises=[p for p in promises if p.status == "open"],
        kept_promises=[p for p in promises if p.status == "kept"],
        dropped_promises=[p for p in promises if p.status == "dropped"],
        emails=emails,
    )


def pending_updates(engine: Engine) -> list[DraftRow]:
    """Update drafts waiting for a decision, oldest first."""
    with session_scope(engine) as session:
        return list(
            session.exec(
                select(DraftRow)
                .where(DraftRow.kind == "update")
                .where(col(DraftRow.status).in_(["pending", "approved", "sending", "failed"]))
                .order_by(col(DraftRow.created_at))
            ).all()
        )
