"""``process_call``: analyze → file each action item → save the draft → request approval.

Each step is checkpointed by DBOS, so a crash resumes after the last finished step. Steps
that touch the outside world are also idempotent on their own (deterministic issue ids,
conditional inserts), which covers the one gap checkpointing leaves: a crash after the side
effect and before its checkpoint.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import uuid

from dbos import DBOS

from cs_agent.core.domain import (
    ActionItem,
    CallAnalysis,
    CallMetadata,
    CallStatus,
    EmailDraft,
    IssueRef,
    IssueState,
    TrackerCustomer,
    Transcript,
    TranscriptFormat,
)
from cs_agent.core.errors import ExternalError, WorkflowFailure
from cs_agent.core.ids import (
    SYSTEM_ACTOR,
    call_status_url,
    draft_id_for,
    item_id_for,
    message_id_for,
)
from cs_agent.core.ports import CallContext, TaskTracker
from cs_agent.core.text import STORED
from cs_agent.core.transcripts import TranscriptError, parse_transcript
from cs_agent.logs import log_context
from cs_agent.services import context
from cs_agent.services.approval_requests import post_approval_request
from cs_agent.services.backoff import (
    RetryPolicy,
    analysis_retry_policy,
    service_retry_policy,
    with_retries,
)
from cs_agent.services.context import ServiceContext
from cs_agent.services.customer_links import (
    customer_aliases,
    customer_tier,
    link_action_item,
    resolve_call_customer,
)
from cs_agent.services.failures import failure_reason
from cs_agent.services.followup_policy import FollowUpStep, announce_no_draft, decide_followup
from cs_agent.services.mailbox_drafts import place_in_mailbox
from cs_agent.services.observe import observed
from cs_agent.services.queues import PROCESS_CALL_WORKFLOW
from storage import repo
from storage.db import session_scope
from storage.models import CallRow, DraftRow

log = logging.getLogger(__name__)


@DBOS.workflow(name=PROCESS_CALL_WORKFLOW)
async def process_call(call_id: str) -> str:
    """Analyse a call, file its action items, save the draft and ask for approval.

    Returns the draft id ("" when the follow-up policy or the analysis made no draft). The
    policy decides what follows the filing (``services.followup_policy``). On a failure the call is marked failed with the reason and the
    workflow ends in error; nothing after the failing step has happened.
    """
    ctx = context.current()
    with log_context(call_id=call_id, workflow_id=DBOS.workflow_id):
        try:
            # The customer first: the analysis's search for open issues reads its needs.
            customer = await resolve_call_customer(ctx, call_id)
            item_ids = await analyze_call(ctx, call_id)
            for item_id in item_ids:
                await file_action_item(ctx, call_id, item_id)
                await link_action_item(ctx, call_id, item_id, customer)
            next_step = await decide_followup(ctx, call_id, tier=customer_tier(customer))
            if next_step == FollowUpStep.NO_DRAFT:
                await announce_no_draft(ctx, call_id)
                log.info("call %s processed; no follow-up drafted", call_id)
                return ""
            draft_id = await save_draft(ctx, call_id)
            if next_step == FollowUpStep.MAILBOX_DRAFT:
                await place_in_mailbox(ctx, draft_id)
            await request_approval(ctx, draft_id)
        except Exception as error:
            # A plain sentence: a database error's message (its SQL and parameters) is logged
            # by `failure_reason`, never shown.
            reason = failure_reason(error, call_id=call_id)
            log.warning("call %s failed: %s", call_id, reason)
            await mark_call_failed(ctx, call_id, reason)
            raise WorkflowFailure(reason) from None
        log.info("call %s processed; draft %s is with a person", call_id, draft_id)
        return draft_id


@DBOS.step(name="analyze_call")
@observed("analyze_call")
async def analyze_call(ctx: ServiceContext, call_id: str) -> list[str]:
    """Run the analyzer and store what it found. Returns the action item ids in order."""
    # Parsing a long transcript and storing the analysis are CPU and disk work: in a thread,
    # so the event loop of a server that also runs workflows keeps answering meanwhile.
    transcript, metadata = await asyncio.to_thread(_begin_analysis, ctx, call_id)
    analyzer = ctx.adapters.analyzer
    policy = analysis_retry_policy(ctx.settings)
    lookups = LookupOnlyTracker(
        ctx.adapters.tracker,
        service_retry_policy(ctx.settings),
        aliases=await asyncio.to_thread(customer_aliases, ctx, call_id),
    )
    try:
        analysis: CallAnalysis = await with_retries(
            lambda: analyzer.analyze(transcript, metadata, tracker=lookups),
            what=f"analysing call {call_id}",
            policy=policy,
        )
    except ExternalError as error:
        if not error.transient:
            raise
        raise WorkflowFailure(
            f"{error}; gave up after {policy.attempts} attempt(s). Nothing was filed; "
            f"when {error.system} is back: cs-agent calls retry {call_id}"
        ) from None
    item_ids = [
        item_id_for(call_id, position, item.title)
        for position, item in enumerate(analysis.action_items)
    ]
    await asyncio.to_thread(_store_analysis, ctx, call_id, analysis, item_ids)
    log.info(
        "analyzed by %s: %d action items, $%.4f",
        analysis.analyzer,
        len(analysis.action_items),
        analysis.usage.cost_usd if analysis.usage else 0.0,
    )
    return item_ids


def _begin_analysis(ctx: ServiceContext, call_id: str) -> tuple[Transcript, CallMetadata]:
    """The call's transcript and metadata, with the call marked as being analysed."""
    with session_scope(ctx.engine) as session:
        call = repo.get_call(session, call_id=call_id)
        if call is None:
            raise WorkflowFailure(f"call {call_id} does not exist")
        transcript = stored_transcript(call)
        if not call.word_count:  # intake checked the text without counting its words
            call.word_count = transcript.word_count()
            session.add(call)
        metadata = CallMetadata.model_validate(call.call_metadata, context=STORED)
        repo.set_call_status(session, call_id=call_id, status=CallStatus.ANALYZING)
    return transcript, metadata


