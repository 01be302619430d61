"""Telling a customer their promises were kept: an update draft, approved like a follow-up.

A kept promise made to a customer starts ``tell_customer_promise_kept`` under an id derived
from the promise (so the webhook, its redelivery and the reconcile start it once). The
workflow puts the promise in the customer's pending update if one was opened within
``CS_AGENT_UPDATE_WINDOW`` and nobody has edited it, or opens a new one, then asks for approval
through the same channel as follow-ups. The update is a draft like any other (``kind`` =
``update``): approving it starts ``send_followup``, so it has the same exactly-once send, and
it replies in the follow-up's thread (``In-Reply-To``/``References`` its Message-ID, the same
recipients). Nothing reaches the customer without a click.

The workflows run on a queue with a global concurrency of one: two promises of one customer
kept at the same moment are added one after the other, never into two drafts.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence

from dbos import DBOS, DBOSClient, EnqueueOptions, SetWorkflowID
from sqlmodel import Session

import cs_agent
from cs_agent.config import Settings
from cs_agent.core.addresses import EmailAddress
from cs_agent.core.domain import CallMetadata, KeptPromise, Side, UpdateRequest
from cs_agent.core.errors import ExternalError
from cs_agent.core.ids import (
    SYSTEM_ACTOR,
    customer_key,
    message_id_for,
    promise_update_workflow_id,
    update_draft_id_for,
)
from cs_agent.core.ports import UpdateDrafter
from cs_agent.core.text import STORED
from cs_agent.services import context
from cs_agent.services.approval_requests import post_approval_request
from cs_agent.services.backoff import service_retry_policy, with_retries
from cs_agent.services.context import ServiceContext
from cs_agent.services.observe import observed
from cs_agent.services.promise_text import TEMPLATE_LABEL, KeptLine, update_body, update_subject
from cs_agent.services.queues import APP_NAME, PROMISE_UPDATE_WORKFLOW, PROMISES_QUEUE
from storage import repo
from storage.db import session_scope
from storage.models import CallRow, DraftRow, PromiseRow, utcnow
from storage.repo import promises as promise_rows

log = logging.getLogger(__name__)


@DBOS.workflow(name=PROMISE_UPDATE_WORKFLOW)
async def tell_customer_promise_kept(item_id: str) -> str | None:
    """Put a kept promise in its customer's update draft and ask for approval of it."""
    ctx = context.current()
    draft_id = await add_to_update(ctx, item_id)
    if draft_id is not None:
        await redraft_with_model(ctx, draft_id)
        await request_update_approval(ctx, draft_id)
    return draft_id


@DBOS.step(name="redraft_with_model")
@observed("redraft_with_model")
async def redraft_with_model(ctx: ServiceContext, draft_id: str) -> bool:
    """Let the model write the update (the Claude analyzer), over the template's version.

    Only while the update is pending and nobody has edited it; a model that fails leaves the
    template's text, which is labelled so. True when the model's text was saved.
    """
    drafter = ctx.adapters.analyzer
    if not isinstance(drafter, UpdateDrafter):
        return False
    with session_scope(ctx.engine) as session:
        draft = repo.get_draft(session, draft_id=draft_id)
        if draft is None or draft.status != "pending" or not _untouched(session, ctx, draft):
            return False
        request = _update_request(session, ctx, draft)
        version, subject, to, cc = draft.version, draft.subject, list(draft.to), list(draft.cc)
    try:
        body = await with_retries(
            lambda: drafter.draft_update(request),
            what=f"drafting update {draft_id} with the model",
            policy=service_retry_policy(ctx.settings),
        )
    except ExternalError as error:
        log.warning(
            "the model could not draft update %s; the template's stays: %s", draft_id, error
        )
        return False
    name = ctx.adapters.analyzer.name
    with session_scope(ctx.engine) as session:
        changed = repo.transition_draft_audited(
            session,
            draft_id=draft_id,
            **repo.revision(expected_version=version, subject=subject, body=body, to=to, cc=cc),
            actor=name,
            action="edited",
            detail={"version": version + 1, "drafted_by": name},
            drafted_by=name,
            drafted_sha=body_digest(body),
        ).changed
    return changed


