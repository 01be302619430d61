"""Who may call the API: a signed request, a bearer token, or anyone on a development server.

With ``CS_AGENT_WEBHOOK_SECRET`` set, a request may carry ``X-CS-Agent-Signature`` (see
``cs_agent.core.signatures``: it covers the method, path, query, body and time); with
``CS_AGENT_API_TOKEN`` set, ``Authorization: Bearer <token>``. Every signature accepted is
remembered until its timestamp leaves the window, and a second use is refused (409
``replayed_signature``), in every process at once.
With neither, the API is open: ``cs-agent serve`` only allows that on a loopback address.
What can be checked without the body (the token, the signature's form and age) is checked
before the body is read, so an unauthenticated sender cannot make the server read megabytes.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hmac
import ipaddress
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from fastapi import HTTPException, Request
from sqlalchemy.exc import SQLAlchemyError

from cs_agent.api.body import read_body
from cs_agent.api.deps import api_error, storage_unavailable
from cs_agent.config import Settings
from cs_agent.core.signatures import (
    HEADER_FORM,
    SIGNATURE_HEADER,
    SignatureError,
    SignatureHeader,
    SignedRequest,
    check_timestamp,
    match_signature,
    parse_signature_header,
)
from storage import repo
from storage.db import session_scope


@dataclass(frozen=True)
class Caller:
    """How a request proved who sent it, and the signature (hex) when it was signed."""

    method: Literal["open", "token", "signature"]
    signature: str | None = None
    expires_at: float | None = None
    """For a signature: when its timestamp leaves the window (unix seconds)."""


class Authenticator:
    """Checks a request's credentials against the configured secret and token."""

    def __init__(self, settings: Settings, *, clock: Callable[[], float] = time.time) -> None:
        secret = settings.webhook_secret
        token = settings.api_token
        self._secret = secret.get_secret_value().encode() if secret else None
        self._token = token.get_secret_value().encode() if token else None
        self._tolerance = settings.signature_tolerance_seconds
        self.clock = clock
        """The clock signature timestamps are compared with (tests set it)."""

    @property
    def is_open(self) -> bool:
        """True when no secret and no token are configured: anyone may call."""
        return self._secret is None and self._token is None

    def before_body(self, request: Request) -> Caller | SignatureHeader:
        """Check the credentials that need no body. A signature still to match is returned."""
        authorization = request.headers.get("authorization")
        if authorization is not None:
            return self._check_token(authorization)
        value = request.headers.get(SIGNATURE_HEADER)
        if value is not None:
            if self._secret is None:
                raise self._unauthorized(
                    "signatures_not_enabled",
                    "this server has no CS_AGENT_WEBHOOK_SECRET, so it cannot check "
                    f"{SIGNATURE_HEADER}; use Authorization: Bearer <CS_AGENT_API_TOKEN>",
                )
            try:
                header = parse_signature_header(value)
                check_timestamp(header, now=self.clock(), tolerance=self._tolerance)
            except SignatureError as error:
                raise self._unauthorized(error.code, error.message) from None
            return header
        if self.is_open:
            return Caller("open")
        raise self._unauthorized("missing_credentials", f"send {self._accepted()}")

    def after_body(
        self, request: Request, pending: Caller | SignatureHeader, body: bytes
    ) -> Caller:
        """Finish the check with the raw body: match a pending signature against the request."""
        if isinstance(pending, Caller):
            return pending
        assert self._secret is not None
        try:
            signature = match_signature(pending, signed_request(request, body), secret=self._secret)
        except SignatureError as error:
            raise self._unauthorized(error.code, error.message) from None
        return Caller("signature", signature, expires_at=float(pending.timestamp + self._tolerance))

    def _check_token(self, authorization: str) -> Caller:
        scheme, _, credentials = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not credentials.strip():
            raise self._unauthorized(
                "bad_token", "the Authorization header must be 'Bearer <CS_AGENT_API_TOKEN>'"
            )
        if self._token is None:
            raise self._unauthorized(
                "tokens_not_enabled",
                "this server has no CS_AGENT_API_TOKEN, so it accepts no bearer token; "
                f"sign the request with {SIGNATURE_HEADER} instead",
            )
        given = credentials.strip().encode("utf-8", "surrogateescape")
        if not hmac.compare_digest(given, self._token):
            raise self._unauthorized("bad_token", "the bearer token is not CS_AGENT_API_TOKEN")
        return Caller("token")

    def _accepted(self) -> str:
        ways = []
        if self._secret is not None:
            ways.append(f"{SIGNATURE_HEADER}: {HEADER_FORM}")
        if self._token is not None:
            ways.append("Authorization: Bearer <CS_AGENT_API_TOKEN>")
        return " or ".join(ways)

    def _unauthorized(self, code: str, detail: str) -> HTTPException:
        challenges = []
        if self._token is not None:
            challenges.append('Bearer realm="cs-agent"')
        if self._secret is not None:
            challenges.append('CS-Agent-Signature realm="cs-agent"')
        headers = {"WWW-Authenticate": ", ".join(challenges)} if challenges else None
        return api_error(401, code, detail, headers=headers)


