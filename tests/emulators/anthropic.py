"""A local Anthropic Messages API: answers ``POST /v1/messages`` from a script of turns.

The bundled ``claude`` CLI talks to it exactly as it talks to the real API (set
``ANTHROPIC_BASE_URL`` to ``emulator.url``, any ``ANTHROPIC_API_KEY``, and
``CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1``). Each request to ``/v1/messages`` takes the
next turn of the script whose ``marker`` occurs in the request (one script per conversation,
so several calls can be analysed at once) and answers it as the real API does: a stream of
server-sent events (``message_start``, ``content_block_start``, ``ping``, ``content_block_delta``
with ``text_delta`` / ``input_json_delta`` chunks, ``content_block_stop``, ``message_delta``,
``message_stop``) when the request says ``"stream": true``, else one JSON message.

Every request is recorded (base class), so tests can count round trips and tokens. Errors are
injected with ``fail_next`` and the real API's error bodies (``rate_limited``, ``overloaded``,
``server_error``, ``unauthorized``).
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from .base import Emulator, Fault, RecordedRequest

MESSAGES_PATH = "/v1/messages"


@dataclass(frozen=True)
class Text:
    """A text block the model says."""

    text: str


@dataclass(frozen=True)
class ToolUse:
    """A tool call the model makes. ``name`` is the full name (``mcp__server__tool``)."""

    name: str
    input: dict[str, Any]


Block = Text | ToolUse


@dataclass(frozen=True)
class Turn:
    """One assistant message: its blocks, in order."""

    blocks: tuple[Block, ...]

    @property
    def stop_reason(self) -> str:
        """``tool_use`` when the turn calls a tool, else ``end_turn`` (as the API reports)."""
        return "tool_use" if any(isinstance(b, ToolUse) for b in self.blocks) else "end_turn"


def turn(*blocks: Block) -> Turn:
    """A turn made of ``blocks``."""
    return Turn(tuple(blocks))


TurnSource = Turn | Callable[[dict[str, Any]], Turn]
"""A fixed turn, or a function of the request body that builds one (for turns that echo input)."""


@dataclass
class Script:
    """The turns of one conversation, served in order to requests that contain ``marker``."""

    turns: list[TurnSource]
    marker: str | None = None
    served: int = 0
    requests: list[dict[str, Any]] = field(default_factory=list)
    """The bodies of the requests this script answered, in order."""

    def matches(self, body_text: str) -> bool:
        return self.marker is None or self.marker in body_text


def estimate_tokens(text: str) -> int:
    """Characters / 4: the usual rough estimate (no tokenizer is involved)."""
    return max(1, len(text) // 4)


def request_input_text(body: dict[str, Any]) -> str:
    """Everything of a request the model would read: system, messages and tool definitions."""
    return json.dumps({k: body.get(k) for k in ("system", "messages", "tools")}, ensure_ascii=False)


def api_error(status: int, kind: str, message: str, headers: dict[str, str] | None = None) -> Fault:
    """A fault shaped like the real API's errors: ``{"type": "error", "error": {...}}``."""
    return Fault(
        status=status,
        body={"type": "error", "error": {"type": kind, "message": message}},
        headers={"request-id": "req_emulated_fault", **(headers or {})},
    )


def rate_limited(retry_after: float = 0) -> Fault:
    """429 ``rate_limit_error`` with a ``retry-after`` header (seconds)."""
    return api_error(
        429,
        "rate_limit_error",
        "Number of request tokens has exceeded your per-minute rate limit",
        {"retry-after": str(retry_after)},
    )


def server_error() -> Fault:
    """500 ``api_error``."""
    return api_error(500, "api_error", "Internal server error")


def overloaded() -> Fault:
    """529 ``overloaded_error``."""
    return api_error(529, "overloaded_error", "Overloaded")


def unauthorized() -> Fault:
    """401 ``authentication_error``."""
    return api_error(401, "authentication_error", "invalid x-api-key")


def is_messages(request: RecordedRequest) -> bool:
    """For ``fail_next(when=...)``: only model requests, not token counting or other paths."""
    return request.method == "POST" and request.path == MESSAGES_PATH


