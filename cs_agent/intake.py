"""Accepting a call: one function every entry point (API, Zoom, CLI) goes through.

A call's id is derived from what identifies it (an idempotency key, else the sender's source
id, else the content), so the same call submitted twice is one call, processed once. The call
row is committed before the workflow is enqueued, and the enqueue itself is idempotent, so
a crash between the two is repaired by the sender's retry.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from cs_agent import workflows
from cs_agent.domain import CallMetadata, CallStatus, Transcript
from cs_agent.runtime import Runtime
from storage import repo
from storage.db import session_scope
from storage.models import CallRow


class IdempotencyConflict(Exception):
    """The same key (or source id) was used before for a different transcript."""

    def __init__(self, call_id: str) -> None:
        super().__init__(call_id)
        self.call_id = call_id


@dataclass(frozen=True)
class Submission:
    """The outcome of submitting a call."""

    call_id: str
    created: bool
    """False when this call was already known (a retry, or the same file again)."""
    workflow_id: str
    status: str


def request_hash(transcript: Transcript, metadata: CallMetadata) -> str:
    """SHA-256 over the parsed transcript and metadata: what makes two submissions the same."""
    payload = {
        "transcript": transcript.model_dump(
            mode="json", exclude={"utterances": {"__all__": {"line"}}}
        ),
        "metadata": metadata.model_dump(mode="json"),
    }
    blob = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(blob).hexdigest()


def call_id_for(
    *, source: str, source_id: str | None, idempotency_key: str | None, content_hash: str
) -> str:
    """``call-`` and 20 hex digits, from the strongest identity the submission has."""
    if idempotency_key:
        identity = f"key:{idempotency_key}"
    elif source_id:
        identity = f"source:{source}:{source_id}"
    else:
        identity = f"content:{content_hash}"
    return "call-" + hashlib.sha256(identity.encode()).hexdigest()[:20]


async def submit_call(
    runtime: Runtime,
    *,
    transcript: Transcript,
    metadata: CallMetadata,
    source: str,
    idempotency_key: str | None = None,
) -> Submission:
    """Store the call (once) and enqueue its processing (once).

    Raises ``IdempotencyConflict`` when the key or source id was used for other content.
    """
    content_hash = request_hash(transcript, metadata)
    call_id = call_id_for(
        source=source,
        source_id=metadata.source_id,
        idempotency_key=idempotency_key,
        content_hash=content_hash,
    )
    workflow_id = workflows.process_call_workflow_id(call_id)
    with session_scope(runtime.engine) as session:
        row, created = repo.insert_call_if_absent(
            session,
            row=CallRow(
                id=call_id,
                source=source,
                source_id=metadata.source_id,
                idempotency_key=idempotency_key,
                request_hash=content_hash,
                title=metadata.title,
                call_date=metadata.call_date,
                customer_name=metadata.customer.name if metadata.customer else None,
                customer_domain=metadata.customer.domain if metadata.customer else None,
                call_metadata=metadata.model_dump(mode="json"),
                transcript_format=transcript.format.value,
                transcript=transcript.model_dump(mode="json"),
                word_count=transcript.word_count(),
                status=CallStatus.RECEIVED.value,
                workflow_id=workflow_id,
            ),
        )
        if not created and row.request_hash != content_hash:
            raise IdempotencyConflict(call_id)
        if created:
            repo.add_audit(
                session,
                actor=source,
                action="received",
                call_id=call_id,
                detail={"words": row.word_count, "format": row.transcript_format},
            )
        status = row.status
    await workflows.start_process_call(call_id)
    return Submission(call_id=call_id, created=created, workflow_id=workflow_id, status=status)