def _update_request(session: Session, ctx: ServiceContext, draft: DraftRow) -> UpdateRequest:
    promises = promise_rows.promises_of_update(session, draft_id=draft.id)
    lines = promise_rows.list_promise_lines(session, item_ids=[p.item_id for p in promises])
    followup = promise_rows.followup_of_call(session, call_id=draft.call_id)
    customer = lines[0].call.customer_name if lines else None
    return UpdateRequest(
        customer=customer,
        kept=[
            KeptPromise(
                title=line.item.title,
                call_date=line.call.call_date,
                call_title=line.call.title,
                issue=line.item.issue_identifier,
            )
            for line in lines
        ],
        subject=draft.subject,
        followup_body=followup.body if followup else None,
        sender_name=ctx.settings.sender_name,
        company_name=ctx.settings.company_name,
    )


@DBOS.step(name="request_update_approval")
@observed("request_update_approval")
async def request_update_approval(ctx: ServiceContext, draft_id: str) -> dict[str, str]:
    """Show the update to the people who approve (or redraw it, once it has a ref)."""
    return await post_approval_request(ctx, draft_id, detail={"kind": "update"})


@DBOS.step(name="add_to_update")
@observed("add_to_update")
async def add_to_update(ctx: ServiceContext, item_id: str) -> str | None:
    """The update draft that now tells about ``item_id``; None if it needs no telling (any more).

    Run again after a crash, it finds the promise already in its draft and returns that draft.
    """
    with session_scope(ctx.engine) as session:
        promise = promise_rows.get_promise(session, item_id=item_id)
        if promise is None or promise.status != "kept":
            return None
        if promise.update_draft_id is not None:
            return promise.update_draft_id if promise.told_at is None else None
        lines = promise_rows.list_promise_lines(session, item_ids=[item_id])
        if not lines:
            return None
        call = lines[0].call
        key = customer_key(name=call.customer_name, domain=call.customer_domain, call_id=call.id)
        since = utcnow() - ctx.settings.update_window
        draft = promise_rows.open_update_for(session, customer_key=key, created_since=since)
        if (
            draft is not None
            and _untouched(session, ctx, draft)
            and _extend(session, ctx, draft, item_id)
        ):
            return draft.id
        if (
            promise_rows.followup_of_call(session, call_id=call.id) is None
            and not (attendee_recipients(call)[0])
        ):
            # No follow-up to reply to (the policy or the analysis made none) and no address
            # on the customer's side: there is nobody to tell.
            log.info("promise %s kept; no customer address to tell it to", item_id)
            return None
        return _open_update(session, ctx, key=key, item_id=item_id, call_id=call.id)


def attendee_recipients(call: CallRow) -> tuple[list[str], list[str]]:
    """To and Cc for an update with no follow-up to reply to: the customer's attendees, ours in
    copy, as the follow-up would have been addressed (addresses that do not parse are left out)."""
    metadata = CallMetadata.model_validate(call.call_metadata, context=STORED)
    to: list[str] = []
    cc: list[str] = []
    for attendee in metadata.attendees:
        if attendee.email and EmailAddress.is_valid(attendee.email):
            if attendee.side == Side.CUSTOMER:
                to.append(attendee.email)
            elif attendee.side == Side.US:
                cc.append(attendee.email)
    return to, cc


def _untouched(session: Session, ctx: ServiceContext, draft: DraftRow) -> bool:
    """Whether the draft is still exactly what cs-agent wrote: a person's edit is kept."""
    return draft.drafted_sha is not None and draft.drafted_sha == body_digest(draft.body)


def body_digest(body: str) -> str:
    """The SHA-256 a body cs-agent wrote is remembered by."""
    return hashlib.sha256(body.encode()).hexdigest()


class _MovedOn(Exception):
    """The pending update was decided or edited meanwhile: open a new one instead."""


def _extend(session: Session, ctx: ServiceContext, draft: DraftRow, item_id: str) -> bool:
    """Add the promise to the pending update as its next version; False if it moved on."""
    try:
        with session.begin_nested():
            if not promise_rows.assign_update(session, item_id=item_id, draft_id=draft.id):
                raise _MovedOn
            body = _render(session, ctx, draft.id)
            transition = repo.transition_draft_audited(
                session,
                draft_id=draft.id,
                **repo.revision(
                    expected_version=draft.version,
                    subject=draft.subject,
                    body=body,
                    to=list(draft.to),
                    cc=list(draft.cc),
                ),
                actor=TEMPLATE_LABEL,
                action="edited",
                detail={"version": draft.version + 1, "added_promise": item_id},
                drafted_by=TEMPLATE_LABEL,
                drafted_sha=body_digest(body),
            )
            if not transition.changed:
                raise _MovedOn
    except _MovedOn:
        return False
    log.info("promise %s added to update %s", item_id, draft.id)
    return True