class AnthropicEmulator(Emulator):
    """The Messages API, answering from scripts and recording what the client sent."""

    name = "anthropic"

    def __init__(self) -> None:
        super().__init__()
        self._scripts: list[Script] = []
        self._script_lock = threading.Lock()
        self._ids = itertools.count(1)
        self.unscripted: list[dict[str, Any]] = []
        """Requests no script had a turn for (answered with a plain text turn saying so)."""
        self.answered_usage: list[dict[str, int]] = []
        """The usage reported with every answered message, in order."""

    # --- scripting ------------------------------------------------------------------------------
    def script(self, turns: list[TurnSource], *, marker: str | None = None) -> Script:
        """Serve ``turns`` to the requests containing ``marker`` (every request when None)."""
        new = Script(turns=list(turns), marker=marker)
        with self._script_lock:
            self._scripts.append(new)
        return new

    def reset(self) -> None:
        """Forget scripts, faults and the record."""
        self.clear_faults()
        with self._script_lock:
            self._scripts.clear()
            self.unscripted.clear()
            self.answered_usage.clear()
        with self._lock:
            self.requests.clear()
            self.faulted.clear()

    def message_requests(self, marker: str | None = None) -> list[dict[str, Any]]:
        """Bodies of the model requests answered normally (containing ``marker`` when given)."""
        bodies = [r.json() for r in self.requests_to(MESSAGES_PATH) if r.method == "POST"]
        if marker is None:
            return bodies
        return [b for b in bodies if marker in json.dumps(b, ensure_ascii=False)]

    def _next_turn(self, body: dict[str, Any]) -> Turn | None:
        text = json.dumps(body, ensure_ascii=False)
        with self._script_lock:
            for script in self._scripts:
                if script.matches(text) and script.served < len(script.turns):
                    source = script.turns[script.served]
                    script.served += 1
                    script.requests.append(body)
                    break
            else:
                self.unscripted.append(body)
                return None
        return source(body) if callable(source) else source

    # --- the API --------------------------------------------------------------------------------
    def routes(self) -> list[Any]:
        return [
            Route(MESSAGES_PATH, self._messages, methods=["POST"]),
            Route(MESSAGES_PATH + "/count_tokens", self._count_tokens, methods=["POST"]),
        ]

    async def _count_tokens(self, request: Request) -> Response:
        body = json.loads(await request.body())
        return JSONResponse({"input_tokens": estimate_tokens(request_input_text(body))})

    async def _messages(self, request: Request) -> Response:
        if not request.headers.get("x-api-key") and not request.headers.get("authorization"):
            return unauthorized().response()
        try:
            body = json.loads(await request.body())
        except ValueError:
            return api_error(400, "invalid_request_error", "body is not JSON").response()
        if not isinstance(body, dict) or "messages" not in body or "model" not in body:
            return api_error(
                400, "invalid_request_error", "model and messages are required"
            ).response()
        found = self._next_turn(body)
        answer = found or turn(Text("[emulator] no scripted turn left for this conversation"))
        message_id = f"msg_emu_{next(self._ids):04d}"
        blocks = [self._block_json(block) for block in answer.blocks]
        usage = {
            "input_tokens": estimate_tokens(request_input_text(body)),
            "output_tokens": estimate_tokens(json.dumps(blocks)),
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
        }
        with self._script_lock:
            self.answered_usage.append(usage)
        headers = {"request-id": f"req_{message_id}"}
        if body.get("stream"):
            events = _stream_events(message_id, body["model"], blocks, answer.stop_reason, usage)
            return StreamingResponse(events, media_type="text/event-stream", headers=headers)
        return JSONResponse(
            {
                "id": message_id,
                "type": "message",
                "role": "assistant",
                "model": body["model"],
                "content": blocks,
                "stop_reason": answer.stop_reason,
                "stop_sequence": None,
                "usage": usage,
            },
            headers=headers,
        )

    def _block_json(self, block: Block) -> dict[str, Any]:
        if isinstance(block, Text):
            return {"type": "text", "text": block.text}
        return {
            "type": "tool_use",
            "id": f"toolu_emu_{next(self._ids):04d}",
            "name": block.name,
            "input": block.input,
        }


def _sse(event: str, data: dict[str, Any]) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


def _chunks(text: str, size: int = 48) -> Iterator[str]:
    for start in range(0, len(text), size):
        yield text[start : start + size]


def _stream_events(
    message_id: str,
    model: str,
    blocks: list[dict[str, Any]],
    stop_reason: str,
    usage: dict[str, int],
) -> Iterator[bytes]:
    """The real API's event sequence for one message, with content split into deltas."""
    start_usage = {**usage, "output_tokens": 1}
    yield _sse(
        "message_start",
        {
            "type": "message_start",
            "message": {
                "id": message_id,
                "type": "message",
                "role": "assistant",
                "model": model,
                "content": [],
                "stop_reason": None,
                "stop_sequence": None,
                "usage": start_usage,
            },
        },
    )
    for index, block in enumerate(blocks):
        if block["type"] == "text":
            opening: dict[str, Any] = {"type": "text", "text": ""}
            deltas = [{"type": "text_delta", "text": part} for part in _chunks(block["text"])]
        else:
            opening = {**block, "input": {}}
            raw = json.dumps(block["input"], ensure_ascii=False)
            deltas = [{"type": "input_json_delta", "partial_json": ""}]
            deltas += [{"type": "input_json_delta", "partial_json": p} for p in _chunks(raw)]
        yield _sse(
            "content_block_start",
            {"type": "content_block_start", "index": index, "content_block": opening},
        )
        if index == 0:
            yield _sse("ping", {"type": "ping"})
        for delta in deltas:
            yield _sse(
                "content_block_delta",
                {"type": "content_block_delta", "index": index, "delta": delta},
            )
        yield _sse("content_block_stop", {"type": "content_block_stop", "index": index})
    yield _sse(
        "message_delta",
        {
            "type": "message_delta",
            "delta": {"stop_reason": stop_reason, "stop_sequence": None},
            "usage": {"output_tokens": usage["output_tokens"]},
        },
    )
    yield _sse("message_stop", {"type": "message_stop"})