def _store_analysis(
    ctx: ServiceContext, call_id: str, analysis: CallAnalysis, item_ids: list[str]
) -> None:
    with session_scope(ctx.engine) as session:
        repo.save_analysis(session, call_id=call_id, analysis=analysis, item_ids=item_ids)
        repo.set_call_status(session, call_id=call_id, status=CallStatus.FILING)
        repo.add_audit(
            session,
            actor=analysis.analyzer,
            action="analyzed",
            call_id=call_id,
            detail={
                "action_items": len(analysis.action_items),
                "cost_usd": analysis.usage.cost_usd if analysis.usage else 0.0,
            },
        )


class LookupOnlyTracker:
    """The tracker as an analyzer sees it: it may look issues up, never file them.

    Each look-up is retried like every other call to a service, so one rate-limited search
    does not throw away (and pay again for) a whole analysis.
    """

    def __init__(
        self, tracker: TaskTracker, policy: RetryPolicy, *, aliases: dict[str, str] | None = None
    ) -> None:
        self._tracker = tracker
        self._policy = policy
        self.name = tracker.name
        # The call's customer name (folded) → its name in the tracker, when they differ.
        self._aliases = aliases or {}

    async def find_open_issues(
        self, *, query: str, customer: str | None, limit: int = 5
    ) -> list[IssueRef]:
        """The wrapped tracker's search, with retries."""
        if customer:
            customer = self._aliases.get(" ".join(customer.split()).casefold(), customer)
        return await with_retries(
            lambda: self._tracker.find_open_issues(query=query, customer=customer, limit=limit),
            what=f"looking up open issues like {query!r}",
            policy=self._policy,
        )

    async def issue_states(
        self, issue_ids: list[str], *, updated_since: dt.datetime | None = None
    ) -> list[IssueState]:
        """The wrapped tracker's read of issue states, with retries (a read: safe)."""
        return await with_retries(
            lambda: self._tracker.issue_states(issue_ids, updated_since=updated_since),
            what="reading issue states",
            policy=self._policy,
        )

    async def create_issue(
        self, item: ActionItem, *, issue_id: uuid.UUID, call: CallContext
    ) -> IssueRef:
        """Refused: analyzers propose, the workflow files."""
        raise PermissionError("an analyzer cannot file issues; the workflow files them")

    async def resolve_customer(
        self, *, domains: list[str], name: str | None, create: bool
    ) -> TrackerCustomer | None:
        """A look-up only: an analyzer never creates a customer."""
        return await with_retries(
            lambda: self._tracker.resolve_customer(domains=domains, name=name, create=False),
            what=f"looking up the customer {name!r}",
            policy=self._policy,
        )

    async def add_customer_need(
        self,
        issue: IssueRef,
        *,
        need_id: uuid.UUID,
        customer: TrackerCustomer,
        body: str,
        call: CallContext | None = None,
        said_at: float | None = None,
    ) -> None:
        """Refused: analyzers propose, the workflow records."""
        raise PermissionError("an analyzer cannot add customer needs; the workflow adds them")

    async def attach_link(
        self, issue: IssueRef, *, url: str, title: str, subtitle: str | None = None
    ) -> None:
        """Refused: analyzers propose, the workflow links."""
        raise PermissionError("an analyzer cannot link issues; the workflow links them")


