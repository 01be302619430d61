"""Linear's webhook: ``POST /webhooks/linear`` (Issue and Customer request events).

Mounted when ``CS_AGENT_LINEAR_WEBHOOK_SECRET`` is set. The raw body is read within a
limit, its ``Linear-Signature`` checked in constant time, and its ``webhookTimestamp`` must be
within a minute: a forged or stale delivery is a 401 and nothing is recorded. The delivery id
(``Linear-Delivery``) is claimed in the same transaction as the change it reports, so a
redelivery is answered 200 and recorded once. An issue we filed that moves to a completed
state keeps its promise; a canceled one drops it.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError

from cs_agent.api.auth import get_authenticator
from cs_agent.api.body import (
    JSON_TYPE,
    decode_json_object,
    read_body,
    require_media_type,
    require_storable,
)
from cs_agent.api.deps import RuntimeDep, api_error, error_responses, storage_unavailable
from cs_agent.api.errors import validation_error
from cs_agent.api.linear_events import (
    CUSTOMER_NEED,
    ISSUE,
    LinearEvent,
    LinearIssueData,
    LinearNeedData,
    issue_state_of,
)
from cs_agent.core.domain import IssueState
from cs_agent.core.errors import ExternalError
from cs_agent.core.linear_signature import (
    LINEAR_DELIVERY_HEADER,
    LINEAR_SIGNATURE_HEADER,
    check_linear_timestamp,
    verify_linear_signature,
)
from cs_agent.core.signatures import SignatureError
from cs_agent.services.backoff import service_retry_policy, with_retries
from cs_agent.services.tracker_reports import take_report

log = logging.getLogger(__name__)

router = APIRouter(tags=["linear"])

EVENT_LIMIT = 256 * 1024
"""Linear's deliveries are a few kilobytes (an issue with its description at most)."""
SOURCE = "linear-webhook"
_READ = ("id", "identifier", "state", "updatedAt", "issueId")
"""The fields of ``data`` that are read (and so must be storable)."""


class LinearEventAnswer(BaseModel):
    """What became of a delivery."""

    status: Literal["accepted", "duplicate", "ignored"]
    type: str | None = None
    changed: int = 0
    """Promises whose status this delivery changed."""


@router.post(
    "/webhooks/linear",
    response_model=LinearEventAnswer,
    responses=error_responses(400, 401, 413, 415, 422, 503),
    openapi_extra={
        "parameters": [
            {
                "name": LINEAR_SIGNATURE_HEADER,
                "in": "header",
                "required": True,
                "schema": {"type": "string"},
                "description": "Hex HMAC-SHA256 of the raw body, keyed with the signing secret.",
            },
            {
                "name": LINEAR_DELIVERY_HEADER,
                "in": "header",
                "required": False,
                "schema": {"type": "string"},
                "description": "The delivery's id: a redelivery is recorded once.",
            },
        ]
    },
)
async def linear_webhook(request: Request, runtime: RuntimeDep) -> JSONResponse:
    """Receive a Linear delivery: an issue's state change keeps or drops its promises."""
    secret_value = runtime.settings.linear_webhook_secret
    if secret_value is None:  # the router is only mounted with a secret; belt and braces
        raise api_error(403, "linear_not_configured", "set CS_AGENT_LINEAR_WEBHOOK_SECRET")
    require_media_type(request, (JSON_TYPE,))
    body = await read_body(request, limit=EVENT_LIMIT)
    try:
        verify_linear_signature(
            request.headers.get(LINEAR_SIGNATURE_HEADER),
            body,
            secret=secret_value.get_secret_value().encode(),
        )
        data = decode_json_object(body, example='{"action": "update", "type": "Issue", ...}')
        check_linear_timestamp(data.get("webhookTimestamp"), now=get_authenticator(request).clock())
    except SignatureError as error:
        log.warning("refused a Linear delivery: %s", error.message)
        raise api_error(401, error.code, error.message) from None
    # Only the fields read are checked: a NUL in an issue's description is Linear's business.
    require_storable({key: data.get(key) for key in ("action", "type", "actor")})
    require_storable(
        {"data": {k: v for k, v in dict(data.get("data") or {}).items() if k in _READ}}
        if isinstance(data.get("data"), dict)
        else {}
    )
    try:
        event = LinearEvent.model_validate(data)
    except ValidationError as error:
        raise validation_error(error) from None
    delivery_id = request.headers.get(LINEAR_DELIVERY_HEADER) or (
        "sha256:" + hashlib.sha256(body).hexdigest()
    )
    states = await _states(runtime, event)
    try:
        taken = await take_report(
            runtime, states, source=SOURCE, delivery_id=f"linear:{delivery_id}"
        )
    except Exception as error:  # the database; Linear retries on a 5xx
        log.exception("recording Linear delivery %s failed", delivery_id)
        raise storage_unavailable(error) from None
    if taken.duplicate:
        answer = LinearEventAnswer(status="duplicate", type=event.type)
    elif not states:
        answer = LinearEventAnswer(status="ignored", type=event.type)
    else:
        answer = LinearEventAnswer(status="accepted", type=event.type, changed=len(taken.changes))
    return JSONResponse(answer.model_dump())


async def _states(runtime: RuntimeDep, event: LinearEvent) -> list[IssueState]:
    """The issue states a delivery reports (a customer request's issue is read from Linear)."""
    try:
        if event.type == ISSUE:
            state = issue_state_of(event, LinearIssueData.model_validate(event.data))
            return [state] if state is not None else []
        if event.type == CUSTOMER_NEED:
            need = LinearNeedData.model_validate(event.data)
            if not need.issue_id:
                return []
            tracker = runtime.adapters.tracker
            issue_id = need.issue_id
            return await with_retries(
                lambda: tracker.issue_states([issue_id]),
                what=f"reading the state of issue {issue_id}",
                policy=service_retry_policy(runtime.settings),
            )
    except ValidationError as error:
        raise validation_error(error) from None
    except ExternalError as error:
        raise api_error(503, "tracker_unavailable", str(error)) from None
    return []
