"""A Slack Web API emulator, and the Slack side of interactivity: signed payloads and Socket Mode.

The bot's ``AsyncWebClient`` talks to it with ``base_url=emulator.api_url``. It answers the
methods cs-agent uses the way Slack does (HTTP 200 with ``ok: false`` and an error code for
mistakes), checks the bearer token, keeps channels' messages so ``chat.update`` and
``conversations.history`` / ``conversations.replies`` behave (metadata only with
``include_all_metadata``, and ``missing_scope`` without ``channels:history`` or
``groups:history``, the way Slack answers a bot lacking them), and rejects Block Kit that breaks Slack's limits with
``invalid_blocks``. Every call is recorded by the base class.

The other direction, Slack calling us, is here too: ``sign`` implements Slack's request
signing (checked against Slack's published test vector), ``click`` builds a ``block_actions``
payload from a button of a message the bot posted, ``submit`` a ``view_submission`` from a
modal the bot opened, and ``socket_send`` delivers an envelope over Socket Mode.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import threading
import time
import urllib.parse
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from .base import Emulator, Oddity

SCOPES = "chat:write,users:read,users:read.email,usergroups:read,channels:history,groups:history"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """Slack's ``X-Slack-Signature``: ``v0=`` + hex HMAC-SHA256 of ``v0:{ts}:{body}``."""
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed_request(
    payload: dict[str, Any], secret: str, *, timestamp: int | None = None
) -> tuple[bytes, dict[str, str]]:
    """How Slack delivers an interaction: form-encoded ``payload=<json>``, signed."""
    body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    return body, {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": sign(secret, stamp, body),
    }


