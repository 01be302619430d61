"""The API signature scheme: what a client computes, and every way a check refuses."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from cs_agent.core.signatures import (
    SignatureError,
    SignedRequest,
    compute_signature,
    signature_header,
    verify_signature,
)

SECRET = b"whsec-test"
BODY = b'{"transcript": "WEBVTT\\n\\n00:00:01.000 --> 00:00:02.000\\nAnn: hi\\n"}'
NOW = 1_790_000_000
POST = SignedRequest(method="POST", path="/v1/transcripts", query="", body=BODY)


def test_signature_is_hmac_sha256_of_the_v2_string_to_sign() -> None:
    # Computed independently of the module, as a client in any language would.
    message = f"v2:{NOW}:POST:/v1/transcripts:{hashlib.sha256(BODY).hexdigest()}"
    expected = hmac.new(SECRET, message.encode(), hashlib.sha256).hexdigest()
    assert compute_signature(SECRET, NOW, POST) == expected
    assert signature_header(SECRET, NOW, POST) == f"t={NOW},v2={expected}"


def test_the_query_is_part_of_the_string_to_sign() -> None:
    request = SignedRequest("get", "/v1/calls", "limit=5&offset=10", b"")
    message = f"v2:{NOW}:GET:/v1/calls?limit=5&offset=10:{hashlib.sha256(b'').hexdigest()}"
    expected = hmac.new(SECRET, message.encode(), hashlib.sha256).hexdigest()
    assert compute_signature(SECRET, NOW, request) == expected


def test_a_valid_signature_is_accepted_and_returned() -> None:
    header = signature_header(SECRET, NOW - 299, POST)
    assert verify_signature(header, POST, secret=SECRET, now=NOW, tolerance=300) == (
        compute_signature(SECRET, NOW - 299, POST)
    )


def test_any_of_several_v2_values_may_match() -> None:
    good = compute_signature(SECRET, NOW, POST)
    header = f"t={NOW}, v2={'0' * 64}, v2={good.upper()}, v0=ignored"
    assert verify_signature(header, POST, secret=SECRET, now=NOW, tolerance=300) == good


@pytest.mark.parametrize(
    "other",
    [
        SignedRequest("GET", "/v1/calls", "", BODY),
        SignedRequest("POST", "/v1/calls", "", BODY),
        SignedRequest("POST", "/v1/transcripts", "x=1", BODY),
        SignedRequest("PUT", "/v1/transcripts", "", BODY),
    ],
    ids=["other-method-and-path", "other-path", "added-query", "other-method"],
)
def test_a_signature_binds_method_path_and_query(other: SignedRequest) -> None:
    header = signature_header(SECRET, NOW, POST)
    with pytest.raises(SignatureError) as caught:
        verify_signature(header, other, secret=SECRET, now=NOW, tolerance=300)
    assert caught.value.code == "bad_signature"


def _v1(timestamp: int, body: bytes) -> str:
    return hmac.new(SECRET, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


@pytest.mark.parametrize(
    ("header", "request_", "code"),
    [
        (None, POST, "missing_signature"),
        ("", POST, "missing_signature"),
        ("v2=abc", POST, "malformed_signature"),
        (f"t={NOW}", POST, "malformed_signature"),
        (f"t=soon,v2={'a' * 64}", POST, "malformed_signature"),
        (f"t={NOW},v2=é", POST, "malformed_signature"),
        (f"t={NOW},v1={_v1(NOW, BODY)}", POST, "unsupported_signature"),
        (
            f"t={NOW - 301},v2={compute_signature(SECRET, NOW - 301, POST)}",
            POST,
            "stale_signature",
        ),
        (
            f"t={NOW + 301},v2={compute_signature(SECRET, NOW + 301, POST)}",
            POST,
            "stale_signature",
        ),
        (signature_header(b"another secret", NOW, POST), POST, "bad_signature"),
        (
            signature_header(SECRET, NOW, POST),
            SignedRequest("POST", "/v1/transcripts", "", BODY + b" "),
            "bad_signature",
        ),
        (f"t={NOW + 1},v2={compute_signature(SECRET, NOW, POST)}", POST, "bad_signature"),
    ],
    ids=[
        "missing",
        "empty",
        "no-timestamp",
        "no-signature",
        "timestamp-not-a-number",
        "non-ascii-signature",
        "old-v1-form",
        "too-old",
        "too-far-in-future",
        "wrong-secret",
        "body-changed",
        "timestamp-changed",
    ],
)
def test_refusals_say_which_problem(header: str | None, request_: SignedRequest, code: str) -> None:
    with pytest.raises(SignatureError) as caught:
        verify_signature(header, request_, secret=SECRET, now=NOW, tolerance=300)
    assert caught.value.code == code
    assert caught.value.message
