"""The HTTP API on the embedded defaults: submit, dedupe, errors, status."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine

from cs_agent.api.app import create_app
from cs_agent.bootstrap.runtime import Runtime
from cs_agent.core import ids
from cs_agent.services import queues

from ..conftest import EXAMPLES

TRANSCRIPT = (EXAMPLES / "initech-escalation.txt").read_text()


@pytest.fixture
async def client(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(runtime.settings, runtime=runtime)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as c:
        yield c


async def test_submit_then_read_status(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/transcripts",
        json={
            "transcript": TRANSCRIPT,
            "title": "Escalation",
            "call_date": "2026-11-12",
            "customer": {"name": "Initech Payments", "domain": "initech.example"},
            "source_id": "rec-42",
        },
    )
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["status_url"] == f"/v1/calls/{body['call_id']}"
    assert body["duplicate"] is False

    await queues.wait_for(ids.process_call_workflow_id(body["call_id"]), timeout=60)
    status = await client.get(body["status_url"])
    assert status.status_code == 200
    call = status.json()
    assert call["status"] == "awaiting_approval"
    assert call["customer"] == "Initech Payments"
    assert call["draft"]["status"] == "pending"
    assert len(call["action_items"]) >= 1
    assert all(item["issue"]["identifier"].startswith("LOCAL-") for item in call["action_items"])

    again = await client.post(
        "/v1/transcripts",
        json={
            "transcript": TRANSCRIPT,
            "title": "Escalation",
            "call_date": "2026-11-12",
            "customer": {"name": "Initech Payments", "domain": "initech.example"},
            "source_id": "rec-42",
        },
    )
    assert again.status_code == 200
    assert again.json()["call_id"] == body["call_id"]
    assert again.json()["duplicate"] is True

    conflict = await client.post(
        "/v1/transcripts",
        json={"transcript": "Ann: something else entirely", "source_id": "rec-42"},
    )
    assert conflict.status_code == 409
    assert "rec-42" in conflict.json()["detail"]

    listing = await client.get("/v1/calls", params={"limit": 10})
    assert listing.status_code == 200
    assert [c["call_id"] for c in listing.json()["calls"]] == [body["call_id"]]
    assert listing.json()["total"] == 1


@pytest.mark.parametrize(
    ("payload", "line"),
    [
        ({"transcript": "WEBVTT\n\n00:00:01.000 -> 00:00:02.000\nhello\n"}, 3),
        ({"transcript": '[{"speaker": "A"}]', "format": "json"}, 1),
    ],
)
async def test_unparseable_transcript_is_422_naming_the_line(
    client: httpx.AsyncClient, payload: dict[str, str], line: int
) -> None:
    response = await client.post("/v1/transcripts", json=payload)
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "unparseable_transcript"
    assert body["line"] == line
    assert f"line {line}" in body["detail"]


async def test_missing_or_empty_transcript_is_422(client: httpx.AsyncClient) -> None:
    assert (await client.post("/v1/transcripts", json={})).status_code == 422
    assert (await client.post("/v1/transcripts", json={"transcript": ""})).status_code == 422
    blank = await client.post("/v1/transcripts", json={"transcript": "   \n "})
    assert blank.status_code == 422
    assert "empty" in blank.json()["detail"]


async def test_unknown_call_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/calls/call-nope")
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "detail": "no call call-nope"}


async def test_healthz(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}


async def test_readyz_reports_database_and_queue(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"database": "ok", "queue": "ok"}}


async def test_readyz_is_503_naming_what_is_down(
    client: httpx.AsyncClient, runtime: Runtime, tmp_path: Path
) -> None:
    not_a_directory = tmp_path / "a-file"
    not_a_directory.write_text("")
    healthy = runtime.engine
    runtime.engine = create_engine(f"sqlite:///{not_a_directory}/cs-agent.db")
    try:
        response = await client.get("/readyz")
    finally:
        runtime.engine = healthy
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not ready"
    assert body["checks"]["queue"] == "ok"
    assert "OperationalError" in body["checks"]["database"]
