"""``users.drafts`` of the Gmail emulator: create, list (with search) and get, on the wire.

A draft is a message labelled ``DRAFT`` plus a draft id, the way Gmail keeps them, so the
message search (``messages.list``) sees it too and the mailer's send look-up must skip it.
``hang_next_draft_create`` stores the next draft and then holds the answer: a create that
timed out after it was applied. ``send_draft`` plays the person who sends the draft from
Gmail: the draft is gone and the message is sent, with its headers (and Message-ID) kept.
"""

from __future__ import annotations

import asyncio
import base64
import json
import threading
import time
from dataclasses import dataclass
from email import policy
from email.parser import BytesParser
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

if TYPE_CHECKING:
    from .gmail import Mailbox, StoredMessage


@dataclass
class StoredDraft:
    """A draft: its id, and the message (labelled DRAFT) it holds."""

    id: str
    message_id: str


class GmailDrafts:
    """The drafts part of the emulator (mixed into ``GmailEmulator``)."""

    mailboxes: dict[str, Mailbox]
    _lock: threading.Lock
    _release: threading.Event

    def _init_drafts(self) -> None:
        self.drafts: dict[str, list[StoredDraft]] = {}
        self._draft_numbers = iter(range(1, 1_000_000))
        self._hang_draft_creates = 0
        self._hang_draft_seconds = 0.0
        self.draft_create_hung = threading.Event()

    # --- the test's levers ----------------------------------------------------------------------
    def hang_next_draft_create(self, seconds: float = 60.0) -> None:
        """Store the next created draft, then hold the answer (the caller times out)."""
        with self._lock:
            self._hang_draft_creates += 1
            self._hang_draft_seconds = seconds

    def drafts_of(self, address: str) -> list[StoredMessage]:
        """The draft messages in ``address``'s mailbox, oldest first."""
        box = self.mailbox(address)
        held = {d.message_id for d in self.drafts.get(box.address.lower(), [])}
        return [m for m in box.messages if m.id in held]

    def send_draft(self, address: str, message: StoredMessage) -> StoredMessage:
        """What Gmail does when the person sends the draft: no draft left, the message sent."""
        box = self.mailbox(address)
        key = box.address.lower()
        self.drafts[key] = [d for d in self.drafts.get(key, []) if d.message_id != message.id]
        box.messages.remove(message)
        return self._store(box, message.raw, ["SENT"], message.thread_id)

    # --- routes ---------------------------------------------------------------------------------
    def draft_routes(self) -> list[Any]:
        users = "/gmail/v1/users/{userId}"
        return [
            Route(f"{users}/drafts", self._create_draft, methods=["POST"]),
            Route(f"{users}/drafts", self._list_drafts, methods=["GET"]),
            Route(f"{users}/drafts/{{id}}", self._get_draft, methods=["GET"]),
        ]

    async def _create_draft(self, request: Request) -> Response:
        box = self._authorize(request, "users.drafts.create")
        if isinstance(box, Response):
            return box
        body = json.loads(await request.body() or b"{}")
        message = body.get("message") or {}
        raw = message.get("raw")
        if not raw:
            return self._bad(
                "'raw' RFC822 payload message string or uploading message via /upload/* URL required"
            )
        try:
            data = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
        except ValueError:
            return self._bad("Invalid value for ByteString: message.raw")
        parsed = BytesParser(policy=policy.default).parsebytes(data)
        thread_id = message.get("threadId")
        if thread_id is not None:
            thread = box.thread(str(thread_id))
            if not thread:
                return self._not_found()
            first = str(thread[0].parsed.get("Subject", ""))
            if self.same_subject(first) != self.same_subject(str(parsed["Subject"] or "")):
                thread_id = None
        stored = self._store(box, data, ["DRAFT"], thread_id)
        draft = StoredDraft(id=f"r{next(self._draft_numbers):019d}", message_id=stored.id)
        with self._lock:
            self.drafts.setdefault(box.address.lower(), []).append(draft)
            hang = self._hang_draft_creates > 0
            if hang:
                self._hang_draft_creates -= 1
        if hang:
            self.draft_create_hung.set()
            deadline = time.monotonic() + self._hang_draft_seconds
            while not self._release.is_set() and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
        return JSONResponse({"id": draft.id, "message": _ref(stored)})

    async def _list_drafts(self, request: Request) -> Response:
        box = self._authorize(request, "users.drafts.list")
        if isinstance(box, Response):
            return box
        try:
            found = {m.id: m for m in self._search(box, request)}
        except ValueError as error:
            return self._bad(str(error))
        drafts = [
            {"id": d.id, "message": _ref(found[d.message_id])}
            for d in reversed(self.drafts.get(box.address.lower(), []))
            if d.message_id in found
        ]
        limit = int(request.query_params.get("maxResults", "100"))
        result: dict[str, Any] = {"resultSizeEstimate": len(drafts)}
        if drafts:
            result["drafts"] = drafts[:limit]
        return JSONResponse(result)

    async def _get_draft(self, request: Request) -> Response:
        box = self._authorize(request, "users.drafts.get")
        if isinstance(box, Response):
            return box
        for draft in self.drafts.get(box.address.lower(), []):
            if draft.id == request.path_params["id"]:
                message = next(m for m in box.messages if m.id == draft.message_id)
                fmt = request.query_params.get("format", "full")
                return JSONResponse({"id": draft.id, "message": message.resource(fmt)})
        return self._not_found()

    def _bad(self, message: str) -> Response:
        return JSONResponse(self.error_body(400, message, "invalidArgument"), status_code=400)

    def _not_found(self) -> Response:
        body = self.error_body(404, "Requested entity was not found.", "notFound")
        return JSONResponse(body, status_code=404)

    # Provided by GmailEmulator.
    def error_body(self, status: int, message: str, reason: str = "") -> dict[str, Any]:
        raise NotImplementedError

    def same_subject(self, subject: str) -> str:
        raise NotImplementedError

    def mailbox(self, address: str) -> Mailbox:
        raise NotImplementedError

    def _authorize(self, request: Request, method_id: str) -> Mailbox | Response:
        raise NotImplementedError

    def _store(
        self, box: Mailbox, raw: bytes, labels: list[str], thread_id: str | None
    ) -> StoredMessage:
        raise NotImplementedError

    def _search(self, box: Mailbox, request: Request) -> list[StoredMessage]:
        raise NotImplementedError


def _ref(message: StoredMessage) -> dict[str, Any]:
    return {"id": message.id, "threadId": message.thread_id, "labelIds": list(message.label_ids)}
