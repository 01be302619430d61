"""Sealed secrets: readable with their key only, and a sealed Zoom job holds no token."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cs_agent.core.sealing import SealError, derive_key, seal, unseal
from cs_agent.core.zoom import SealedZoomJob, ZoomTranscriptJob

KEY = derive_key(b"the zoom app's secret token", purpose="zoom download token")
TOKEN = "zoom-download-token-0123456789"


@settings(max_examples=50, deadline=None)
@given(text=st.text(max_size=300))
def test_sealed_text_opens_with_its_key_only(text: str) -> None:
    sealed = seal(KEY, text)
    assert unseal(KEY, sealed) == text
    with pytest.raises(SealError):
        unseal(derive_key(b"another secret", purpose="zoom download token"), sealed)
    with pytest.raises(SealError):
        unseal(derive_key(b"the zoom app's secret token", purpose="another use"), sealed)


@settings(max_examples=50, deadline=None)
@given(garbage=st.text(max_size=200))
def test_anything_else_is_refused_not_crashed_on(garbage: str) -> None:
    with pytest.raises(SealError):
        unseal(KEY, garbage)


def test_a_tampered_seal_is_refused() -> None:
    sealed = seal(KEY, TOKEN)
    flipped = sealed[:20] + ("A" if sealed[20] != "A" else "B") + sealed[21:]
    with pytest.raises(SealError):
        unseal(KEY, flipped)


def test_an_empty_secret_makes_no_key() -> None:
    with pytest.raises(ValueError, match="non-empty"):
        derive_key(b"", purpose="zoom download token")


def test_a_sealed_job_holds_everything_but_the_token() -> None:
    job = ZoomTranscriptJob(
        meeting_uuid="m-1",
        topic="Initech",
        host_email="ann@initech.example",
        download_url="https://zoom.us/rec/webhook_download/f",
        download_token=TOKEN,
    )
    assert TOKEN not in repr(job) and TOKEN not in job.model_dump_json()
    stored = job.sealed(KEY).model_dump(mode="json")
    assert TOKEN not in str(stored)
    assert stored["meeting_uuid"] == "m-1" and "download_token" not in stored
    opened = SealedZoomJob.model_validate(stored).opened(KEY)
    assert opened.download_token.get_secret_value() == TOKEN
    assert opened.metadata() == job.metadata()
