"""The durable workflows: the only place that orders side effects.

``process_call``: analyze → file each action item → save the draft → request approval.
``send_followup``: claim the approved draft → send it (unless a retry finds it sent) → mark sent.

Each step is checkpointed by DBOS, so a crash resumes after the last finished step. Steps
that touch the outside world are also idempotent on their own (deterministic issue ids,
deterministic Message-IDs, conditional updates), which covers the one gap checkpointing
leaves: a crash after the side effect and before its checkpoint.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import uuid
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dbos import DBOS, SetWorkflowID
from pydantic import BaseModel
from sqlalchemy.engine import Engine

from cs_agent.domain import (
    ActionItem,
    ApprovalRequest,
    Attendee,
    CallAnalysis,
    CallMetadata,
    CallStatus,
    CallSummary,
    DraftStatus,
    EmailDraft,
    FollowUpDraft,
    IssueRef,
    OutgoingEmail,
    SentEmail,
    Side,
    Transcript,
    TranscriptFormat,
)
from cs_agent.ids import call_id_of_draft, draft_id_for
from cs_agent.logs import log_context
from cs_agent.observe import observed
from cs_agent.ports import ApprovalOutcome, CallContext, TaskTracker
from cs_agent.transcripts import TranscriptError, parse_transcript
from integrations.email_message import message_id_for
from integrations.errors import ExternalError, RetryPolicy, with_retries
from integrations.zoom import ZoomDownloader
from storage import repo
from storage.db import session_scope
from storage.models import CallRow, DraftRow, utcnow

if TYPE_CHECKING:
    from cs_agent.config import Settings
    from cs_agent.runtime import Runtime

log = logging.getLogger(__name__)

CALLS_QUEUE = "cs-agent-calls"
PROCESS_CALL_WORKFLOW = "process_call"
SENDS_QUEUE = "cs-agent-sends"
INTAKE_QUEUE = "cs-agent-intake"
SYSTEM_ACTOR = "cs-agent"
ITEM_NAMESPACE = uuid.UUID("6f1b0b4e-8c3a-4c1e-9d0e-5a2f7c9e1b42")

_runtime: Runtime | None = None


def bind_runtime(runtime: Runtime) -> None:
    """Make ``runtime`` the one the workflows of this process use."""
    global _runtime
    _runtime = runtime


def unbind_runtime(runtime: Runtime) -> None:
    """Forget ``runtime`` (when it stops), unless another has replaced it."""
    global _runtime
    if _runtime is runtime:
        _runtime = None


def current_runtime() -> Runtime:
    """The runtime this process launched. Workflows and steps reach adapters through it."""
    if _runtime is None:
        raise RuntimeError("cs-agent runtime not started in this process")
    return _runtime


async def register_queues(*, worker_concurrency: int) -> None:
    """Declare the queues (DBOS keeps them in its database, so every process agrees)."""
    await DBOS.register_queue_async(
        CALLS_QUEUE, worker_concurrency=worker_concurrency, polling_interval_sec=0.2
    )
    await DBOS.register_queue_async(SENDS_QUEUE, worker_concurrency=8, polling_interval_sec=0.2)
    await DBOS.register_queue_async(INTAKE_QUEUE, worker_concurrency=4, polling_interval_sec=0.2)


def process_call_workflow_id(call_id: str) -> str:
    """The workflow id of a call's processing: one per call, so repeats dedupe."""
    return f"process-call:{call_id}"


def send_followup_workflow_id(draft_id: str, version: int, *, attempt: int = 0) -> str:
    """The workflow id of sending one version of a draft: ten clicks, one send.

    ``attempt`` counts explicit retries after a failed send; each retry is a workflow of its own
    (same version, so same Message-ID: the mailer's lookup still keeps it to one email).
    """
    base = f"send-followup:{draft_id}:v{version}"
    return f"{base}:retry{attempt}" if attempt else base