def _open_update(
    session: Session, ctx: ServiceContext, *, key: str, item_id: str, call_id: str
) -> str:
    """A new update draft for ``key`` telling about ``item_id``, replying to the call's follow-up."""
    draft_id = update_draft_id_for(key, item_id)
    followup = promise_rows.followup_of_call(session, call_id=call_id)
    sender = ctx.settings.from_address
    parent = followup.message_id if followup is not None and followup.status == "sent" else None
    if followup is not None:
        to, cc = list(followup.to), list(followup.cc)
    else:
        call = session.get(CallRow, call_id)
        to, cc = attendee_recipients(call) if call is not None else ([], [])
    row, created = _insert(
        session,
        DraftRow(
            id=draft_id,
            call_id=call_id,
            kind="update",
            customer_key=key,
            subject=update_subject(followup.subject if followup else None),
            body="",
            to=to,
            cc=cc,
            in_reply_to=parent,
            message_id=message_id_for(draft_id=draft_id, version=1, sender=sender),
        ),
    )
    promise_rows.assign_update(session, item_id=item_id, draft_id=row.id)
    if created:
        row.body = _render(session, ctx, row.id)
        row.drafted_by = TEMPLATE_LABEL
        row.drafted_sha = body_digest(row.body)
        session.add(row)
        repo.add_audit(
            session,
            actor=TEMPLATE_LABEL,
            action="draft_created",
            call_id=call_id,
            draft_id=row.id,
            detail={"version": 1, "kind": "update", "subject": row.subject, "to": row.to},
        )
        log.info("update %s opened for promise %s", row.id, item_id)
    return row.id


def _insert(session: Session, row: DraftRow) -> tuple[DraftRow, bool]:
    existing = repo.get_draft(session, draft_id=row.id)
    if existing is not None:
        return existing, False
    session.add(row)
    session.flush()
    return row, True


def _render(session: Session, ctx: ServiceContext, draft_id: str) -> str:
    promises: Sequence[PromiseRow] = promise_rows.promises_of_update(session, draft_id=draft_id)
    lines = promise_rows.list_promise_lines(session, item_ids=[p.item_id for p in promises])
    by_id = {line.item.id: line for line in lines}
    kept = [
        KeptLine(
            title=by_id[p.item_id].item.title,
            call_date=by_id[p.item_id].call.call_date,
            call_title=by_id[p.item_id].call.title,
            identifier=by_id[p.item_id].item.issue_identifier,
        )
        for p in promises
        if p.item_id in by_id
    ]
    return update_body(kept, sender_name=ctx.settings.sender_name)


# --- starting the workflow ------------------------------------------------------------------------


async def start_updates(item_ids: Sequence[str]) -> list[str]:
    """Enqueue telling the customer about each kept promise (idempotent). In a DBOS process."""
    workflow_ids = []
    for item_id in item_ids:
        workflow_id = promise_update_workflow_id(item_id)
        with SetWorkflowID(workflow_id):
            await DBOS.enqueue_workflow_async(PROMISES_QUEUE, tell_customer_promise_kept, item_id)
        workflow_ids.append(workflow_id)
    return workflow_ids


def hand_updates_to_workers(settings: Settings, item_ids: Sequence[str]) -> list[str]:
    """Enqueue the same workflows from a process that runs none (the CLI beside ``serve``).

    A DBOS client writes the queue rows; the server's (or a worker's) DBOS runs them.
    """
    if not item_ids:
        return []
    client = DBOSClient(system_database_url=settings.system_database_url, application_name=APP_NAME)
    workflow_ids = []
    try:
        for item_id in item_ids:
            options: EnqueueOptions = {
                "workflow_name": PROMISE_UPDATE_WORKFLOW,
                "queue_name": PROMISES_QUEUE,
                "workflow_id": promise_update_workflow_id(item_id),
                "app_version": cs_agent.__version__,
            }
            client.enqueue(options, item_id)
            workflow_ids.append(options["workflow_id"])
    finally:
        client.destroy()
    return workflow_ids


def note_told(session: Session, *, draft_id: str) -> None:
    """The update ``draft_id`` went out: its promises' customer has been told."""
    told = promise_rows.mark_told(session, draft_id=draft_id, now=utcnow())
    if told:
        repo.add_audit(
            session,
            actor=SYSTEM_ACTOR,
            action="customer_told",
            draft_id=draft_id,
            detail={"promises": told},
        )
