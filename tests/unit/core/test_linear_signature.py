"""Linear's webhook signature: the body's own HMAC passes, any change to body or key fails."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cs_agent.core.linear_signature import check_linear_timestamp, verify_linear_signature
from cs_agent.core.signatures import SignatureError

SECRET = b"lin_wh_secret"


def reference_signature(body: bytes, secret: bytes = SECRET) -> str:
    # Written from Linear's documentation: hex HMAC-SHA256 of the raw body.
    return hmac.new(secret, body, hashlib.sha256).hexdigest()


@given(st.binary(max_size=2048))
def test_the_bodys_own_signature_passes(body: bytes) -> None:
    verify_linear_signature(reference_signature(body), body, secret=SECRET)
    verify_linear_signature(reference_signature(body).upper(), body, secret=SECRET)


@given(st.binary(min_size=1, max_size=512), st.integers(min_value=0), st.integers(1, 255))
def test_any_changed_byte_fails(body: bytes, where: int, flip: int) -> None:
    signature = reference_signature(body)
    index = where % len(body)
    changed = body[:index] + bytes([body[index] ^ flip]) + body[index + 1 :]
    with pytest.raises(SignatureError) as refused:
        verify_linear_signature(signature, changed, secret=SECRET)
    assert refused.value.code == "bad_signature"


@given(st.text(max_size=200))
def test_hostile_headers_are_refused_not_crashed_on(header: str) -> None:
    body = b'{"type":"Issue"}'
    if header.strip().lower() == reference_signature(body):
        return
    with pytest.raises(SignatureError):
        verify_linear_signature(header, body, secret=SECRET)


def test_another_key_or_no_header_fails() -> None:
    body = b'{"type":"Issue"}'
    with pytest.raises(SignatureError):
        verify_linear_signature(reference_signature(body, b"other"), body, secret=SECRET)
    with pytest.raises(SignatureError) as missing:
        verify_linear_signature(None, body, secret=SECRET)
    assert missing.value.code == "missing_signature"


@pytest.mark.parametrize(
    ("offset_seconds", "ok"), [(0, True), (59, True), (-59, True), (61, False), (-61, False)]
)
def test_the_timestamp_must_be_within_a_minute(offset_seconds: int, ok: bool) -> None:
    now = 1_800_000_000.0
    stamp = int((now - offset_seconds) * 1000)
    if ok:
        check_linear_timestamp(stamp, now=now)
    else:
        with pytest.raises(SignatureError) as stale:
            check_linear_timestamp(stamp, now=now)
        assert stale.value.code == "stale_timestamp"


@pytest.mark.parametrize("value", [None, "1800000000000", True, [1]])
def test_a_missing_or_odd_timestamp_is_refused(value: object) -> None:
    with pytest.raises(SignatureError) as refused:
        check_linear_timestamp(value, now=1_800_000_000.0)
    assert refused.value.code == "missing_timestamp"
