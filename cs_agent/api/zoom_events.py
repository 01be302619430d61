"""Zoom's webhook wire protocol: event signatures, the URL validation challenge, event shapes.

Zoom signs every request, the validation challenge included: ``x-zm-signature`` is ``v0=``
and the hex HMAC-SHA256, keyed with the app's webhook secret token, of
``v0:{x-zm-request-timestamp}:{raw body}``. The challenge (``endpoint.url_validation``) is
answered with the plain token and its HMAC under the same key.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from cs_agent.core.addresses import optional_mailbox
from cs_agent.core.signatures import SignatureError
from cs_agent.core.text import StorableStr

SIGNATURE_HEADER = "x-zm-signature"
TIMESTAMP_HEADER = "x-zm-request-timestamp"
URL_VALIDATION = "endpoint.url_validation"
TRANSCRIPT_COMPLETED = "recording.transcript_completed"


def zoom_signature(secret: bytes, timestamp: str, body: bytes) -> str:
    """``v0=`` and the hex HMAC-SHA256 of ``v0:{timestamp}:{body}`` keyed with ``secret``."""
    mac = hmac.new(secret, f"v0:{timestamp}:".encode(), hashlib.sha256)
    mac.update(body)
    return "v0=" + mac.hexdigest()


def verify_zoom_signature(
    signature: str | None,
    timestamp: str | None,
    body: bytes,
    *,
    secret: bytes,
    now: float,
    tolerance: int,
) -> None:
    """Check Zoom's signature headers against the raw body; raises ``SignatureError``."""
    if not signature or not timestamp:
        raise SignatureError(
            "missing_signature",
            f"a Zoom event needs the {SIGNATURE_HEADER} and {TIMESTAMP_HEADER} headers",
        )
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        raise SignatureError(
            "malformed_signature", f"{TIMESTAMP_HEADER} must be unix seconds, found {timestamp!r}"
        )
    skew = int(timestamp) - now
    if abs(skew) > tolerance:
        raise SignatureError(
            "stale_signature",
            f"the event was signed {abs(skew):.0f} s {'ago' if skew < 0 else 'in the future'}; "
            f"events are accepted for {tolerance} s (is this server's clock right?)",
        )
    expected = zoom_signature(secret, timestamp, body)
    if not (signature.isascii() and hmac.compare_digest(expected, signature.strip().lower())):
        raise SignatureError(
            "bad_signature",
            "the Zoom signature does not match: is CS_AGENT_ZOOM_SECRET_TOKEN the app's "
            "Secret Token?",
        )


def url_validation_response(secret: bytes, plain_token: str) -> dict[str, str]:
    """The answer to Zoom's challenge: the plain token and its hex HMAC-SHA256."""
    encrypted = hmac.new(secret, plain_token.encode(), hashlib.sha256).hexdigest()
    return {"plainToken": plain_token, "encryptedToken": encrypted}


class ZoomEvent(BaseModel):
    """Any Zoom webhook event: its name, time and payload."""

    model_config = ConfigDict(extra="allow")

    event: str = Field(min_length=1, max_length=200)
    event_ts: int | None = Field(default=None, description="Milliseconds since the epoch.")
    payload: dict[str, object] = Field(default_factory=dict)


class ValidationPayload(BaseModel):
    """The challenge of ``endpoint.url_validation``."""

    model_config = ConfigDict(populate_by_name=True)

    plain_token: str = Field(alias="plainToken", min_length=1, max_length=1000)


class UrlValidationEvent(BaseModel):
    """Zoom checking that this endpoint is ours (on setup and every few days)."""

    event: Literal["endpoint.url_validation"]
    event_ts: int | None = None
    payload: ValidationPayload


class RecordingFile(BaseModel):
    """One file of a cloud recording."""

    # Every string is a `StorableStr`: a NUL or a lone surrogate (a JSON escape) is refused
    # here naming its field, before anything is stored or downloaded.
    id: StorableStr | None = None
    file_type: StorableStr | None = Field(
        default=None, description="`TRANSCRIPT` for the transcript."
    )
    file_extension: StorableStr | None = None
    download_url: StorableStr | None = Field(default=None, max_length=4000)
    status: StorableStr | None = None
    recording_type: StorableStr | None = None


class Recording(BaseModel):
    """The meeting a recording belongs to, and its files."""

    uuid: StorableStr = Field(
        min_length=1, max_length=255, description="The meeting instance's UUID."
    )
    id: int | StorableStr | None = None
    topic: StorableStr | None = Field(default=None, max_length=500)
    start_time: dt.datetime | None = None
    timezone: StorableStr | None = Field(default=None, max_length=100)
    host_email: StorableStr | None = Field(default=None, max_length=320)
    recording_files: list[RecordingFile] = Field(default_factory=list)

    @field_validator("host_email")
    @classmethod
    def _one_mailbox(cls, value: str | None) -> str | None:
        return optional_mailbox(value)

    def transcript_file(self) -> RecordingFile | None:
        """The transcript among the files, if there is one with a download URL."""
        for file in self.recording_files:
            if (file.file_type or "").upper() == "TRANSCRIPT" and file.download_url:
                return file
        return None


class RecordingPayload(BaseModel):
    """The payload of a recording event."""

    account_id: str | None = None
    object: Recording


class TranscriptCompletedEvent(BaseModel):
    """``recording.transcript_completed``: a meeting's transcript can be downloaded."""

    event: Literal["recording.transcript_completed"]
    event_ts: int | None = None
    payload: RecordingPayload
    download_token: StorableStr | None = Field(
        default=None, description="Authorises the download, for 24 hours."
    )
