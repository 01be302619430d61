"""A Gmail API emulator, with Google's OAuth token and consent endpoints in front of it.

The real ``googleapiclient`` client, built from the discovery document it ships, talks to it
(``client_options={"api_endpoint": emulator.url + "/"}``), and the real google-auth credentials
get their tokens from its ``/token``: a service-account JWT (signature, audience, subject and
scopes checked), a refresh token, or an authorization code (with PKCE) from ``/o/oauth2/auth``.
Each API method checks the token's scopes against the scopes the discovery document lists for
it, as Google does, and answers errors in Google's JSON shape.

Mailboxes hold real RFC 5322 messages: ``messages.send`` decodes the base64url ``raw``
message and parses it, so tests assert real headers and MIME parts. Search (``q``) supports
the operators cs-agent uses (``rfc822msgid:``, ``subject:``) and refuses any other,
so an adapter that starts relying on more fails loudly here rather than quietly in production.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import itertools
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlencode

import googleapiclient
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.auth import jwt
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from integrations.gmail.auth import SCOPES

from .base import Emulator, Fault, Oddity
from .gmail_drafts import GmailDrafts

DISCOVERY = json.loads(
    (Path(googleapiclient.__file__).parent / "discovery_cache/documents/gmail.v1.json").read_text()
)
GOOGLE_TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token"
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}
_REPLY_PREFIX = re.compile(r"^\s*(?:(?:re|fwd?|aw)\s*:\s*)+", re.I)
_QUERY_TOKEN = re.compile(r'(-?)(?:(\w+):)?("[^"]*"|\S+)')


def method_scopes(method_id: str) -> set[str]:
    """The scopes the discovery document allows for a method, e.g. ``users.messages.send``."""
    node: dict[str, Any] = DISCOVERY
    *resources, method = method_id.split(".")
    for name in resources:
        node = node["resources"][name]
    return set(node["methods"][method]["scopes"])


def google_error(status: int, message: str, reason: str = "") -> dict[str, Any]:
    """An error body as Google APIs answer it."""
    reason = reason or {
        400: "invalidArgument",
        401: "authError",
        403: "forbidden",
        404: "notFound",
        429: "rateLimitExceeded",
    }.get(status, "backendError")
    return {
        "error": {
            "code": status,
            "message": message,
            "errors": [{"message": message, "domain": "global", "reason": reason}],
            "status": _STATUS.get(status, "UNKNOWN"),
        }
    }


def gmail_fault(
    status: int, message: str, reason: str = "", *, headers: dict[str, str] | None = None
) -> Fault:
    """A fault answered in Google's error shape (429 rate limit, 403, 500 …)."""
    return Fault(status=status, body=google_error(status, message, reason), headers=headers or {})


def normalize_subject(subject: str) -> str:
    """Gmail's idea of "the same subject": without Re:/Fwd: prefixes, case or extra spaces."""
    return " ".join(_REPLY_PREFIX.sub("", subject).split()).casefold()


_USER = r"^/gmail/v1/users/[^/]+"
ODD_METHODS: dict[str, tuple[str, re.Pattern[str]]] = {
    "messages.send": ("POST", re.compile(_USER + r"/messages/send$")),
    "messages.list": ("GET", re.compile(_USER + r"/messages$")),
    "messages.get": ("GET", re.compile(_USER + r"/messages/(?!send$)[^/]+$")),
    "threads.list": ("GET", re.compile(_USER + r"/threads$")),
    "threads.get": ("GET", re.compile(_USER + r"/threads/[^/]+$")),
    "getProfile": ("GET", re.compile(_USER + r"/profile$")),
}
"""The requests ``answer_oddly`` can bend, by Gmail API method."""


