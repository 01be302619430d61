"""Zoom's webhook: ``POST /webhooks/zoom``.

Every request must carry Zoom's signature. ``endpoint.url_validation`` is answered at once;
``recording.transcript_completed`` is stored as a durable job (a DBOS workflow named after the
meeting UUID, so Zoom's retries are one job) and answered at once, well inside Zoom's
three seconds; the job downloads the transcript and submits it like any other call. Other
events are acknowledged and ignored.
"""

from __future__ import annotations

import logging
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError

from cs_agent.api.auth import get_authenticator
from cs_agent.api.body import JSON_TYPE, decode_json_object, read_body, require_media_type
from cs_agent.api.deps import RuntimeDep, api_error, error_responses, storage_unavailable
from cs_agent.api.errors import validation_error
from cs_agent.api.zoom_events import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    TRANSCRIPT_COMPLETED,
    URL_VALIDATION,
    TranscriptCompletedEvent,
    UrlValidationEvent,
    ZoomEvent,
    url_validation_response,
    verify_zoom_signature,
)
from cs_agent.core import zoom
from cs_agent.core.ids import call_status_path
from cs_agent.core.signatures import SignatureError
from cs_agent.core.zoom import download_url_problem
from cs_agent.services import zoom_ingest
from cs_agent.services.intake import call_id_for

log = logging.getLogger(__name__)

router = APIRouter(tags=["zoom"])

EVENT_LIMIT = 1024 * 1024
"""Zoom's events are a few kilobytes; the transcript itself is downloaded, not posted."""


class ZoomValidationAnswer(BaseModel):
    """The answer to Zoom's URL validation challenge."""

    plainToken: str  # noqa: N815  (Zoom's field names)
    encryptedToken: str  # noqa: N815


class ZoomEventAnswer(BaseModel):
    """What became of an event."""

    status: Literal["accepted", "ignored"]
    event: str
    call_id: str | None = Field(
        default=None, description="The call the transcript will become, once downloaded."
    )
    status_url: str | None = None
    workflow_id: str | None = Field(default=None, description="The durable download job.")


REQUEST_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            JSON_TYPE: {
                "schema": {
                    "anyOf": [
                        {"$ref": "#/components/schemas/UrlValidationEvent"},
                        {"$ref": "#/components/schemas/TranscriptCompletedEvent"},
                        {"$ref": "#/components/schemas/ZoomEvent"},
                    ]
                }
            }
        },
    },
    "parameters": [
        {
            "name": SIGNATURE_HEADER,
            "in": "header",
            "required": True,
            "schema": {"type": "string"},
            "description": "v0= and the hex HMAC-SHA256 of v0:{timestamp}:{raw body}.",
        },
        {
            "name": TIMESTAMP_HEADER,
            "in": "header",
            "required": True,
            "schema": {"type": "string"},
            "description": "Unix seconds when Zoom signed the request.",
        },
    ],
}
OPENAPI_MODELS: tuple[type[BaseModel], ...] = (
    UrlValidationEvent,
    TranscriptCompletedEvent,
    ZoomEvent,
)


@router.post(
    "/webhooks/zoom",
    response_model=ZoomValidationAnswer | ZoomEventAnswer,
    responses=error_responses(400, 401, 403, 413, 415, 422, 503),
    openapi_extra=REQUEST_BODY,
)
async def zoom_webhook(request: Request, runtime: RuntimeDep) -> JSONResponse:
    """Receive a Zoom event: answer URL validation, take in completed transcripts."""
    settings = runtime.settings
    if settings.zoom_secret_token is None:
        raise api_error(
            403,
            "zoom_not_configured",
            "Zoom events are not enabled on this server: set CS_AGENT_ZOOM_SECRET_TOKEN to the "
            "Zoom app's Secret Token",
        )
    secret = settings.zoom_secret_token.get_secret_value().encode()
    require_media_type(request, (JSON_TYPE,))
    body = await read_body(request, limit=EVENT_LIMIT)
    try:
        verify_zoom_signature(
            request.headers.get(SIGNATURE_HEADER),
            request.headers.get(TIMESTAMP_HEADER),
            body,
            secret=secret,
            now=get_authenticator(request).clock(),
            tolerance=settings.signature_tolerance_seconds,
        )
    except SignatureError as error:
        raise api_error(401, error.code, error.message) from None
    data = decode_json_object(body, example='{"event": "...", "payload": {...}}')
    try:
        event = ZoomEvent.model_validate(data)
        if event.event == URL_VALIDATION:
            challenge = UrlValidationEvent.model_validate(data)
            return JSONResponse(url_validation_response(secret, challenge.payload.plain_token))
        if event.event != TRANSCRIPT_COMPLETED:
            log.info("ignoring Zoom event %s", event.event)
            return JSONResponse(ZoomEventAnswer(status="ignored", event=event.event).model_dump())
        completed = TranscriptCompletedEvent.model_validate(data)
    except ValidationError as error:
        raise validation_error(error) from None
    job = _job(completed, api_url=settings.zoom_api_url)
    try:
        workflow_id = await zoom_ingest.start_zoom_transcript(runtime, job)
    except Exception as error:  # DBOS wraps database errors in its own types
        log.exception("storing the Zoom job of meeting %s failed", job.meeting_uuid)
        raise storage_unavailable(error) from None  # Zoom retries on a 5xx
    call_id = call_id_for(
        source="zoom", source_id=job.meeting_uuid, idempotency_key=None, content_hash=""
    )
    log.info("Zoom transcript of meeting %s accepted as %s", job.meeting_uuid, workflow_id)
    answer = ZoomEventAnswer(
        status="accepted",
        event=completed.event,
        call_id=call_id,
        status_url=call_status_path(call_id),
        workflow_id=workflow_id,
    )
    return JSONResponse(answer.model_dump())


def _job(event: TranscriptCompletedEvent, *, api_url: str) -> zoom.ZoomTranscriptJob:
    recording = event.payload.object
    file = recording.transcript_file()
    if file is None or file.download_url is None:
        raise api_error(
            422,
            "no_transcript_file",
            "the event lists no recording file with file_type TRANSCRIPT and a download_url",
            field="payload.object.recording_files",
        )
    if not event.download_token:
        raise api_error(
            422,
            "no_download_token",
            "the event has no download_token, so the transcript cannot be downloaded: include "
            "the download token in the Zoom app's event subscription",
            field="download_token",
        )
    problem = download_url_problem(file.download_url, api_url=api_url)
    if problem is not None:
        raise api_error(
            422,
            "untrusted_download_url",
            problem,
            field="payload.object.recording_files.download_url",
        )
    return zoom.ZoomTranscriptJob(
        meeting_uuid=recording.uuid,
        topic=recording.topic,
        start_time=recording.start_time,
        timezone=recording.timezone,
        host_email=recording.host_email,
        download_url=file.download_url,
        download_token=event.download_token,
    )
