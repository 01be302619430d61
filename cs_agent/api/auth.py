"""Who may call the API: a signed request, a bearer token, or anyone on a development server.

With ``CS_AGENT_WEBHOOK_SECRET`` set, a request may carry ``X-CS-Agent-Signature`` (see
``cs_agent.signatures``); with ``CS_AGENT_API_TOKEN`` set, ``Authorization: Bearer <token>``.
With neither, the API is open: ``cs-agent serve`` only allows that on a loopback address.
What can be checked without the body (the token, the signature's form and age) is checked
before the body is read, so an unauthenticated sender cannot make the server read megabytes.
"""

from __future__ import annotations

import hmac
import ipaddress
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from fastapi import HTTPException, Request

from cs_agent.api.body import read_body
from cs_agent.api.deps import api_error
from cs_agent.config import Settings
from cs_agent.core.signatures import (
    SIGNATURE_HEADER,
    SignatureError,
    SignatureHeader,
    check_timestamp,
    match_signature,
    parse_signature_header,
)


@dataclass(frozen=True)
class Caller:
    """How a request proved who sent it, and the signature (hex) when it was signed."""

    method: Literal["open", "token", "signature"]
    signature: str | None = None


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

    def after_body(self, pending: Caller | SignatureHeader, body: bytes) -> Caller:
        """Finish the check with the raw body: match a pending signature against it."""
        if isinstance(pending, Caller):
            return pending
        assert self._secret is not None
        try:
            return Caller("signature", match_signature(pending, body, secret=self._secret))
        except SignatureError as error:
            raise self._unauthorized(error.code, error.message) from None

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
            ways.append(f"{SIGNATURE_HEADER}: t=<unix seconds>,v1=<hex HMAC-SHA256>")
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


async def require_caller(request: Request) -> Caller:
    """A dependency for routes without a request body: the caller, or a 401."""
    authenticator = get_authenticator(request)
    pending = authenticator.before_body(request)
    if isinstance(pending, Caller):
        return pending
    runtime_settings: Settings = request.app.state.runtime.settings
    body = await read_body(request, limit=runtime_settings.max_transcript_bytes)
    return authenticator.after_body(pending, body)


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