def item_id_for(call_id: str, position: int, title: str) -> str:
    """The id of an action item, which is also the issue id the tracker is asked to use."""
    return str(uuid.uuid5(ITEM_NAMESPACE, f"{call_id}:{position}:{title.strip().lower()}"))


class WorkflowFailure(Exception):
    """A step failed for good; the call or draft is marked failed with ``reason``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# --- process_call -------------------------------------------------------------------------------


@DBOS.workflow(name=PROCESS_CALL_WORKFLOW)
async def process_call(call_id: str) -> str:
    """Analyse a call, file its action items, save the draft and ask for approval.

    Returns the draft id. On a failure the call is marked failed with the reason and the
    workflow ends in error; nothing after the failing step has happened.
    """
    with log_context(call_id=call_id, workflow_id=DBOS.workflow_id):
        try:
            item_ids = await analyze_call(call_id)
            for item_id in item_ids:
                await file_action_item(call_id, item_id)
            draft_id = await save_draft(call_id)
            await request_approval(draft_id)
        except Exception as error:
            reason = _describe_failure(error)
            log.warning("call %s failed: %s", call_id, reason)
            await mark_call_failed(call_id, reason)
            raise WorkflowFailure(reason) from None
        log.info("call %s processed; draft %s awaits approval", call_id, draft_id)
        return draft_id


@DBOS.step(name="analyze_call")
@observed("analyze_call")
async def analyze_call(call_id: str) -> list[str]:
    """Run the analyzer and store what it found. Returns the action item ids in order."""
    rt = current_runtime()
    with session_scope(rt.engine) as session:
        call = repo.get_call(session, call_id=call_id)
        if call is None:
            raise WorkflowFailure(f"call {call_id} does not exist")
        transcript = stored_transcript(call)
        if not call.word_count:  # intake checked the text without counting its words
            call.word_count = transcript.word_count()
            session.add(call)
        metadata = CallMetadata.model_validate(call.call_metadata)
        repo.set_call_status(session, call_id=call_id, status=CallStatus.ANALYZING)
    analyzer = rt.adapters.analyzer
    policy = analysis_retry_policy(rt.settings)
    lookups = LookupOnlyTracker(rt.adapters.tracker, service_retry_policy(rt.settings))
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
    with session_scope(rt.engine) as session:
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
    log.info(
        "analyzed by %s: %d action items, $%.4f",
        analysis.analyzer,
        len(analysis.action_items),
        analysis.usage.cost_usd if analysis.usage else 0.0,
    )
    return item_ids


class LookupOnlyTracker:
    """The tracker as an analyzer sees it: it may look issues up, never file them.

    Each look-up is retried like every other call to a service, so one rate-limited search
    does not throw away (and pay again for) a whole analysis.
    """

    def __init__(self, tracker: TaskTracker, policy: RetryPolicy) -> None:
        self._tracker = tracker
        self._policy = policy
        self.name = tracker.name

    async def find_open_issues(
        self, *, query: str, customer: str | None, limit: int = 5
    ) -> list[IssueRef]:
        """The wrapped tracker's search, with retries."""
        return await with_retries(
            lambda: self._tracker.find_open_issues(query=query, customer=customer, limit=limit),
            what=f"looking up open issues like {query!r}",
            policy=self._policy,
        )

    async def create_issue(
        self, item: ActionItem, *, issue_id: uuid.UUID, call: CallContext
    ) -> IssueRef:
        """Refused: analyzers propose, the workflow files."""
        raise PermissionError("an analyzer cannot file issues; the workflow files them")


def service_retry_policy(settings: Settings) -> RetryPolicy:
    """How hard a step tries one call to a tracker, approval channel or mailer."""
    return RetryPolicy(
        attempts=max(1, settings.retry_attempts),
        initial_delay=settings.retry_initial_delay,
        max_delay=settings.retry_max_delay,
    )


