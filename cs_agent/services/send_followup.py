"""``send_followup``: claim the approved draft → send it (unless a retry finds it sent) → mark sent.

A click starts this workflow under an id derived from the draft version, so ten clicks send one
email; the deterministic Message-ID and the mailer's look-up before every attempt keep it to one
even after a crash between the send and its checkpoint.
"""

from __future__ import annotations

import logging

from dbos import DBOS, SetWorkflowID
from pydantic import BaseModel

from cs_agent.core.domain import (
    CallMetadata,
    CallStatus,
    DraftKind,
    DraftStatus,
    FollowUpDraft,
    OutgoingEmail,
    SentEmail,
)
from cs_agent.core.errors import describe_failure
from cs_agent.core.ids import call_id_of_draft, message_id_for, send_followup_workflow_id
from cs_agent.core.ports import ApprovalOutcome
from cs_agent.core.text import STORED
from cs_agent.logs import log_context
from cs_agent.services import context
from cs_agent.services.approval_requests import announce
from cs_agent.services.backoff import service_retry_policy, with_retries
from cs_agent.services.context import ServiceContext
from cs_agent.services.observe import observed
from cs_agent.services.promise_updates import note_told
from cs_agent.services.queues import SENDS_QUEUE
from storage import repo
from storage.db import session_scope
from storage.models import utcnow

log = logging.getLogger(__name__)


class SendResult(BaseModel):
    """How a send attempt ended."""

    draft_id: str
    version: int
    status: DraftStatus
    message_id: str | None = None
    location: str | None = None
    detail: str | None = None


@DBOS.workflow(name="send_followup")
async def send_followup(draft_id: str, version: int) -> SendResult:
    """Send one approved version of a draft, exactly once.

    Any failure marks the draft failed with the reason (it stays editable, and an edited
    version can be approved again) and tells the approval channel; nothing is lost.
    """
    ctx = context.current()
    with log_context(
        draft_id=draft_id, call_id=call_id_of_draft(draft_id), workflow_id=DBOS.workflow_id
    ):
        email = await claim_draft(ctx, draft_id, version)
        if email is None:
            return await current_draft_result(ctx, draft_id, version)
        earlier_ids = [
            message_id_for(draft_id=draft_id, version=earlier, sender=email.sender)
            for earlier in range(1, version)
        ]
        try:
            sent = await deliver_email(ctx, email, earlier_ids)
        except Exception as error:
            reason = describe_failure(error)
            await mark_send_failed(ctx, draft_id, version, reason)
            return SendResult(
                draft_id=draft_id, version=version, status=DraftStatus.FAILED, detail=reason
            )
        detail = None
        if sent.message_id != email.message_id:
            detail = (
                f"an earlier version of this draft had already been sent as {sent.message_id}; "
                f"version {version} was not sent"
            )
        await mark_sent(ctx, draft_id, version, sent, detail)
        return SendResult(
            draft_id=draft_id,
            version=version,
            status=DraftStatus.SENT,
            message_id=sent.message_id,
            location=sent.location,
            detail=detail,
        )


@DBOS.step(name="claim_draft")
@observed("claim_draft")
async def claim_draft(ctx: ServiceContext, draft_id: str, version: int) -> OutgoingEmail | None:
    """approved → sending, in one conditional update. None when this version must not be sent.

    A draft already ``sending`` at this version is one a crashed attempt claimed: carry on.
    """
    with session_scope(ctx.engine) as session:
        claimed = repo.transition_draft(
            session,
            draft_id=draft_id,
            version=version,
            from_statuses=[DraftStatus.APPROVED],
            to_status=DraftStatus.SENDING,
        )
        row = repo.get_draft(session, draft_id=draft_id)
        if row is None or row.version != version:
            return None
        if not claimed and row.status != DraftStatus.SENDING:
            return None
        call = repo.get_call(session, call_id=row.call_id)
        metadata = CallMetadata.model_validate(call.call_metadata if call else {}, context=STORED)
        return outgoing_email(ctx, repo.draft_from_row(row), metadata)


def outgoing_email(
    ctx: ServiceContext, draft: FollowUpDraft, metadata: CallMetadata
) -> OutgoingEmail:
    """The email a draft version becomes, with its deterministic Message-ID."""
    settings = ctx.settings
    sender = settings.from_address
    return OutgoingEmail(
        message_id=message_id_for(draft_id=draft.id, version=draft.version, sender=sender),
        sender=sender,
        sender_name=settings.sender_name,
        to=list(draft.to),
        cc=list(draft.cc),
        subject=draft.subject,
        body=draft.body,
        thread_id=metadata.gmail_thread_id,
        thread_subject=metadata.gmail_thread_subject,
        # An update replies to the call's follow-up, so it lands in the same thread.
        in_reply_to=draft.in_reply_to,
        references=[draft.in_reply_to] if draft.in_reply_to else [],
    )