@DBOS.step(name="file_action_item")
@observed("file_action_item")
async def file_action_item(ctx: ServiceContext, call_id: str, item_id: str) -> None:
    """File one action item under its deterministic id, unless it matched an open issue."""
    with session_scope(ctx.engine) as session:
        rows = {row.id: row for row in repo.list_items(session, call_id=call_id)}
        call = repo.get_call(session, call_id=call_id)
    row = rows.get(item_id)
    if row is None or call is None:
        raise WorkflowFailure(f"action item {item_id} of call {call_id} is missing")
    if row.issue_id:
        return  # linked to an existing issue, or filed by an earlier attempt
    tracker = ctx.adapters.tracker
    issue = await with_retries(
        lambda: tracker.create_issue(
            repo.item_from_row(row), issue_id=uuid.UUID(item_id), call=call_context(ctx, call)
        ),
        what=f"filing action item {row.position + 1} of call {call_id}",
        policy=service_retry_policy(ctx.settings),
    )
    with session_scope(ctx.engine) as session:
        repo.record_issue(session, item_id=item_id, issue=issue)
        repo.add_audit(
            session,
            actor=SYSTEM_ACTOR,
            action="issue_filed",
            call_id=call_id,
            detail={"item": row.title, "tracker": issue.tracker, "issue": issue.identifier},
        )
    log.info("action item %d filed as %s in %s", row.position + 1, issue.identifier, issue.tracker)


@DBOS.step(name="save_draft")
@observed("save_draft")
async def save_draft(ctx: ServiceContext, call_id: str) -> str:
    """Store the drafted follow-up as version 1, pending approval. Returns the draft id."""
    with session_scope(ctx.engine) as session:
        call = repo.get_call(session, call_id=call_id)
        if call is None:
            raise WorkflowFailure(f"call {call_id} does not exist")
        if call.proposed_email is None:
            raise WorkflowFailure(f"the analysis of call {call_id} drafted no email")
        email = EmailDraft.model_validate(call.proposed_email)
        draft_id = draft_id_for(call_id)
        row, created = repo.insert_draft_if_absent(
            session,
            row=DraftRow(
                id=draft_id,
                call_id=call_id,
                subject=email.subject,
                body=email.body,
                to=email.to,
                cc=email.cc,
                message_id=message_id_for(
                    draft_id=draft_id, version=1, sender=ctx.settings.from_address
                ),
            ),
        )
        if created:
            repo.add_audit(
                session,
                actor=call.analyzer or SYSTEM_ACTOR,
                action="draft_created",
                call_id=call_id,
                draft_id=draft_id,
                detail={"version": 1, "subject": email.subject, "to": email.to, "cc": email.cc},
            )
            log.info("draft %s to %s", draft_id, ", ".join(email.to) or "nobody yet")
    return row.id


@DBOS.step(name="request_approval")
@observed("request_approval")
async def request_approval(ctx: ServiceContext, draft_id: str) -> dict[str, str]:
    """Show the draft to the people who approve it; the call then awaits approval."""
    return await post_approval_request(ctx, draft_id, call_status=CallStatus.AWAITING_APPROVAL)


@DBOS.step(name="mark_call_failed")
@observed("mark_call_failed")
async def mark_call_failed(ctx: ServiceContext, call_id: str, reason: str) -> None:
    """Record that a call's processing failed, and why."""
    with session_scope(ctx.engine) as session:
        repo.set_call_status(
            session, call_id=call_id, status=CallStatus.FAILED, failure_reason=reason
        )
        repo.add_audit(
            session, actor=SYSTEM_ACTOR, action="failed", call_id=call_id, detail={"reason": reason}
        )


# --- send_followup -----------------------------------------------------------------------------


def stored_transcript(call: CallRow) -> Transcript:
    """The call's transcript: parsed from the text kept at intake, or as stored parsed."""
    if call.transcript_text is not None:
        try:
            return parse_transcript(
                call.transcript_text, format=TranscriptFormat(call.transcript_format)
            )
        except TranscriptError as error:
            raise WorkflowFailure(
                f"the transcript of call {call.id} does not parse: {error}"
            ) from None
    if call.transcript is None:
        raise WorkflowFailure(f"call {call.id} has no transcript (purged?)")
    return Transcript.model_validate(call.transcript)


def call_context(ctx: ServiceContext, call: CallRow) -> CallContext:
    """What adapters get to know about a call."""
    return CallContext(
        call_id=call.id,
        title=call.title,
        call_date=call.call_date,
        customer_name=call.customer_name,
        customer_domain=call.customer_domain,
        call_url=call_status_url(ctx.settings.public_url, call.id),
    )
