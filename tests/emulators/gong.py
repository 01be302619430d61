"""A local Gong: ``POST /v2/calls/extensive``, ``POST /v2/calls/transcript`` and ``GET /v2/users``
behind an access key (HTTP Basic), answering in the shapes of Gong's API documentation, with
cursor paging; and automation-rule deliveries signed the way Gong signs them (a JWT, RS256,
claiming the body's SHA-256 and the webhook URL), by code written apart from cs-agent's.

Transcript answers follow ``/work/shared/refdata/meeting_vendors/gong.v2_calls_transcript``:
``callTranscripts[].transcript[]`` monologues of one ``speakerId`` with ``sentences`` whose
``start``/``end`` are milliseconds from the call's start.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import time
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .base import Emulator
from .meetings import RecordedCall

ACCESS_KEY = "GONGKEY123"
ACCESS_KEY_SECRET = "gong-secret-eyJhbGciOi"


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"requestId": "req-emulated", "errors": [message]}, status_code=status)


class GongEmulator(Emulator):
    """Calls by id, each with its parties and transcript; a rule key to sign deliveries with."""

    name = "gong"

    def __init__(self) -> None:
        super().__init__()
        self.calls: dict[str, RecordedCall] = {}
        self.page_size = 100
        """Items a page: calls for ``extensive``, monologues for ``transcript``."""
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    # --- the rule's key and its deliveries -----------------------------------------------------
    def public_key_base64(self) -> str:
        """The rule's public key as Gong's "Show public key" shows it: base64 DER, no armour."""
        der = self._key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return base64.b64encode(der).decode()

    def delivery(
        self,
        call_id: str,
        *,
        webhook_url: str,
        key: rsa.RSAPrivateKey | None = None,
        expires_in: int = 300,
        tamper: bool = False,
    ) -> tuple[bytes, dict[str, str]]:
        """The body and headers an automation rule sends for ``call_id``."""
        body = json.dumps(
            {"callData": self._call_object(call_id), "isTest": False, "isPrivate": False}
        ).encode()
        claims = {
            "webhook_url": webhook_url,
            "body_sha256": hashlib.sha256(body).hexdigest(),
            "exp": int(time.time()) + expires_in,
        }
        token = jwt.encode(claims, key or self._key, algorithm="RS256")
        if tamper:
            body = body.replace(b'"isTest": false', b'"isTest": true')
        return body, {"content-type": "application/json", "authorization": token}

    # --- the API -------------------------------------------------------------------------------
    def add_call(self, call_id: str, call: RecordedCall) -> None:
        """Make ``call`` known to Gong under ``call_id``."""
        self.calls[call_id] = call

    def routes(self) -> list[Any]:
        return [
            Route("/v2/calls/extensive", self._extensive, methods=["POST"]),
            Route("/v2/calls/transcript", self._transcript, methods=["POST"]),
            Route("/v2/users", self._users, methods=["GET"]),
        ]

    def _authorized(self, request: Request) -> bool:
        expected = base64.b64encode(f"{ACCESS_KEY}:{ACCESS_KEY_SECRET}".encode()).decode()
        return request.headers.get("authorization", "") == f"Basic {expected}"

    async def _users(self, request: Request) -> Response:
        if not self._authorized(request):
            return _error(401, "Unauthorized")
        return JSONResponse({"requestId": "r", "records": {"totalRecords": 0}, "users": []})

    async def _extensive(self, request: Request) -> Response:
        if not self._authorized(request):
            return _error(401, "Unauthorized")
        body = await request.json()
        call_filter = body.get("filter") or {}
        if call_filter.get("callIds"):
            ids = [i for i in call_filter["callIds"] if i in self.calls]
        else:
            since = call_filter.get("fromDateTime")
            start = dt.datetime.fromisoformat(since.replace("Z", "+00:00")) if since else None
            ids = [i for i, c in self.calls.items() if start is None or c.started >= start]
        if not ids:
            return _error(404, "No calls found corresponding to the provided filters")
        offset = int(body.get("cursor") or 0)
        page = ids[offset : offset + self.page_size]
        more = offset + self.page_size < len(ids)
        return JSONResponse(
            {
                "requestId": "r",
                "records": self._records(len(ids), len(page), offset, more),
                "calls": [self._call_object(i) for i in page],
            }
        )

    async def _transcript(self, request: Request) -> Response:
        if not self._authorized(request):
            return _error(401, "Unauthorized")
        body = await request.json()
        ids = [i for i in (body.get("filter") or {}).get("callIds") or [] if i in self.calls]
        if not ids:
            return _error(404, "No calls found corresponding to the provided filters")
        call_id = ids[0]
        monologues = self._monologues(call_id)
        offset = int(body.get("cursor") or 0)
        page = monologues[offset : offset + self.page_size]
        more = offset + self.page_size < len(monologues)
        return JSONResponse(
            {
                "requestId": "r",
                "records": self._records(len(monologues), len(page), offset, more),
                "callTranscripts": [{"callId": call_id, "transcript": page}],
            }
        )

    def _records(self, total: int, size: int, offset: int, more: bool) -> dict[str, Any]:
        records: dict[str, Any] = {
            "totalRecords": total,
            "currentPageSize": size,
            "currentPageNumber": offset // max(1, self.page_size),
        }
        if more:
            records["cursor"] = str(offset + self.page_size)
        return records

    def _speaker_id(self, call_id: str, name: str) -> str:
        return str(int(hashlib.sha256(f"{call_id}:{name}".encode()).hexdigest()[:15], 16))

    def _call_object(self, call_id: str) -> dict[str, Any]:
        call = self.calls[call_id]
        parties = []
        for n, person in enumerate(call.people):
            party: dict[str, Any] = {
                "id": f"{call_id}{n}",
                "name": person.name,
                "speakerId": self._speaker_id(call_id, person.name),
                "affiliation": {True: "Internal", False: "External"}.get(
                    person.internal, "Unknown"
                ),
                "methods": ["Invitee", "Attendee"],
            }
            if person.email:
                party["emailAddress"] = person.email
            parties.append(party)
        context = []
        if call.account:
            context.append(
                {
                    "system": "Salesforce",
                    "objects": [
                        {
                            "objectType": "Account",
                            "objectId": "0013600000fake",
                            "fields": [{"name": "Name", "value": call.account}],
                        }
                    ],
                }
            )
        return {
            "metaData": {
                "id": call_id,
                "url": f"https://app.gong.io/call?id={call_id}",
                "title": call.title,
                "scheduled": call.started.isoformat(),
                "started": call.started.isoformat(),
                "duration": int(call.duration),
                "direction": "Conference",
                "system": "Zoom",
                "scope": "External",
                "media": "Video",
                "language": "eng",
            },
            "parties": parties,
            "context": context,
        }

    def _monologues(self, call_id: str) -> list[dict[str, Any]]:
        call = self.calls[call_id]
        monologues: list[dict[str, Any]] = []
        for line in call.lines:
            speaker = self._speaker_id(call_id, line.speaker)
            sentence = {
                "start": int(line.start * 1000),
                "end": int(line.end * 1000),
                "text": line.text,
            }
            if monologues and monologues[-1]["speakerId"] == speaker:
                monologues[-1]["sentences"].append(sentence)
            else:
                monologues.append({"speakerId": speaker, "topic": None, "sentences": [sentence]})
        return monologues
