"""What an approval channel shows about a draft, and telling it how a decision ended."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy.engine import Engine

from cs_agent.core.domain import (
    ApprovalRequest,
    CallMetadata,
    CallStatus,
    CallSummary,
    FollowUpDraft,
)
from cs_agent.core.errors import ExternalError, WorkflowFailure
from cs_agent.core.ids import SYSTEM_ACTOR
from cs_agent.core.ports import ApprovalOutcome
from cs_agent.core.text import STORED
from cs_agent.services.backoff import service_retry_policy, with_retries
from cs_agent.services.context import ServiceContext
from cs_agent.services.customer_links import approval_customer
from cs_agent.services.followup_policy import stored_policy
from storage import repo
from storage.db import session_scope
from storage.models import ActionItemRow, CallRow

log = logging.getLogger(__name__)


async def announce(ctx: ServiceContext, draft: FollowUpDraft, outcome: ApprovalOutcome) -> None:
    """Show a decision or a send's outcome on the draft's approval request, retrying a while.

    A failure is logged, not raised: the decision is made and recorded (the audit log has the
    truth), and a stale approval message is not worth failing a workflow or a click over.
    """
    try:
        await with_retries(
            lambda: ctx.adapters.approvals.show_outcome(draft, outcome),
            what=f"updating the approval request of {draft.id}",
            policy=service_retry_policy(ctx.settings),
        )
    except ExternalError as error:
        log.warning("could not update the approval request of %s: %s", draft.id, error)


async def post_approval_request(
    ctx: ServiceContext,
    draft_id: str,
    *,
    call_status: CallStatus | None = None,
    detail: dict[str, str] | None = None,
) -> dict[str, str]:
    """Show the draft to the people who approve it and remember where it was posted.

    The body of every "request approval" step, follow-up or update: the channel's own
    idempotency (update, not repost, once the draft has a ref) makes a retried step safe.
    ``call_status`` is set on the draft's call with the ref; ``detail`` joins the audit event.
    """
    request = load_approval_request(ctx, draft_id)
    channel = ctx.adapters.approvals
    ref = await with_retries(
        lambda: channel.request_approval(request),
        what=f"requesting approval of {draft_id}",
        policy=service_retry_policy(ctx.settings),
    )
    with session_scope(ctx.engine) as session:
        repo.set_approval_ref(session, draft_id=draft_id, ref=ref)
        if call_status is not None:
            repo.set_call_status(session, call_id=request.call_id, status=call_status)
        repo.add_audit(
            session,
            actor=SYSTEM_ACTOR,
            action="approval_requested",
            call_id=request.call_id,
            draft_id=draft_id,
            detail={"channel": channel.name, **(detail or {}), **ref},
        )
    return ref


def load_approval_request(ctx: ServiceContext, draft_id: str) -> ApprovalRequest:
    """Everything an approval channel shows about a draft, read fresh from the database."""
    return approval_request_from(ctx.engine, draft_id, tracker=ctx.adapters.tracker.name)


def approval_request_from(
    engine: Engine, draft_id: str, *, tracker: str | None = None
) -> ApprovalRequest:
    """``load_approval_request`` for code that has the database but not the runtime (adapters).

    ``tracker`` names the tracker whose customer record the request shows; without it, the
    tracker the call's items were filed in.
    """
    with session_scope(engine) as session:
        row = repo.get_draft(session, draft_id=draft_id)
        if row is None:
            raise WorkflowFailure(f"draft {draft_id} does not exist")
        call = repo.get_call(session, call_id=row.call_id)
        if call is None:
            raise WorkflowFailure(f"call {row.call_id} does not exist")
        items = repo.list_items(session, call_id=call.id)
        metadata = CallMetadata.model_validate(call.call_metadata, context=STORED)
        return ApprovalRequest(
            draft=repo.draft_from_row(row),
            call_id=call.id,
            call_title=call.title,
            call_date=call.call_date,
            customer=metadata.customer,
            summary=CallSummary.model_validate(call.summary or {"text": ""}),
            action_items=[repo.item_from_row(item) for item in items],
            issues=[repo.issue_from_row(item) for item in items],
            analyzer=call.analyzer or "",
            attendees=metadata.attendees,
            **_tracker_customer(engine, call, items, tracker=tracker),
            policy=stored_policy(call),
        )


def _tracker_customer(
    engine: Engine, call: CallRow, items: Sequence[ActionItemRow], *, tracker: str | None
) -> dict[str, Any]:
    filed_in = tracker or next((item.issue_tracker for item in items if item.issue_tracker), None)
    customer, note = approval_customer(engine, call, tracker=filed_in)
    return {"tracker_customer": customer, "tracker_customer_note": note}
