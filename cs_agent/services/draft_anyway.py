""" "Draft one anyway": a person asks for the follow-up the analysis found unneeded.

One conditional UPDATE on the call claims the request (of any number of clicks exactly one
wins), and the winner enqueues ``draft_followup_anyway`` under ``draft-anyway:<call id>``, so
even a second winner elsewhere would start the same workflow once. The workflow runs the
drafting steps of ``process_call`` under the call's policy: the draft waits for approval, or
is placed in the sender's mailbox. Nothing is sent by it.
"""

from __future__ import annotations

import logging

from dbos import DBOS, SetWorkflowID
from pydantic import BaseModel

from cs_agent.core.errors import WorkflowFailure
from cs_agent.core.followup import FollowUpPolicy
from cs_agent.core.ids import draft_anyway_workflow_id
from cs_agent.logs import log_context
from cs_agent.services import context
from cs_agent.services.context import ServiceContext
from cs_agent.services.failures import failure_reason
from cs_agent.services.followup_policy import mailbox_of, stored_policy
from cs_agent.services.mailbox_drafts import place_in_mailbox
from cs_agent.services.observe import observed
from cs_agent.services.process_call import mark_call_failed, request_approval, save_draft
from cs_agent.services.queues import CALLS_QUEUE
from storage import repo
from storage.db import session_scope
from storage.models import utcnow

log = logging.getLogger(__name__)


class DraftAnyway(BaseModel):
    """How a "draft one anyway" request ended."""

    call_id: str
    started: bool
    """True for the one request that claimed it (and enqueued the drafting)."""
    detail: str
    """What to tell the person: started, already asked for by someone, or not possible."""
    workflow_id: str | None = None


async def request_draft_anyway(ctx: ServiceContext, call_id: str, *, actor: str) -> DraftAnyway:
    """Claim the call's one "draft anyway" for ``actor`` and start drafting (idempotent)."""
    with session_scope(ctx.engine) as session:
        call = repo.get_call(session, call_id=call_id)
        if call is None:
            return DraftAnyway(call_id=call_id, started=False, detail=f"no call {call_id}")
        policy = stored_policy(call)
        if policy is not None and policy.name == FollowUpPolicy.NONE:
            return DraftAnyway(
                call_id=call_id,
                started=False,
                detail=f"the follow-up policy for this call is none ({policy.source})",
            )
        claimed = repo.claim_draft_anyway(session, call_id=call_id, actor=actor, at=utcnow())
        if not claimed:
            session.refresh(call)
            if call.drafted_anyway_by:
                return DraftAnyway(
                    call_id=call_id,
                    started=False,
                    detail=f"a draft was already asked for by {call.drafted_anyway_by}",
                    workflow_id=draft_anyway_workflow_id(call_id),
                )
            return DraftAnyway(
                call_id=call_id, started=False, detail="this call already has its follow-up"
            )
        repo.add_audit(
            session,
            actor=actor,
            action="draft_anyway",
            call_id=call_id,
            detail={"no_followup_reason": call.no_followup_reason},
        )
    workflow_id = draft_anyway_workflow_id(call_id)
    with SetWorkflowID(workflow_id):
        await DBOS.enqueue_workflow_async(CALLS_QUEUE, draft_followup_anyway, call_id)
    log.info("%s asked for a draft of call %s anyway", actor, call_id)
    return DraftAnyway(
        call_id=call_id, started=True, detail="drafting the follow-up", workflow_id=workflow_id
    )


@DBOS.workflow(name="draft_followup_anyway")
async def draft_followup_anyway(call_id: str) -> str:
    """Draft the call's follow-up under its policy; the draft id."""
    ctx = context.current()
    with log_context(call_id=call_id, workflow_id=DBOS.workflow_id):
        try:
            mailbox = await drafting_into_mailbox(ctx, call_id)
            draft_id = await save_draft(ctx, call_id)
            await adopt_notice(ctx, call_id, draft_id)
            if mailbox:
                await place_in_mailbox(ctx, draft_id)
            await request_approval(ctx, draft_id)
        except Exception as error:
            reason = failure_reason(error, call_id=call_id)
            log.warning("drafting call %s anyway failed: %s", call_id, reason)
            await mark_call_failed(ctx, call_id, reason)
            raise WorkflowFailure(reason) from None
        return draft_id


@DBOS.step(name="drafting_into_mailbox")
@observed("drafting_into_mailbox")
async def drafting_into_mailbox(ctx: ServiceContext, call_id: str) -> bool:
    """Whether the call's policy places the draft in the sender's mailbox; refused before any
    draft exists when that mailbox cannot be reached (no Gmail)."""
    with session_scope(ctx.engine) as session:
        call = repo.get_call(session, call_id=call_id)
        policy = stored_policy(call) if call is not None else None
    if policy is not None and policy.name == FollowUpPolicy.GMAIL_DRAFT:
        mailbox_of(ctx)
        return True
    return False


@DBOS.step(name="adopt_notice")
@observed("adopt_notice")
async def adopt_notice(ctx: ServiceContext, call_id: str, draft_id: str) -> None:
    """Point the new draft at the channel's "no follow-up needed" message, so that message
    becomes the draft's (updated, not a second one)."""
    with session_scope(ctx.engine) as session:
        call = repo.get_call(session, call_id=call_id)
        row = repo.get_draft(session, draft_id=draft_id)
        if (
            call is not None
            and row is not None
            and call.followup_notice_ref
            and not row.approval_ref
        ):
            repo.set_approval_ref(session, draft_id=draft_id, ref=dict(call.followup_notice_ref))
