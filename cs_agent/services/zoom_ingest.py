"""Taking in a Zoom transcript: download it, check it, and submit it like any other call."""

from __future__ import annotations

import asyncio
from typing import Any

from dbos import DBOS, SetWorkflowID

from cs_agent.core.domain import TranscriptFormat
from cs_agent.core.errors import ExternalError
from cs_agent.core.ids import zoom_workflow_id
from cs_agent.core.transcripts import TranscriptError
from cs_agent.core.zoom import ZoomTranscriptJob
from cs_agent.services import context
from cs_agent.services.backoff import ZOOM_DOWNLOAD_POLICY, with_retries
from cs_agent.services.context import ServiceContext
from cs_agent.services.intake import check_transcript, record_failed_call, submit_call
from cs_agent.services.observe import observed
from cs_agent.services.queues import INTAKE_QUEUE


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
    return await take_in_zoom_transcript(context.current(), job)


@DBOS.step(name="take_in_zoom_transcript")
@observed("take_in_zoom_transcript")
async def take_in_zoom_transcript(ctx: ServiceContext, job_data: dict[str, Any]) -> str:
    """Download, check and submit the transcript; or keep the call as failed, with the reason.

    One step: a crash before it finished downloads again (a GET), and the submission is
    idempotent on the meeting UUID.
    """
    job = ZoomTranscriptJob.model_validate(job_data)
    metadata = job.metadata()
    downloader = ctx.adapters.zoom
    try:
        data = await with_retries(
            lambda: downloader.download(job.download_url, token=job.download_token),
            what=f"downloading the Zoom transcript of meeting {job.meeting_uuid}",
            policy=ZOOM_DOWNLOAD_POLICY,
        )
    except ExternalError as error:
        return record_failed_call(
            ctx, source="zoom", metadata=metadata, reason=f"the transcript download failed: {error}"
        )
    try:
        transcript = await asyncio.to_thread(check_transcript, data, format=TranscriptFormat.VTT)
    except TranscriptError as error:
        return record_failed_call(
            ctx,
            source="zoom",
            metadata=metadata,
            reason=f"the Zoom transcript does not parse: {error}",
        )
    submission = await submit_call(ctx, transcript=transcript, metadata=metadata, source="zoom")
    return submission.call_id
