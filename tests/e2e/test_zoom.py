"""Zoom's webhook end to end: the URL validation handshake, signatures, and a completed
transcript downloaded from a local Zoom and processed like any call."""

from __future__ import annotations

import base64
import contextlib
import io
import json
import logging
import sqlite3
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from dbos import DBOS, SetWorkflowID
from pydantic import SecretStr

from cs_agent.api.app import create_app
from cs_agent.bootstrap.runtime import Runtime
from cs_agent.config import Settings
from cs_agent.core import ids
from cs_agent.core.sealing import derive_key
from cs_agent.core.zoom import ZoomTranscriptJob
from cs_agent.logs import configure_logging
from cs_agent.services import queues, zoom_ingest
from cs_agent.services.call_retry import RetryRefused, retry_call
from cs_agent.services.views import load_call_view

from ..emulators.base import Fault
from ..emulators.zoom import ZoomEmulator, sign, transcript_completed, url_validation
from .intake_helpers import aclient

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
VECTORS: dict[str, Any] = json.loads(
    (FIXTURES / "zoom" / "signature_test_vectors.derived.json").read_text()
)
ZOOM_SECRET = VECTORS["secret_token"]
ZOOM_VTT = (FIXTURES / "transcripts" / "GMT20240124-202901_Recording.transcript.vtt").read_bytes()
TOKEN = "download-token-of-the-event"


@pytest.fixture
def zoom() -> Iterator[ZoomEmulator]:
    with ZoomEmulator() as emulator:
        assert isinstance(emulator, ZoomEmulator)
        yield emulator


@pytest.fixture
async def zoom_runtime(settings: Settings, zoom: ZoomEmulator) -> AsyncIterator[Runtime]:
    configured = settings.model_copy(
        update={
            "zoom_secret_token": SecretStr(ZOOM_SECRET),
            "zoom_api_url": f"{zoom.url}/v2/",
        }
    )
    runtime = Runtime(configured)
    await runtime.start()
    try:
        yield runtime
    finally:
        await runtime.stop()


