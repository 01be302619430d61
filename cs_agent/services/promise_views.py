"""Promises as people read them: the CLI's ``cs-agent promises``, the inbox's Promises page.

Open ones first (overdue before the rest, then by due date), kept and dropped after, each with
its customer, owner, side, due date, tracker status and link, and whether the customer was told.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel
from sqlalchemy.engine import Engine

from storage.db import session_scope
from storage.repo import promises as promise_rows
from storage.repo.promises import PromiseLine


class PromiseView(BaseModel):
    """One promise: what was promised, by whom, to whom, and where it stands."""

    id: str
    """The action item's id."""
    call_id: str
    call_title: str | None
    call_date: dt.date | None
    customer: str | None
    title: str
    owner: str | None
    side: str | None
    """``us`` (we promised the customer) or ``customer`` (they promised us)."""
    due_date: dt.date | None
    status: str
    """``open``, ``kept`` or ``dropped``."""
    overdue: bool
    tracker: str | None
    issue: str | None
    """The issue's identifier (``ENG-12``, ``LOCAL-3``)."""
    issue_url: str | None
    tracker_state: str | None
    changed_at: dt.datetime | None
    """When it was kept or dropped."""
    changed_by: str | None
    customer_told: bool
    """An update telling the customer it was kept has been sent."""
    update_draft_id: str | None


def view_of(line: PromiseLine, *, today: dt.date) -> PromiseView:
    """The view of one stored promise."""
    item, call, promise = line.item, line.call, line.promise
    status = line.status
    return PromiseView(
        id=item.id,
        call_id=call.id,
        call_title=call.title,
        call_date=call.call_date,
        customer=call.customer_name or call.customer_domain,
        title=item.title,
        owner=item.owner_name,
        side=item.owner_side,
        due_date=item.due_date,
        status=status,
        overdue=status == "open" and item.due_date is not None and item.due_date < today,
        tracker=item.issue_tracker,
        issue=item.issue_identifier,
        issue_url=item.issue_url,
        tracker_state=promise.tracker_state if promise else None,
        changed_at=promise.changed_at if promise else None,
        changed_by=promise.changed_by if promise else None,
        customer_told=bool(promise and promise.told_at),
        update_draft_id=promise.update_draft_id if promise else None,
    )


def list_promises(
    engine: Engine,
    *,
    customer: str | None = None,
    owner: str | None = None,
    status: str | None = None,
    overdue: bool = False,
    call_id: str | None = None,
    today: dt.date | None = None,
) -> list[PromiseView]:
    """Promises across calls by customer (customers with overdue ones first); in each, overdue
    first, then open by due date, then kept and dropped."""
    today = today or dt.datetime.now(dt.UTC).date()
    with session_scope(engine) as session:
        lines = promise_rows.list_promise_lines(
            session, customer=customer, status=status, call_id=call_id
        )
        views = [view_of(line, today=today) for line in lines]
    if owner:
        views = [v for v in views if (v.owner or "").casefold() == owner.casefold()]
    if overdue:
        views = [v for v in views if v.overdue]
    order = {"open": 0, "kept": 1, "dropped": 2}
    late = {(v.customer or "").casefold() for v in views if v.overdue}
    # By customer (those with overdue promises first), and in each customer overdue first.
    return sorted(
        views,
        key=lambda v: (
            (v.customer or "").casefold() not in late,
            (v.customer or "").casefold(),
            not v.overdue,
            order.get(v.status, 3),
            v.due_date or dt.date.max,
        ),
    )
