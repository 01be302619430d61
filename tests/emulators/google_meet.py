"""A local Google Meet: the Meet REST API, the Calendar API's ``events.list`` and the Workspace
Events subscriptions, routed and scope-checked from the discovery documents shipped with
google-api-python-client (as the Gmail emulator is); Google's OAuth token endpoint (refresh
tokens); and the OIDC side of Pub/Sub push: a certificates URL serving a test key, and ID tokens
signed with it, by code written apart from cs-agent's.

Every method the discovery documents list is routed; the ones cs-agent uses answer from the
state here, the others with 501. Lists page with ``pageToken`` at ``page_size`` items.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import secrets
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import googleapiclient
import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .base import Emulator
from .gmail import google_error
from .meetings import RecordedCall

DOCUMENTS = Path(googleapiclient.__file__).parent / "discovery_cache/documents"
DISCOVERY = {
    name: json.loads((DOCUMENTS / f"{name}.json").read_text())
    for name in ("meet.v2", "calendar.v3", "workspaceevents.v1")
}
MEET_SCOPE = "https://www.googleapis.com/auth/meetings.space.readonly"
CALENDAR_SCOPE = "https://www.googleapis.com/auth/calendar.events.readonly"
CLIENT_ID = "meet-client.apps.googleusercontent.com"
CLIENT_SECRET = "meet-client-secret"
KEY_ID = "emulated-key-1"


def _methods(node: dict[str, Any]) -> list[dict[str, Any]]:
    found = list(node.get("methods", {}).values())
    for resource in node.get("resources", {}).values():
        found.extend(_methods(resource))
    return found


def _stamp(moment: dt.datetime) -> str:
    # Google writes nanoseconds; the reader must cope.
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "123Z"


@dataclass
class Conference:
    """A conference record with its participants, transcripts and calendar event."""

    record_id: str
    space_id: str
    meeting_code: str
    call: RecordedCall
    participants: dict[str, str] = field(default_factory=dict)
    """participant id → display name."""
    transcript_state: str = "FILE_GENERATED"


class GoogleMeetEmulator(Emulator):
    """Conference records of one Workspace user, their calendar, and the push's signing key."""

    name = "google-meet"

    def __init__(self) -> None:
        super().__init__()
        self.conferences: dict[str, Conference] = {}
        self.page_size = 100
        self.refresh_tokens: dict[str, set[str]] = {}
        self.access_tokens: dict[str, set[str]] = {}
        self.subscriptions: dict[str, dict[str, Any]] = {}
        self.our_domain = "brightwave.example"
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._handlers = {
            "meet.conferenceRecords.get": self._record_get,
            "meet.conferenceRecords.list": self._record_list,
            "meet.conferenceRecords.participants.list": self._participants,
            "meet.conferenceRecords.transcripts.list": self._transcripts,
            "meet.conferenceRecords.transcripts.entries.list": self._entries,
            "meet.spaces.get": self._space,
            "calendar.events.list": self._events,
            "workspaceevents.subscriptions.list": self._sub_list,
            "workspaceevents.subscriptions.create": self._sub_create,
            "workspaceevents.subscriptions.patch": self._sub_patch,
            "workspaceevents.subscriptions.reactivate": self._sub_patch,
        }

    # --- arranging ------------------------------------------------------------------------------
    def add_conference(self, call: RecordedCall, *, record_id: str | None = None) -> Conference:
        """A finished conference of ``call`` with a generated transcript. Returns it."""
        record_id = record_id or uuid.uuid4().hex[:20]
        conference = Conference(
            record_id=record_id,
            space_id=uuid.uuid4().hex[:12],
            meeting_code=f"abc-{record_id[:4]}-xyz",
            call=call,
        )
        for n, person in enumerate(call.people):
            conference.participants[f"p{n}"] = person.name
        self.conferences[record_id] = conference
        return conference

    def token_file(
        self, path: Path, *, scopes: list[str] | None = None, record_scopes: bool = True
    ) -> Path:
        """An authorized-user token file (the installed-app flow's) granted ``scopes`` (listed
        in the file unless ``record_scopes`` is False, as older files do not)."""
        granted = scopes if scopes is not None else [MEET_SCOPE, CALENDAR_SCOPE]
        refresh = "1//" + secrets.token_urlsafe(16)
        self.refresh_tokens[refresh] = set(granted)
        info = {
            "type": "authorized_user",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "refresh_token": refresh,
            **({"scopes": granted} if record_scopes else {}),
        }
        path.write_text(json.dumps(info))
        return path

    # --- Pub/Sub push's OIDC side ---------------------------------------------------------------
    def certs_url(self) -> str:
        """Where the push tokens' certificates are served (Google's v1 certs format)."""
        return f"{self.url}/oauth2/v1/certs"

    def id_token(
        self,
        *,
        audience: str,
        email: str,
        issuer: str = "https://accounts.google.com",
        key: rsa.RSAPrivateKey | None = None,
        expires_in: int = 3600,
        email_verified: bool = True,
    ) -> str:
        """An OIDC token as Pub/Sub push signs it for its service account."""
        now = int(time.time())
        claims = {
            "aud": audience,
            "azp": "1234567890",
            "email": email,
            "email_verified": email_verified,
            "exp": now + expires_in,
            "iat": now - 5,
            "iss": issuer,
            "sub": "1234567890",
        }
        return jwt.encode(claims, key or self._key, algorithm="RS256", headers={"kid": KEY_ID})

    def push_body(self, conference: Conference, *, event: str | None = None) -> bytes:
        """A Pub/Sub push of the transcript ``fileGenerated`` event of ``conference``."""
        transcript = f"conferenceRecords/{conference.record_id}/transcripts/t1"
        data = base64.b64encode(json.dumps({"transcript": {"name": transcript}}).encode())
        message = {
            "attributes": {
                "ce-id": uuid.uuid4().hex,
                "ce-source": f"//meet.googleapis.com/spaces/{conference.space_id}",
                "ce-specversion": "1.0",
                "ce-type": event or "google.workspace.meet.transcript.v2.fileGenerated",
                "ce-subject": f"//meet.googleapis.com/{transcript}",
                "ce-time": _stamp(dt.datetime.now(dt.UTC)),
            },
            "data": data.decode(),
            "messageId": str(uuid.uuid4().int)[:16],
            "publishTime": _stamp(dt.datetime.now(dt.UTC)),
        }
        return json.dumps(
            {"message": message, "subscription": "projects/p/subscriptions/cs-agent"}
        ).encode()

    def _certificate_pem(self) -> str:
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "emulated.googleusercontent")])
        now = dt.datetime.now(dt.UTC)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self._key.public_key())
            .serial_number(1)
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .sign(self._key, hashes.SHA256())
        )
        return certificate.public_bytes(serialization.Encoding.PEM).decode()

    # --- routing --------------------------------------------------------------------------------
    def routes(self) -> list[Any]:
        routes: list[Any] = [
            Route("/token", self._token, methods=["POST"]),
            Route("/oauth2/v1/certs", self._certs, methods=["GET"]),
        ]
        for document in DISCOVERY.values():
            for method in _methods(document):
                path = "/" + document["servicePath"] + (method.get("flatPath") or method["path"])
                routes.append(Route(path, self._dispatcher(method), methods=[method["httpMethod"]]))
        return routes

    def _dispatcher(self, method: dict[str, Any]) -> Any:
        async def handle(request: Request) -> Response:
            granted = self.access_tokens.get(
                request.headers.get("authorization", "").removeprefix("Bearer ").strip()
            )
            if granted is None:
                return JSONResponse(
                    google_error(401, "Request had invalid authentication credentials."), 401
                )
            if not granted & set(method.get("scopes") or []):
                return JSONResponse(
                    google_error(403, "Request had insufficient authentication scopes."), 403
                )
            handler = self._handlers.get(method["id"])
            if handler is None:
                return JSONResponse(google_error(501, f"{method['id']} is not emulated"), 501)
            return await handler(request)

        return handle

    async def _token(self, request: Request) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()}
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return JSONResponse({"error": "invalid_client"}, 401)
        scopes = self.refresh_tokens.get(form.get("refresh_token", ""))
        if form.get("grant_type") != "refresh_token" or scopes is None:
            return JSONResponse({"error": "invalid_grant"}, 400)
        token = "ya29." + secrets.token_urlsafe(16)
        self.access_tokens[token] = scopes
        return JSONResponse(
            {
                "access_token": token,
                "expires_in": 3599,
                "token_type": "Bearer",
                "scope": " ".join(scopes),
            }
        )

    async def _certs(self, request: Request) -> Response:
        return JSONResponse({KEY_ID: self._certificate_pem()})

    # --- Meet ----------------------------------------------------------------------------------
    def _page(self, request: Request, items: list[Any], key: str) -> Response:
        size = min(int(request.query_params.get("pageSize") or self.page_size), self.page_size)
        offset = int(request.query_params.get("pageToken") or 0)
        body: dict[str, Any] = {key: items[offset : offset + size]}
        if offset + size < len(items):
            body["nextPageToken"] = str(offset + size)
        return JSONResponse(body)

    def _conference(self, request: Request) -> Conference | Response:
        found = self.conferences.get(request.path_params["conferenceRecordsId"])
        if found is None:
            return JSONResponse(google_error(404, "Requested entity was not found."), 404)
        return found

    def _record_of(self, c: Conference) -> dict[str, Any]:
        return {
            "name": f"conferenceRecords/{c.record_id}",
            "startTime": _stamp(c.call.started),
            "endTime": _stamp(c.call.started + dt.timedelta(seconds=c.call.duration + 5)),
            "expireTime": _stamp(c.call.started + dt.timedelta(days=30)),
            "space": f"spaces/{c.space_id}",
        }

    async def _record_get(self, request: Request) -> Response:
        c = self._conference(request)
        return c if isinstance(c, Response) else JSONResponse(self._record_of(c))

    async def _record_list(self, request: Request) -> Response:
        records = [self._record_of(c) for c in self.conferences.values()]
        wanted = request.query_params.get("filter", "")
        if wanted.startswith('end_time>="'):
            since = dt.datetime.fromisoformat(
                wanted[len('end_time>="') : -1].replace("Z", "+00:00")
            )
            records = [
                r
                for r in records
                if dt.datetime.fromisoformat(r["endTime"][:26] + "+00:00") >= since
            ]
        return self._page(request, records, "conferenceRecords")

    async def _participants(self, request: Request) -> Response:
        c = self._conference(request)
        if isinstance(c, Response):
            return c
        items = [
            {
                "name": f"conferenceRecords/{c.record_id}/participants/{pid}",
                "signedinUser": {"user": f"users/{abs(hash(name)) % 10**9}", "displayName": name},
                "earliestStartTime": _stamp(c.call.started),
            }
            for pid, name in c.participants.items()
        ]
        return self._page(request, items, "participants")

    async def _transcripts(self, request: Request) -> Response:
        c = self._conference(request)
        if isinstance(c, Response):
            return c
        item = {
            "name": f"conferenceRecords/{c.record_id}/transcripts/t1",
            "state": c.transcript_state,
            "startTime": _stamp(c.call.started),
            "docsDestination": {"document": "doc-1", "exportUri": "https://docs.google.com/d/1"},
        }
        return self._page(request, [item], "transcripts")

    async def _entries(self, request: Request) -> Response:
        c = self._conference(request)
        if isinstance(c, Response):
            return c
        by_name = {name: pid for pid, name in c.participants.items()}
        start = c.call.started
        items = [
            {
                "name": f"conferenceRecords/{c.record_id}/transcripts/t1/entries/e{n}",
                "participant": f"conferenceRecords/{c.record_id}/participants/{by_name[line.speaker]}",
                "text": line.text,
                "languageCode": "en-US",
                "startTime": _stamp(start + dt.timedelta(seconds=line.start)),
                "endTime": _stamp(start + dt.timedelta(seconds=line.end)),
            }
            for n, line in enumerate(c.call.lines)
        ]
        return self._page(request, items, "transcriptEntries")

    async def _space(self, request: Request) -> Response:
        space = request.path_params["spacesId"]
        for c in self.conferences.values():
            if c.space_id == space:
                return JSONResponse(
                    {
                        "name": f"spaces/{space}",
                        "meetingUri": f"https://meet.google.com/{c.meeting_code}",
                        "meetingCode": c.meeting_code,
                    }
                )
        return JSONResponse(google_error(404, "Requested entity was not found."), 404)

    # --- Calendar ------------------------------------------------------------------------------
    async def _events(self, request: Request) -> Response:
        items = []
        for c in self.conferences.values():
            attendees = [
                {
                    "email": p.email,
                    "displayName": p.name,
                    "responseStatus": "accepted",
                    **({"self": True} if p.email.endswith("@" + self.our_domain) else {}),
                }
                for p in c.call.people
                if p.email
            ]
            items.append(
                {
                    "id": f"evt{c.record_id}",
                    "summary": c.call.title,
                    "hangoutLink": f"https://meet.google.com/{c.meeting_code}",
                    "conferenceData": {"conferenceId": c.meeting_code},
                    "start": {"dateTime": c.call.started.isoformat()},
                    "attendees": attendees,
                }
            )
        return JSONResponse({"kind": "calendar#events", "items": items})

    # --- Workspace Events ----------------------------------------------------------------------
    def _done(self, subscription: dict[str, Any]) -> Response:
        return JSONResponse(
            {"name": f"operations/{uuid.uuid4().hex}", "done": True, "response": subscription}
        )

    async def _sub_list(self, request: Request) -> Response:
        wanted = request.query_params.get("filter", "")
        items = [s for s in self.subscriptions.values() if f'"{s["targetResource"]}"' in wanted]
        return JSONResponse({"subscriptions": items})

    async def _sub_create(self, request: Request) -> Response:
        body = await request.json()
        if any(s["targetResource"] == body["targetResource"] for s in self.subscriptions.values()):
            return JSONResponse(google_error(409, "ALREADY_EXISTS"), 409)
        name = f"subscriptions/{uuid.uuid4().hex[:16]}"
        self.subscriptions[name] = {
            **body,
            "name": name,
            "state": "ACTIVE",
            "expireTime": _stamp(dt.datetime.now(dt.UTC) + dt.timedelta(days=7)),
        }
        return self._done(self.subscriptions[name])

    async def _sub_patch(self, request: Request) -> Response:
        name = f"subscriptions/{request.path_params['subscriptionsId']}"
        subscription = self.subscriptions.get(name)
        if subscription is None:
            return JSONResponse(google_error(404, "Requested entity was not found."), 404)
        subscription["state"] = "ACTIVE"
        subscription["expireTime"] = _stamp(dt.datetime.now(dt.UTC) + dt.timedelta(days=7))
        return self._done(subscription)