class SlackError(Exception):
    """An ``ok: false`` answer."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


class SlackEmulator(Emulator):
    """Slack's Web API for one workspace, one bot, a few channels, users and user groups."""

    name = "slack"

    def __init__(
        self,
        *,
        bot_token: str = "xoxb-test-token",
        app_token: str = "xapp-test-token",
        channels: tuple[str, ...] = ("C0APPROVALS",),
        users: dict[str, str] | None = None,
        usergroups: dict[str, list[str]] | None = None,
        scopes: str = SCOPES,
    ) -> None:
        super().__init__()
        self.bot_token = bot_token
        self.app_token = app_token
        self.team_id, self.bot_user_id, self.bot_id = "T0TEAM", "U0BOT", "B0BOT"
        self.users = dict(users or {})
        """email → user id"""
        self.usergroups = dict(usergroups or {})
        self.scopes = scopes
        self.messages: dict[str, list[dict[str, Any]]] = {c: [] for c in channels}
        self.ephemerals: list[dict[str, Any]] = []
        self.views: list[dict[str, Any]] = []
        self._ts = itertools.count(1)
        self._state = threading.Lock()
        self._sockets: list[tuple[asyncio.AbstractEventLoop, WebSocket]] = []
        self.socket_acks: list[dict[str, Any]] = []
        self._late_answers: dict[str, float] = {}

    def answer_late(self, method: str, seconds: float) -> None:
        """Do the next ``method`` call, then wait ``seconds`` before answering it (once).

        Unlike a fault, the work is done: this is how a lost answer, or a client killed
        while waiting, looks from Slack's side.
        """
        with self._lock:
            self._late_answers[method] = seconds

    def answer_oddly(
        self, method: str, path: str, shape: str = "missing", *, count: int = 1
    ) -> None:
        """Do the next ``count`` ``method`` calls, then answer ``ok`` but bent at ``path``
        (``ts``, ``user.id``; ``shape`` as in ``Oddity``)."""
        self.answer_oddly_next(
            Oddity(path, shape), count=count, when=lambda request: request.path == f"/api/{method}"
        )

    @property
    def api_url(self) -> str:
        """The ``base_url`` for ``AsyncWebClient`` (Slack's is ``https://slack.com/api/``)."""
        return self.url + "/api/"

    def routes(self) -> list[Any]:
        return [
            Route("/api/{method}", self._dispatch, methods=["GET", "POST"]),
            WebSocketRoute("/socket-mode", self._socket),
        ]

    # --- the Web API --------------------------------------------------------------------------

    async def _dispatch(self, request: Request) -> JSONResponse:
        method = request.path_params["method"]
        args = await _arguments(request)
        token = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        token = token or str(args.get("token", ""))
        handler = self._methods().get(method)
        if handler is None:
            return JSONResponse({"ok": False, "error": "unknown_method"}, status_code=404)
        expected = self.app_token if method == "apps.connections.open" else self.bot_token
        if not token:
            return JSONResponse({"ok": False, "error": "not_authed"})
        if token != expected:
            return JSONResponse({"ok": False, "error": "invalid_auth"})
        try:
            with self._state:
                result = handler(args)
        except SlackError as error:
            return JSONResponse({"ok": False, "error": error.error, **error.extra})
        with self._lock:
            delay = self._late_answers.pop(method, 0.0)
        if delay:
            await asyncio.sleep(delay)  # done, but the answer is late: a client may give up
        headers = {"x-oauth-scopes": self.scopes} if method == "auth.test" else {}
        return JSONResponse({"ok": True, **result}, headers=headers)

    def _methods(self) -> dict[str, Any]:
        return {
            "auth.test": self.auth_test,
            "chat.postMessage": self.chat_post_message,
            "chat.update": self.chat_update,
            "chat.postEphemeral": self.chat_post_ephemeral,
            "views.open": self.views_open,
            "users.lookupByEmail": self.users_lookup_by_email,
            "usergroups.users.list": self.usergroups_users_list,
            "conversations.history": self.conversations_history,
            "conversations.replies": self.conversations_replies,
            "apps.connections.open": self.apps_connections_open,
        }

    def auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": "https://example-team.slack.com/",
            "team": "Example Team",
            "user": "cs-agent",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def chat_post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        blocks = _blocks(args)
        if not args.get("text") and not blocks:
            raise SlackError("no_text")
        _check_blocks(blocks, limit=50)
        ts = self._next_ts()
        message = {
            "type": "message",
            "ts": ts,
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "text": args.get("text", ""),
            "blocks": blocks,
        }
        if args.get("metadata"):
            message["metadata"] = _json_arg(args["metadata"])
        if args.get("thread_ts"):
            parent = self._find(channel, str(args["thread_ts"]))
            message["thread_ts"] = parent["ts"]
        self.messages[channel].append(message)
        return {"channel": channel, "ts": ts, "message": message}

    def chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        message = self._find(channel, str(args.get("ts", "")))
        blocks = _blocks(args)
        _check_blocks(blocks, limit=50)
        if "text" in args:
            message["text"] = args["text"]
        if "blocks" in args:
            message["blocks"] = blocks
        if args.get("metadata"):
            message["metadata"] = _json_arg(args["metadata"])
        message["edited"] = {"user": self.bot_user_id, "ts": self._next_ts()}
        return {"channel": channel, "ts": message["ts"], "text": message["text"]}

    def chat_post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        if not args.get("user"):
            raise SlackError("user_not_found")
        if not args.get("text") and not args.get("blocks"):
            raise SlackError("no_text")
        self.ephemerals.append({"channel": channel, "user": args["user"], "text": args["text"]})
        return {"message_ts": self._next_ts()}

    def views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("trigger_id"):
            raise SlackError("invalid_arguments")
        view = _json_arg(args.get("view"))
        if not isinstance(view, dict) or view.get("type") != "modal":
            raise SlackError("invalid_arguments")
        problems = []
        if len(view.get("title", {}).get("text", "")) > 24:
            problems.append("title must be 24 characters or fewer")
        if len(view.get("private_metadata", "")) > 3000:
            problems.append("private_metadata must be 3000 characters or fewer")
        for block in view.get("blocks", []):
            element = block.get("element") or {}
            if element.get("type") == "plain_text_input":
                limit = element.get("max_length", 3000)
                if limit > 3000 or len(element.get("initial_value") or "") > limit:
                    problems.append(f"{block.get('block_id')}: initial_value too long")
        problems.extend(_block_problems(view.get("blocks", []), limit=100))
        if problems:
            raise SlackError("invalid_arguments", response_metadata={"messages": problems})
        stored = {**view, "id": f"V{len(self.views) + 1:06d}", "trigger_id": args["trigger_id"]}
        self.views.append(stored)
        return {"view": stored}

    def users_lookup_by_email(self, args: dict[str, Any]) -> dict[str, Any]:
        email = str(args.get("email", "")).lower()
        user_id = self.users.get(email)
        if user_id is None:
            raise SlackError("users_not_found")
        return {"user": {"id": user_id, "name": email.split("@")[0], "profile": {"email": email}}}

    def usergroups_users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        group = str(args.get("usergroup", ""))
        if group not in self.usergroups:
            raise SlackError("no_such_subteam")
        return {"users": list(self.usergroups[group])}

    def conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        self._needs_history_scope(channel)
        limit = int(args.get("limit") or 100)
        with_metadata = str(args.get("include_all_metadata", "0")).lower() in ("1", "true")
        top_level = [m for m in self.messages[channel] if "thread_ts" not in m]
        newest_first = list(reversed(top_level))[:limit]
        messages = [
            {k: v for k, v in m.items() if with_metadata or k != "metadata"} for m in newest_first
        ]
        return {"messages": messages, "has_more": len(top_level) > limit}

    def conversations_replies(self, args: dict[str, Any]) -> dict[str, Any]:
        """A thread, parent first, then its replies oldest first, paged by ``cursor``."""
        channel = self._channel(args)
        self._needs_history_scope(channel)
        parent = self._find(channel, str(args.get("ts", "")))
        if "thread_ts" in parent:
            parent = self._find(channel, str(parent["thread_ts"]))
        limit = max(1, min(int(args.get("limit") or 1000), 1000))
        start = int(args.get("cursor") or 0)
        with_metadata = str(args.get("include_all_metadata", "0")).lower() in ("1", "true")
        thread = [parent] + [
            m for m in self.messages[channel] if m.get("thread_ts") == parent["ts"]
        ]
        page = thread[start : start + limit]
        more = start + limit < len(thread)
        return {
            "messages": [
                {k: v for k, v in m.items() if with_metadata or k != "metadata"} for m in page
            ],
            "has_more": more,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    def apps_connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"url": f"ws://127.0.0.1:{self.port}/socket-mode"}

    # --- Socket Mode ----------------------------------------------------------------------------

    async def _socket(self, websocket: WebSocket) -> None:
        await websocket.accept()
        entry = (asyncio.get_running_loop(), websocket)
        with self._lock:
            self._sockets.append(entry)
        await websocket.send_json({"type": "hello", "num_connections": 1})
        try:
            while True:
                message = await websocket.receive_text()
                with self._lock:
                    self.socket_acks.append(json.loads(message))
        except WebSocketDisconnect:
            pass
        finally:
            with self._lock:
                self._sockets.remove(entry)

    def socket_connected(self) -> bool:
        """Whether a Socket Mode client is connected."""
        with self._lock:
            return bool(self._sockets)

    def socket_send(self, payload: dict[str, Any], *, kind: str = "interactive") -> str:
        """Deliver ``payload`` to the connected Socket Mode client. Returns the envelope id."""
        envelope_id = f"env-{next(self._ts)}"
        envelope = {
            "envelope_id": envelope_id,
            "type": kind,
            "accepts_response_payload": kind == "interactive",
            "payload": payload,
            "retry_attempt": 0,
            "retry_reason": "",
        }
        with self._lock:
            if not self._sockets:
                raise RuntimeError("no Socket Mode client is connected")
            loop, websocket = self._sockets[-1]
        asyncio.run_coroutine_threadsafe(websocket.send_json(envelope), loop).result(timeout=5)
        return envelope_id

    # --- reading the state ----------------------------------------------------------------------

    def top_level(self, channel: str) -> list[dict[str, Any]]:
        """Messages of ``channel`` (not thread replies), oldest first."""
        with self._state:
            return [dict(m) for m in self.messages[channel] if "thread_ts" not in m]

    def replies(self, channel: str, ts: str) -> list[dict[str, Any]]:
        """Thread replies to message ``ts``."""
        with self._state:
            return [dict(m) for m in self.messages[channel] if m.get("thread_ts") == ts]

    def message(self, channel: str, ts: str) -> dict[str, Any]:
        """One message as it is now."""
        with self._state:
            return dict(self._find(channel, ts))

    def ephemerals_to(self, user: str) -> list[str]:
        """Texts of the ephemeral messages ``user`` was shown."""
        with self._state:
            return [e["text"] for e in self.ephemerals if e["user"] == user]

    # --- the Slack side of interactivity --------------------------------------------------------

    def click(
        self,
        message: dict[str, Any],
        action_id: str,
        *,
        user: str,
        channel: str | None = None,
    ) -> dict[str, Any]:
        """The ``block_actions`` payload Slack sends when ``user`` clicks a button of ``message``."""
        button = next(
            (
                element
                for block in message.get("blocks", [])
                if block.get("type") == "actions"
                for element in block.get("elements", [])
                if element.get("action_id") == action_id
            ),
            None,
        )
        if button is None:
            raise AssertionError(f"the message has no {action_id} button")
        channel = channel or message.get("channel") or next(iter(self.messages))
        n = next(self._ts)
        return {
            "type": "block_actions",
            "user": {
                "id": user,
                "username": user.lower(),
                "name": user.lower(),
                "team_id": self.team_id,
            },
            "api_app_id": "A0CSAGENT",
            "token": "verification_token",
            "container": {
                "type": "message",
                "message_ts": message["ts"],
                "channel_id": channel,
                "is_ephemeral": False,
            },
            "trigger_id": f"{n}.{n}.trigger{n}",
            "team": {"id": self.team_id, "domain": "example-team"},
            "enterprise": None,
            "is_enterprise_install": False,
            "channel": {"id": channel, "name": "cs-approvals"},
            "message": message,
            "state": {"values": {}},
            "response_url": f"https://hooks.slack.com/actions/{self.team_id}/{n}/x",
            "actions": [
                {
                    "action_id": action_id,
                    "block_id": button.get("block_id", "b"),
                    "text": button["text"],
                    "value": button.get("value", ""),
                    "style": button.get("style", ""),
                    "type": "button",
                    "action_ts": f"{time.time():.6f}",
                }
            ],
        }

    def submit(
        self, view: dict[str, Any], values: dict[str, str | None], *, user: str
    ) -> dict[str, Any]:
        """The ``view_submission`` payload for ``view`` (one the bot opened), with inputs filled.

        ``values`` maps an input block id to what the person left in it; blocks not named keep
        their initial value, as in Slack.
        """
        state: dict[str, dict[str, dict[str, Any]]] = {}
        for block in view.get("blocks", []):
            element = block.get("element")
            if block.get("type") != "input" or not element:
                continue
            block_id = block["block_id"]
            value = values[block_id] if block_id in values else element.get("initial_value")
            state[block_id] = {element["action_id"]: {"type": element["type"], "value": value}}
        return {
            "type": "view_submission",
            "team": {"id": self.team_id, "domain": "example-team"},
            "user": {
                "id": user,
                "username": user.lower(),
                "name": user.lower(),
                "team_id": self.team_id,
            },
            "api_app_id": "A0CSAGENT",
            "token": "verification_token",
            "trigger_id": f"{next(self._ts)}.trigger",
            "view": {
                **view,
                "team_id": self.team_id,
                "state": {"values": state},
                "hash": f"{int(time.time())}.hash",
                "previous_view_id": None,
                "root_view_id": view["id"],
                "app_id": "A0CSAGENT",
                "bot_id": self.bot_id,
            },
            "response_urls": [],
            "is_enterprise_install": False,
        }

    # --- internals ------------------------------------------------------------------------------

    def _next_ts(self) -> str:
        n = next(self._ts)
        return f"{1_760_000_000 + n}.{n:06d}"

    def _channel(self, args: dict[str, Any]) -> str:
        channel = str(args.get("channel", ""))
        if channel not in self.messages:
            raise SlackError("channel_not_found")
        return channel

    def _needs_history_scope(self, channel: str) -> None:
        # Public channels (C…) need channels:history, private ones (G…) groups:history.
        needed = "groups:history" if channel.startswith("G") else "channels:history"
        if needed not in {s.strip() for s in self.scopes.split(",")}:
            raise SlackError("missing_scope", needed=needed, provided=self.scopes)

    def _find(self, channel: str, ts: str) -> dict[str, Any]:
        for message in self.messages[channel]:
            if message["ts"] == ts:
                return message
        raise SlackError("message_not_found")