def analysis_retry_policy(settings: Settings) -> RetryPolicy:
    """How often a whole analysis is tried when the model API is rate-limited or down."""
    return RetryPolicy(
        attempts=max(1, settings.analysis_attempts),
        initial_delay=settings.analysis_retry_delay,
        max_delay=max(settings.analysis_retry_delay, 300.0),
    )


@DBOS.step(name="file_action_item")
@observed("file_action_item")
async def file_action_item(call_id: str, item_id: str) -> None:
    """File one action item under its deterministic id, unless it matched an open issue."""
    rt = current_runtime()
    with session_scope(rt.engine) as session:
        rows = {row.id: row for row in repo.list_items(session, call_id=call_id)}
        call = repo.get_call(session, call_id=call_id)
    row = rows.get(item_id)
    if row is None or call is None:
        raise WorkflowFailure(f"action item {item_id} of call {call_id} is missing")
    if row.issue_id:
        return  # linked to an existing issue, or filed by an earlier attempt
    tracker = rt.adapters.tracker
    issue = await with_retries(
        lambda: tracker.create_issue(
            repo.item_from_row(row), issue_id=uuid.UUID(item_id), call=call_context(rt, call)
        ),
        what=f"filing action item {row.position + 1} of call {call_id}",
        policy=service_retry_policy(rt.settings),
    )
    with session_scope(rt.engine) as session:
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
async def save_draft(call_id: str) -> str:
    """Store the drafted follow-up as version 1, pending approval. Returns the draft id."""
    rt = current_runtime()
    with session_scope(rt.engine) as session:
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
                    draft_id=draft_id, version=1, sender=rt.settings.from_address
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
async def request_approval(draft_id: str) -> dict[str, str]:
    """Show the draft to the people who approve it and remember where it was posted."""
    rt = current_runtime()
    request = load_approval_request(rt, draft_id)
    channel = rt.adapters.approvals
    ref = await with_retries(
        lambda: channel.request_approval(request),
        what=f"requesting approval of {draft_id}",
        policy=service_retry_policy(rt.settings),
    )
    with session_scope(rt.engine) as session:
        repo.set_approval_ref(session, draft_id=draft_id, ref=ref)
        repo.set_call_status(session, call_id=request.call_id, status=CallStatus.AWAITING_APPROVAL)
        repo.add_audit(
            session,
            actor=SYSTEM_ACTOR,
            action="approval_requested",
            call_id=request.call_id,
            draft_id=draft_id,
            detail={"channel": channel.name, **ref},
        )
    return ref


@DBOS.step(name="mark_call_failed")
@observed("mark_call_failed")
async def mark_call_failed(call_id: str, reason: str) -> None:
    """Record that a call's processing failed, and why."""
    rt = current_runtime()
    with session_scope(rt.engine) as session:
        repo.set_call_status(
            session, call_id=call_id, status=CallStatus.FAILED, failure_reason=reason
        )
        repo.add_audit(
            session, actor=SYSTEM_ACTOR, action="failed", call_id=call_id, detail={"reason": reason}
        )


# --- send_followup -----------------------------------------------------------------------------


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
    with log_context(
        draft_id=draft_id, call_id=call_id_of_draft(draft_id), workflow_id=DBOS.workflow_id
    ):
        email = await claim_draft(draft_id, version)
        if email is None:
            return await current_draft_result(draft_id, version)
        earlier_ids = [
            message_id_for(draft_id=draft_id, version=earlier, sender=email.sender)
            for earlier in range(1, version)
        ]
        try:
            sent = await deliver_email(email, earlier_ids)
        except Exception as error:
            reason = _describe_failure(error)
            await mark_send_failed(draft_id, version, reason)
            return SendResult(
                draft_id=draft_id, version=version, status=DraftStatus.FAILED, detail=reason
            )
        detail = None
        if sent.message_id != email.message_id:
            detail = (
                f"an earlier version of this draft had already been sent as {sent.message_id}; "
                f"version {version} was not sent"
            )
        await mark_sent(draft_id, version, sent, detail)
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
async def claim_draft(draft_id: str, version: int) -> OutgoingEmail | None:
    """approved → sending, in one conditional update. None when this version must not be sent.

    A draft already ``sending`` at this version is one a crashed attempt claimed: carry on.
    """
    rt = current_runtime()
    with session_scope(rt.engine) as session:
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
        metadata = CallMetadata.model_validate(call.call_metadata if call else {})
        return outgoing_email(rt, row, metadata)


