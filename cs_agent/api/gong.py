"""Gong's webhook: ``POST /webhooks/gong``, mounted when Gong is configured with a way to verify
deliveries (a public key or a URL token).

A delivery that is not Gong's is refused with 401 before anything is stored. A verified one is
announced to the ingest service, which fetches the call and its transcript in a durable job
(one job, and one call, per Gong call id however often it is delivered) and answers at once.
"""

from __future__ import annotations

import logging
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError

from cs_agent.api.body import JSON_TYPE, decode_json_object, read_body, require_media_type
from cs_agent.api.deps import RuntimeDep, api_error, error_responses, storage_unavailable
from cs_agent.api.errors import validation_error
from cs_agent.api.gong_events import (
    TOKEN_PARAMETER,
    GongWebhookDelivery,
    verify_gong_jwt,
    verify_gong_token,
)
from cs_agent.core.ids import call_status_path
from cs_agent.core.signatures import SignatureError
from cs_agent.core.sources import SourceRef
from cs_agent.services import source_ingest

log = logging.getLogger(__name__)

router = APIRouter(tags=["gong"])

DELIVERY_LIMIT = 2 * 1024 * 1024
"""A delivery holds the call's data (parties, CRM context, topics), not its transcript."""
PATH = "/webhooks/gong"


class GongDeliveryAnswer(BaseModel):
    """What became of a delivery."""

    status: Literal["accepted", "duplicate"]
    call_id: str
    status_url: str
    workflow_id: str


@router.post(
    PATH,
    response_model=GongDeliveryAnswer,
    responses=error_responses(400, 401, 413, 415, 422, 503),
)
async def gong_webhook(request: Request, runtime: RuntimeDep) -> JSONResponse:
    """Receive a Gong automation rule's delivery for a processed call."""
    settings = runtime.settings
    try:
        if settings.gong_webhook_secret is not None and TOKEN_PARAMETER in request.query_params:
            verify_gong_token(
                request.query_params.get(TOKEN_PARAMETER),
                secret=settings.gong_webhook_secret.get_secret_value(),
            )
            body = await read_body(request, limit=DELIVERY_LIMIT)
        elif settings.gong_webhook_public_key:
            body = await read_body(request, limit=DELIVERY_LIMIT)
            verify_gong_jwt(
                request.headers.get("authorization"),
                body,
                public_key=settings.gong_webhook_public_key,
                path=PATH,
            )
        else:
            verify_gong_token(None, secret="")
            raise AssertionError("unreachable")  # pragma: no cover
    except SignatureError as error:
        raise api_error(401, error.code, error.message) from None
    require_media_type(request, (JSON_TYPE,))
    data = decode_json_object(body, example='{"callData": {"metaData": {"id": "..."}}}')
    try:
        delivery = GongWebhookDelivery.model_validate(data)
    except ValidationError as error:
        raise validation_error(error) from None
    meta = delivery.callData.metaData
    ref = SourceRef(source_id=meta.id, details={"title": meta.title or ""})
    try:
        announced = await source_ingest.announce(runtime, "gong", ref)
    except Exception as error:  # DBOS wraps database errors in its own types
        log.exception("storing the Gong job of call %s failed", meta.id)
        raise storage_unavailable(error) from None  # Gong retries on a 5xx
    answer = GongDeliveryAnswer(
        status="duplicate" if announced.duplicate else "accepted",
        call_id=announced.call_id,
        status_url=call_status_path(announced.call_id),
        workflow_id=announced.workflow_id,
    )
    return JSONResponse(answer.model_dump())
