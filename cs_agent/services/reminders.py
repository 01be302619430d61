"""One reminder for a follow-up left pending: a DBOS schedule, and a workflow per draft.

Every ``CS_AGENT_REMIND_CHECK_EVERY`` the schedule fires ``remind_pending_drafts``. Its
workflow id is derived from the tick's time, so however many workers fire the same tick, it
runs once. It finds drafts pending for longer than ``CS_AGENT_REMIND_AFTER`` and never reminded
about, and enqueues ``remind_draft`` for each under the id ``remind-draft:<draft id>``: one
workflow per draft, ever, whichever tick and worker get there first.

Inside it, a conditional update (``reminded_at`` set only where it is still empty and the draft
is still pending) claims the reminder: that is what guarantees one reminder even if a person
decides at the same moment, or ticks overlap. Because only this workflow can claim its draft,
a claim found already made, with no reminder recorded, is its own from before a crash: it is
then sent, not skipped. If the crash came after the channel posted it, the channel finds it
(Slack: by the reminder's message metadata in the thread) and does not post it again.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from dbos import DBOS, SetWorkflowID

from cs_agent.core.durations import cron_every, describe_duration
from cs_agent.core.ids import SYSTEM_ACTOR, call_id_of_draft, remind_workflow_id
from cs_agent.logs import log_context
from cs_agent.services import context
from cs_agent.services.approval_requests import load_approval_request
from cs_agent.services.backoff import service_retry_policy, with_retries
from cs_agent.services.context import ServiceContext
from cs_agent.services.observe import observed
from cs_agent.services.queues import SENDS_QUEUE
from storage import repo
from storage.db import session_scope
from storage.models import utcnow

log = logging.getLogger(__name__)

SCHEDULE_NAME = "cs-agent-reminders"
REMINDED = "reminder_sent"


async def schedule_reminders(every: dt.timedelta) -> None:
    """Create (or update) the reminder schedule; every worker does this at start-up."""
    await DBOS.apply_schedules_async(
        [
            {
                "schedule_name": SCHEDULE_NAME,
                "workflow_fn": remind_pending_drafts,
                "schedule": cron_every(every),
                "queue_name": SENDS_QUEUE,
            }
        ]
    )


@DBOS.workflow(name="remind_pending_drafts")
async def remind_pending_drafts(scheduled_at: dt.datetime, _context: Any) -> None:
    """One tick: enqueue a reminder workflow for each draft that has waited too long."""
    for draft_id in await drafts_due_a_reminder(context.current()):
        with SetWorkflowID(remind_workflow_id(draft_id)):
            await DBOS.enqueue_workflow_async(SENDS_QUEUE, remind_draft, draft_id)


@DBOS.step(name="drafts_due_a_reminder")
@observed("drafts_due_a_reminder")
async def drafts_due_a_reminder(ctx: ServiceContext) -> list[str]:
    """Drafts pending for longer than ``remind_after``, not yet reminded about."""
    pending_since = utcnow() - ctx.settings.remind_after
    with session_scope(ctx.engine) as session:
        return repo.drafts_due_a_reminder(session, pending_since=pending_since)


@DBOS.workflow(name="remind_draft")
async def remind_draft(draft_id: str) -> bool:
    """Claim the draft's one reminder and send it. False when it was decided meanwhile."""
    ctx = context.current()
    with log_context(draft_id=draft_id, call_id=call_id_of_draft(draft_id)):
        if not await claim_reminder(ctx, draft_id):
            return False
        await send_reminder(ctx, draft_id)
        return True


@DBOS.step(name="claim_reminder")
@observed("claim_reminder")
async def claim_reminder(ctx: ServiceContext, draft_id: str) -> bool:
    """The conditional update; True if this workflow holds the draft's reminder."""
    now = utcnow()
    with session_scope(ctx.engine) as session:
        if repo.claim_reminder(
            session, draft_id=draft_id, pending_since=now - ctx.settings.remind_after, now=now
        ):
            return True
        row = repo.get_draft(session, draft_id=draft_id)
        # Claimed, but no reminder recorded: this workflow claimed it before a crash (no
        # other workflow can claim this draft), so it still owes the reminder.
        return bool(
            row is not None
            and row.reminded_at is not None
            and row.status == "pending"
            and not repo.audit_exists(session, draft_id=draft_id, action=REMINDED)
        )


@DBOS.step(name="send_reminder")
@observed("send_reminder")
async def send_reminder(ctx: ServiceContext, draft_id: str, number: int = 1) -> None:
    """Post reminder ``number`` through the approval channel and record it in the audit log.

    Run again after a crash between the post and the record, the channel finds the reminder
    already posted (the port's idempotency contract) and does not post it twice.
    """
    request = load_approval_request(ctx, draft_id)
    with session_scope(ctx.engine) as session:
        row = repo.get_draft(session, draft_id=draft_id)
        pending_since = row.updated_at if row is not None else utcnow()
    if pending_since.tzinfo is None:
        pending_since = pending_since.replace(tzinfo=dt.UTC)
    waited = utcnow() - pending_since
    channel = ctx.adapters.approvals
    await with_retries(
        lambda: channel.remind(request, waited=waited, number=number),
        what=f"reminding about {draft_id}",
        policy=service_retry_policy(ctx.settings),
    )
    with session_scope(ctx.engine) as session:
        repo.add_audit(
            session,
            actor=SYSTEM_ACTOR,
            action=REMINDED,
            call_id=request.call_id,
            draft_id=draft_id,
            detail={
                "channel": channel.name,
                "version": request.draft.version,
                "reminder": number,
                "waited": describe_duration(waited),
            },
        )
    log.info(
        "reminder about %s sent to %s after %s", draft_id, channel.name, describe_duration(waited)
    )