def outgoing_email(rt: Runtime, row: DraftRow, metadata: CallMetadata) -> OutgoingEmail:
    """The email a draft version becomes, with its deterministic Message-ID."""
    settings = rt.settings
    sender = settings.from_address
    return OutgoingEmail(
        message_id=message_id_for(draft_id=row.id, version=row.version, sender=sender),
        sender=sender,
        sender_name=settings.sender_name,
        to=list(row.to),
        cc=list(row.cc),
        subject=row.subject,
        body=row.body,
        thread_id=metadata.gmail_thread_id,
        thread_subject=metadata.gmail_thread_subject,
    )


@DBOS.step(name="deliver_email")
@observed("deliver_email")
async def deliver_email(email: OutgoingEmail, earlier_message_ids: list[str]) -> SentEmail:
    """Send the email, unless it, or an earlier version of the same draft, was already sent.

    The look-up runs before every attempt, not only the first: an attempt that timed out may
    have reached the provider, and the next one must find it instead of sending again. The
    earlier versions are looked up too, because a version marked failed after an unknown
    outcome may in fact have gone out before the draft was edited and approved again.
    """
    rt = current_runtime()
    mailer = rt.adapters.mailer

    async def attempt() -> SentEmail:
        for message_id in [email.message_id, *earlier_message_ids]:
            earlier = await mailer.find_sent(message_id)
            if earlier is not None:
                log.info("%s was already sent; not sending again", message_id)
                return earlier
        return await mailer.send(email)

    return await with_retries(
        attempt, what=f"sending {email.message_id}", policy=service_retry_policy(rt.settings)
    )


@DBOS.step(name="mark_sent")
@observed("mark_sent")
async def mark_sent(
    draft_id: str, version: int, sent: SentEmail, detail: str | None = None
) -> None:
    """sending → sent; record the ids; tell the approval channel."""
    rt = current_runtime()
    with session_scope(rt.engine) as session:
        repo.transition_draft(
            session,
            draft_id=draft_id,
            version=version,
            from_statuses=[DraftStatus.SENDING],
            to_status=DraftStatus.SENT,
            sent_at=utcnow(),
            message_id=sent.message_id,
            provider_message_id=sent.provider_message_id,
        )
        row = repo.get_draft(session, draft_id=draft_id)
        if row is None:
            return
        repo.set_call_status(session, call_id=row.call_id, status=CallStatus.COMPLETED)
        repo.add_audit(
            session,
            actor=rt.adapters.mailer.name,
            action="email_sent",
            call_id=row.call_id,
            draft_id=draft_id,
            detail={
                "version": version,
                "message_id": sent.message_id,
                "provider_message_id": sent.provider_message_id,
                "location": sent.location,
                **({"note": detail} if detail else {}),
            },
        )
        draft = repo.draft_from_row(row)
    log.info("sent %s v%d as %s to %s", draft_id, version, sent.message_id, ", ".join(draft.to))
    await announce(rt, draft, ApprovalOutcome(status="sent", location=sent.location, detail=detail))


