"""Linear's webhook signature: ``Linear-Signature`` = hex HMAC-SHA256 of the raw body.

The key is the webhook's signing secret (``CS_AGENT_LINEAR_WEBHOOK_SECRET``). The body's
``webhookTimestamp`` (Unix milliseconds, covered by the signature) must be within a minute
of the server's clock, which bounds how long a captured delivery can be replayed; inside
that minute the delivery id (``Linear-Delivery``) is remembered and a second use recorded once.
"""

from __future__ import annotations

import hashlib
import hmac

from cs_agent.core.signatures import SignatureError

LINEAR_SIGNATURE_HEADER = "Linear-Signature"
LINEAR_DELIVERY_HEADER = "Linear-Delivery"
LINEAR_EVENT_HEADER = "Linear-Event"
LINEAR_TOLERANCE_SECONDS = 60


def linear_signature(body: bytes, *, secret: bytes) -> str:
    """The signature Linear sends for ``body``."""
    return hmac.new(secret, body, hashlib.sha256).hexdigest()


def verify_linear_signature(header: str | None, body: bytes, *, secret: bytes) -> None:
    """Raise ``SignatureError`` unless ``header`` is the body's signature (constant-time)."""
    if not header:
        raise SignatureError(
            "missing_signature",
            f"no {LINEAR_SIGNATURE_HEADER} header: only Linear's signed webhooks are accepted",
        )
    expected = linear_signature(body, secret=secret)
    if not hmac.compare_digest(header.strip().lower().encode(), expected.encode()):
        raise SignatureError(
            "bad_signature",
            f"{LINEAR_SIGNATURE_HEADER} does not match the body: check that "
            "CS_AGENT_LINEAR_WEBHOOK_SECRET is the webhook's signing secret",
        )


def check_linear_timestamp(
    timestamp_ms: object, *, now: float, tolerance: int = LINEAR_TOLERANCE_SECONDS
) -> None:
    """Raise ``SignatureError`` unless ``webhookTimestamp`` is within ``tolerance`` of ``now``."""
    if isinstance(timestamp_ms, bool) or not isinstance(timestamp_ms, int | float):
        raise SignatureError(
            "missing_timestamp", "the body has no numeric webhookTimestamp (Unix milliseconds)"
        )
    age = now - timestamp_ms / 1000
    if abs(age) > tolerance:
        raise SignatureError(
            "stale_timestamp",
            f"webhookTimestamp is {abs(int(age))} s from the server's clock (at most "
            f"{tolerance} s allowed): a replayed or delayed delivery, or a clock to fix",
        )
