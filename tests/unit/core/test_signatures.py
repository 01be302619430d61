"""The intake signature scheme: what a client computes, and every way a check refuses."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from cs_agent.core.signatures import (
    SignatureError,
    compute_signature,
    signature_header,
    verify_signature,
)

SECRET = b"whsec-test"
BODY = b'{"transcript": "WEBVTT\\n\\n00:00:01.000 --> 00:00:02.000\\nAnn: hi\\n"}'
NOW = 1_790_000_000


def test_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    # Computed independently of the module, as a client in any language would.
    expected = hmac.new(SECRET, f"{NOW}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert compute_signature(SECRET, NOW, BODY) == expected
    assert signature_header(SECRET, NOW, BODY) == f"t={NOW},v1={expected}"


def test_a_valid_signature_is_accepted_and_returned() -> None:
    header = signature_header(SECRET, NOW - 299, BODY)
    assert verify_signature(header, BODY, secret=SECRET, now=NOW, tolerance=300) == (
        compute_signature(SECRET, NOW - 299, BODY)
    )


def test_any_of_several_v1_values_may_match() -> None:
    good = compute_signature(SECRET, NOW, BODY)
    header = f"t={NOW}, v1={'0' * 64}, v1={good.upper()}, v0=ignored"
    assert verify_signature(header, BODY, secret=SECRET, now=NOW, tolerance=300) == good


@pytest.mark.parametrize(
    ("header", "body", "code"),
    [
        (None, BODY, "missing_signature"),
        ("", BODY, "missing_signature"),
        ("v1=abc", BODY, "malformed_signature"),
        (f"t={NOW}", BODY, "malformed_signature"),
        (f"t=soon,v1={'a' * 64}", BODY, "malformed_signature"),
        (f"t={NOW},v1=é", BODY, "malformed_signature"),
        (f"t={NOW - 301},v1={compute_signature(SECRET, NOW - 301, BODY)}", BODY, "stale_signature"),
        (f"t={NOW + 301},v1={compute_signature(SECRET, NOW + 301, BODY)}", BODY, "stale_signature"),
        (signature_header(b"another secret", NOW, BODY), BODY, "bad_signature"),
        (signature_header(SECRET, NOW, BODY), BODY + b" ", "bad_signature"),
        (f"t={NOW + 1},v1={compute_signature(SECRET, NOW, BODY)}", BODY, "bad_signature"),
    ],
    ids=[
        "missing",
        "empty",
        "no-timestamp",
        "no-signature",
        "timestamp-not-a-number",
        "non-ascii-signature",
        "too-old",
        "too-far-in-future",
        "wrong-secret",
        "body-changed",
        "timestamp-changed",
    ],
)
def test_refusals_say_which_problem(header: str | None, body: bytes, code: str) -> None:
    with pytest.raises(SignatureError) as caught:
        verify_signature(header, body, secret=SECRET, now=NOW, tolerance=300)
    assert caught.value.code == code
    assert caught.value.message