@dataclass
class StoredMessage:
    """One message in a mailbox: the raw bytes as received, and their parse."""

    id: str
    thread_id: str
    label_ids: list[str]
    raw: bytes
    internal_date: int

    @property
    def parsed(self) -> EmailMessage:
        """The message parsed with the modern email policy (decoded headers, MIME parts)."""
        message = BytesParser(policy=policy.default).parsebytes(self.raw)
        assert isinstance(message, EmailMessage)
        return message

    def header(self, name: str) -> str | None:
        value = self.parsed[name]
        return None if value is None else str(value)

    def raw_header(self, name: str) -> str | None:
        """A header as it is on the wire (RFC 2047 encoded words and all)."""
        message = BytesParser(policy=policy.compat32).parsebytes(self.raw)
        value = message[name]
        return None if value is None else str(value)

    def resource(self, fmt: str = "full", headers: list[str] | None = None) -> dict[str, Any]:
        """The ``users.messages`` resource in the requested format."""
        base: dict[str, Any] = {
            "id": self.id,
            "threadId": self.thread_id,
            "labelIds": list(self.label_ids),
            "snippet": self._snippet(),
            "historyId": str(self.internal_date),
            "internalDate": str(self.internal_date),
            "sizeEstimate": len(self.raw),
        }
        if fmt == "raw":
            base["raw"] = base64.urlsafe_b64encode(self.raw).decode()
            return base
        if fmt == "minimal":
            return base
        message = BytesParser(policy=policy.compat32).parsebytes(self.raw)
        wanted = {h.lower() for h in headers or []}
        base["payload"] = {
            "mimeType": message.get_content_type(),
            "headers": [
                {"name": name, "value": str(value)}
                for name, value in message.items()
                if fmt != "metadata" or not wanted or name.lower() in wanted
            ],
        }
        return base

    def _snippet(self) -> str:
        part = self.parsed.get_body(preferencelist=("plain",))
        text = part.get_content() if part is not None else ""
        return " ".join(str(text).split())[:120]


@dataclass
class Mailbox:
    """One Google account's mail."""

    address: str
    messages: list[StoredMessage] = field(default_factory=list)
    send_as: list[str] = field(default_factory=list)

    def thread(self, thread_id: str) -> list[StoredMessage]:
        return [m for m in self.messages if m.thread_id == thread_id]


@dataclass
class Grant:
    """Who a token acts for and what it may do."""

    user: str
    scopes: set[str]
    client_id: str


@dataclass
class ServiceAccount:
    """A service account with a key, and the scopes an admin delegated to its client ID."""

    client_email: str
    client_id: str
    public_key_pem: bytes
    delegated_scopes: set[str]


@dataclass
class PendingConsent:
    client_id: str
    redirect_uri: str
    scopes: set[str]
    code_challenge: str | None
    user: str


