"""Taking in a call from a transcript source: dedupe on ``(source, source id)``, fetch it through
its ``TranscriptSource``, check it, and hand it to intake like any other call.

An announcement (a webhook, or a poll that found the call) becomes one DBOS workflow named
``source-transcript:<source>:<source id>``, so the same transcript announced twice, by two
deliveries or by a delivery and a poll, is fetched once and becomes one call. A call already
stored under that id is not fetched again at all. A fetch that fails for good, or a transcript
that does not parse or is over the size limit, becomes a failed call with the reason.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from dbos import DBOS, SetWorkflowID

from cs_agent.core.errors import ExternalError
from cs_agent.core.ids import source_workflow_id
from cs_agent.core.sources import SourceCall, SourceRef, TranscriptSource
from cs_agent.core.transcripts import TranscriptError
from cs_agent.services import context
from cs_agent.services.backoff import SOURCE_FETCH_POLICY, RetryPolicy, with_retries
from cs_agent.services.context import ServiceContext
from cs_agent.services.intake import (
    IdempotencyConflict,
    call_id_for,
    check_transcript,
    record_failed_call,
    submit_call,
)
from cs_agent.services.observe import observed
from cs_agent.services.queues import INTAKE_QUEUE
from storage import repo
from storage.db import session_scope

log = logging.getLogger(__name__)


class UnknownSource(LookupError):
    """No adapter is configured for the named source."""


@dataclass(frozen=True)
class Announcement:
    """What became of one announced call."""

    source: str
    source_id: str
    call_id: str
    workflow_id: str
    duplicate: bool
    """True when the call was already stored: nothing was fetched or enqueued."""


def source_of(ctx: ServiceContext, name: str) -> TranscriptSource:
    """The configured adapter of source ``name``. Raises ``UnknownSource``."""
    source = ctx.adapters.sources.get(name)
    if source is None:
        known = ", ".join(sorted(ctx.adapters.sources)) or "none"
        raise UnknownSource(
            f"the transcript source {name!r} is not configured (configured: {known})"
        )
    return source


def source_call_id(source: str, source_id: str) -> str:
    """The id the call of ``(source, source id)`` has, or will have."""
    return call_id_for(source=source, source_id=source_id, idempotency_key=None, content_hash="")


def _stored(ctx: ServiceContext, call_id: str) -> bool:
    with session_scope(ctx.engine) as session:
        return repo.get_call(session, call_id=call_id) is not None


async def is_taken_in(ctx: ServiceContext, source: str, source_id: str) -> bool:
    """True when the call of ``(source, source id)`` is stored already."""
    return await asyncio.to_thread(_stored, ctx, source_call_id(source, source_id))


async def enqueue_ingest(source: str, ref: SourceRef) -> str:
    """Enqueue the fetch of ``ref`` under its one workflow id (idempotent). Returns the id.

    ``ref.secret`` is not stored by this path (a source whose announcements carry a secret
    seals it in its own workflow, as Zoom's does).
    """
    workflow_id = source_workflow_id(source, ref.source_id)
    stored = ref.model_dump(mode="json", exclude={"secret"})
    with SetWorkflowID(workflow_id):
        await DBOS.enqueue_workflow_async(INTAKE_QUEUE, ingest_source_call, source, stored)
    return workflow_id


async def announce(ctx: ServiceContext, source: str, ref: SourceRef) -> Announcement:
    """Take in the call ``ref`` names, once: enqueue its fetch unless the call is stored already."""
    source_of(ctx, source)
    call_id = source_call_id(source, ref.source_id)
    if await is_taken_in(ctx, source, ref.source_id):
        workflow_id = source_workflow_id(source, ref.source_id)
        return Announcement(source, ref.source_id, call_id, workflow_id, duplicate=True)
    workflow_id = await enqueue_ingest(source, ref)
    return Announcement(source, ref.source_id, call_id, workflow_id, duplicate=False)


async def recent_refs(ctx: ServiceContext, source: str, *, since: dt.datetime) -> list[SourceRef]:
    """The source's calls since ``since`` (transient failures retried)."""
    adapter = source_of(ctx, source)
    return await with_retries(
        lambda: adapter.recent(since=since),
        what=f"listing recent calls of {source}",
        policy=SOURCE_FETCH_POLICY,
    )


async def poll(ctx: ServiceContext, source: str, *, since: dt.datetime) -> list[Announcement]:
    """Ask ``source`` for calls since ``since`` and announce each (calls already in are skipped)."""
    refs = await recent_refs(ctx, source, since=since)
    return [await announce(ctx, source, ref) for ref in refs]


@DBOS.workflow(name="ingest_source_call")
async def ingest_source_call(source: str, ref: dict[str, Any]) -> str:
    """Fetch one announced call from its source and submit it. Returns the call id."""
    return await take_in_source_call(context.current(), source, ref)


@DBOS.step(name="take_in_source_call")
@observed("take_in_source_call")
async def take_in_source_call(ctx: ServiceContext, source: str, ref_data: dict[str, Any]) -> str:
    """One step: a crash before it finished fetches again (reads only), and the submission is
    idempotent on the source id."""
    ref = SourceRef.model_validate(ref_data)
    try:
        adapter = source_of(ctx, source)
    except UnknownSource as error:
        return record_failed_call(
            ctx,
            source=source,
            metadata=ref.metadata(),
            reason=f"{error}; set it up and send it again",
        )
    return await fetch_and_take_in(ctx, adapter, ref)


async def fetch_and_take_in(
    ctx: ServiceContext,
    adapter: TranscriptSource,
    ref: SourceRef,
    *,
    policy: RetryPolicy = SOURCE_FETCH_POLICY,
) -> str:
    """Fetch ``ref`` through ``adapter`` (retrying transient failures), then take it in; a
    failure for good leaves a failed call saying why. Returns the call id."""
    try:
        fetched = await with_retries(
            lambda: adapter.fetch(ref),
            what=f"fetching {adapter.name} call {ref.source_id}",
            policy=policy,
        )
    except ExternalError as error:
        return record_failed_call(
            ctx,
            source=adapter.name,
            metadata=ref.metadata(),
            reason=f"fetching the transcript failed: {error}",
        )
    return await take_in(ctx, adapter.name, fetched)


async def take_in(ctx: ServiceContext, source: str, fetched: SourceCall) -> str:
    """Check a fetched call's transcript (size, format) and submit it. Returns the call id."""
    metadata = fetched.metadata()
    limit = ctx.settings.max_transcript_bytes
    raw = fetched.transcript
    size = len(raw) if isinstance(raw, bytes) else len(raw.encode("utf-8", "surrogatepass"))
    if size > limit:
        return record_failed_call(
            ctx,
            source=source,
            metadata=metadata,
            reason=(
                f"the transcript is {size} bytes, over the limit of {limit} "
                "(CS_AGENT_MAX_TRANSCRIPT_BYTES)"
            ),
            transcript_format=fetched.format,
        )
    try:
        transcript = await asyncio.to_thread(
            check_transcript, fetched.transcript, format=fetched.format
        )
    except TranscriptError as error:
        return record_failed_call(
            ctx,
            source=source,
            metadata=metadata,
            reason=f"the {source} transcript does not parse: {error}",
            transcript_format=fetched.format,
        )
    try:
        submission = await submit_call(ctx, transcript=transcript, metadata=metadata, source=source)
    except IdempotencyConflict as conflict:
        # Taken in already, from an earlier fetch (this step re-run after a crash, say) that
        # saw other metadata, a calendar edited meanwhile: the call is named by its source id,
        # so it is that call.
        log.info("%s call %s was taken in already", source, fetched.source_id)
        return conflict.call_id
    log.info("%s call %s taken in as %s", source, fetched.source_id, submission.call_id)
    return submission.call_id
