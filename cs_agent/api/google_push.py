"""Pub/Sub push deliveries: proving one came from Google, and reading the Workspace event in it.

A push subscription with authentication sends ``Authorization: Bearer <OIDC token>``: a JWT
signed by Google (its certificates at ``CS_AGENT_GOOGLE_OIDC_CERTS_URL``), issued by
``accounts.google.com`` for the audience the subscription was given
(``CS_AGENT_GOOGLE_PUSH_AUDIENCE``), naming the service account the subscription signs as
(``CS_AGENT_GOOGLE_PUSH_SERVICE_ACCOUNT``, with ``email_verified``). Anything else is refused.

The message is a CloudEvent in Pub/Sub's binary mode: its type in the ``ce-type`` attribute,
its data (base64) the changed resource's name, e.g. ``{"transcript": {"name":
"conferenceRecords/R/transcripts/T"}}``.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

import jwt
from google.auth import exceptions as google_exceptions
from google.auth.transport.requests import Request as GoogleRequest
from google.oauth2 import id_token
from pydantic import BaseModel, ConfigDict, Field

from cs_agent.core.signatures import SignatureError

ISSUERS = ("accounts.google.com", "https://accounts.google.com")
TRANSCRIPT_GENERATED = "google.workspace.meet.transcript.v2.fileGenerated"
_TRANSCRIPT = re.compile(
    r"^(conferenceRecords/[A-Za-z0-9_-]{1,200})/transcripts/[A-Za-z0-9_-]{1,200}$"
)


CERTS_TIMEOUT_SECONDS = 10.0


class _TimedRequest(GoogleRequest):
    """google-auth's requests transport with a short timeout: Pub/Sub waits on our answer."""

    def __call__(
        self,
        url: str,
        method: str = "GET",
        body: Any = None,
        headers: Any = None,
        timeout: float | None = CERTS_TIMEOUT_SECONDS,
        **kwargs: Any,
    ) -> Any:
        return super().__call__(  # type: ignore[no-untyped-call]
            url, method=method, body=body, headers=headers, timeout=timeout, **kwargs
        )


class CertificatesUnavailable(Exception):
    """Google's signing certificates could not be fetched: not the sender's fault (a 503)."""


def verify_push_token(
    authorization: str | None,
    *,
    audience: str,
    service_account: str | None,
    certs_url: str,
) -> dict[str, Any]:
    """The claims of a push's OIDC token, checked. Raises ``SignatureError`` (refuse with 401)
    or ``CertificatesUnavailable``. Blocking: it fetches the certificates."""
    if not authorization or not authorization.lower().startswith("bearer "):
        raise SignatureError("missing_signature", "the push has no Authorization: Bearer token")
    if not service_account:
        raise SignatureError(
            "push_not_configured",
            "set CS_AGENT_GOOGLE_PUSH_SERVICE_ACCOUNT to the push subscription's service account",
        )
    token = authorization[7:].strip()
    _require_google_shape(token)
    try:
        claims = dict(
            id_token.verify_token(
                token,
                _TimedRequest(),
                audience=audience,
                certs_url=certs_url,
                clock_skew_in_seconds=10,
            )
        )
    except google_exceptions.TransportError as error:
        raise CertificatesUnavailable(f"Google's certificates: {error}") from None
    except (ValueError, google_exceptions.GoogleAuthError) as error:
        raise SignatureError("bad_signature", f"the push's token is not valid: {error}") from None
    if claims.get("iss") not in ISSUERS:
        raise SignatureError("bad_signature", "the push's token was not issued by Google")
    if claims.get("email") != service_account or claims.get("email_verified") is not True:
        raise SignatureError(
            "bad_signature",
            "the push's token names another service account than "
            "CS_AGENT_GOOGLE_PUSH_SERVICE_ACCOUNT",
        )
    return claims


def _require_google_shape(token: str) -> None:
    """Refuse what cannot be a Google ID token before any certificate is fetched for it."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError:
        raise SignatureError("bad_signature", "the push's token is not a JWT") from None
    if header.get("alg") != "RS256" or not isinstance(header.get("kid"), str):
        raise SignatureError("bad_signature", "the push's token is not signed the way Google signs")


class PushMessage(BaseModel):
    """``message`` of a push: attributes, base64 data, Pub/Sub's id."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    attributes: dict[str, str] = Field(default_factory=dict)
    data: str = ""
    message_id: str | None = Field(default=None, alias="messageId")


class PushDelivery(BaseModel):
    """A Pub/Sub push request's body."""

    model_config = ConfigDict(extra="ignore")
    message: PushMessage
    subscription: str | None = None


def event_type(message: PushMessage) -> str:
    """The CloudEvent type of the message (``ce-type``), or empty."""
    return message.attributes.get("ce-type", "")


def conference_of(message: PushMessage) -> str:
    """The conference record a transcript event is about. Raises ``ValueError`` saying why not."""
    try:
        data = json.loads(base64.b64decode(message.data, validate=True))
    except (binascii.Error, ValueError):
        raise ValueError("message.data is not base64 of a JSON object") from None
    name = ((data or {}).get("transcript") or {}).get("name") if isinstance(data, dict) else None
    found = _TRANSCRIPT.match(name) if isinstance(name, str) else None
    if found is None:
        raise ValueError(
            'message.data names no transcript (expected {"transcript": {"name": '
            '"conferenceRecords/…/transcripts/…"}})'
        )
    return found.group(1)
