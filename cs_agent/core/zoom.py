"""Zoom's side of a call: what a ``recording.transcript_completed`` event asks for, and which
download URLs may be fetched (Zoom's own, or the configured API origin: never an address of
this server's own network)."""

from __future__ import annotations

import datetime as dt
import ipaddress
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx
from pydantic import BaseModel, SecretStr

from cs_agent.core.domain import Attendee, CallMetadata, Side
from cs_agent.core.sealing import seal, unseal
from cs_agent.core.sources import SourceRef

ZOOM_DOMAINS = ("zoom.us", "zoomgov.com")


def download_url_problem(url: str, *, api_url: str) -> str | None:
    """Why ``url`` must not be fetched, or None when it is a Zoom (or configured) address."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        return f"{url[:200]!r} is not a URL"
    host = (parsed.host or "").lower().rstrip(".")
    if not host:
        return f"{url[:200]!r} has no host"
    trusted = httpx.URL(api_url)
    if (parsed.scheme, host, parsed.port) == (
        trusted.scheme,
        (trusted.host or "").lower(),
        trusted.port,
    ):
        return None
    if parsed.scheme != "https":
        return f"the download URL must be https, found {parsed.scheme}://{host}"
    if _is_ip(host) or not any(host == d or host.endswith("." + d) for d in ZOOM_DOMAINS):
        return (
            f"the download host {host} is not Zoom's ({', '.join(ZOOM_DOMAINS)}) nor that of "
            "CS_AGENT_ZOOM_API_URL"
        )
    return None


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


class ZoomRecording(BaseModel):
    """The meeting and the file a ``recording.transcript_completed`` event is about."""

    meeting_uuid: str
    topic: str | None = None
    start_time: dt.datetime | None = None
    timezone: str | None = None
    host_email: str | None = None
    download_url: str

    def metadata(self) -> CallMetadata:
        """The call's metadata as far as Zoom tells it."""
        return CallMetadata(
            title=self.topic,
            call_date=_local_date(self.start_time, self.timezone),
            attendees=[Attendee(name=self.host_email, email=self.host_email, side=Side.US)]
            if self.host_email
            else [],
            source_id=self.meeting_uuid,
        )


class ZoomTranscriptJob(ZoomRecording):
    """What a ``recording.transcript_completed`` event asks for: fetch this file for this meeting,
    with this download token."""

    download_token: SecretStr

    def source_ref(self) -> SourceRef:
        """The job as the Zoom source's ``SourceRef``: the event's metadata, URL and token."""
        details = {"download_url": self.download_url}
        if self.start_time is not None:
            details["start_time"] = self.start_time.isoformat()
        if self.timezone:
            details["timezone"] = self.timezone
        return SourceRef(
            source_id=self.meeting_uuid,
            known=self.metadata(),
            details=details,
            secret=self.download_token,
        )

    def sealed(self, key: bytes) -> SealedZoomJob:
        """The job as it may be stored (a workflow's input): the token sealed with ``key``."""
        return SealedZoomJob(
            **self.model_dump(exclude={"download_token"}),
            sealed_download_token=seal(key, self.download_token.get_secret_value()),
        )


class SealedZoomJob(ZoomRecording):
    """A job with its download token sealed: what the workflow database holds."""

    sealed_download_token: str

    def opened(self, key: bytes) -> ZoomTranscriptJob:
        """The job with its token, for the step that downloads. Raises ``SealError``."""
        return ZoomTranscriptJob(
            **self.model_dump(exclude={"sealed_download_token"}),
            download_token=SecretStr(unseal(key, self.sealed_download_token)),
        )


def _local_date(start: dt.datetime | None, timezone: str | None) -> dt.date | None:
    if start is None:
        return None
    if timezone and start.tzinfo is not None:
        try:
            return start.astimezone(ZoneInfo(timezone)).date()
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return start.date()