class GmailEmulator(GmailDrafts, Emulator):
    """Gmail's REST API (the methods cs-agent uses) plus Google's OAuth endpoints."""

    name = "gmail"

    def error_body(self, status: int, message: str, reason: str = "") -> dict[str, Any]:
        """A Google error body (for the drafts routes)."""
        return google_error(status, message, reason)

    def same_subject(self, subject: str) -> str:
        """A subject as Gmail compares it for threading (for the drafts routes)."""
        return normalize_subject(subject)

    def __init__(self) -> None:
        super().__init__()
        self.mailboxes: dict[str, Mailbox] = {}
        self.access_tokens: dict[str, Grant] = {}
        self.refresh_tokens: dict[str, Grant] = {}
        self.oauth_clients: dict[str, str] = {}
        self.service_accounts: dict[str, ServiceAccount] = {}
        self.jwt_claims: list[dict[str, Any]] = []
        """Claims of every service-account assertion that reached ``/token``."""
        self.consenting_user: str | None = None
        """Who signs in when the consent page is opened (the person in the browser)."""
        self._consents: dict[str, PendingConsent] = {}
        self._ids = itertools.count(0x18C0FFEE0000)
        self._state_lock = threading.Lock()
        self._hang_sends = 0
        self._hang_seconds = 0.0
        self._release = threading.Event()
        self.send_hung = threading.Event()
        """Set once a send was stored and is being held without an answer."""
        self._init_drafts()

    # --- setting up -----------------------------------------------------------------------------
    def mailbox(self, address: str) -> Mailbox:
        """The mailbox of ``address``, created on first use."""
        with self._state_lock:
            return self.mailboxes.setdefault(address.lower(), Mailbox(address=address))

    def authorized_user_file(
        self,
        path: Path,
        user: str,
        *,
        scopes: list[str] | None = None,
        write_scopes: bool = True,
    ) -> Path:
        """Write a token file like ``cs-agent auth gmail`` does, for a consent to ``scopes``."""
        self.mailbox(user)
        client_id, client_secret = self.oauth_client()
        granted = list(SCOPES if scopes is None else scopes)
        refresh = "1//" + secrets.token_urlsafe(24)
        self.refresh_tokens[refresh] = Grant(user=user, scopes=set(granted), client_id=client_id)
        info: dict[str, Any] = {
            "type": "authorized_user",
            "client_id": client_id,
            "client_secret": client_secret,
            "refresh_token": refresh,
            "token_uri": f"{self.url}/token",
            "account": user,
        }
        if write_scopes:
            info["scopes"] = granted
        path.write_text(json.dumps(info))
        return path

    def service_account_file(
        self, path: Path, *, delegated_scopes: list[str] | None = None, name: str = "cs-agent"
    ) -> Path:
        """Write a service-account key whose client ID an admin delegated ``delegated_scopes``."""
        key = _private_key()
        client_id = str(next(self._ids))
        email = f"{name}@cs-agent-test.iam.gserviceaccount.com"
        public = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.service_accounts[email] = ServiceAccount(
            client_email=email,
            client_id=client_id,
            public_key_pem=public,
            delegated_scopes=set(SCOPES if delegated_scopes is None else delegated_scopes),
        )
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        path.write_text(
            json.dumps(
                {
                    "type": "service_account",
                    "project_id": "cs-agent-test",
                    "private_key_id": hashlib.sha1(public).hexdigest(),  # noqa: S324
                    "private_key": pem,
                    "client_email": email,
                    "client_id": client_id,
                    "token_uri": f"{self.url}/token",
                }
            )
        )
        return path

    def oauth_client(self) -> tuple[str, str]:
        """Register a Desktop-app OAuth client; returns its id and secret."""
        client_id = f"{next(self._ids)}-test.apps.googleusercontent.com"
        secret = "GOCSPX-" + secrets.token_urlsafe(18)
        self.oauth_clients[client_id] = secret
        return client_id, secret

    def client_secret_file(self, path: Path) -> Path:
        """Write an OAuth client secret (``installed`` kind) as Google Cloud console offers it."""
        client_id, secret = self.oauth_client()
        path.write_text(
            json.dumps(
                {
                    "installed": {
                        "client_id": client_id,
                        "project_id": "cs-agent-test",
                        "auth_uri": f"{self.url}/o/oauth2/auth",
                        "token_uri": f"{self.url}/token",
                        "client_secret": secret,
                        "redirect_uris": ["http://localhost"],
                    }
                }
            )
        )
        return path

    def deliver(
        self,
        to_mailbox: str,
        *,
        sender: str,
        to: str,
        subject: str,
        body: str = "Hello",
        cc: str | None = None,
        in_reply_to: StoredMessage | None = None,
        labels: list[str] | None = None,
        message_id: str | None = None,
    ) -> StoredMessage:
        """Put a message into a mailbox as if it had arrived (a customer's email, say)."""
        message = EmailMessage(policy=policy.SMTP)
        message["From"] = sender
        message["To"] = to
        if cc:
            message["Cc"] = cc
        message["Subject"] = subject
        message["Date"] = format_datetime(dt.datetime.now(dt.UTC))
        message["Message-ID"] = message_id or make_msgid(domain="customer.example")
        thread_id = None
        if in_reply_to is not None:
            parent = in_reply_to.parsed
            message["In-Reply-To"] = str(parent["Message-ID"])
            refs = str(parent.get("References", "")).split()
            message["References"] = " ".join([*refs, str(parent["Message-ID"])])
            thread_id = in_reply_to.thread_id
        message.set_content(body)
        return self._store(
            self.mailbox(to_mailbox), message.as_bytes(), labels or ["INBOX"], thread_id
        )

    def hang_next_send(self, seconds: float = 60.0) -> None:
        """Store the next sent message, then hold the answer (a crash or timeout at that moment)."""
        with self._lock:
            self._hang_sends += 1
            self._hang_seconds = seconds

    def answer_oddly(
        self, method: str, path: str, shape: str = "missing", *, count: int = 1
    ) -> None:
        """Do the next ``count`` calls of ``method``, then answer 200 but bent at ``path``.

        ``method`` is one of ``ODD_METHODS`` (``messages.send``, ``messages.list``,
        ``messages.get``, ``threads.list``, ``threads.get``, ``getProfile``); ``path`` and
        ``shape`` as in ``Oddity`` (``threadId``, ``messages.*.id``).
        """
        wanted = ODD_METHODS[method]
        self.answer_oddly_next(
            Oddity(path, shape),
            count=count,
            when=lambda request: (
                request.method == wanted[0] and bool(wanted[1].match(request.path))
            ),
        )

    def stop(self) -> None:
        self._release.set()
        super().stop()

    # --- reading the record ---------------------------------------------------------------------
    def sent(self, address: str) -> list[StoredMessage]:
        """Messages the account sent, oldest first."""
        return [m for m in self.mailbox(address).messages if "SENT" in m.label_ids]

    # --- routes ---------------------------------------------------------------------------------
    def routes(self) -> list[Any]:
        users = "/gmail/v1/users/{userId}"
        return [
            Route("/token", self._token, methods=["POST"]),
            Route("/o/oauth2/auth", self._consent, methods=["GET"]),
            Route(f"{users}/profile", self._profile, methods=["GET"]),
            Route(f"{users}/messages/send", self._send, methods=["POST"]),
            Route(f"{users}/messages", self._list_messages, methods=["GET"]),
            Route(f"{users}/messages/{{id}}", self._get_message, methods=["GET"]),
            Route(f"{users}/threads", self._list_threads, methods=["GET"]),
            Route(f"{users}/threads/{{id}}", self._get_thread, methods=["GET"]),
            Route(f"{users}/settings/sendAs", self._send_as, methods=["GET"]),
            *self.draft_routes(),
        ]

    # --- OAuth ----------------------------------------------------------------------------------
    async def _token(self, request: Request) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()}
        grant_type = form.get("grant_type", "")
        if grant_type == JWT_GRANT:
            return self._jwt_grant(form.get("assertion", ""))
        client_id, client_secret = _client_credentials(request, form)
        if self.oauth_clients.get(client_id) != client_secret:
            return _oauth_error(401, "invalid_client", "The OAuth client was not found.")
        if grant_type == "refresh_token":
            grant = self.refresh_tokens.get(form.get("refresh_token", ""))
            if grant is None or grant.client_id != client_id:
                return _oauth_error(400, "invalid_grant", "Token has been expired or revoked.")
            asked = set(form.get("scope", "").split())
            if asked - grant.scopes:
                return _oauth_error(400, "invalid_scope", "Bad Request")
            return self._issue(grant, refresh_token=None)
        if grant_type == "authorization_code":
            consent = self._consents.pop(form.get("code", ""), None)
            if consent is None or consent.client_id != client_id:
                return _oauth_error(400, "invalid_grant", "Malformed auth code.")
            if consent.redirect_uri != form.get("redirect_uri"):
                return _oauth_error(400, "redirect_uri_mismatch", "Bad Request")
            if consent.code_challenge is not None:
                verifier = form.get("code_verifier", "")
                digest = hashlib.sha256(verifier.encode()).digest()
                challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
                if challenge != consent.code_challenge:
                    return _oauth_error(400, "invalid_grant", "Invalid code verifier.")
            grant = Grant(user=consent.user, scopes=consent.scopes, client_id=client_id)
            refresh = "1//" + secrets.token_urlsafe(24)
            self.refresh_tokens[refresh] = grant
            return self._issue(grant, refresh_token=refresh)
        return _oauth_error(400, "unsupported_grant_type", f"Invalid grant_type: {grant_type}")

    def _jwt_grant(self, assertion: str) -> Response:
        try:
            unverified = jwt.decode(assertion, verify=False)
            account = self.service_accounts[str(unverified["iss"])]
            # google-auth always addresses the assertion to Google's endpoint, wherever it posts it.
            claims = jwt.decode(
                assertion, certs=account.public_key_pem, audience=GOOGLE_TOKEN_AUDIENCE
            )
        except (KeyError, ValueError) as error:
            return _oauth_error(400, "invalid_grant", f"Invalid JWT: {error}")
        self.jwt_claims.append(claims)
        asked = set(str(claims.get("scope", "")).split())
        if not asked or asked - account.delegated_scopes:
            return _oauth_error(
                401,
                "unauthorized_client",
                "Client is unauthorized to retrieve access tokens using this method, or "
                "client not authorized for any of the scopes requested.",
            )
        user = str(claims.get("sub") or "")
        if user.lower() not in self.mailboxes:
            return _oauth_error(400, "invalid_grant", "Invalid email or User ID")
        return self._issue(
            Grant(user=user, scopes=asked, client_id=account.client_id), refresh_token=None
        )

    def _issue(self, grant: Grant, *, refresh_token: str | None) -> Response:
        token = "ya29." + secrets.token_urlsafe(24)
        self.access_tokens[token] = grant
        body: dict[str, Any] = {
            "access_token": token,
            "expires_in": 3599,
            "scope": " ".join(sorted(grant.scopes)),
            "token_type": "Bearer",
        }
        if refresh_token:
            body["refresh_token"] = refresh_token
        return JSONResponse(body)

    async def _consent(self, request: Request) -> Response:
        params = request.query_params
        client_id = params.get("client_id", "")
        redirect_uri = params.get("redirect_uri", "")
        if client_id not in self.oauth_clients:
            return Response("Error 401: invalid_client", status_code=401)
        if not re.match(r"^http://(localhost|127\.0\.0\.1)(:\d+)?/", redirect_uri):
            return Response("Error 400: redirect_uri_mismatch", status_code=400)
        if self.consenting_user is None:
            return Response("nobody is signed in to the emulated browser", status_code=400)
        if params.get("code_challenge_method", "S256") != "S256":
            return Response("Error 400: invalid_request (code_challenge_method)", status_code=400)
        code = "4/" + secrets.token_urlsafe(24)
        self._consents[code] = PendingConsent(
            client_id=client_id,
            redirect_uri=redirect_uri,
            scopes=set(params.get("scope", "").split()),
            code_challenge=params.get("code_challenge"),
            user=self.consenting_user,
        )
        self.mailbox(self.consenting_user)
        query = urlencode(
            {"state": params.get("state", ""), "code": code, "scope": params.get("scope", "")}
        )
        return RedirectResponse(f"{redirect_uri}?{query}", status_code=302)

    # --- the API --------------------------------------------------------------------------------
    def _authorize(self, request: Request, method_id: str) -> Mailbox | Response:
        auth = request.headers.get("authorization", "")
        grant = self.access_tokens.get(auth.removeprefix("Bearer ").strip())
        if grant is None:
            return JSONResponse(
                google_error(
                    401,
                    "Request had invalid authentication credentials. Expected OAuth 2 access "
                    "token, login cookie or other valid authentication credential.",
                    "authError",
                ),
                status_code=401,
            )
        if not grant.scopes & method_scopes(method_id):
            return JSONResponse(
                google_error(
                    403,
                    "Request had insufficient authentication scopes.",
                    "insufficientPermissions",
                ),
                status_code=403,
            )
        user_id = request.path_params.get("userId", "me")
        if user_id not in ("me", grant.user) and user_id.lower() != grant.user.lower():
            return JSONResponse(
                google_error(403, f"Delegation denied for {grant.user}", "forbidden"),
                status_code=403,
            )
        return self.mailbox(grant.user)

    async def _profile(self, request: Request) -> Response:
        box = self._authorize(request, "users.getProfile")
        if isinstance(box, Response):
            return box
        threads = {m.thread_id for m in box.messages}
        return JSONResponse(
            {
                "emailAddress": box.address,
                "messagesTotal": len(box.messages),
                "threadsTotal": len(threads),
                "historyId": str(len(box.messages) + 1000),
            }
        )

    async def _send_as(self, request: Request) -> Response:
        box = self._authorize(request, "users.settings.sendAs.list")
        if isinstance(box, Response):
            return box
        entries: list[dict[str, Any]] = [
            {"sendAsEmail": box.address, "isPrimary": True, "isDefault": True}
        ]
        entries += [{"sendAsEmail": a, "verificationStatus": "accepted"} for a in box.send_as]
        return JSONResponse({"sendAs": entries})

    async def _send(self, request: Request) -> Response:
        box = self._authorize(request, "users.messages.send")
        if isinstance(box, Response):
            return box
        body = json.loads(await request.body() or b"{}")
        raw = body.get("raw")
        if not raw:
            return _bad_request(
                "'raw' RFC822 payload message string or uploading message via /upload/* URL required"
            )
        try:
            data = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
        except ValueError:
            return _bad_request("Invalid value for ByteString: raw")
        message = BytesParser(policy=policy.default).parsebytes(data)
        recipients = 0
        for name in ("To", "Cc", "Bcc"):
            if message[name] is None:
                continue
            addresses = _addresses(message, name)
            if addresses is None:
                return _bad_request(f"Invalid {name} header")
            recipients += len(addresses)
        if not recipients:
            return _bad_request("Recipient address required")
        if message["Message-ID"] is None:
            data = f"Message-ID: {make_msgid(domain='mail.gmail.com')}\r\n".encode() + data
        thread_id = body.get("threadId")
        if thread_id is not None:
            thread = box.thread(str(thread_id))
            if not thread:
                return JSONResponse(
                    google_error(404, "Requested entity was not found.", "notFound"),
                    status_code=404,
                )
            first_subject = str(thread[0].parsed.get("Subject", ""))
            # Gmail keeps a message in the requested thread only when the subjects match.
            if normalize_subject(first_subject) != normalize_subject(str(message["Subject"])):
                thread_id = None
        stored = self._store(box, data, ["SENT"], thread_id)
        with self._lock:
            hang = self._hang_sends > 0
            if hang:
                self._hang_sends -= 1
        if hang:
            self.send_hung.set()
            deadline = time.monotonic() + self._hang_seconds
            while not self._release.is_set() and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
        return JSONResponse(
            {"id": stored.id, "threadId": stored.thread_id, "labelIds": stored.label_ids}
        )

    async def _list_messages(self, request: Request) -> Response:
        box = self._authorize(request, "users.messages.list")
        if isinstance(box, Response):
            return box
        try:
            found = self._search(box, request)
        except ValueError as error:
            return _bad_request(str(error))
        limit = int(request.query_params.get("maxResults", "100"))
        result: dict[str, Any] = {"resultSizeEstimate": len(found)}
        if found:
            result["messages"] = [{"id": m.id, "threadId": m.thread_id} for m in found[:limit]]
        return JSONResponse(result)

    async def _get_message(self, request: Request) -> Response:
        box = self._authorize(request, "users.messages.get")
        if isinstance(box, Response):
            return box
        for message in box.messages:
            if message.id == request.path_params["id"]:
                return JSONResponse(
                    message.resource(
                        request.query_params.get("format", "full"),
                        request.query_params.getlist("metadataHeaders"),
                    )
                )
        return JSONResponse(google_error(404, "Requested entity was not found."), status_code=404)

    async def _list_threads(self, request: Request) -> Response:
        box = self._authorize(request, "users.threads.list")
        if isinstance(box, Response):
            return box
        try:
            found = self._search(box, request)
        except ValueError as error:
            return _bad_request(str(error))
        thread_ids: list[str] = []
        for message in found:
            if message.thread_id not in thread_ids:
                thread_ids.append(message.thread_id)
        limit = int(request.query_params.get("maxResults", "100"))
        result: dict[str, Any] = {"resultSizeEstimate": len(thread_ids)}
        if thread_ids:
            result["threads"] = [
                {"id": t, "snippet": "", "historyId": "1"} for t in thread_ids[:limit]
            ]
        return JSONResponse(result)

    async def _get_thread(self, request: Request) -> Response:
        box = self._authorize(request, "users.threads.get")
        if isinstance(box, Response):
            return box
        messages = box.thread(request.path_params["id"])
        if not messages:
            return JSONResponse(
                google_error(404, "Requested entity was not found."), status_code=404
            )
        fmt = request.query_params.get("format", "full")
        headers = request.query_params.getlist("metadataHeaders")
        return JSONResponse(
            {
                "id": request.path_params["id"],
                "historyId": str(messages[-1].internal_date),
                "messages": [m.resource(fmt, headers) for m in messages],
            }
        )

    # --- the mailbox ----------------------------------------------------------------------------
    def _store(
        self, box: Mailbox, raw: bytes, labels: list[str], thread_id: str | None
    ) -> StoredMessage:
        with self._state_lock:
            message_id = f"{next(self._ids):x}"
            stored = StoredMessage(
                id=message_id,
                thread_id=thread_id or message_id,
                label_ids=list(labels),
                raw=raw,
                internal_date=int(time.time() * 1000) + len(box.messages),
            )
            box.messages.append(stored)
        return stored

    def _search(self, box: Mailbox, request: Request) -> list[StoredMessage]:
        """Messages matching ``q`` (newest first), like Gmail's search box."""
        query = request.query_params.get("q", "")
        spam_trash = request.query_params.get("includeSpamTrash", "false") == "true"
        found = [
            m
            for m in reversed(box.messages)
            if (spam_trash or not {"SPAM", "TRASH"} & set(m.label_ids)) and _matches(m, query)
        ]
        return found


