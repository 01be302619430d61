"""The promise schedule: reconcile with the tracker, and remind owners of overdue promises.

Every ``CS_AGENT_RECONCILE_EVERY`` (15 minutes by default) the schedule fires
``check_promises`` on every worker; DBOS derives the tick's workflow id from its time, so it
runs once. The tick:

1. asks the tracker for the state of every open promise's issue changed since the last run
   (webhooks get lost), and records what it finds through ``promises.record_issue_states``,
   the path the webhook takes;
2. starts the update workflow of every kept promise made to a customer that is in no update
   yet (a webhook whose workflow failed to start is caught here; the id dedupes the rest);
3. enqueues ``remind_promise`` for each open promise past its due date whose owner was not
   reminded about that date, under ``remind-promise:<item>:<due date>``. Inside, a conditional
   update claims the reminder before anyone is told: one reminder a due date, across restarts
   and workers. A claim found made with no ``promise_reminder_sent`` in the audit log is this
   workflow's own from before a crash (no other can claim it), so it is sent, not skipped.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from dbos import DBOS, SetWorkflowID
from sqlmodel import Session

from cs_agent.core.domain import IssueRef, OverduePromise, Side
from cs_agent.core.durations import cron_every
from cs_agent.core.ids import SYSTEM_ACTOR, promise_reminder_workflow_id, promise_update_workflow_id
from cs_agent.core.ports import OwnerReminders
from cs_agent.services import context
from cs_agent.services.backoff import service_retry_policy, with_retries
from cs_agent.services.context import ServiceContext
from cs_agent.services.observe import observed
from cs_agent.services.promise_updates import tell_customer_promise_kept
from cs_agent.services.promises import made_to_customer, record_issue_states
from cs_agent.services.queues import PROMISES_QUEUE, SENDS_QUEUE
from storage import repo
from storage.db import session_scope
from storage.models import utcnow
from storage.repo import promises as promise_rows

log = logging.getLogger(__name__)

SCHEDULE_NAME = "cs-agent-promises"
RECONCILE_MARK = "promise-reconcile"
REMINDED = "promise_reminder_sent"
SKEW = dt.timedelta(minutes=2)
"""Asked about changes since the last run minus this: clocks differ, and a repeat is harmless."""


async def schedule_promise_checks(every: dt.timedelta) -> None:
    """Create (or update) the promise schedule; every worker does this at start-up."""
    await DBOS.apply_schedules_async(
        [
            {
                "schedule_name": SCHEDULE_NAME,
                "workflow_fn": check_promises,
                "schedule": cron_every(every),
                "queue_name": SENDS_QUEUE,
            }
        ]
    )


@DBOS.workflow(name="check_promises")
async def check_promises(scheduled_at: dt.datetime, _context: Any) -> None:
    """One tick: reconcile, start missing updates, enqueue overdue reminders."""
    ctx = context.current()
    started = 0
    told = await reconcile_with_tracker(ctx)
    for item_id in sorted(set(told) | set(await kept_untold(ctx))):
        with SetWorkflowID(promise_update_workflow_id(item_id)):
            await DBOS.enqueue_workflow_async(PROMISES_QUEUE, tell_customer_promise_kept, item_id)
        started += 1
    for item_id, due in await overdue_unreminded(ctx):
        with SetWorkflowID(promise_reminder_workflow_id(item_id, due)):
            await DBOS.enqueue_workflow_async(SENDS_QUEUE, remind_promise, item_id, due)
        started += 1
    if started:
        log.info("promise check at %s started %d workflows", scheduled_at, started)


@DBOS.step(name="reconcile_with_tracker")
@observed("reconcile_with_tracker")
async def reconcile_with_tracker(ctx: ServiceContext) -> list[str]:
    """Ask the tracker about open promises changed since the last run; record what changed.

    Returns the kept promises that need telling. The mark moves on only after a full run.
    """
    began = utcnow()
    tracker = ctx.adapters.tracker
    with session_scope(ctx.engine) as session:
        issue_ids = promise_rows.open_issue_ids(session, tracker=tracker.name)
        since = promise_rows.get_sync_mark(session, name=RECONCILE_MARK)
    states = []
    if issue_ids:
        states = await with_retries(
            lambda: tracker.issue_states(
                issue_ids, updated_since=since - SKEW if since is not None else None
            ),
            what=f"reading the state of {len(issue_ids)} open promises",
            policy=service_retry_policy(ctx.settings),
        )
    changes = record_issue_states(ctx.engine, states, source="reconcile") or []
    with session_scope(ctx.engine) as session:
        promise_rows.set_sync_mark(session, name=RECONCILE_MARK, at=began)
    if changes:
        log.info("reconcile found %d promise changes the webhook did not bring", len(changes))
    return [change.item_id for change in changes if change.tell_customer]


@DBOS.step(name="kept_untold")
@observed("kept_untold")
async def kept_untold(ctx: ServiceContext) -> list[str]:
    """Kept promises made to a customer that are in no update draft yet."""
    with session_scope(ctx.engine) as session:
        lines = promise_rows.list_promise_lines(session, status="kept")
    return [
        line.item.id
        for line in lines
        if line.promise is not None
        and line.promise.update_draft_id is None
        and line.promise.told_at is None
        and made_to_customer(line.item, line.call)
    ]


@DBOS.step(name="overdue_unreminded")
@observed("overdue_unreminded")
async def overdue_unreminded(ctx: ServiceContext) -> list[tuple[str, str]]:
    """(item id, due date) of open promises past due whose owner was not reminded about it."""
    today = utcnow().date()
    with session_scope(ctx.engine) as session:
        return [
            (item_id, due.isoformat())
            for item_id, due in promise_rows.overdue_promises(session, today=today)
        ]


@DBOS.workflow(name="remind_promise")
async def remind_promise(item_id: str, due_date: str) -> bool:
    """Claim the one reminder of ``item_id`` for ``due_date`` and send it. False if not owed."""
    ctx = context.current()
    if not await claim_promise_reminder(ctx, item_id, due_date):
        return False
    await send_promise_reminder(ctx, item_id, due_date)
    return True


@DBOS.step(name="claim_promise_reminder")
@observed("claim_promise_reminder")
async def claim_promise_reminder(ctx: ServiceContext, item_id: str, due_date: str) -> bool:
    """The conditional update; True if this workflow holds the reminder."""
    due = dt.date.fromisoformat(due_date)
    with session_scope(ctx.engine) as session:
        lines = promise_rows.list_promise_lines(session, item_ids=[item_id])
        if not lines or lines[0].item.due_date != due:
            return False  # the due date moved: a reminder for the new one is another workflow
        promise_rows.ensure_promise(session, item=lines[0].item)
        if promise_rows.claim_overdue_reminder(
            session, item_id=item_id, due_date=due, now=utcnow()
        ):
            return True
        promise = promise_rows.get_promise(session, item_id=item_id)
        return bool(
            promise is not None
            and promise.status == "open"
            and promise.reminded_due_date == due
            and not _reminder_recorded(session, lines[0].call.id, item_id, due_date)
        )


def _reminder_recorded(session: Session, call_id: str, item_id: str, due_date: str) -> bool:
    return any(
        event.action == REMINDED
        and event.detail.get("item_id") == item_id
        and event.detail.get("due_date") == due_date
        for event in repo.list_audit(session, call_id=call_id)
    )


@DBOS.step(name="send_promise_reminder")
@observed("send_promise_reminder")
async def send_promise_reminder(ctx: ServiceContext, item_id: str, due_date: str) -> None:
    """Tell the owner through the approval channel (if it can) and record it."""
    overdue = load_overdue(ctx, item_id)
    channel = ctx.adapters.approvals
    where = "audit log only"
    if isinstance(channel, OwnerReminders):
        await with_retries(
            lambda: channel.remind_owner(overdue),
            what=f"reminding the owner of {item_id}",
            policy=service_retry_policy(ctx.settings),
        )
        where = channel.name
    with session_scope(ctx.engine) as session:
        repo.add_audit(
            session,
            actor=SYSTEM_ACTOR,
            action=REMINDED,
            call_id=overdue.call_id,
            detail={
                "item_id": item_id,
                "due_date": due_date,
                "owner": overdue.owner_name,
                "channel": where,
            },
        )
    log.info("owner of promise %s reminded it was due %s (%s)", item_id, due_date, where)


def load_overdue(ctx: ServiceContext, item_id: str) -> OverduePromise:
    """What a reminder about ``item_id`` says, read fresh."""
    with session_scope(ctx.engine) as session:
        [line] = promise_rows.list_promise_lines(session, item_ids=[item_id])
        followup = promise_rows.followup_of_call(session, call_id=line.call.id)
        item, call = line.item, line.call
        issue: IssueRef | None = repo.issue_from_row(item)
        assert item.due_date is not None
        return OverduePromise(
            item_id=item.id,
            title=item.title,
            due_date=item.due_date,
            owner_name=item.owner_name,
            owner_email=item.owner_email,
            side=Side(item.owner_side) if item.owner_side else None,
            customer=call.customer_name or call.customer_domain,
            call_id=call.id,
            call_title=call.title,
            call_date=call.call_date,
            issue=issue,
            followup_approval_ref=dict(followup.approval_ref) if followup else {},
        )
