"""The ``gmail-draft`` policy: the follow-up waits as a draft in the sender's own mailbox.

``place_in_mailbox`` creates the draft once (the mailer looks it up by its Message-ID before
creating, so a create retried after a timeout makes no second one) and moves the draft
pending → in_gmail in one conditional update. The draft has the Message-ID, thread and MIME
a sent follow-up would have, so when the person sends it from their mailbox it stays in the
customer's thread, and the scheduled reconcile finds it sent by that Message-ID: the draft is
then marked sent and its reminders stop. Nothing here sends an email.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from dbos import DBOS, SetWorkflowID

from cs_agent.core.domain import CallMetadata, CallStatus, DraftStatus, SentEmail
from cs_agent.core.durations import cron_every
from cs_agent.core.errors import WorkflowFailure
from cs_agent.core.ids import call_id_of_draft, mailbox_reconcile_workflow_id
from cs_agent.core.ports import ApprovalOutcome
from cs_agent.core.text import STORED
from cs_agent.logs import log_context
from cs_agent.services import context
from cs_agent.services.approval_requests import announce
from cs_agent.services.backoff import service_retry_policy, with_retries
from cs_agent.services.context import ServiceContext
from cs_agent.services.followup_policy import mailbox_of
from cs_agent.services.observe import observed
from cs_agent.services.queues import SENDS_QUEUE
from cs_agent.services.send_followup import outgoing_email
from storage import repo
from storage.db import session_scope
from storage.models import utcnow

log = logging.getLogger(__name__)

SCHEDULE_NAME = "cs-agent-mailbox-reconcile"
SENT_FROM_MAILBOX = "sent_from_mailbox"


@DBOS.step(name="place_in_mailbox")
@observed("place_in_mailbox")
async def place_in_mailbox(ctx: ServiceContext, draft_id: str) -> SentEmail:
    """Create the draft in the sender's mailbox, exactly once, and mark it ``in_gmail``."""
    mailbox = mailbox_of(ctx)
    with session_scope(ctx.engine) as session:
        row = repo.get_draft(session, draft_id=draft_id)
        if row is None:
            raise WorkflowFailure(f"draft {draft_id} does not exist")
        call = repo.get_call(session, call_id=row.call_id)
        metadata = CallMetadata.model_validate(call.call_metadata if call else {}, context=STORED)
        draft = repo.draft_from_row(row)
    email = outgoing_email(ctx, draft, metadata)

    async def attempt() -> SentEmail:
        # Looked up before every attempt: one that timed out may have been applied.
        found = await mailbox.find_draft(email.message_id)
        return found if found is not None else await mailbox.create_draft(email)

    placed = await with_retries(
        attempt,
        what=f"placing {draft_id} in the sender's mailbox",
        policy=service_retry_policy(ctx.settings),
    )
    with session_scope(ctx.engine) as session:
        repo.transition_draft_audited(
            session,
            draft_id=draft_id,
            version=draft.version,
            from_statuses=[DraftStatus.PENDING],
            to_status=DraftStatus.IN_GMAIL,
            actor=ctx.adapters.mailer.name,
            action="mailbox_draft_created",
            detail={
                "version": draft.version,
                "message_id": email.message_id,
                "gmail_draft_id": placed.provider_message_id,
                "location": placed.location,
            },
            message_id=email.message_id,
            gmail_draft_id=placed.provider_message_id,
            mailbox_url=placed.location,
        )
    log.info("%s placed in the sender's mailbox as draft %s", draft_id, placed.provider_message_id)
    return placed


# --- noticing the send ------------------------------------------------------------------------


async def schedule_mailbox_reconcile(every: dt.timedelta) -> None:
    """Create (or update) the schedule that looks for mailbox drafts since sent."""
    await DBOS.apply_schedules_async(
        [
            {
                "schedule_name": SCHEDULE_NAME,
                "workflow_fn": reconcile_mailbox_drafts,
                "schedule": cron_every(every),
                "queue_name": SENDS_QUEUE,
            }
        ]
    )


@DBOS.workflow(name="reconcile_mailbox_drafts")
async def reconcile_mailbox_drafts(scheduled_at: dt.datetime, _context: Any) -> None:
    """One tick: check each draft waiting in a mailbox, one workflow a draft and tick."""
    stamp = scheduled_at.strftime("%Y%m%dT%H%M%S")
    for draft_id in await drafts_waiting_in_mailbox(context.current()):
        with SetWorkflowID(f"{mailbox_reconcile_workflow_id(draft_id)}:{stamp}"):
            await DBOS.enqueue_workflow_async(SENDS_QUEUE, reconcile_mailbox_draft, draft_id)


@DBOS.step(name="drafts_waiting_in_mailbox")
@observed("drafts_waiting_in_mailbox")
async def drafts_waiting_in_mailbox(ctx: ServiceContext) -> list[str]:
    """The drafts left in a mailbox and not yet seen sent."""
    with session_scope(ctx.engine) as session:
        return [row.id for row in repo.drafts_in_gmail(session)]


@DBOS.workflow(name="reconcile_mailbox_draft")
async def reconcile_mailbox_draft(draft_id: str) -> bool:
    """Whether the draft was found sent from the mailbox (and is now marked sent)."""
    ctx = context.current()
    with log_context(draft_id=draft_id, call_id=call_id_of_draft(draft_id)):
        return await notice_mailbox_send(ctx, draft_id)


@DBOS.step(name="notice_mailbox_send")
@observed("notice_mailbox_send")
async def notice_mailbox_send(ctx: ServiceContext, draft_id: str) -> bool:
    """Look the draft's Message-ID up among sent mail; in_gmail → sent when it is there."""
    with session_scope(ctx.engine) as session:
        row = repo.get_draft(session, draft_id=draft_id)
    if row is None or row.status != DraftStatus.IN_GMAIL or not row.message_id:
        return False
    message_id = row.message_id
    mailer = ctx.adapters.mailer
    sent = await with_retries(
        lambda: mailer.find_sent(message_id),
        what=f"looking for {message_id} among sent mail",
        policy=service_retry_policy(ctx.settings),
    )
    if sent is None:
        return False
    with session_scope(ctx.engine) as session:
        moved = repo.transition_draft_audited(
            session,
            draft_id=draft_id,
            from_statuses=[DraftStatus.IN_GMAIL],
            to_status=DraftStatus.SENT,
            actor=mailer.name,
            action=SENT_FROM_MAILBOX,
            detail={"message_id": sent.message_id, "provider_message_id": sent.provider_message_id},
            sent_at=utcnow(),
            provider_message_id=sent.provider_message_id,
        )
        if not moved.changed or moved.draft is None:
            return False
        repo.set_call_status(session, call_id=moved.draft.call_id, status=CallStatus.COMPLETED)
        draft = repo.draft_from_row(moved.draft)
    log.info("%s was sent from the sender's mailbox as %s", draft_id, sent.message_id)
    await announce(ctx, draft, ApprovalOutcome(status="sent", location=sent.location))
    return True
