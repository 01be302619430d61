"""Promises (filed action items) and where they stand; tracker webhook deliveries; sync marks.

A filed item without a ``promises`` row is open. Each change is one conditional UPDATE with
the expected state in its WHERE clause, so a webhook, its redelivery, the reconcile and
``cs-agent tasks`` racing on one issue change it once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, or_, update
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from cs_agent.core.domain import CallStatus, IssueState, TrackerStateType
from storage.models import (
    ActionItemRow,
    CallRow,
    DraftRow,
    LocalTaskRow,
    PromiseRow,
    SyncMarkRow,
    WebhookDeliveryRow,
    utcnow,
)

OPEN = "open"


@dataclass(frozen=True)
class PromiseLine:
    """A promise as the views show it: the item, its call, and its state (None: open, untouched)."""

    item: ActionItemRow
    call: CallRow
    promise: PromiseRow | None

    @property
    def status(self) -> str:
        """``open``, ``kept`` or ``dropped``."""
        return self.promise.status if self.promise is not None else OPEN


def items_filed_as(session: Session, *, issue_id: str) -> Sequence[ActionItemRow]:
    """The action items filed as (or linked to) the tracker issue ``issue_id``."""
    return session.exec(select(ActionItemRow).where(ActionItemRow.issue_id == issue_id)).all()


def ensure_promise(session: Session, *, item: ActionItemRow) -> PromiseRow:
    """The promise row of ``item``, written (open) if there was none. Safe to race."""
    row = session.get(PromiseRow, item.id)
    if row is not None:
        return row
    try:
        with session.begin_nested():
            session.add(PromiseRow(item_id=item.id, call_id=item.call_id, issue_id=item.issue_id))
            session.flush()
    except IntegrityError:
        pass
    found = session.get(PromiseRow, item.id, populate_existing=True)
    assert found is not None
    return found


def change_promise_status(
    session: Session,
    *,
    item_id: str,
    status: str,
    tracker_state: str,
    tracker_updated_at: dt.datetime,
    actor: str | None,
    now: dt.datetime,
) -> bool:
    """Move a promise to ``status`` unless it is there already or a newer report was applied.

    True for exactly one of any number of callers reporting the same change at once. The
    tracker's own time orders reports: an old webhook delivered late never undoes a newer one.
    """
    newer = or_(
        col(PromiseRow.tracker_updated_at).is_(None),
        col(PromiseRow.tracker_updated_at) <= tracker_updated_at,
    )
    kept_or_dropped = status != OPEN
    result = session.execute(
        update(PromiseRow)
        .where(col(PromiseRow.item_id) == item_id)
        .where(col(PromiseRow.status) != status)
        .where(newer)
        .values(
            status=status,
            tracker_state=tracker_state,
            tracker_updated_at=tracker_updated_at,
            changed_at=now if kept_or_dropped else None,
            changed_by=actor if kept_or_dropped else None,
            updated_at=now,
        )
    )
    if result.rowcount == 1:  # type: ignore[attr-defined]
        return True
    # The status stands; still note the tracker's newer state name (In Progress → In Review).
    session.execute(
        update(PromiseRow)
        .where(col(PromiseRow.item_id) == item_id)
        .where(newer)
        .values(tracker_state=tracker_state, tracker_updated_at=tracker_updated_at)
    )
    return False


def get_promise(session: Session, *, item_id: str) -> PromiseRow | None:
    """The promise row of an action item, if one was written."""
    return session.get(PromiseRow, item_id)


def list_promise_lines(
    session: Session,
    *,
    customer: str | None = None,
    status: str | None = None,
    call_id: str | None = None,
    item_ids: Sequence[str] | None = None,
) -> list[PromiseLine]:
    """Every filed action item with its call and promise state, oldest call first."""
    query = (
        select(ActionItemRow, CallRow, PromiseRow)
        .join(CallRow, col(CallRow.id) == col(ActionItemRow.call_id))
        .outerjoin(PromiseRow, col(PromiseRow.item_id) == col(ActionItemRow.id))
        .where(col(ActionItemRow.issue_id).is_not(None))
        .order_by(col(CallRow.created_at), col(ActionItemRow.position))
    )
    if customer is not None:
        query = query.where(col(CallRow.customer_name).ilike(customer))
    if call_id is not None:
        query = query.where(col(ActionItemRow.call_id) == call_id)
    if item_ids is not None:
        query = query.where(col(ActionItemRow.id).in_(list(item_ids)))
    if status == OPEN:
        query = query.where(or_(col(PromiseRow.status).is_(None), col(PromiseRow.status) == OPEN))
    elif status is not None:
        query = query.where(col(PromiseRow.status) == status)
    return [PromiseLine(item, call, promise) for item, call, promise in session.exec(query).all()]


def open_issue_ids(session: Session, *, tracker: str) -> list[str]:
    """The issues of every open promise filed in ``tracker``: what the reconcile asks about."""
    rows = session.exec(
        select(col(ActionItemRow.issue_id))
        .outerjoin(PromiseRow, col(PromiseRow.item_id) == col(ActionItemRow.id))
        .where(col(ActionItemRow.issue_tracker) == tracker)
        .where(col(ActionItemRow.issue_id).is_not(None))
        .where(or_(col(PromiseRow.status).is_(None), col(PromiseRow.status) == OPEN))
        .distinct()
    ).all()
    return sorted(str(row) for row in rows if row)


# --- telling the customer --------------------------------------------------------------------------


def followup_of_call(session: Session, *, call_id: str) -> DraftRow | None:
    """The call's follow-up draft (not its updates)."""
    return session.exec(
        select(DraftRow).where(DraftRow.call_id == call_id).where(DraftRow.kind == "followup")
    ).first()