def _matches(message: StoredMessage, query: str) -> bool:
    for negate, operator, value in _QUERY_TOKEN.findall(query):
        value = value.strip('"')
        if operator == "rfc822msgid":
            header = str(message.parsed.get("Message-ID", "")).strip().strip("<>")
            hit = header == value.strip("<>")
        elif operator == "subject":
            words = " ".join(str(message.parsed.get("Subject", "")).split()).casefold()
            hit = " ".join(value.split()).casefold() in words
        else:
            raise ValueError(f"the emulator does not support the search term {operator or value!r}")
        if hit == bool(negate):
            return False
    return True


def _addresses(message: EmailMessage, name: str) -> list[str] | None:
    """The addresses of an address header, or None when Gmail would call it invalid."""
    header = message[name]
    if header.defects:
        return None
    found = []
    for address in header.addresses:
        local, domain = address.username, address.domain
        if not local or "." not in domain or domain.endswith(".") or " " in domain:
            return None
        found.append(address.addr_spec)
    return found


def _client_credentials(request: Request, form: dict[str, str]) -> tuple[str, str]:
    auth = request.headers.get("authorization", "")
    if auth.startswith("Basic "):
        user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
        return unquote(user), unquote(password)
    return form.get("client_id", ""), form.get("client_secret", "")


def _oauth_error(status: int, error: str, description: str) -> Response:
    return JSONResponse({"error": error, "error_description": description}, status_code=status)


def _bad_request(message: str) -> Response:
    return JSONResponse(google_error(400, message, "invalidArgument"), status_code=400)


_KEY_LOCK = threading.Lock()
_KEYS: list[rsa.RSAPrivateKey] = []


def _private_key() -> rsa.RSAPrivateKey:
    # RSA key generation is slow; one key serves every service account of a test session.
    with _KEY_LOCK:
        if not _KEYS:
            _KEYS.append(rsa.generate_private_key(public_exponent=65537, key_size=2048))
        return _KEYS[0]