@DBOS.step(name="mark_send_failed")
@observed("mark_send_failed")
async def mark_send_failed(draft_id: str, version: int, reason: str) -> None:
    """sending → failed with the reason; the draft stays editable and can be approved again."""
    rt = current_runtime()
    with session_scope(rt.engine) as session:
        repo.transition_draft(
            session,
            draft_id=draft_id,
            version=version,
            from_statuses=[DraftStatus.SENDING],
            to_status=DraftStatus.FAILED,
            failure_reason=reason,
        )
        row = repo.get_draft(session, draft_id=draft_id)
        if row is None:
            return
        repo.add_audit(
            session,
            actor=rt.adapters.mailer.name,
            action="send_failed",
            call_id=row.call_id,
            draft_id=draft_id,
            detail={"version": version, "reason": reason},
        )
        draft = repo.draft_from_row(row)
    log.warning("sending %s v%d failed: %s", draft_id, version, reason)
    await announce(rt, draft, ApprovalOutcome(status="failed", detail=reason))


async def current_draft_result(draft_id: str, version: int) -> SendResult:
    """What a send request for a draft that is not claimable finds (sent, rejected, edited…)."""
    rt = current_runtime()
    with session_scope(rt.engine) as session:
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


async def announce(rt: Runtime, draft: FollowUpDraft, outcome: ApprovalOutcome) -> None:
    """Show a decision or a send's outcome on the draft's approval request, retrying a while.

    A failure is logged, not raised: the decision is made and recorded (the audit log has the
    truth), and a stale approval message is not worth failing a workflow or a click over.
    """
    try:
        await with_retries(
            lambda: rt.adapters.approvals.show_outcome(draft, outcome),
            what=f"updating the approval request of {draft.id}",
            policy=service_retry_policy(rt.settings),
        )
    except ExternalError as error:
        log.warning("could not update the approval request of %s: %s", draft.id, error)


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


def call_context(rt: Runtime, call: CallRow) -> CallContext:
    """What adapters get to know about a call."""
    return CallContext(
        call_id=call.id,
        title=call.title,
        call_date=call.call_date,
        customer_name=call.customer_name,
        customer_domain=call.customer_domain,
        call_url=f"{rt.settings.public_url.rstrip('/')}/v1/calls/{call.id}",
    )


def load_approval_request(rt: Runtime, draft_id: str) -> ApprovalRequest:
    """Everything an approval channel shows about a draft, read fresh from the database."""
    return approval_request_from(rt.engine, draft_id)


def approval_request_from(engine: Engine, draft_id: str) -> ApprovalRequest:
    """``load_approval_request`` for code that has the database but not the runtime (adapters)."""
    with session_scope(engine) as session:
        row = repo.get_draft(session, draft_id=draft_id)
        if row is None:
            raise WorkflowFailure(f"draft {draft_id} does not exist")
        call = repo.get_call(session, call_id=row.call_id)
        if call is None:
            raise WorkflowFailure(f"call {row.call_id} does not exist")
        items = repo.list_items(session, call_id=call.id)
        metadata = CallMetadata.model_validate(call.call_metadata)
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
        )


def _describe_failure(error: BaseException) -> str:
    if isinstance(error, WorkflowFailure):
        return error.reason
    if isinstance(error, ExternalError):
        return str(error)
    return f"{type(error).__name__}: {error}"


async def start_process_call(call_id: str) -> str:
    """Enqueue the processing of a call (idempotent). Returns its workflow id."""
    workflow_id = process_call_workflow_id(call_id)
    with SetWorkflowID(workflow_id):
        await DBOS.enqueue_workflow_async(CALLS_QUEUE, process_call, call_id)
    return workflow_id


async def start_send_followup(draft_id: str, version: int, *, attempt: int = 0) -> str:
    """Enqueue sending a draft version (idempotent). Returns its workflow id."""
    workflow_id = send_followup_workflow_id(draft_id, version, attempt=attempt)
    with SetWorkflowID(workflow_id):
        await DBOS.enqueue_workflow_async(SENDS_QUEUE, send_followup, draft_id, version)
    return workflow_id


