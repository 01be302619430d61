"""Transcript intake: ``POST /v1/transcripts``, as JSON or as a multipart file upload.

The order of checks is the cheapest refusal first: credentials that need no body, the content
type, the size (before and while reading), the signature over the raw body, the fields, and
the transcript itself (parsed once, so a bad one is refused naming its line). Only then is the
call stored; the answer is sent once its row and workflow are committed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy.exc import SQLAlchemyError
from starlette.datastructures import Headers, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from cs_agent.api.auth import claim_signature, get_authenticator, replayed
from cs_agent.api.body import (
    JSON_TYPE,
    MULTIPART_TYPE,
    decode_json_object,
    read_body,
    require_media_type,
    require_storable,
)
from cs_agent.api.deps import api_error, error_responses, storage_unavailable
from cs_agent.api.errors import validation_error
from cs_agent.api.openapi import SECURED
from cs_agent.bootstrap.runtime import Runtime
from cs_agent.core.addresses import optional_mailbox
from cs_agent.core.domain import Attendee, CallMetadata, Customer, Side, TranscriptFormat
from cs_agent.core.ids import call_status_path
from cs_agent.core.text import StorableStr
from cs_agent.core.transcripts import TranscriptError, format_for_filename
from cs_agent.services.intake import IdempotencyConflict, check_transcript, submit_call
from storage import repo
from storage.db import session_scope

router = APIRouter(tags=["intake"])

JSON_EXAMPLE = '{"transcript": "WEBVTT ...", "customer": {"name": "Acme"}}'
UPLOAD_FIELDS = ("file", "metadata", "format")


class CustomerIn(BaseModel):
    """The customer account the call was with."""

    model_config = ConfigDict(extra="forbid")

    name: StorableStr = Field(min_length=1, max_length=255, examples=["Acme Freight"])
    domain: StorableStr | None = Field(
        default=None, max_length=255, examples=["acmefreight.example"]
    )


class AttendeeIn(BaseModel):
    """Someone on the call."""

    model_config = ConfigDict(extra="forbid")

    name: StorableStr = Field(min_length=1, max_length=255)
    email: StorableStr | None = Field(default=None, max_length=320)
    side: Side | None = Field(default=None, description="`customer` or `us`.")

    @field_validator("email")
    @classmethod
    def _one_mailbox(cls, value: str | None) -> str | None:
        return optional_mailbox(value)


class CallFields(BaseModel):
    """What is known about a call besides its transcript. Every field is optional."""

    model_config = ConfigDict(extra="forbid")

    format: TranscriptFormat | None = Field(
        default=None, description="The transcript's format; detected from the content when omitted."
    )
    title: StorableStr | None = Field(default=None, max_length=500)
    call_date: dt.date | None = Field(
        default=None, description="YYYY-MM-DD; due dates like 'Friday' are read against it."
    )
    customer: CustomerIn | None = None
    attendees: list[AttendeeIn] = Field(default_factory=list, max_length=500)
    source_id: StorableStr | None = Field(
        default=None,
        min_length=1,
        max_length=255,
        description="The sender's id for this call: a repeat with the same id is the same call.",
    )
    gmail_thread_id: StorableStr | None = Field(
        default=None, max_length=255, description="A Gmail thread the follow-up should reply in."
    )
    gmail_thread_subject: StorableStr | None = Field(
        default=None, max_length=998, description="A subject to find that thread by."
    )

    def metadata(self) -> CallMetadata:
        """The call metadata part of the submission."""
        return CallMetadata(
            title=self.title,
            call_date=self.call_date,
            customer=Customer(name=self.customer.name, domain=self.customer.domain)
            if self.customer
            else None,
            attendees=[Attendee(name=a.name, email=a.email, side=a.side) for a in self.attendees],
            source_id=self.source_id,
            gmail_thread_id=self.gmail_thread_id,
            gmail_thread_subject=self.gmail_thread_subject,
        )


class TranscriptSubmission(CallFields):
    """A call transcript (as JSON) and what is known about the call."""

    transcript: str = Field(
        min_length=1, description="The transcript text: WebVTT, SRT, 'Speaker: text' lines or JSON."
    )


class TranscriptUpload(BaseModel):
    """A call transcript as a file upload (``multipart/form-data``)."""

    file: bytes = Field(description="The transcript file; its extension helps detect the format.")
    metadata: CallFields | None = Field(
        default=None, description="A JSON object with the call's fields (a text field or a file)."
    )
    format: TranscriptFormat | None = None


class Accepted(BaseModel):
    """A call was accepted (or was already known) and is being processed."""

    call_id: str
    status_url: str = Field(description="Where to read the call's status: `GET` it.")
    status: str
    duplicate: bool = Field(
        default=False, description="True when this call was already known: nothing new was made."
    )


REQUEST_BODY = {
    "security": SECURED,
    "requestBody": {
        "required": True,
        "content": {
            JSON_TYPE: {"schema": {"$ref": "#/components/schemas/TranscriptSubmission"}},
            MULTIPART_TYPE: {
                "schema": {"$ref": "#/components/schemas/TranscriptUpload"},
                "encoding": {"metadata": {"contentType": JSON_TYPE}},
            },
        },
    },
}
OPENAPI_MODELS: tuple[type[BaseModel], ...] = (TranscriptSubmission, TranscriptUpload)


IDEMPOTENCY_HEADER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "schema": {
        "type": "string",
        "minLength": 1,
        "maxLength": 255,
        "pattern": r"^[\x21-\x7e][\x20-\x7e]*$",
    },
    "description": "Makes a retry safe: the same key and body is the same call; the same key "
    "with another body is a 409.",
}
_KEY_PATTERN = re.compile(r"[\x21-\x7e][\x20-\x7e]{0,254}")


@router.post(
    "/v1/transcripts",
    status_code=202,
    response_model=Accepted,
    responses={
        200: {"model": Accepted, "description": "Already known: the same call again."},
        **error_responses(400, 401, 409, 413, 415, 422, 503),
    },
    openapi_extra={**REQUEST_BODY, "parameters": [IDEMPOTENCY_HEADER]},
)
async def post_transcript(request: Request) -> JSONResponse:
    """Accept a call transcript; its processing starts in the background.

    Answers 202 once the call and its workflow are stored, or 200 with the same call id for a
    call already known.
    """
    # Only the request itself as a parameter: FastAPI then has nothing to solve for this route,
    # which is the busiest of all. The header is checked here and documented above.
    runtime: Runtime = request.app.state.runtime
    authenticator = get_authenticator(request)
    pending = authenticator.before_body(request)
    idempotency_key = request.headers.get("idempotency-key")
    if idempotency_key is not None and not _KEY_PATTERN.fullmatch(idempotency_key):
        raise api_error(
            422,
            "invalid_request",
            "header Idempotency-Key: must be 1 to 255 printable ASCII characters, not starting "
            "with a space",
            field="Idempotency-Key",
        )
    kind = require_media_type(request, (JSON_TYPE, MULTIPART_TYPE))
    limit = runtime.settings.max_transcript_bytes
    body = await read_body(request, limit=limit)
    caller = authenticator.after_body(request, pending, body)
    raw: str | bytes
    if kind == JSON_TYPE:
        fields, raw = _from_json(body)
        transcript_format = fields.format
    else:
        fields, raw, filename = await _from_multipart(request.headers, body, limit=limit)
        transcript_format = fields.format or (format_for_filename(filename) if filename else None)
    try:
        # Decoding and checking a large transcript is CPU work: off the event loop.
        transcript = await asyncio.to_thread(check_transcript, raw, format=transcript_format)
    except TranscriptError as error:
        # The field too: a problem of the whole text (no utterances at all) has no line.
        where = "transcript" if kind == JSON_TYPE else "file"
        raise api_error(
            422, "unparseable_transcript", str(error), line=error.line, field=where
        ) from None
    if not await claim_signature(request, caller):
        # Used before. If it created a call, this is that request again: answer with the call
        # (nothing new is made). Any other second use (a retry's signature with a new
        # Idempotency-Key, say) would make a call nobody signed for: refused.
        known = await asyncio.to_thread(_call_signed_by, runtime, caller.signature or "")
        if known is None:
            raise replayed()
        call_id, status = known
        return _accepted(call_id, status, created=False)
    try:
        result = await submit_call(
            runtime,
            transcript=transcript,
            metadata=fields.metadata(),
            source="api",
            idempotency_key=idempotency_key,
            signature=caller.signature,
        )
    except SQLAlchemyError as error:
        raise storage_unavailable(error) from None
    except IdempotencyConflict as conflict:
        used = (
            f"Idempotency-Key {idempotency_key!r}"
            if idempotency_key
            else f"source_id {fields.source_id!r}"
        )
        raise api_error(
            409,
            "idempotency_conflict",
            f"{used} was already used for a different transcript (call {conflict.call_id}); "
            "use a new key for a new call",
        ) from None
    return _accepted(result.call_id, result.status, created=result.created)


def _accepted(call_id: str, status: str, *, created: bool) -> JSONResponse:
    accepted = Accepted(
        call_id=call_id,
        status_url=call_status_path(call_id),
        status=status,
        duplicate=not created,
    )
    return JSONResponse(
        status_code=202 if created else 200,
        content=accepted.model_dump(),
        headers={"Location": accepted.status_url},
    )


def _call_signed_by(runtime: Runtime, signature: str) -> tuple[str, str] | None:
    with session_scope(runtime.engine) as session:
        row = repo.call_with_signature(session, signature=signature)
        return (row.id, row.status) if row is not None else None


def _from_json(body: bytes) -> tuple[CallFields, str]:
    data = decode_json_object(body, example=JSON_EXAMPLE)
    require_storable(data, skip=("transcript",))
    try:
        submission = TranscriptSubmission.model_validate(data)
    except ValidationError as error:
        raise validation_error(error) from None
    return submission, submission.transcript


async def _from_multipart(
    headers: Headers, body: bytes, *, limit: int
) -> tuple[CallFields, bytes, str | None]:
    async def stream() -> Any:
        yield body

    parser = MultiPartParser(headers, stream(), max_files=2, max_fields=8, max_part_size=limit)
    # The body is already in memory (its signature covers the raw bytes): keep the file part
    # there too rather than spool anything over 1 MB to disk and read it back.
    parser.spool_max_size = limit
    try:
        form = await parser.parse()
    except MultiPartException as error:
        raise api_error(
            400, "malformed_multipart", f"the multipart body cannot be read: {error.message}"
        ) from None
    try:
        unknown = sorted(set(form.keys()) - set(UPLOAD_FIELDS))
        if unknown:
            raise api_error(
                422,
                "invalid_request",
                f"field {unknown[0]} is not read here; send file, and optionally metadata "
                "and format",
                field=unknown[0],
            )
        upload = form.get("file")
        if upload is None:
            raise api_error(
                422,
                "invalid_request",
                "field file is required: the transcript file (curl -F file=@call.vtt)",
                field="file",
            )
        if isinstance(upload, UploadFile):
            data, filename = await upload.read(), upload.filename
        else:
            data, filename = upload.encode(), None
        fields: dict[str, Any] = {}
        part = form.get("metadata")
        if part is not None:
            raw = await part.read() if isinstance(part, UploadFile) else part.encode()
            fields = decode_json_object(
                raw, example='{"title": "...", "customer": {...}}', what="the metadata part"
            )
            require_storable(fields)
        chosen = form.get("format")
        if isinstance(chosen, str) and chosen:
            fields["format"] = chosen
        try:
            return CallFields.model_validate(fields), data, filename
        except ValidationError as error:
            raise validation_error(error, prefix=("metadata",)) from None
    finally:
        await form.close()
