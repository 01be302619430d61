"""A local stand-in for an outside service: a real HTTP server on 127.0.0.1 that records requests.

Each emulator (Anthropic, Linear, Slack, Gmail, Zoom) is a Starlette app served by uvicorn on a
free port in a background thread, so the real client libraries talk real HTTP to it. Every
request is recorded; faults (rate limits, 5xx, hangs) can be injected for the next N requests
or at random.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import socket
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send


@dataclass
class RecordedRequest:
    """One request the emulator received, as it arrived."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)


@dataclass
class Fault:
    """An answer to give instead of the real one: a status with headers and body, or a hang."""

    status: int = 500
    body: Any = field(default_factory=lambda: {"error": "injected fault"})
    headers: dict[str, str] = field(default_factory=dict)
    hang_seconds: float = 0.0
    """Sleep this long before answering: long enough and the client's timeout cuts it."""

    def response(self) -> Response:
        if isinstance(self.body, bytes | str):
            return Response(self.body, status_code=self.status, headers=self.headers)
        return JSONResponse(self.body, status_code=self.status, headers=self.headers)


class _Recorder:
    """ASGI middleware that records every request and applies injected faults."""

    def __init__(self, app: ASGIApp, emulator: Emulator) -> None:
        self.app = app
        self.emulator = emulator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        chunks = []
        more = True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        recorded = RecordedRequest(
            method=scope["method"],
            path=scope["path"],
            query=scope.get("query_string", b"").decode(),
            headers={k.decode().lower(): v.decode() for k, v in scope["headers"]},
            body=body,
        )
        fault = self.emulator._take_fault(recorded)
        self.emulator._record(recorded, faulted=fault is not None)
        if fault is not None:
            if fault.hang_seconds:
                await asyncio.sleep(fault.hang_seconds)
            await fault.response()(scope, receive, send)
            return
        oddity = self.emulator._take_oddity(recorded)
        if oddity is not None:
            send = _OddSender(send, oddity)
        sent = False

        async def replay() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


ODD_SHAPES = ("missing", "null", "wrong_type", "not_object")


@dataclass
class Oddity:
    """An ok answer (the work done) whose JSON is bent at ``path`` into ``shape``.

    ``path`` is dotted keys from the top of the JSON body (``data.issueCreate.issue.id``);
    ``*`` stands for every element of a list. ``shape``: ``missing`` drops the key, ``null``
    sets it to null, ``wrong_type`` puts a value of another type there, ``not_object``
    wraps it in a list (an empty path: the whole body).
    """

    path: str
    shape: str = "missing"

    def __post_init__(self) -> None:
        if self.shape not in ODD_SHAPES:
            raise ValueError(f"shape must be one of {ODD_SHAPES}, not {self.shape!r}")

    def bend(self, payload: Any) -> Any:
        """``payload`` with the oddity applied (a copy where it matters)."""
        keys = [key for key in self.path.split(".") if key]
        if not keys:
            return [payload] if self.shape == "not_object" else payload
        _bend(payload, keys, self.shape)
        return payload


def _bend(node: Any, keys: list[str], shape: str) -> None:
    if not keys:
        return
    key, rest = keys[0], keys[1:]
    if key == "*":
        for inner in node if isinstance(node, list) else []:
            _bend(inner, rest, shape)
        return
    if not isinstance(node, dict):
        return
    if rest:
        if key in node:
            _bend(node[key], rest, shape)
    elif shape == "missing":
        node.pop(key, None)
    elif shape == "null":
        node[key] = None  # present but null, even where the key is usually left out
    elif shape == "not_object":
        if key in node:
            node[key] = [node[key]]
    else:  # wrong_type: a number where a string, list or object was (or nothing), else a string
        node[key] = "not what you expected" if isinstance(node.get(key), int | float) else 12345


