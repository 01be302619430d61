"""The gate in front of Bolt on ``POST /slack/events``: size, signature, then payload shape.

Bolt answers a forged request with 401, but a non-numeric ``X-Slack-Request-Timestamp`` or a
signed request whose ``payload`` is not a JSON object made it fail with 500. Here each is
answered before Bolt sees it: 413 for an oversized body, 401 for a bad, missing or stale
signature (or a timestamp that is not a number), 400 with a JSON error naming the field for a
signed request whose payload is malformed.
"""

from __future__ import annotations

import json
import time
from urllib.parse import parse_qs

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from slack_sdk.signature import SignatureVerifier

MAX_BODY = 256 * 1024
"""Slack's interaction payloads are a few kilobytes; a modal submission well under this."""
WINDOW_SECONDS = 300


def _error(status: int, field: str, message: str) -> Response:
    return JSONResponse({"error": message, "field": field}, status_code=status)


async def refuse(request: Request, signing_secret: str) -> Response | None:
    """The answer for a request that must not reach Bolt, or None to let it through."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        return _error(413, "body", f"request body over {MAX_BODY} bytes")
    body = await request.body()  # Starlette keeps it: Bolt's handler reads it again
    if len(body) > MAX_BODY:
        return _error(413, "body", f"request body over {MAX_BODY} bytes")
    stamp = request.headers.get("x-slack-request-timestamp", "")
    signature = request.headers.get("x-slack-signature", "")
    if not stamp.isascii() or not stamp.isdigit():
        return _error(401, "X-Slack-Request-Timestamp", "missing or not a number")
    if abs(time.time() - int(stamp)) > WINDOW_SECONDS:
        return _error(401, "X-Slack-Request-Timestamp", "outside the 5-minute window")
    verifier = SignatureVerifier(signing_secret)
    if not signature or not verifier.is_valid(body=body, timestamp=stamp, signature=signature):
        return _error(401, "X-Slack-Signature", "bad or missing signature")
    if "application/x-www-form-urlencoded" in request.headers.get("content-type", ""):
        try:
            form = parse_qs(body.decode("utf-8"), strict_parsing=False)
        except UnicodeDecodeError:
            return _error(400, "body", "not UTF-8")
        if "payload" in form:
            try:
                payload = json.loads(form["payload"][0])
            except ValueError:
                return _error(400, "payload", "not JSON")
            if not isinstance(payload, dict):
                return _error(400, "payload", "not a JSON object")
            if not isinstance(payload.get("type"), str):
                return _error(400, "payload.type", "missing or not a string")
            user = payload.get("user")
            if user is not None and not (
                isinstance(user, dict) and isinstance(user.get("id"), str)
            ):
                return _error(400, "payload.user.id", "missing or not a string")
    return None