async def wait_for(workflow_id: str, *, timeout: float | None = None) -> Any:
    """Wait for a workflow to finish and return its result (raises what it raised)."""
    handle: Any = await DBOS.retrieve_workflow_async(workflow_id)
    return await asyncio.wait_for(handle.get_result(polling_interval_sec=0.1), timeout)


# --- ingest_zoom_transcript ---------------------------------------------------------------------

ZOOM_DOWNLOAD_POLICY = RetryPolicy(attempts=8, initial_delay=0.5, max_delay=60.0)
"""A download that keeps failing is retried for about a minute (8 tries) before the call fails."""


class ZoomTranscriptJob(BaseModel):
    """What a ``recording.transcript_completed`` event asks for: fetch this file for this meeting."""

    meeting_uuid: str
    topic: str | None = None
    start_time: dt.datetime | None = None
    timezone: str | None = None
    host_email: str | None = None
    download_url: str
    download_token: str

    def metadata(self) -> CallMetadata:
        """The call's metadata as far as Zoom tells it."""
        return CallMetadata(
            title=self.topic,
            call_date=_local_date(self.start_time, self.timezone),
            attendees=[Attendee(name=self.host_email, email=self.host_email, side=Side.US)]
            if self.host_email
            else [],
            source_id=self.meeting_uuid,
        )


def _local_date(start: dt.datetime | None, timezone: str | None) -> dt.date | None:
    if start is None:
        return None
    if timezone and start.tzinfo is not None:
        try:
            return start.astimezone(ZoneInfo(timezone)).date()
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return start.date()


def zoom_workflow_id(meeting_uuid: str) -> str:
    """One ingestion a meeting: Zoom's retries of the same event collapse into it."""
    return f"zoom-transcript:{meeting_uuid}"


async def start_zoom_transcript(job: ZoomTranscriptJob) -> str:
    """Enqueue taking in a Zoom transcript (idempotent). Returns its workflow id."""
    workflow_id = zoom_workflow_id(job.meeting_uuid)
    with SetWorkflowID(workflow_id):
        await DBOS.enqueue_workflow_async(
            INTAKE_QUEUE, ingest_zoom_transcript, job.model_dump(mode="json")
        )
    return workflow_id


@DBOS.workflow(name="ingest_zoom_transcript")
async def ingest_zoom_transcript(job: dict[str, Any]) -> str:
    """Download a Zoom transcript and submit it like any other call. Returns the call id."""
    return await take_in_zoom_transcript(job)


@DBOS.step(name="take_in_zoom_transcript")
@observed("take_in_zoom_transcript")
async def take_in_zoom_transcript(job_data: dict[str, Any]) -> str:
    """Download, check and submit the transcript; or keep the call as failed, with the reason.

    One step: a crash before it finished downloads again (a GET), and the submission is
    idempotent on the meeting UUID.
    """
    from cs_agent.intake import check_transcript, record_failed_call, submit_call

    rt = current_runtime()
    job = ZoomTranscriptJob.model_validate(job_data)
    metadata = job.metadata()
    downloader = ZoomDownloader(
        api_url=rt.settings.zoom_api_url, max_bytes=rt.settings.max_transcript_bytes
    )
    try:
        data = await with_retries(
            lambda: downloader.download(job.download_url, token=job.download_token),
            what=f"downloading the Zoom transcript of meeting {job.meeting_uuid}",
            policy=ZOOM_DOWNLOAD_POLICY,
        )
    except ExternalError as error:
        return record_failed_call(
            rt, source="zoom", metadata=metadata, reason=f"the transcript download failed: {error}"
        )
    try:
        transcript = check_transcript(data, format=TranscriptFormat.VTT)
    except TranscriptError as error:
        return record_failed_call(
            rt,
            source="zoom",
            metadata=metadata,
            reason=f"the Zoom transcript does not parse: {error}",
        )
    submission = await submit_call(rt, transcript=transcript, metadata=metadata, source="zoom")
    return submission.call_id
