"""What the intake tests share: a secured app on an API-only runtime, signing, raw ASGI calls."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

from cs_agent.core.signatures import SignedRequest, signature_header

SECRET = "whsec-intake-test"
TOKEN = "api-token-intake-test"
LIMIT = 200_000


def signed(
    body: bytes,
    *,
    at: int | None = None,
    secret: str = SECRET,
    method: str = "POST",
    path: str = "/v1/transcripts",
    query: str = "",
) -> dict[str, str]:
    """Headers of a JSON request signed like the README's client example."""
    timestamp = int(time.time()) if at is None else at
    request = SignedRequest(method=method, path=path, query=query, body=body)
    return {
        "content-type": "application/json",
        "x-cs-agent-signature": signature_header(secret.encode(), timestamp, request),
    }


def bearer(token: str = TOKEN) -> dict[str, str]:
    """An Authorization header with ``token``."""
    return {"authorization": f"Bearer {token}"}


async def asgi_post(
    app: FastAPI, path: str, headers: dict[str, str], chunks: list[bytes]
) -> tuple[int, dict[str, Any], int]:
    """POST ``chunks`` straight through ASGI (headers as given, nothing added).

    Returns the status, the JSON body, and how many chunks the app asked for: how much of
    the body it read.
    """
    pulled = 0

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        if pulled < len(chunks):
            pulled += 1
            return {
                "type": "http.request",
                "body": chunks[pulled - 1],
                "more_body": pulled < len(chunks),
            }
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 40000),
        "server": ("testserver", 80),
    }
    await app(scope, receive, send)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    import json

    return status, json.loads(body), pulled


@contextmanager
def live_server(app: FastAPI, **options: Any) -> Iterator[str]:
    """Serve ``app`` with uvicorn (lifespan on) on a free loopback port in a thread.

    ``options`` go to ``uvicorn.Config`` (the proxy options ``cs-agent serve`` uses, say).
    """
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", access_log=False, **options)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the app did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


async def aclient(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client calling ``app`` in process."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as client:
        yield client
