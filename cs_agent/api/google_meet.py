"""Google Meet's webhook: ``POST /webhooks/google-meet``, a Pub/Sub push endpoint, mounted when
``CS_AGENT_GOOGLE_PUSH_AUDIENCE`` is set.

The push's OIDC token is checked before the body is read (see ``google_push``); a missing or
forged one is a 401 and nothing is recorded. A transcript event is announced to the ingest
service, which fetches the conference in a durable job (one call a conference, however often
Meet or Pub/Sub delivers), and is answered at once: Pub/Sub redelivers anything but a 2xx.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError

from cs_agent.api.body import JSON_TYPE, decode_json_object, read_body, require_media_type
from cs_agent.api.deps import RuntimeDep, api_error, error_responses, storage_unavailable
from cs_agent.api.errors import validation_error
from cs_agent.api.google_push import (
    TRANSCRIPT_GENERATED,
    CertificatesUnavailable,
    PushDelivery,
    conference_of,
    event_type,
    verify_push_token,
)
from cs_agent.core.ids import call_status_path
from cs_agent.core.signatures import SignatureError
from cs_agent.core.sources import SourceRef
from cs_agent.services import source_ingest

log = logging.getLogger(__name__)

router = APIRouter(tags=["google-meet"])

PUSH_LIMIT = 256 * 1024
"""A Workspace event without its resource is a few hundred bytes."""


class MeetPushAnswer(BaseModel):
    """What became of a push."""

    status: Literal["accepted", "duplicate", "ignored"]
    event: str
    call_id: str | None = None
    status_url: str | None = None
    workflow_id: str | None = None


@router.post(
    "/webhooks/google-meet",
    response_model=MeetPushAnswer,
    responses=error_responses(400, 401, 413, 415, 422, 503),
)
async def google_meet_push(request: Request, runtime: RuntimeDep) -> JSONResponse:
    """Receive a Pub/Sub push of a Workspace event about a Meet transcript."""
    settings = runtime.settings
    assert settings.google_push_audience  # mounted only then
    try:
        await asyncio.to_thread(
            verify_push_token,
            request.headers.get("authorization"),
            audience=settings.google_push_audience,
            service_account=settings.google_push_service_account,
            certs_url=settings.google_oidc_certs_url,
        )
    except SignatureError as error:
        raise api_error(401, error.code, error.message) from None
    except CertificatesUnavailable as error:
        raise api_error(
            503, "certificates_unavailable", str(error), headers={"Retry-After": "10"}
        ) from None
    require_media_type(request, (JSON_TYPE,))
    body = await read_body(request, limit=PUSH_LIMIT)
    data = decode_json_object(body, example='{"message": {"attributes": {...}, "data": "..."}}')
    try:
        push = PushDelivery.model_validate(data)
    except ValidationError as error:
        raise validation_error(error) from None
    kind = event_type(push.message)
    if kind != TRANSCRIPT_GENERATED:
        log.info("ignoring Workspace event %s", kind or "(no ce-type)")
        return JSONResponse(MeetPushAnswer(status="ignored", event=kind).model_dump())
    try:
        conference = conference_of(push.message)
    except ValueError as error:
        raise api_error(422, "invalid_event", str(error), field="message.data") from None
    try:
        announced = await source_ingest.announce(
            runtime, "google-meet", SourceRef(source_id=conference)
        )
    except source_ingest.UnknownSource as error:
        raise api_error(
            503, "meet_not_configured", f"{error}: set CS_AGENT_MEET_CREDENTIALS"
        ) from None
    except Exception as error:  # DBOS wraps database errors in its own types
        log.exception("storing the Meet job of %s failed", conference)
        raise storage_unavailable(error) from None
    answer = MeetPushAnswer(
        status="duplicate" if announced.duplicate else "accepted",
        event=kind,
        call_id=announced.call_id,
        status_url=call_status_path(announced.call_id),
        workflow_id=announced.workflow_id,
    )
    return JSONResponse(answer.model_dump())
