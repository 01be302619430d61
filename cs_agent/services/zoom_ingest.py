"""Taking in a Zoom transcript: download it, check it, and submit it like any other call.

The workflow's input is checkpointed into the workflow database, so the event's download token
goes there sealed, with a key derived from ``CS_AGENT_ZOOM_SECRET_TOKEN``; only the step that
downloads opens it, and it returns the call id, never the token.
"""

from __future__ import annotations

from typing import Any

from dbos import DBOS, SetWorkflowID

from cs_agent.core.ids import zoom_workflow_id
from cs_agent.core.sealing import SealError, derive_key
from cs_agent.core.zoom import SealedZoomJob, ZoomTranscriptJob
from cs_agent.services import context, source_ingest
from cs_agent.services.backoff import ZOOM_DOWNLOAD_POLICY
from cs_agent.services.context import ServiceContext
from cs_agent.services.intake import record_failed_call
from cs_agent.services.observe import observed
from cs_agent.services.queues import INTAKE_QUEUE

SEALING_PURPOSE = "zoom download token"


class TokenKeyMissing(Exception):
    """``CS_AGENT_ZOOM_SECRET_TOKEN`` is not set in this process: no key to seal tokens with."""


def download_token_key(ctx: ServiceContext) -> bytes:
    """The key that seals Zoom download tokens, derived from ``CS_AGENT_ZOOM_SECRET_TOKEN``."""
    secret = ctx.settings.zoom_secret_token
    if secret is None or not secret.get_secret_value():
        raise TokenKeyMissing("CS_AGENT_ZOOM_SECRET_TOKEN is not set")
    return derive_key(secret.get_secret_value().encode(), purpose=SEALING_PURPOSE)


async def start_zoom_transcript(ctx: ServiceContext, job: ZoomTranscriptJob) -> str:
    """Enqueue taking in a Zoom transcript (idempotent), its token sealed. Returns its workflow id."""
    workflow_id = zoom_workflow_id(job.meeting_uuid)
    stored = job.sealed(download_token_key(ctx)).model_dump(mode="json")
    with SetWorkflowID(workflow_id):
        await DBOS.enqueue_workflow_async(INTAKE_QUEUE, ingest_zoom_transcript, stored)
    return workflow_id


def _open_job(ctx: ServiceContext, job_data: dict[str, Any]) -> ZoomTranscriptJob:
    if "download_token" in job_data:  # enqueued by a version that stored the token as it came
        return ZoomTranscriptJob.model_validate(job_data)
    return SealedZoomJob.model_validate(job_data).opened(download_token_key(ctx))


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
    try:
        job = _open_job(ctx, job_data)
    except (SealError, TokenKeyMissing) as error:
        return record_failed_call(
            ctx,
            source="zoom",
            metadata=SealedZoomJob.model_validate(job_data).metadata(),
            reason=(
                f"the download token cannot be read ({error}): CS_AGENT_ZOOM_SECRET_TOKEN must "
                "be set, and the same, where the event was received and where it is taken in"
            ),
        )
    # The download, its checks and the submission are the ingest service's, as for every source.
    return await source_ingest.fetch_and_take_in(
        ctx, source_ingest.source_of(ctx, "zoom"), job.source_ref(), policy=ZOOM_DOWNLOAD_POLICY
    )
