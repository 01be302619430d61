"""The one way a tracker's word on a filed issue reaches cs-agent: ``record_issue_state``.

Linear's webhook, the scheduled reconcile and ``cs-agent tasks done/drop`` (the local tracker)
all report an ``IssueState`` here. A completed issue keeps its promises, a canceled one drops
them (who and when are recorded), anything else leaves or puts them back open. Each change is
a conditional update plus its audit event, in one transaction, so a webhook, its redelivery
and the reconcile finding the same change record it once. A promise kept that was made to a
customer then needs telling: the caller hands those to ``promise_updates``.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlmodel import Session

from cs_agent.core.domain import IssueState, PromiseStatus, Side, TrackerStateType
from storage import repo
from storage.db import session_scope
from storage.models import ActionItemRow, CallRow, utcnow
from storage.repo import promises as promise_rows

log = logging.getLogger(__name__)

AUDIT_ACTIONS = {
    PromiseStatus.KEPT: "promise_kept",
    PromiseStatus.DROPPED: "promise_dropped",
    PromiseStatus.OPEN: "promise_reopened",
}


@dataclass(frozen=True)
class PromiseChange:
    """A promise whose status this report changed."""

    item_id: str
    call_id: str
    status: PromiseStatus
    tell_customer: bool
    """Kept, and made to a customer: an update email is due."""


def status_for(state_type: TrackerStateType) -> PromiseStatus:
    """What a tracker state means for the promise filed as the issue."""
    if state_type == "completed":
        return PromiseStatus.KEPT
    if state_type == "canceled":
        return PromiseStatus.DROPPED
    return PromiseStatus.OPEN


def made_to_customer(item: ActionItemRow, call: CallRow) -> bool:
    """Whether keeping ``item`` is news for the customer: our side's promise on a call with a
    customer. What the customer owed us, and items of calls with no customer, are internal."""
    if item.owner_side == Side.CUSTOMER.value:
        return False
    return bool(call.customer_name or call.customer_domain)


def record_issue_state(
    engine: Engine, state: IssueState, *, source: str, now: dt.datetime | None = None
) -> list[PromiseChange]:
    """Apply the tracker's current state of one issue to the promises filed as it.

    Returns the promises whose status changed (none for a repeat of a report already applied,
    or for an issue cs-agent did not file). Safe to call any number of times, from any process.
    """
    return record_issue_states(engine, [state], source=source, now=now) or []


def record_issue_states(
    engine: Engine,
    states: list[IssueState],
    *,
    source: str,
    delivery_id: str | None = None,
    now: dt.datetime | None = None,
) -> list[PromiseChange] | None:
    """``record_issue_state`` for several issues in one transaction.

    With ``delivery_id`` (a webhook delivery's id) the delivery is claimed in the same
    transaction: None means it was taken in before, and nothing is recorded again.
    """
    now = now or utcnow()
    changes: list[PromiseChange] = []
    with session_scope(engine) as session:
        if delivery_id is not None and not promise_rows.claim_delivery(
            session, delivery_id=delivery_id, source=source
        ):
            return None
        for state in states:
            changes.extend(_apply(session, state, source=source, now=now))
    for change in changes:
        log.info(
            "promise %s of %s is %s (via %s)",
            change.item_id,
            change.call_id,
            change.status.value,
            source,
        )
    return changes


def _apply(
    session: Session, state: IssueState, *, source: str, now: dt.datetime
) -> list[PromiseChange]:
    status = status_for(state.state_type)
    actor = state.actor or source
    changes = []
    for item in promise_rows.items_filed_as(session, issue_id=state.id):
        promise_rows.ensure_promise(session, item=item)
        changed = promise_rows.change_promise_status(
            session,
            item_id=item.id,
            status=status.value,
            tracker_state=state.state_name,
            tracker_updated_at=state.updated_at,
            actor=actor,
            now=now,
        )
        if not changed:
            continue
        call = repo.get_call(session, call_id=item.call_id)
        repo.add_audit(
            session,
            actor=actor,
            action=AUDIT_ACTIONS[status],
            call_id=item.call_id,
            detail={
                "item_id": item.id,
                "issue": state.identifier,
                "state": state.state_name,
                "source": source,
            },
        )
        changes.append(
            PromiseChange(
                item_id=item.id,
                call_id=item.call_id,
                status=status,
                tell_customer=(
                    status is PromiseStatus.KEPT
                    and call is not None
                    and made_to_customer(item, call)
                ),
            )
        )
    return changes
