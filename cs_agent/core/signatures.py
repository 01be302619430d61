"""The intake signature: ``X-CS-Agent-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>``.

The HMAC is keyed with ``CS_AGENT_WEBHOOK_SECRET`` over ``"<t>.<raw body>"``, so it covers the
exact bytes sent and the moment they were signed. A timestamp further than the tolerance
(five minutes by default) from the server's clock is refused, which bounds how long a captured
request can be replayed. Inside the window a replay is harmless: the same body is the same
call (see ``cs_agent.intake``), and a signature already used answers with the call it created.

Several ``v1=`` values may be sent (for example while rotating secrets); one matching is enough.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

SIGNATURE_HEADER = "X-CS-Agent-Signature"
SCHEME = "v1"


class SignatureError(Exception):
    """A signature header that is missing, malformed, stale or wrong; ``code`` says which."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class SignatureHeader:
    """A parsed signature header: the timestamp and every ``v1`` signature it carries."""

    timestamp: int
    signatures: tuple[str, ...]


def compute_signature(secret: bytes, timestamp: int, body: bytes) -> str:
    """Hex HMAC-SHA256 of ``"<timestamp>.<body>"`` keyed with ``secret``."""
    mac = hmac.new(secret, f"{timestamp}.".encode(), hashlib.sha256)
    mac.update(body)
    return mac.hexdigest()


def signature_header(secret: bytes, timestamp: int, body: bytes) -> str:
    """The ``X-CS-Agent-Signature`` value a client sends for ``body`` signed at ``timestamp``."""
    return f"t={timestamp},{SCHEME}={compute_signature(secret, timestamp, body)}"


def parse_signature_header(value: str) -> SignatureHeader:
    """Split ``t=…,v1=…`` into its parts; raises ``SignatureError`` when it is not that shape."""
    timestamp: int | None = None
    signatures: list[str] = []
    for part in value.split(","):
        key, sep, item = part.strip().partition("=")
        if not sep:
            continue
        if key == "t" and item.isascii() and item.isdigit() and len(item) <= 12:
            timestamp = int(item)
        elif key == SCHEME and item and item.isascii():
            signatures.append(item.lower())
    if timestamp is None or not signatures:
        raise SignatureError(
            "malformed_signature",
            f"{SIGNATURE_HEADER} must look like t=<unix seconds>,v1=<hex HMAC-SHA256>; "
            f"found {value[:80]!r}",
        )
    return SignatureHeader(timestamp=timestamp, signatures=tuple(signatures))


def check_timestamp(header: SignatureHeader, *, now: float, tolerance: int) -> None:
    """Refuse a timestamp outside ``now ± tolerance`` seconds."""
    skew = header.timestamp - now
    if abs(skew) > tolerance:
        direction = "old" if skew < 0 else "in the future"
        raise SignatureError(
            "stale_signature",
            f"the signature timestamp t={header.timestamp} is {abs(skew):.0f} s {direction}; "
            f"signed requests are accepted for {tolerance} s: sign each request when you send "
            "it, and check the sender's clock",
        )


def verify_signature(
    value: str | None, body: bytes, *, secret: bytes, now: float, tolerance: int
) -> str:
    """Check a signature header against ``body``. Returns the matching signature (hex).

    Raises ``SignatureError`` (code ``missing_signature``, ``malformed_signature``,
    ``stale_signature`` or ``bad_signature``). The comparison is constant-time.
    """
    if not value:
        raise SignatureError("missing_signature", f"no {SIGNATURE_HEADER} header")
    header = parse_signature_header(value)
    check_timestamp(header, now=now, tolerance=tolerance)
    return match_signature(header, body, secret=secret)


def match_signature(header: SignatureHeader, body: bytes, *, secret: bytes) -> str:
    """The signature (hex) in ``header`` that matches ``body``; raises ``SignatureError`` if none.

    Checks the HMAC only: call ``check_timestamp`` first.
    """
    expected = compute_signature(secret, header.timestamp, body)
    for candidate in header.signatures:
        if hmac.compare_digest(expected, candidate):
            return expected
    raise SignatureError(
        "bad_signature",
        f"the signature does not match the body: {SCHEME} must be the hex HMAC-SHA256, keyed "
        'with CS_AGENT_WEBHOOK_SECRET, of "<t>.<raw body>" (the exact bytes sent)',
    )