class _OddSender:
    """Collects the app's answer and sends it again with its JSON body bent."""

    def __init__(self, send: Send, oddity: Oddity) -> None:
        self._send = send
        self._oddity = oddity
        self._start: dict[str, Any] | None = None
        self._chunks: list[bytes] = []

    async def __call__(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            self._start = message
            return
        if message["type"] != "http.response.body":
            await self._send(message)
            return
        self._chunks.append(message.get("body", b""))
        if message.get("more_body"):
            return
        body = b"".join(self._chunks)
        with contextlib.suppress(ValueError):  # not JSON: nothing to bend
            body = json.dumps(self._oddity.bend(json.loads(body))).encode()
        start = dict(self._start or {"type": "http.response.start", "status": 200})
        start["headers"] = [
            (k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"
        ] + [(b"content-length", str(len(body)).encode())]
        await self._send(start)
        await self._send({"type": "http.response.body", "body": body, "more_body": False})


class Emulator:
    """Base class: subclasses build ``routes()``; this serves them and keeps the record."""

    name = "emulator"

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self.faulted: list[RecordedRequest] = []
        self._faults: list[tuple[Callable[[RecordedRequest], bool], Fault]] = []
        self._random_faults: (
            tuple[float, list[Fault], random.Random, Callable[[RecordedRequest], bool]] | None
        ) = None
        self._oddities: list[tuple[Callable[[RecordedRequest], bool], Oddity]] = []
        self.oddly_answered: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # --- to override ----------------------------------------------------------------------------
    def routes(self) -> list[Any]:
        """Starlette routes of the emulated API."""
        raise NotImplementedError

    # --- lifecycle ------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``, no trailing slash."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Emulator:
        """Serve on a free port in a background thread; returns once it accepts connections."""
        app = _Recorder(Starlette(routes=self.routes()), self)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, daemon=True, name=self.name
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} emulator did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Stop serving."""
        if self._server is not None:
            self._server.should_exit = True
            self._server.force_exit = True  # do not wait for hung requests to finish
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- faults ---------------------------------------------------------------------------------
    def fail_next(
        self,
        count: int = 1,
        fault: Fault | None = None,
        *,
        when: Callable[[RecordedRequest], bool] | None = None,
    ) -> None:
        """Answer the next ``count`` requests (matching ``when``) with ``fault`` instead."""
        with self._lock:
            for _ in range(count):
                self._faults.append((when or (lambda _r: True), fault or Fault()))

    def fail_randomly(
        self,
        rate: float,
        faults: list[Fault],
        *,
        seed: int = 0,
        when: Callable[[RecordedRequest], bool] | None = None,
    ) -> None:
        """Answer a fraction ``rate`` of requests (matching ``when``) with one of ``faults``."""
        with self._lock:
            self._random_faults = (rate, faults, random.Random(seed), when or (lambda _r: True))

    def answer_oddly_next(
        self,
        oddity: Oddity,
        *,
        count: int = 1,
        when: Callable[[RecordedRequest], bool] | None = None,
    ) -> None:
        """Do the work of the next ``count`` requests (matching ``when``), answer ok, but bent."""
        with self._lock:
            for _ in range(count):
                self._oddities.append((when or (lambda _r: True), oddity))

    def clear_faults(self) -> None:
        """Answer normally (and in the usual shape) from now on."""
        with self._lock:
            self._faults.clear()
            self._random_faults = None
            self._oddities.clear()
            self.oddly_answered.clear()

    def _take_oddity(self, request: RecordedRequest) -> Oddity | None:
        with self._lock:
            for index, (when, oddity) in enumerate(self._oddities):
                if when(request):
                    del self._oddities[index]
                    self.oddly_answered.append(request)
                    return oddity
        return None

    def _take_fault(self, request: RecordedRequest) -> Fault | None:
        with self._lock:
            for index, (when, fault) in enumerate(self._faults):
                if when(request):
                    del self._faults[index]
                    return fault
            if self._random_faults is not None:
                rate, faults, rng, applies = self._random_faults
                if applies(request) and rng.random() < rate:
                    return rng.choice(faults)
        return None

    def _record(self, request: RecordedRequest, *, faulted: bool) -> None:
        with self._lock:
            (self.faulted if faulted else self.requests).append(request)

    # --- reading the record ---------------------------------------------------------------------
    def requests_to(self, path: str) -> list[RecordedRequest]:
        """Requests (answered normally) whose path is ``path``."""
        with self._lock:
            return [r for r in self.requests if r.path == path]


async def read_json(request: Request) -> Any:
    """The request body as JSON, or None when it is not JSON."""
    try:
        return json.loads(await request.body())
    except ValueError:
        return None


Handler = Callable[[Request], Awaitable[Response]]
