"""The API signature: ``X-CS-Agent-Signature: t=<unix seconds>,v2=<hex HMAC-SHA256>``.

The HMAC is keyed with ``CS_AGENT_WEBHOOK_SECRET`` over the *string to sign*::

    v2:<t>:<METHOD>:<path>[?<query>]:<hex SHA-256 of the raw body>

``METHOD`` is upper case; the path and query are exactly as sent in the request line (still
percent-encoded, ``?`` and the query only when there is one). So a signature covers the
request it was made for (method, route, query, the exact body bytes) and the moment it was
made: a signature captured on ``POST /v1/transcripts`` authorises nothing on ``GET /v1/calls``.

A timestamp further than the tolerance (five minutes by default) from the server's clock is
refused, which bounds how long a signature lives; inside that window the server remembers every
signature it accepted and refuses a second use (see ``cs_agent.api.auth``).

The first form (``v1=``, over ``"<t>.<body>"`` only) bound neither method nor path, so it
cannot be kept safely: it is refused with ``unsupported_signature``.

Several ``v2=`` values may be sent (for example while rotating secrets); one matching is enough.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

SIGNATURE_HEADER = "X-CS-Agent-Signature"
SCHEME = "v2"
RETIRED_SCHEMES = ("v1",)
HEADER_FORM = "t=<unix seconds>,v2=<hex HMAC-SHA256>"
STRING_TO_SIGN = "v2:<t>:<METHOD>:<path>[?<query>]:<hex SHA-256 of the body>"


class SignatureError(Exception):
    """A signature header that is missing, malformed, stale or wrong; ``code`` says which."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class SignatureHeader:
    """A parsed signature header: the timestamp and every ``v2`` signature it carries."""

    timestamp: int
    signatures: tuple[str, ...]


@dataclass(frozen=True)
class SignedRequest:
    """What a signature covers besides its timestamp: the method, the target and the body."""

    method: str
    path: str
    query: str
    body: bytes

    @property
    def target(self) -> str:
        """The path, plus ``?query`` when there is a query."""
        return f"{self.path}?{self.query}" if self.query else self.path


def string_to_sign(timestamp: int, request: SignedRequest) -> str:
    """``v2:<t>:<METHOD>:<path>[?<query>]:<sha256 hex of body>``."""
    digest = hashlib.sha256(request.body).hexdigest()
    return f"{SCHEME}:{timestamp}:{request.method.upper()}:{request.target}:{digest}"


def compute_signature(secret: bytes, timestamp: int, request: SignedRequest) -> str:
    """Hex HMAC-SHA256 of the string to sign, keyed with ``secret``."""
    message = string_to_sign(timestamp, request).encode("utf-8", "surrogateescape")
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def signature_header(secret: bytes, timestamp: int, request: SignedRequest) -> str:
    """The ``X-CS-Agent-Signature`` value a client sends for ``request`` signed at ``timestamp``."""
    return f"t={timestamp},{SCHEME}={compute_signature(secret, timestamp, request)}"


def parse_signature_header(value: str) -> SignatureHeader:
    """Split ``t=…,v2=…`` into its parts; raises ``SignatureError`` when it is not that shape."""
    timestamp: int | None = None
    signatures: list[str] = []
    retired = False
    for part in value.split(","):
        key, sep, item = part.strip().partition("=")
        if not sep:
            continue
        if key == "t" and item.isascii() and item.isdigit() and len(item) <= 12:
            timestamp = int(item)
        elif key == SCHEME and item and item.isascii():
            signatures.append(item.lower())
        elif key in RETIRED_SCHEMES:
            retired = True
    if retired and not signatures:
        raise SignatureError(
            "unsupported_signature",
            f"{SIGNATURE_HEADER} v1 signatures are no longer accepted (they did not cover the "
            f"method and path); send {HEADER_FORM}, the HMAC over {STRING_TO_SIGN!r} "
            "(see docs/api.md)",
        )
    if timestamp is None or not signatures:
        raise SignatureError(
            "malformed_signature",
            f"{SIGNATURE_HEADER} must look like {HEADER_FORM}; found {value[:80]!r}",
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
    value: str | None, request: SignedRequest, *, secret: bytes, now: float, tolerance: int
) -> str:
    """Check a signature header against ``request``. Returns the matching signature (hex).

    Raises ``SignatureError`` (code ``missing_signature``, ``malformed_signature``,
    ``unsupported_signature``, ``stale_signature`` or ``bad_signature``). The comparison is
    constant-time.
    """
    if not value:
        raise SignatureError("missing_signature", f"no {SIGNATURE_HEADER} header")
    header = parse_signature_header(value)
    check_timestamp(header, now=now, tolerance=tolerance)
    return match_signature(header, request, secret=secret)


def match_signature(header: SignatureHeader, request: SignedRequest, *, secret: bytes) -> str:
    """The signature (hex) in ``header`` that matches ``request``; raises ``SignatureError`` if none.

    Checks the HMAC only: call ``check_timestamp`` first.
    """
    expected = compute_signature(secret, header.timestamp, request)
    for candidate in header.signatures:
        if hmac.compare_digest(expected, candidate):
            return expected
    raise SignatureError(
        "bad_signature",
        f"the signature does not match the request: {SCHEME} must be the hex HMAC-SHA256, keyed "
        f"with CS_AGENT_WEBHOOK_SECRET, of {STRING_TO_SIGN!r}, here "
        f"'v2:{header.timestamp}:{request.method.upper()}:{request.target[:200]}:…'",
    )