def get_authenticator(request: Request) -> Authenticator:
    """The authenticator the app was created with."""
    authenticator: Authenticator = request.app.state.authenticator
    return authenticator


def signed_request(request: Request, body: bytes) -> SignedRequest:
    """What a signature on ``request`` must cover: the method, path and query as sent, the body."""
    raw_path = request.scope.get("raw_path") or request.url.path.encode()
    # Some servers put the query in raw_path as well; the query string is taken separately.
    path = bytes(raw_path).partition(b"?")[0].decode("latin-1")
    query = bytes(request.scope.get("query_string", b"")).decode("latin-1")
    return SignedRequest(method=request.method, path=path, query=query, body=body)


async def claim_signature(request: Request, caller: Caller) -> bool:
    """Record a signed caller's signature as used; False when it was used before (a replay).

    True for callers that did not sign. The insert fails on a conflict, so exactly one of
    several processes receiving the same signature at once gets True.
    """
    if caller.signature is None or caller.expires_at is None:
        return True
    engine = request.app.state.runtime.engine
    expires_at = dt.datetime.fromtimestamp(caller.expires_at, dt.UTC)
    signature = caller.signature

    def claim() -> bool:
        with session_scope(engine) as session:
            return repo.claim_signature(session, signature=signature, expires_at=expires_at)

    try:
        return await asyncio.to_thread(claim)
    except SQLAlchemyError as error:
        raise storage_unavailable(error) from None


def replayed(detail: str = "") -> HTTPException:
    """The 409 for a signature that was already used."""
    return api_error(
        409,
        "replayed_signature",
        "this signature was already used"
        + (f" ({detail})" if detail else "")
        + "; each signed request is accepted once: sign every request (retries too) "
        "when you send it",
    )


async def require_caller(request: Request) -> Caller:
    """A dependency for routes without a request body: the caller, or a 401 (or 409 replay)."""
    authenticator = get_authenticator(request)
    pending = authenticator.before_body(request)
    if isinstance(pending, Caller):
        return pending
    runtime_settings: Settings = request.app.state.runtime.settings
    body = await read_body(request, limit=runtime_settings.max_transcript_bytes)
    caller = authenticator.after_body(request, pending, body)
    if not await claim_signature(request, caller):
        raise replayed()
    return caller


def is_loopback(host: str) -> bool:
    """True for an address only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def open_bind_problem(settings: Settings, host: str) -> str | None:
    """Why serving on ``host`` with these settings would be unsafe, or None.

    An API with neither a webhook secret nor an API token accepts anyone: that is only allowed
    on a loopback address.
    """
    if settings.webhook_secret is not None or settings.api_token is not None:
        return None
    if is_loopback(host):
        return None
    return (
        f"refusing to listen on {host} with no CS_AGENT_WEBHOOK_SECRET and no CS_AGENT_API_TOKEN: "
        "anyone who can reach the port could submit transcripts and read calls. Set one of "
        "them (see docs/api.md), or listen on 127.0.0.1"
    )
