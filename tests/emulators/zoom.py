"""A local Zoom: recording file downloads, and signed webhook events to send to cs-agent.

Downloads behave like Zoom's: ``GET /rec/download/{file_id}`` answers the file only with the
right download token (``Authorization: Bearer`` or ``?access_token=``), else 401 with Zoom's
JSON error; ``/rec/webhook_download/{file_id}`` redirects to the download the way Zoom's
webhook download URLs do. Events are signed with the app's secret token exactly as Zoom signs
them (``v0:{timestamp}:{body}``), by code written apart from cs-agent's.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import time
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from .base import Emulator

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "zoom"


class ZoomEmulator(Emulator):
    """Serves recording files behind download tokens; builds signed events for them."""

    name = "zoom"

    def __init__(self) -> None:
        super().__init__()
        self.files: dict[str, tuple[bytes, str]] = {}
        """file id → (content, the download token that unlocks it)."""
        self.redirect_to: str | None = None
        """When set, webhook download URLs redirect here instead of to the local download."""

    def routes(self) -> list[Any]:
        return [
            Route("/rec/download/{file_id}", self._download),
            Route("/rec/webhook_download/{file_id}", self._webhook_download),
        ]

    def add_file(self, file_id: str, content: bytes, *, token: str) -> str:
        """Make ``content`` downloadable with ``token``; returns its webhook download URL."""
        self.files[file_id] = (content, token)
        return f"{self.url}/rec/webhook_download/{file_id}"

    async def _webhook_download(self, request: Request) -> Response:
        file_id = request.path_params["file_id"]
        target = self.redirect_to or f"{self.url}/rec/download/{file_id}"
        # Zoom answers the webhook URL with a redirect to where the file is served.
        return RedirectResponse(target, status_code=302)

    async def _download(self, request: Request) -> Response:
        file_id = request.path_params["file_id"]
        if file_id not in self.files:
            return JSONResponse({"code": 3301, "message": "This recording does not exist."}, 404)
        content, token = self.files[file_id]
        given = request.query_params.get("access_token") or ""
        authorization = request.headers.get("authorization", "")
        if authorization.lower().startswith("bearer "):
            given = authorization[7:]
        if not hmac.compare_digest(given.encode(), token.encode()):
            return JSONResponse({"code": 124, "message": "Invalid access token."}, 401)
        return Response(content, media_type="text/vtt")


def sign(secret: str, body: bytes, *, timestamp: int | None = None) -> dict[str, str]:
    """The headers Zoom sends with ``body``: its signature and timestamp, and the content type."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256)
    return {
        "x-zm-signature": "v0=" + digest.hexdigest(),
        "x-zm-request-timestamp": ts,
        "content-type": "application/json; charset=utf-8",
        "user-agent": "Zoom Marketplace/1.0a",
    }


def transcript_completed(
    *,
    download_url: str,
    token: str,
    uuid: str = "4444AAAiAAAAAiAiAiiAii==",
    topic: str | None = None,
) -> dict[str, Any]:
    """Zoom's documented ``recording.transcript_completed`` example, pointed at ``download_url``."""
    event: dict[str, Any] = copy.deepcopy(
        json.loads((FIXTURES / "recording.transcript_completed.example.json").read_text())
    )
    event["download_token"] = token
    recording = event["payload"]["object"]
    recording["uuid"] = uuid
    if topic is not None:
        recording["topic"] = topic
    recording["recording_files"][0]["download_url"] = download_url
    return event


def url_validation(plain_token: str = "qgg8vlvZRS6UYooatFL8Aw") -> dict[str, Any]:
    """Zoom's URL validation challenge."""
    return {
        "payload": {"plainToken": plain_token},
        "event_ts": int(time.time() * 1000),
        "event": "endpoint.url_validation",
    }