@pytest.fixture
async def client(zoom_runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    async for c in aclient(create_app(zoom_runtime.settings, runtime=zoom_runtime)):
        yield c


async def post_event(
    client: httpx.AsyncClient,
    event: dict[str, Any],
    *,
    at: int | None = None,
    secret: str = ZOOM_SECRET,
) -> httpx.Response:
    body = json.dumps(event).encode()
    return await client.post(
        "/webhooks/zoom", content=body, headers=sign(secret, body, timestamp=at)
    )


# --- the handshake and signatures ---------------------------------------------------------------


async def test_url_validation_handshake(client: httpx.AsyncClient) -> None:
    response = await post_event(client, url_validation())
    assert response.status_code == 200
    assert response.json() == VECTORS["url_validation"]["expected_response_body"]


@pytest.mark.parametrize(
    ("make_headers", "code"),
    [
        (lambda body: {"content-type": "application/json"}, "missing_signature"),
        (lambda body: sign("another app's secret", body), "bad_signature"),
        (lambda body: sign(ZOOM_SECRET, body, timestamp=int(time.time()) - 301), "stale_signature"),
        (
            lambda body: {**sign(ZOOM_SECRET, body), "x-zm-request-timestamp": "noon"},
            "malformed_signature",
        ),
    ],
    ids=["missing", "wrong", "stale", "malformed-timestamp"],
)
async def test_unsigned_or_badly_signed_events_are_refused(
    client: httpx.AsyncClient, make_headers: Any, code: str
) -> None:
    body = json.dumps(url_validation()).encode()
    response = await client.post("/webhooks/zoom", content=body, headers=make_headers(body))
    assert response.status_code == 401
    assert response.json()["error"] == code


async def test_zoom_is_refused_when_not_configured(runtime: Runtime) -> None:
    async for c in aclient(create_app(runtime.settings, runtime=runtime)):
        response = await post_event(c, url_validation())
        assert response.status_code == 403
        assert "CS_AGENT_ZOOM_SECRET_TOKEN" in response.json()["detail"]


# --- transcript_completed ----------------------------------------------------------------------


async def test_a_completed_transcript_is_downloaded_and_processed_once(
    client: httpx.AsyncClient, zoom: ZoomEmulator, zoom_runtime: Runtime
) -> None:
    url = zoom.add_file("file-1", ZOOM_VTT, token=TOKEN)
    event = transcript_completed(download_url=url, token=TOKEN, topic="Initech weekly sync")
    response = await post_event(client, event)
    assert response.status_code == 200, response.text
    accepted = response.json()
    assert accepted["status"] == "accepted"

    call_id = await queues.wait_for(accepted["workflow_id"], timeout=60)
    assert call_id == accepted["call_id"]
    await queues.wait_for(ids.process_call_workflow_id(call_id), timeout=60)
    view = load_call_view(zoom_runtime, call_id)
    assert view is not None
    assert view.status == "awaiting_approval"
    assert view.title == "Initech weekly sync"
    assert str(view.call_date) == "2021-07-13"  # 21:44 UTC is the 13th in Los Angeles
    assert view.words > 1000

    # Zoom's webhook URL (given the token) redirected to the file; the token went along only
    # as a header, to the same origin.
    first = zoom.requests_to("/rec/webhook_download/file-1")
    assert [r.query for r in first] == [f"access_token={TOKEN}"]
    downloads = zoom.requests_to("/rec/download/file-1")
    assert len(downloads) == 1
    assert downloads[0].headers["authorization"] == f"Bearer {TOKEN}"
    assert downloads[0].query == ""

    # Zoom retries the event (signed anew): the same call, no second download.
    again = await post_event(client, event)
    assert again.status_code == 200
    assert again.json()["call_id"] == call_id
    await queues.wait_for(accepted["workflow_id"], timeout=60)
    assert len(zoom.requests_to("/rec/download/file-1")) == 1
    listing = (await client.get("/v1/calls")).json()
    assert [c["call_id"] for c in listing["calls"]] == [call_id]


async def test_a_download_that_fails_for_a_while_is_retried(
    client: httpx.AsyncClient, zoom: ZoomEmulator, zoom_runtime: Runtime
) -> None:
    url = zoom.add_file("file-2", ZOOM_VTT, token=TOKEN)
    zoom.fail_next(2, Fault(status=503), when=lambda r: r.path == "/rec/download/file-2")
    response = await post_event(
        client, transcript_completed(download_url=url, token=TOKEN, uuid="m-2")
    )
    call_id = await queues.wait_for(response.json()["workflow_id"], timeout=60)
    view = load_call_view(zoom_runtime, call_id)
    assert view is not None and view.status != "failed"
    assert len(zoom.faulted) == 2
    assert len(zoom.requests_to("/rec/download/file-2")) == 1


@pytest.mark.parametrize(
    ("arrange", "reason"),
    [
        (lambda z: z.add_file("f", ZOOM_VTT, token="another token"), "download token"),
        (lambda z: z.add_file("f", b"\x89PNG\r\n\x1a\n" + bytes(32), token=TOKEN), "PNG image"),
        (
            lambda z: z.add_file(
                "f", b"WEBVTT\n\n00:00:09.000 --> 00:00:01.000\nAnn: hi\n", token=TOKEN
            ),
            "line 3",
        ),
        (
            lambda z: setattr(z, "redirect_to", "http://169.254.169.254/latest/meta-data"),
            "refusing",
        ),
    ],
    ids=["token-refused", "not-a-transcript", "does-not-parse", "redirect-off-zoom"],
)
async def test_a_transcript_that_cannot_be_taken_in_leaves_a_failed_call_saying_why(
    client: httpx.AsyncClient, zoom: ZoomEmulator, zoom_runtime: Runtime, arrange: Any, reason: str
) -> None:
    zoom.add_file("f", ZOOM_VTT, token=TOKEN)
    arrange(zoom)
    event = transcript_completed(download_url=f"{zoom.url}/rec/webhook_download/f", token=TOKEN)
    response = await post_event(client, event)
    assert response.status_code == 200
    call_id = await queues.wait_for(response.json()["workflow_id"], timeout=60)
    view = load_call_view(zoom_runtime, call_id)
    assert view is not None
    assert view.status == "failed"
    assert view.failure_reason is not None and reason in view.failure_reason
    # With no transcript there is no step to resume: retrying says what to do instead.
    with pytest.raises(RetryRefused, match="send the transcript again"):
        await retry_call(zoom_runtime, call_id=call_id, actor="test")


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        (lambda e: e["payload"]["object"].update(recording_files=[]), 422, "no_transcript_file"),
        (lambda e: e.pop("download_token"), 422, "no_download_token"),
        (
            lambda e: e["payload"]["object"]["recording_files"][0].update(
                download_url="https://zoom.us.attacker.example/rec/1"
            ),
            422,
            "untrusted_download_url",
        ),
        (lambda e: e["payload"]["object"].pop("uuid"), 422, "invalid_request"),
    ],
    ids=["no-transcript", "no-token", "foreign-url", "no-uuid"],
)
async def test_events_that_cannot_be_acted_on_are_refused_without_a_job(
    client: httpx.AsyncClient, zoom: ZoomEmulator, change: Any, status: int, code: str
) -> None:
    event = transcript_completed(
        download_url=zoom.add_file("g", ZOOM_VTT, token=TOKEN), token=TOKEN
    )
    change(event)
    response = await post_event(client, event)
    assert response.status_code == status, response.text
    assert response.json()["error"] == code
    assert zoom.requests == []


async def test_other_events_are_acknowledged_and_ignored(client: httpx.AsyncClient) -> None:
    response = await post_event(client, {"event": "meeting.started", "payload": {}})
    assert response.status_code == 200
    assert response.json()["status"] == "ignored"


# --- the download token at rest and in logs --------------------------------------------------