async def _arguments(request: Request) -> dict[str, Any]:
    args: dict[str, Any] = dict(request.query_params)
    body = await request.body()
    content_type = request.headers.get("content-type", "")
    if body and "json" in content_type:
        args.update(json.loads(body))
    elif body:
        args.update({k: v[-1] for k, v in urllib.parse.parse_qs(body.decode()).items()})
    return args


def _json_arg(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _blocks(args: dict[str, Any]) -> list[dict[str, Any]]:
    blocks = _json_arg(args.get("blocks")) or []
    if not isinstance(blocks, list):
        raise SlackError("invalid_blocks_format")
    return blocks


def _check_blocks(blocks: list[dict[str, Any]], *, limit: int) -> None:
    problems = _block_problems(blocks, limit=limit)
    if problems:
        raise SlackError(
            "invalid_blocks", errors=problems, response_metadata={"messages": problems}
        )


def _text_of(obj: Any) -> str:
    return str(obj.get("text", "")) if isinstance(obj, dict) else ""


def _block_problems(blocks: list[dict[str, Any]], *, limit: int) -> list[str]:
    """Slack's Block Kit limits (docs.slack.dev/reference/block-kit/blocks)."""
    problems = []
    if len(blocks) > limit:
        problems.append(f"no more than {limit} items allowed [json-pointer:/blocks]")
    ids: set[str] = set()
    for index, block in enumerate(blocks):
        where = f"[json-pointer:/blocks/{index}]"
        kind = block.get("type")
        block_id = block.get("block_id")
        if block_id:
            if block_id in ids or len(block_id) > 255:
                problems.append(f"invalid block_id {where}")
            ids.add(block_id)
        if kind == "header":
            if block["text"].get("type") != "plain_text" or len(_text_of(block["text"])) > 150:
                problems.append(f"header text must be plain_text of at most 150 characters {where}")
        elif kind == "section":
            if "text" not in block and "fields" not in block:
                problems.append(f"section needs text or fields {where}")
            if len(_text_of(block.get("text"))) > 3000:
                problems.append(f"must be less than 3001 characters {where}/text")
            fields = block.get("fields") or []
            if len(fields) > 10 or any(len(_text_of(f)) > 2000 for f in fields):
                problems.append(f"fields: at most 10, each at most 2000 characters {where}")
        elif kind == "actions":
            elements = block.get("elements") or []
            if not elements or len(elements) > 25:
                problems.append(f"actions need 1 to 25 elements {where}")
            for element in elements:
                if element.get("type") == "button":
                    if len(_text_of(element.get("text"))) > 75:
                        problems.append(f"button text over 75 characters {where}")
                    if len(element.get("value", "")) > 2000:
                        problems.append(f"button value over 2000 characters {where}")
        elif kind == "context":
            if not block.get("elements") or len(block["elements"]) > 10:
                problems.append(f"context needs 1 to 10 elements {where}")
        elif kind not in ("divider", "input", "image", "rich_text"):
            problems.append(f"unknown block type {kind!r} {where}")
    return problems
