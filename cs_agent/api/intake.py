"""Transcript intake: ``POST /v1/transcripts``."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from cs_agent.api.deps import ErrorBody, RuntimeDep, api_error
from cs_agent.domain import Attendee, CallMetadata, Customer, TranscriptFormat
from cs_agent.intake import IdempotencyConflict, submit_call
from cs_agent.transcripts import TranscriptError, parse_transcript

router = APIRouter(tags=["intake"])


class TranscriptSubmission(BaseModel):
    """A call transcript and what is known about the call. Only ``transcript`` is required."""

    transcript: str = Field(
        min_length=1, description="The transcript text (VTT, SRT, text or JSON)."
    )
    format: TranscriptFormat | None = Field(
        default=None, description="Detected from the content when omitted."
    )
    title: str | None = None
    call_date: dt.date | None = None
    customer: Customer | None = None
    attendees: list[Attendee] = Field(default_factory=list)
    source_id: str | None = Field(
        default=None,
        description="The sender's id for this call; a repeat with it is deduplicated.",
    )
    gmail_thread_id: str | None = None
    gmail_thread_subject: str | None = None

    def metadata(self) -> CallMetadata:
        """The call metadata part of the submission."""
        return CallMetadata(
            title=self.title,
            call_date=self.call_date,
            customer=self.customer,
            attendees=self.attendees,
            source_id=self.source_id,
            gmail_thread_id=self.gmail_thread_id,
            gmail_thread_subject=self.gmail_thread_subject,
        )


class Accepted(BaseModel):
    """A call was accepted (or was already known) and is being processed."""

    call_id: str
    status_url: str
    status: str
    duplicate: bool = False


@router.post(
    "/v1/transcripts",
    status_code=202,
    response_model=Accepted,
    responses={
        200: {"model": Accepted, "description": "Already known: the same call again."},
        409: {"model": ErrorBody},
        422: {"model": ErrorBody},
    },
)
async def post_transcript(submission: TranscriptSubmission, runtime: RuntimeDep) -> JSONResponse:
    """Accept a call transcript; its processing starts in the background."""
    try:
        transcript = parse_transcript(submission.transcript, format=submission.format)
    except TranscriptError as error:
        raise api_error(422, "unparseable_transcript", str(error), line=error.line) from None
    try:
        result = await submit_call(
            runtime, transcript=transcript, metadata=submission.metadata(), source="api"
        )
    except IdempotencyConflict as conflict:
        raise api_error(
            409,
            "idempotency_conflict",
            f"source_id {submission.source_id!r} was already used for a different transcript "
            f"(call {conflict.call_id})",
        ) from None
    accepted = Accepted(
        call_id=result.call_id,
        status_url=f"/v1/calls/{result.call_id}",
        status=result.status,
        duplicate=not result.created,
    )
    return JSONResponse(status_code=202 if result.created else 200, content=accepted.model_dump())
