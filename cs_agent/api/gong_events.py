"""Gong's webhook protocol: how an automation rule's delivery proves it came from Gong.

A rule authenticates in one of two ways (Gong → Automation rules → Fire webhook):
- **Signed JWT header**: the ``Authorization`` header holds a JWT signed RS256 with the rule's
  key; its claims carry ``body_sha256`` (the hex SHA-256 of the body as sent), ``webhook_url``
  (where it was meant to go) and ``exp``. We verify it against the rule's public key
  (``CS_AGENT_GONG_WEBHOOK_PUBLIC_KEY``, PEM or the bare base64 Gong shows).
- **URL includes key**: the rule's URL carries our random token (``?token=…``), compared with
  ``CS_AGENT_GONG_WEBHOOK_SECRET`` in constant time.
Anything else is refused before the body is looked at.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import jwt
from pydantic import BaseModel, ConfigDict, Field

from cs_agent.core.gong import public_key_pem
from cs_agent.core.signatures import SignatureError

TOKEN_PARAMETER = "token"  # noqa: S105  (the query parameter's name, not a secret)


def verify_gong_jwt(
    authorization: str | None, body: bytes, *, public_key: str, path: str
) -> dict[str, Any]:
    """The claims of a valid delivery. Raises ``SignatureError`` saying what is wrong."""
    if not authorization:
        raise SignatureError("missing_signature", "the delivery has no Authorization header")
    token = authorization.strip()
    if token.lower().startswith("bearer "):
        token = token[7:].strip()
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            public_key_pem(public_key),
            algorithms=["RS256"],
            options={"require": ["exp", "body_sha256"], "verify_aud": False},
            leeway=30,
        )
    except jwt.ExpiredSignatureError:
        raise SignatureError("stale_signature", "the delivery's JWT has expired") from None
    except (jwt.InvalidTokenError, ValueError) as error:
        raise SignatureError("bad_signature", f"the delivery's JWT is not valid: {error}") from None
    expected = hashlib.sha256(body).hexdigest()
    if not hmac.compare_digest(str(claims["body_sha256"]).lower(), expected):
        raise SignatureError("bad_signature", "the JWT's body_sha256 is not that of the body")
    url = claims.get("webhook_url")
    if isinstance(url, str) and url and _path_of(url) != path:
        raise SignatureError(
            "bad_signature", "the JWT was issued for another webhook URL (webhook_url claim)"
        )
    return claims


def verify_gong_token(given: str | None, *, secret: str) -> None:
    """Check the token of a "URL includes key" rule. Raises ``SignatureError``."""
    if not given:
        raise SignatureError("missing_signature", "the delivery has no token in its URL")
    if not hmac.compare_digest(given.encode(), secret.encode()):
        raise SignatureError("bad_signature", "the delivery's URL token is wrong")


def _path_of(url: str) -> str:
    rest = url.split("://", 1)[-1]
    path = "/" + rest.split("/", 1)[1] if "/" in rest else "/"
    return path.split("?", 1)[0].split("#", 1)[0].rstrip("/") or "/"


class GongWebhookMetaData(BaseModel):
    """The call's ``metaData`` in a delivery: only its id is needed; the rest is fetched."""

    model_config = ConfigDict(extra="ignore")
    id: str = Field(pattern=r"^[0-9A-Za-z_-]{1,100}$")
    title: str | None = None


class GongWebhookCallData(BaseModel):
    model_config = ConfigDict(extra="ignore")
    metaData: GongWebhookMetaData  # noqa: N815  (Gong's field names)


class GongWebhookDelivery(BaseModel):
    """An automation rule's delivery: ``{"callData": {"metaData": {"id": …}, …}, "isTest": …}``."""

    model_config = ConfigDict(extra="ignore")
    callData: GongWebhookCallData  # noqa: N815
    isTest: bool | None = None  # noqa: N815
