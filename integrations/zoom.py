"""Downloading a cloud recording's transcript from Zoom.

The download URL comes in the event; the event's ``download_token`` authorises it (for 24
hours), sent as ``?access_token=`` and as a bearer token. The URL is only fetched when it, and every redirect after it, points to
Zoom (``https://`` on ``zoom.us`` or ``zoomgov.com`` and their subdomains) or to the origin of
``CS_AGENT_ZOOM_API_URL`` (a proxy, or a local emulator in tests): a forged or mistaken URL
cannot make this server fetch an address on its own network. The token is only ever sent to
the origin of the URL it came with. The body is read up to a size limit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import httpx

from cs_agent.core.domain import TranscriptFormat
from cs_agent.core.errors import (
    RateLimited,
    RejectedInput,
    Unauthorized,
    Unavailable,
    parse_retry_after,
)
from cs_agent.core.sources import SourceCall, SourceRef
from cs_agent.core.zoom import download_url_problem

SYSTEM = "zoom"
MAX_REDIRECTS = 5


def _default_client() -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=httpx.Timeout(30.0, connect=10.0))


class ZoomDownloader:
    """Fetches transcript files from the download URLs in Zoom's events."""

    name = SYSTEM

    def __init__(
        self,
        *,
        api_url: str,
        max_bytes: int,
        client_factory: Callable[[], httpx.AsyncClient] = _default_client,
    ) -> None:
        self._api_url = api_url
        self._max_bytes = max_bytes
        # A client a download: clients hold connections bound to the event loop they run on.
        self._client_factory = client_factory

    async def download(self, url: str, *, token: str) -> bytes:
        """The file at ``url``, authorised with ``token``.

        Raises ``Unauthorized`` (token refused or expired), ``RejectedInput`` (a URL that is
        not Zoom's, a missing file, a file over the limit), ``RateLimited`` or ``Unavailable``.
        """
        async with self._client_factory() as client:
            current = httpx.URL(url)
            origin = (current.scheme, current.host, current.port)
            # Zoom documents the token as ``?access_token=`` on the download URL; the same token
            # as a bearer header goes along to that origin too. Redirect targets carry their own.
            params: dict[str, str] | None = {"access_token": token}
            for _ in range(MAX_REDIRECTS + 1):
                problem = download_url_problem(str(current), api_url=self._api_url)
                if problem is not None:
                    raise RejectedInput(SYSTEM, f"refusing to download the transcript: {problem}")
                same_origin = (current.scheme, current.host, current.port) == origin
                headers = {"Authorization": f"Bearer {token}"} if same_origin else {}
                try:
                    async with client.stream(
                        "GET", current, headers=headers, params=params
                    ) as response:
                        params = None
                        if response.is_redirect and "location" in response.headers:
                            current = current.join(response.headers["location"])
                            continue
                        _raise_for_status(response)
                        return await self._read_limited(response)
                except httpx.TimeoutException as error:
                    raise Unavailable(
                        SYSTEM, f"the transcript download timed out ({error!r})"
                    ) from None
                except httpx.TransportError as error:
                    raise Unavailable(
                        SYSTEM, f"the transcript download failed: {error!r}"
                    ) from None
        raise RejectedInput(
            SYSTEM, f"the transcript download redirected more than {MAX_REDIRECTS} times"
        )

    async def _read_limited(self, response: httpx.Response) -> bytes:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self._max_bytes:
            raise self._too_large()
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > self._max_bytes:
                raise self._too_large()
            chunks.append(chunk)
        return b"".join(chunks)

    def _too_large(self) -> RejectedInput:
        return RejectedInput(
            SYSTEM,
            f"the transcript is larger than {self._max_bytes} bytes (CS_AGENT_MAX_TRANSCRIPT_BYTES)",
        )


def _raise_for_status(response: httpx.Response) -> None:
    status = response.status_code
    if status < 300:
        return
    if status in (401, 403):
        raise Unauthorized(
            SYSTEM,
            f"Zoom refused the download token (HTTP {status}); a token is valid for 24 hours "
            "after the event",
        )
    if status == 429:
        raise RateLimited(
            SYSTEM,
            "Zoom is rate-limiting downloads",
            retry_after=parse_retry_after(response.headers.get("retry-after")),
        )
    if status >= 500:
        raise Unavailable(SYSTEM, f"Zoom answered HTTP {status} to the transcript download")
    if status in (404, 410):
        raise RejectedInput(
            SYSTEM, f"the transcript file is gone (HTTP {status}): was the recording deleted?"
        )
    raise RejectedInput(SYSTEM, f"Zoom answered HTTP {status} to the transcript download")


class ZoomSource:
    """Zoom as a ``TranscriptSource``: the call a ``recording.transcript_completed`` event named,
    its transcript downloaded with the event's token (``ref.secret``) from ``download_url``.

    Zoom announces by events only; ``recent`` finds nothing (there is no poll for Zoom).
    """

    name = SYSTEM

    def __init__(self, downloader: ZoomDownloader) -> None:
        self._downloader = downloader

    async def fetch(self, ref: SourceRef) -> SourceCall:
        """Download the transcript the event named; its metadata is the event's."""
        url = ref.details.get("download_url")
        if not url or ref.secret is None:
            raise RejectedInput(SYSTEM, "the event named no download URL and token")
        data = await self._downloader.download(url, token=ref.secret.get_secret_value())
        known = ref.metadata()
        started = ref.details.get("start_time")
        return SourceCall(
            source_id=ref.source_id,
            title=known.title,
            started_at=dt.datetime.fromisoformat(started) if started else None,
            timezone=ref.details.get("timezone") or None,
            participants=known.attendees,
            format=TranscriptFormat.VTT,
            transcript=data,
        )

    async def recent(self, *, since: dt.datetime) -> list[SourceRef]:
        """Nothing: Zoom's transcripts arrive by its events."""
        return []
