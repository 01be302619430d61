"""Accepting a call: one function every entry point (API, Zoom, CLI) goes through.

A call's id is derived from what identifies it (an idempotency key, else the sender's source
id, else the content), so the same call submitted twice is one call, processed once. The call
row and its workflow are both committed before ``submit_call`` returns (see
``cs_agent.intake_writer``); the row first, then the workflow, and the enqueue is idempotent,
so a crash between the two is repaired by the sender's retry.

Transcripts arrive as text and are parsed once at intake, so a bad one is refused with the
line at fault; the text is what is stored, and the workflow parses it again (parsing is
deterministic and cheap next to the analysis).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from cs_agent.core import ids
from cs_agent.core.domain import CallMetadata, CallStatus, Transcript, TranscriptFormat
from cs_agent.core.ids import call_id_from_identity
from cs_agent.core.transcripts import decode_transcript, is_certainly_vtt, parse_transcript
from cs_agent.services.context import ServiceContext
from cs_agent.services.intake_writer import IdempotencyConflict, NewCall, Submission
from storage import repo
from storage.db import session_scope
from storage.models import CallRow, utcnow

__all__ = [
    "IdempotencyConflict",
    "Submission",
    "TranscriptText",
    "call_id_for",
    "call_values",
    "check_transcript",
    "record_failed_call",
    "request_hash",
    "submit_call",
]


@dataclass(frozen=True)
class TranscriptText:
    """A transcript as received, checked to parse: its text, format and length in words."""

    text: str
    """Decoded, line endings normalised to ``\\n``."""
    format: TranscriptFormat
    word_count: int


def check_transcript(
    data: bytes | str, *, format: TranscriptFormat | None = None
) -> TranscriptText:
    """Decode a transcript and check that it parses. Raises ``TranscriptError`` naming the line.

    WebVTT laid out the usual way passes a fast structural check instead of a full parse.
    """
    text = decode_transcript(data, format=format)
    if format in (None, TranscriptFormat.VTT) and is_certainly_vtt(text):
        # The common case, checked in a fraction of a parse; the words are counted when the
        # workflow parses it.
        return TranscriptText(text=text, format=TranscriptFormat.VTT, word_count=0)
    parsed = parse_transcript(text, format=format)
    return TranscriptText(text=text, format=parsed.format, word_count=parsed.word_count())


def request_hash(transcript: Transcript | TranscriptText, metadata: CallMetadata) -> str:
    """SHA-256 over the transcript and the metadata: what makes two submissions the same."""
    meta_fields = metadata.model_dump(mode="json")
    meta = json.dumps(meta_fields, sort_keys=True, separators=(",", ":"))
    if isinstance(transcript, TranscriptText):
        digest = hashlib.sha256(b"text\0")
        digest.update(f"{transcript.format.value}\0{meta}\0".encode())
        digest.update(transcript.text.encode("utf-8", "surrogatepass"))
        return digest.hexdigest()
    payload = {
        "transcript": transcript.model_dump(
            mode="json", exclude={"utterances": {"__all__": {"line"}}}
        ),
        "metadata": meta_fields,
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
    return call_id_from_identity(identity)


def call_values(
    *,
    call_id: str,
    source: str,
    metadata: CallMetadata,
    transcript: Transcript | TranscriptText | None,
    content_hash: str,
    idempotency_key: str | None = None,
    signature: str | None = None,
    status: CallStatus = CallStatus.RECEIVED,
    failure_reason: str | None = None,
    transcript_format: TranscriptFormat = TranscriptFormat.VTT,
) -> dict[str, Any]:
    """Every column of a new ``calls`` row, as a dict for a bulk insert."""
    now = utcnow()
    parsed = transcript if isinstance(transcript, Transcript) else None
    text = transcript if isinstance(transcript, TranscriptText) else None
    return {
        "id": call_id,
        "created_at": now,
        "updated_at": now,
        "source": source,
        "source_id": metadata.source_id,
        "idempotency_key": idempotency_key,
        "request_hash": content_hash,
        "title": metadata.title,
        "call_date": metadata.call_date,
        "customer_name": metadata.customer.name if metadata.customer else None,
        "customer_domain": metadata.customer.domain if metadata.customer else None,
        "call_metadata": metadata.model_dump(mode="json"),
        "transcript_format": (transcript.format if transcript else transcript_format).value,
        "transcript": parsed.model_dump(mode="json") if parsed else None,
        "transcript_text": text.text if text else None,
        "word_count": (text.word_count if text else parsed.word_count() if parsed else 0),
        "status": status.value,
        "failure_reason": failure_reason,
        "analyzer": None,
        "summary": None,
        "proposed_email": None,
        "analysis_notes": [],
        "usage": None,
        "cost_usd": 0.0,
        "workflow_id": ids.process_call_workflow_id(call_id),
        "signature": signature,
    }


async def submit_call(
    ctx: ServiceContext,
    *,
    transcript: Transcript | TranscriptText,
    metadata: CallMetadata,
    source: str,
    idempotency_key: str | None = None,
    signature: str | None = None,
) -> Submission:
    """Store the call (once) and enqueue its processing (once); both are committed on return.

    ``signature`` is the verified request signature, when the request was signed: an exact
    replay of that request answers with the call it created. Raises ``IdempotencyConflict``
    when the key or source id was used for other content.
    """
    content_hash = request_hash(transcript, metadata)
    call_id = call_id_for(
        source=source,
        source_id=metadata.source_id,
        idempotency_key=idempotency_key,
        content_hash=content_hash,
    )
    values = call_values(
        call_id=call_id,
        source=source,
        metadata=metadata,
        transcript=transcript,
        content_hash=content_hash,
        idempotency_key=idempotency_key,
        signature=signature,
    )
    detail = {"words": values["word_count"], "format": values["transcript_format"]}
    return await ctx.intake_writer().submit(NewCall(values=values, audit_detail=detail))


def record_failed_call(
    ctx: ServiceContext,
    *,
    source: str,
    metadata: CallMetadata,
    reason: str,
    transcript_format: TranscriptFormat = TranscriptFormat.VTT,
) -> str:
    """Keep a call that could not be taken in (its transcript never arrived, or did not parse)
    as a failed call with the reason, so people see it. Returns its id; a call already stored
    under the same source id is left as it is."""
    content_hash = hashlib.sha256(f"failed\0{source}\0{metadata.source_id}".encode()).hexdigest()
    call_id = call_id_for(
        source=source, source_id=metadata.source_id, idempotency_key=None, content_hash=content_hash
    )
    values = call_values(
        call_id=call_id,
        source=source,
        metadata=metadata,
        transcript=None,
        content_hash=content_hash,
        status=CallStatus.FAILED,
        failure_reason=reason,
        transcript_format=transcript_format,
    )
    with session_scope(ctx.engine) as session:
        _, created = repo.insert_call_if_absent(session, row=CallRow(**values))
        if created:
            repo.add_audit(
                session, actor=source, action="failed", call_id=call_id, detail={"reason": reason}
            )
    return call_id