@DBOS.step(name="deliver_email")
@observed("deliver_email")
async def deliver_email(
    ctx: ServiceContext, email: OutgoingEmail, earlier_message_ids: list[str]
) -> SentEmail:
    """Send the email, unless it, or an earlier version of the same draft, was already sent.

    The look-up runs before every attempt, not only the first: an attempt that timed out may
    have reached the provider, and the next one must find it instead of sending again. The
    earlier versions are looked up too, because a version marked failed after an unknown
    outcome may in fact have gone out before the draft was edited and approved again.
    """
    mailer = ctx.adapters.mailer

    async def attempt() -> SentEmail:
        for message_id in [email.message_id, *earlier_message_ids]:
            earlier = await mailer.find_sent(message_id)
            if earlier is not None:
                log.info("%s was already sent; not sending again", message_id)
                return earlier
        return await mailer.send(email)

    return await with_retries(
        attempt, what=f"sending {email.message_id}", policy=service_retry_policy(ctx.settings)
    )


@DBOS.step(name="mark_sent")
@observed("mark_sent")
async def mark_sent(
    ctx: ServiceContext, draft_id: str, version: int, sent: SentEmail, detail: str | None = None
) -> None:
    """sending → sent; record the ids; tell the approval channel."""
    with session_scope(ctx.engine) as session:
        row = repo.transition_draft_audited(
            session,
            draft_id=draft_id,
            version=version,
            from_statuses=[DraftStatus.SENDING],
            to_status=DraftStatus.SENT,
            actor=ctx.adapters.mailer.name,
            action="email_sent",
            detail={
                "version": version,
                "message_id": sent.message_id,
                "provider_message_id": sent.provider_message_id,
                "location": sent.location,
                **({"note": detail} if detail else {}),
            },
            audit_unchanged=True,
            sent_at=utcnow(),
            message_id=sent.message_id,
            provider_message_id=sent.provider_message_id,
        ).draft
        if row is None:
            return
        if row.kind == DraftKind.UPDATE:
            note_told(session, draft_id=draft_id)
        else:
            repo.set_call_status(session, call_id=row.call_id, status=CallStatus.COMPLETED)
        draft = repo.draft_from_row(row)
    log.info("sent %s v%d as %s to %s", draft_id, version, sent.message_id, ", ".join(draft.to))
    await announce(
        ctx, draft, ApprovalOutcome(status="sent", location=sent.location, detail=detail)
    )


@DBOS.step(name="mark_send_failed")
@observed("mark_send_failed")
async def mark_send_failed(ctx: ServiceContext, draft_id: str, version: int, reason: str) -> None:
    """sending → failed with the reason; the draft stays editable and can be approved again."""
    with session_scope(ctx.engine) as session:
        row = repo.transition_draft_audited(
            session,
            draft_id=draft_id,
            version=version,
            from_statuses=[DraftStatus.SENDING],
            to_status=DraftStatus.FAILED,
            actor=ctx.adapters.mailer.name,
            action="send_failed",
            detail={"version": version, "reason": reason},
            audit_unchanged=True,
            failure_reason=reason,
        ).draft
        if row is None:
            return
        draft = repo.draft_from_row(row)
    log.warning("sending %s v%d failed: %s", draft_id, version, reason)
    await announce(ctx, draft, ApprovalOutcome(status="failed", detail=reason))


async def current_draft_result(ctx: ServiceContext, draft_id: str, version: int) -> SendResult:
    """What a send request for a draft that is not claimable finds (sent, rejected, edited…)."""
    with session_scope(ctx.engine) as session:
        row = repo.get_draft(session, draft_id=draft_id)
    if row is None:
        return SendResult(
            draft_id=draft_id, version=version, status=DraftStatus.FAILED, detail="no such draft"
        )
    detail = None if row.version == version else f"the draft is now at version {row.version}"
    return SendResult(
        draft_id=draft_id,
        version=version,
        status=DraftStatus(row.status),
        message_id=row.message_id,
        detail=detail,
    )


# --- helpers ------------------------------------------------------------------------------------


async def start_send_followup(draft_id: str, version: int, *, attempt: int = 0) -> str:
    """Enqueue sending a draft version (idempotent). Returns its workflow id."""
    workflow_id = send_followup_workflow_id(draft_id, version, attempt=attempt)
    with SetWorkflowID(workflow_id):
        await DBOS.enqueue_workflow_async(SENDS_QUEUE, send_followup, draft_id, version)
    return workflow_id
