"""Zoom's webhook protocol against the derived test vectors, and which download URLs we fetch."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from cs_agent.api.errors import describe_validation
from cs_agent.api.zoom_events import (
    TranscriptCompletedEvent,
    url_validation_response,
    verify_zoom_signature,
    zoom_signature,
)
from cs_agent.core.signatures import SignatureError
from cs_agent.core.zoom import download_url_problem

from ...conftest import REPO_ROOT

FIXTURES = REPO_ROOT / "tests" / "fixtures" / "zoom"
VECTORS: dict[str, Any] = json.loads((FIXTURES / "signature_test_vectors.derived.json").read_text())
SECRET = VECTORS["secret_token"].encode()


def test_url_validation_answer_matches_the_vector() -> None:
    vector = VECTORS["url_validation"]
    plain = vector["request_body"]["payload"]["plainToken"]
    assert url_validation_response(SECRET, plain) == vector["expected_response_body"]


@pytest.mark.parametrize("name", ["event_signature", "url_validation_signature"])
def test_event_signatures_match_the_vectors(name: str) -> None:
    vector = VECTORS[name]
    timestamp = vector["x-zm-request-timestamp"]
    body = vector["raw_body"].encode()
    assert zoom_signature(SECRET, timestamp, body) == vector["expected_x-zm-signature"]
    verify_zoom_signature(
        vector["expected_x-zm-signature"],
        timestamp,
        body,
        secret=SECRET,
        now=int(timestamp) + 10,
        tolerance=300,
    )


@pytest.mark.parametrize(
    ("signature", "timestamp", "skew", "code"),
    [
        (None, "1626212691", 0, "missing_signature"),
        ("v0=" + "0" * 64, None, 0, "missing_signature"),
        ("v0=" + "0" * 64, "yesterday", 0, "malformed_signature"),
        ("v0=" + "0" * 64, "1626212691", 0, "bad_signature"),
        ("v0=ünïcode", "1626212691", 0, "bad_signature"),
        (
            VECTORS["event_signature"]["expected_x-zm-signature"],
            "1626212691",
            301,
            "stale_signature",
        ),
        (
            VECTORS["event_signature"]["expected_x-zm-signature"],
            "1626212691",
            -301,
            "stale_signature",
        ),
    ],
)
def test_zoom_signature_refusals(
    signature: str | None, timestamp: str | None, skew: int, code: str
) -> None:
    body = VECTORS["event_signature"]["raw_body"].encode()
    with pytest.raises(SignatureError) as caught:
        verify_zoom_signature(
            signature, timestamp, body, secret=SECRET, now=1626212691 + skew, tolerance=300
        )
    assert caught.value.code == code


def test_the_documented_event_yields_its_transcript_file() -> None:
    event = TranscriptCompletedEvent.model_validate_json(
        (FIXTURES / "recording.transcript_completed.example.json").read_text()
    )
    recording = event.payload.object
    assert recording.uuid == "4444AAAiAAAAAiAiAiiAii=="
    file = recording.transcript_file()
    assert file is not None and file.id == "ed6c2f27-2ae7-42f4-b3d0-835b493e4fa8"
    assert event.download_token


API = "https://api.zoom.us/v2/"


@pytest.mark.parametrize(
    ("url", "api_url", "allowed"),
    [
        ("https://zoom.us/rec/download/abc", API, True),
        ("https://us02web.zoom.us/rec/webhook_download/abc", API, True),
        ("https://ssrweb.zoom.us/file/abc?sig=1", API, True),
        ("https://zoomgov.com/rec/download/abc", API, True),
        ("http://zoom.us/rec/download/abc", API, False),
        ("https://zoom.us.evil.example/rec/download/abc", API, False),
        ("https://evilzoom.us/rec/download/abc", API, False),
        ("https://169.254.169.254/latest/meta-data", API, False),
        ("http://127.0.0.1:9000/rec/download/abc", API, False),
        ("http://127.0.0.1:9000/rec/download/abc", "http://127.0.0.1:9000/v2/", True),
        ("http://127.0.0.1:9001/rec/download/abc", "http://127.0.0.1:9000/v2/", False),
        ("file:///etc/passwd", API, False),
        ("not a url", API, False),
    ],
)
def test_only_zoom_or_the_configured_origin_is_fetched(
    url: str, api_url: str, allowed: bool
) -> None:
    assert (download_url_problem(url, api_url=api_url) is None) is allowed


@pytest.mark.parametrize(
    "hostile",
    ["tom@acme.example\r\nBcc: hidden@evil.example", "lena@acme.example,hidden2@evil.example"],
)
def test_a_hostile_host_email_is_refused_naming_the_field(hostile: str) -> None:
    data = json.loads((FIXTURES / "recording.transcript_completed.example.json").read_text())
    data["payload"]["object"]["host_email"] = hostile
    with pytest.raises(ValidationError) as raised:
        TranscriptCompletedEvent.model_validate(data)
    _detail, field = describe_validation(raised.value.errors(include_url=False))
    assert field == "payload.object.host_email"