def open_update_for(
    session: Session, *, customer_key: str, created_since: dt.datetime
) -> DraftRow | None:
    """The customer's update draft still pending and younger than the window, if any."""
    return session.exec(
        select(DraftRow)
        .where(DraftRow.kind == "update")
        .where(DraftRow.customer_key == customer_key)
        .where(DraftRow.status == "pending")
        .where(col(DraftRow.created_at) >= created_since)
        .order_by(col(DraftRow.created_at).desc())
    ).first()


def assign_update(session: Session, *, item_id: str, draft_id: str) -> bool:
    """Put a kept promise in an update draft: True once, for the first draft that takes it."""
    result = session.execute(
        update(PromiseRow)
        .where(col(PromiseRow.item_id) == item_id)
        .where(col(PromiseRow.status) == "kept")
        .where(col(PromiseRow.update_draft_id).is_(None))
        .values(update_draft_id=draft_id, updated_at=utcnow())
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def promises_of_update(session: Session, *, draft_id: str) -> Sequence[PromiseRow]:
    """The promises an update draft tells the customer about."""
    return session.exec(
        select(PromiseRow)
        .where(PromiseRow.update_draft_id == draft_id)
        .order_by(col(PromiseRow.changed_at), col(PromiseRow.item_id))
    ).all()


def mark_told(session: Session, *, draft_id: str, now: dt.datetime) -> int:
    """The update ``draft_id`` was sent: its promises' customer has been told. Returns how many."""
    result = session.execute(
        update(PromiseRow)
        .where(col(PromiseRow.update_draft_id) == draft_id)
        .where(col(PromiseRow.told_at).is_(None))
        .values(told_at=now, updated_at=now)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def release_update(session: Session, *, draft_id: str) -> int:
    """A rejected update: its promises may go in a later one. Returns how many were released."""
    result = session.execute(
        update(PromiseRow)
        .where(col(PromiseRow.update_draft_id) == draft_id)
        .where(col(PromiseRow.told_at).is_(None))
        .values(update_draft_id=None, updated_at=utcnow())
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


# --- overdue reminders ------------------------------------------------------------------------------


def overdue_promises(
    session: Session, *, today: dt.date, limit: int = 200
) -> list[tuple[str, dt.date]]:
    """(item id, due date) of open promises past their due date whose owner was not reminded
    about that due date.

    Only promises of calls done processing: while a call is still being filed its approval
    request (the Slack thread a reminder goes to) is not posted yet, and a reminder claimed
    then would find nowhere to go. The next tick after the call is through takes it.
    """
    processing = [CallStatus.RECEIVED, CallStatus.ANALYZING, CallStatus.FILING]
    rows = session.exec(
        select(col(ActionItemRow.id), col(ActionItemRow.due_date))
        .join(CallRow, col(CallRow.id) == col(ActionItemRow.call_id))
        .outerjoin(PromiseRow, col(PromiseRow.item_id) == col(ActionItemRow.id))
        .where(col(CallRow.status).not_in([status.value for status in processing]))
        .where(col(ActionItemRow.issue_id).is_not(None))
        .where(col(ActionItemRow.due_date).is_not(None))
        .where(col(ActionItemRow.due_date) < today)
        .where(or_(col(PromiseRow.status).is_(None), col(PromiseRow.status) == OPEN))
        .where(
            or_(
                col(PromiseRow.reminded_due_date).is_(None),
                col(PromiseRow.reminded_due_date) != col(ActionItemRow.due_date),
            )
        )
        .order_by(col(ActionItemRow.due_date))
        .limit(limit)
    ).all()
    return [(str(item_id), due) for item_id, due in rows if due is not None]


def claim_overdue_reminder(
    session: Session, *, item_id: str, due_date: dt.date, now: dt.datetime
) -> bool:
    """Take the one reminder about ``item_id`` being late for ``due_date``: True once, ever."""
    result = session.execute(
        update(PromiseRow)
        .where(col(PromiseRow.item_id) == item_id)
        .where(col(PromiseRow.status) == OPEN)
        .where(
            or_(
                col(PromiseRow.reminded_due_date).is_(None),
                col(PromiseRow.reminded_due_date) != due_date,
            )
        )
        .values(reminded_due_date=due_date, reminded_at=now, updated_at=now)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


# --- the local tracker's state, and tracker deliveries ------------------------------------------------


def find_local_task(session: Session, *, id_or_identifier: str) -> LocalTaskRow | None:
    """A local task by its id or its identifier (``LOCAL-3``, case ignored, or just ``3``)."""
    row = session.get(LocalTaskRow, id_or_identifier)
    if row is not None:
        return row
    number = id_or_identifier.strip().upper().removeprefix("LOCAL-")
    if number.isdigit():
        return session.exec(select(LocalTaskRow).where(LocalTaskRow.number == int(number))).first()
    return None


def set_local_task_state(
    session: Session, *, task_id: str, state: str, actor: str, now: dt.datetime
) -> bool:
    """Move a local task to ``state``. False when it is there already."""
    result = session.execute(
        update(LocalTaskRow)
        .where(col(LocalTaskRow.id) == task_id)
        .where(col(LocalTaskRow.state) != state)
        .values(state=state, state_changed_at=now, state_changed_by=actor)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


LOCAL_STATE_NAMES = {"open": "Open", "completed": "Done", "canceled": "Canceled"}


def local_issue_state(row: LocalTaskRow) -> IssueState:
    """A local task as the tracker reports it (the local tracker plays Linear's part)."""
    state_type: TrackerStateType = "open"
    if row.state in ("completed", "done"):
        state_type = "completed"
    elif row.state == "canceled":
        state_type = "canceled"
    changed = row.state_changed_at or row.created_at
    if changed.tzinfo is None:
        changed = changed.replace(tzinfo=dt.UTC)
    return IssueState(
        id=row.id,
        identifier=f"LOCAL-{row.number}",
        state_type=state_type,
        state_name=LOCAL_STATE_NAMES.get(row.state, row.state),
        updated_at=changed,
        actor=row.state_changed_by,
    )


def local_tasks_by_id(session: Session, *, task_ids: Sequence[str]) -> Sequence[LocalTaskRow]:
    """The local tasks with these ids."""
    return session.exec(select(LocalTaskRow).where(col(LocalTaskRow.id).in_(list(task_ids)))).all()


def claim_delivery(session: Session, *, delivery_id: str, source: str) -> bool:
    """Record a webhook delivery id: True the first time, False for a redelivery."""
    try:
        with session.begin_nested():
            session.add(WebhookDeliveryRow(delivery_id=delivery_id, source=source))
            session.flush()
    except IntegrityError:
        return False
    return True


def get_sync_mark(session: Session, *, name: str) -> dt.datetime | None:
    """When the periodic job ``name`` last finished, if ever."""
    row = session.get(SyncMarkRow, name)
    return row.at if row is not None else None


def set_sync_mark(session: Session, *, name: str, at: dt.datetime) -> None:
    """Move the mark of ``name`` forward to ``at`` (never back)."""
    row = session.get(SyncMarkRow, name)
    if row is None:
        try:
            with session.begin_nested():
                session.add(SyncMarkRow(name=name, at=at))
                session.flush()
            return
        except IntegrityError:
            pass
    session.execute(
        update(SyncMarkRow)
        .where(and_(col(SyncMarkRow.name) == name, col(SyncMarkRow.at) < at))
        .values(at=at)
    )


# --- numbers for /metrics ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PromiseNumbers:
    """What /metrics reports about promises, read in one pass."""

    by_status: dict[str, int]
    overdue: int
    kept_seconds: list[float]
    """For each kept promise: seconds from the call's arrival to being kept."""
    customers_told: int


def promise_numbers(session: Session, *, today: dt.date) -> PromiseNumbers:
    """Promises by status, overdue ones, and how long the kept ones took."""
    rows = session.execute(
        sa_select(
            col(ActionItemRow.due_date),
            col(PromiseRow.status),
            col(PromiseRow.changed_at),
            col(PromiseRow.told_at),
            col(CallRow.created_at),
        )
        .join(CallRow, col(CallRow.id) == col(ActionItemRow.call_id))
        .outerjoin(PromiseRow, col(PromiseRow.item_id) == col(ActionItemRow.id))
        .where(col(ActionItemRow.issue_id).is_not(None))
    ).all()
    by_status = {"open": 0, "kept": 0, "dropped": 0}
    overdue = told = 0
    kept_seconds: list[float] = []
    for due, status, changed_at, told_at, made_at in rows:
        status = status or OPEN
        by_status[status] = by_status.get(status, 0) + 1
        if status == OPEN and due is not None and due < today:
            overdue += 1
        if status == "kept" and changed_at is not None:
            kept_seconds.append(max(0.0, (_aware(changed_at) - _aware(made_at)).total_seconds()))
        if told_at is not None:
            told += 1
    return PromiseNumbers(by_status, overdue, kept_seconds, told)


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