def _encodings(secret: str) -> list[bytes]:
    """``secret`` as it would appear in a stored value: itself, and base64 (standard and URL-safe)
    at each of the three alignments it can have inside a longer encoded value."""
    raw = secret.encode()
    forms = [raw]
    for shift in range(3):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            encoded = encode(b"x" * shift + raw)
            forms.append(encoded[4:-4])  # what stays the same whatever surrounds it
    return forms


def _stored_values(database: Path) -> list[bytes]:
    """Every value in every table of the workflow database, and each base64 value decoded."""
    values: list[bytes] = []
    with sqlite3.connect(database) as db:
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            for row in db.execute(f'SELECT * FROM "{table}"'):  # noqa: S608 - names from the file
                for cell in row:
                    if cell is None:
                        continue
                    data = cell if isinstance(cell, bytes) else str(cell).encode()
                    values.append(data)
                    with contextlib.suppress(ValueError):
                        values.append(base64.b64decode(data, validate=True))
    return values


async def test_the_download_token_reaches_neither_the_logs_nor_the_workflow_database(
    client: httpx.AsyncClient, zoom: ZoomEmulator, zoom_runtime: Runtime
) -> None:
    token = "zoom-dl-token-9f8e7d6c5b4a39281706"
    url = zoom.add_file("file-s", ZOOM_VTT, token=token)
    logged = io.StringIO()
    configure_logging(level=logging.INFO, fmt="json", mask=True, stream=logged)
    try:
        response = await post_event(
            client, transcript_completed(download_url=url, token=token, uuid="m-secret")
        )
        assert response.status_code == 200, response.text
        call_id = await queues.wait_for(response.json()["workflow_id"], timeout=60)
        await queues.wait_for(ids.process_call_workflow_id(call_id), timeout=60)
    finally:
        logging.getLogger().handlers.clear()
        logging.getLogger("dbos").handlers.clear()

    view = load_call_view(zoom_runtime, call_id)
    assert view is not None and view.status == "awaiting_approval" and view.words > 1000
    assert [r.query for r in zoom.requests_to("/rec/webhook_download/file-s")] == [
        f"access_token={token}"
    ], "the token still reached Zoom"

    lines = logged.getvalue()
    assert "/rec/webhook_download/file-s?access_token=***" in lines, "httpx logged the request"
    assert token not in lines

    system_url = zoom_runtime.settings.system_database_url
    assert system_url.startswith("sqlite:///")
    database = Path(system_url.removeprefix("sqlite:///"))
    stored = _stored_values(database)
    assert any(b"m-secret" in value for value in stored), "the workflow's input was read"
    for form in _encodings(token):
        assert not any(form in value for value in stored), form
        for path in database.parent.glob(database.name + "*"):  # the file, its WAL and journal
            assert form not in path.read_bytes(), (path.name, form)


def _sealed_with_another_secret(job: ZoomTranscriptJob) -> dict[str, Any]:
    # As if CS_AGENT_ZOOM_SECRET_TOKEN changed between the event and its taking in.
    other_key = derive_key(b"the previous secret", purpose=zoom_ingest.SEALING_PURPOSE)
    return job.sealed(other_key).model_dump(mode="json")


def _stored_by_an_earlier_version(job: ZoomTranscriptJob) -> dict[str, Any]:
    return {**job.model_dump(mode="json"), "download_token": job.download_token.get_secret_value()}


@pytest.mark.parametrize(
    ("stored", "status"),
    [(_sealed_with_another_secret, "failed"), (_stored_by_an_earlier_version, "awaiting_approval")],
    ids=["sealed-with-another-secret", "unsealed-from-an-earlier-version"],
)
async def test_a_stored_job_is_taken_in_or_fails_saying_why_its_token_is_unreadable(
    client: httpx.AsyncClient,
    zoom: ZoomEmulator,
    zoom_runtime: Runtime,
    stored: Any,
    status: str,
) -> None:
    url = zoom.add_file("file-k", ZOOM_VTT, token=TOKEN)
    job = ZoomTranscriptJob(meeting_uuid="m-stored", download_url=url, download_token=TOKEN)
    workflow_id = ids.zoom_workflow_id(job.meeting_uuid)
    with SetWorkflowID(workflow_id):
        await DBOS.enqueue_workflow_async(
            queues.INTAKE_QUEUE, zoom_ingest.ingest_zoom_transcript, stored(job)
        )
    call_id = await queues.wait_for(workflow_id, timeout=60)
    if status != "failed":
        await queues.wait_for(ids.process_call_workflow_id(call_id), timeout=60)
    view = load_call_view(zoom_runtime, call_id)
    assert view is not None and view.status == status
    if status == "failed":
        assert view.failure_reason is not None
        assert "CS_AGENT_ZOOM_SECRET_TOKEN" in view.failure_reason
        assert zoom.requests == []
    else:
        assert len(zoom.requests_to("/rec/download/file-k")) == 1
