"""Text no database can store (a NUL, a lone surrogate), sent as JSON escapes: refused at intake
with the line or the field at fault, nothing stored, and no page answers 500; on SQLite and on
PostgreSQL. A database error that still happens later is a plain sentence, never raw SQL."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import func, select

from cs_agent.api.app import create_app
from cs_agent.bootstrap.runtime import Runtime
from cs_agent.cli.common import CliError
from cs_agent.cli.process import call_metadata
from cs_agent.config import Settings
from cs_agent.core.domain import CallAnalysis, CallMetadata, Transcript
from cs_agent.core.ports import TaskTracker
from cs_agent.services.failures import UNSTORABLE_TEXT
from cs_agent.services.intake import check_transcript, submit_call
from storage import repo
from storage.db import session_scope
from storage.models import CallRow

from ..conftest import EXAMPLES
from ..emulators.zoom import sign, transcript_completed
from .intake_helpers import LIMIT, SECRET, TOKEN, aclient, bearer

JSON_TRANSCRIPT = (EXAMPLES / "umbrella-qbr.json").read_text(encoding="utf-8")
META = json.loads((EXAMPLES / "umbrella-qbr.meta.json").read_text(encoding="utf-8"))
GOOD_LINES = [
    {"speaker": "Ann", "text": "Hello, thanks for joining."},
    {"speaker": "Bob", "text": "Happy to. The renewal is on track."},
]


@pytest.fixture(params=["sqlite", "postgresql"])
def backend_settings(request: pytest.FixtureRequest, settings: Settings) -> Settings:
    update: dict[str, Any] = {
        "webhook_secret": SecretStr(SECRET),
        "api_token": SecretStr(TOKEN),
        "max_transcript_bytes": LIMIT,
    }
    if request.param == "postgresql":
        update["database_url"] = request.getfixturevalue("pg_url")
    return settings.model_copy(update=update)


@pytest.fixture
async def api_runtime(backend_settings: Settings) -> AsyncIterator[Runtime]:
    runtime = Runtime(backend_settings)
    await runtime.start(run_workflows=False)
    try:
        yield runtime
    finally:
        await runtime.stop()


@pytest.fixture
async def client(api_runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    async for c in aclient(create_app(api_runtime.settings, runtime=api_runtime)):
        yield c


def stored_calls(runtime: Runtime) -> int:
    with session_scope(runtime.engine) as session:
        return int(session.scalar(select(func.count()).select_from(CallRow)) or 0)


def json_transcript(bad: str) -> str:
    """A JSON-format transcript whose third utterance holds ``bad``, written as a JSON escape."""
    lines = [*GOOD_LINES, {"speaker": "Ann", "text": f"We can{bad} sign next week."}]
    # ensure_ascii writes the NUL and the surrogate as \\u0000 / \\ud800, as a sender would.
    return json.dumps({"utterances": lines}, indent=2)


BAD = {"nul": "\u0000", "surrogate": "\ud800"}


@pytest.mark.parametrize("bad", BAD.values(), ids=BAD.keys())
async def test_a_json_transcript_with_unstorable_text_is_refused_with_its_line(
    client: httpx.AsyncClient, api_runtime: Runtime, bad: str
) -> None:
    transcript = json_transcript(bad)
    assert "\\u" in transcript and bad not in transcript  # the escape, not the character
    body = json.dumps({"transcript": transcript, "format": "json", **META}).encode()
    response = await client.post(
        "/v1/transcripts", content=body, headers={**bearer(), "content-type": "application/json"}
    )
    assert response.status_code == 422, response.text
    answer = response.json()
    assert answer["error"] == "unparseable_transcript"
    # An utterance's line is that of its opening brace (the JSON parser's rule).
    lines = transcript.splitlines()
    bad_line = next(n for n, line in enumerate(lines) if "sign next week" in line)
    expected_line = max(n for n in range(bad_line) if lines[n].strip() == "{")
    assert answer["line"] == expected_line + 1
    assert f"line {answer['line']}" in answer["detail"]
    assert stored_calls(api_runtime) == 0
    # As a multipart file, the same.
    upload = await client.post(
        "/v1/transcripts",
        files={"file": ("call.json", transcript.encode(), "application/json")},
        headers=bearer(),
    )
    assert upload.status_code == 422, upload.text
    assert upload.json()["line"] == expected_line + 1
    assert stored_calls(api_runtime) == 0


METADATA_CASES = [
    ({"title": "QBR\u0000"}, "title"),
    ({"customer": {"name": "Umbrella", "domain": "umbrella\ud800.example"}}, "customer.domain"),
    ({"attendees": [{"name": "Carla"}, {"name": "Derek\u0000"}]}, "attendees.1.name"),
    ({"attendees": [{"name": "\udfff Carla"}]}, "attendees.0.name"),
    ({"source_id": "zoom-\u0000"}, "source_id"),
    ({"gmail_thread_subject": "Re: \ud800"}, "gmail_thread_subject"),
]


@pytest.mark.parametrize(("fields", "field"), METADATA_CASES, ids=[c[1] for c in METADATA_CASES])
async def test_metadata_with_unstorable_text_is_refused_naming_the_field(
    client: httpx.AsyncClient, api_runtime: Runtime, fields: dict[str, Any], field: str
) -> None:
    transcript = json.dumps({"utterances": GOOD_LINES})
    body = json.dumps({"transcript": transcript, **fields}).encode()
    response = await client.post(
        "/v1/transcripts", content=body, headers={**bearer(), "content-type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field
    assert f"field {field}:" in response.json()["detail"]
    metadata = json.dumps(fields).encode()
    upload = await client.post(
        "/v1/transcripts",
        files={
            "file": ("call.json", transcript.encode(), "application/json"),
            "metadata": ("meta.json", metadata, "application/json"),
        },
        headers=bearer(),
    )
    assert upload.status_code == 422, upload.text
    assert upload.json()["field"] == field
    assert stored_calls(api_runtime) == 0


async def test_no_page_of_a_refused_or_odd_call_id_answers_500(
    client: httpx.AsyncClient, api_runtime: Runtime
) -> None:
    transcript = json.dumps({"utterances": GOOD_LINES})
    accepted = await client.post(
        "/v1/transcripts",
        content=json.dumps({"transcript": transcript, **META}).encode(),
        headers={**bearer(), "content-type": "application/json"},
    )
    assert accepted.status_code == 202, accepted.text
    call_id = accepted.json()["call_id"]
    for path in (
        f"/inbox/calls/{call_id}",
        "/inbox/calls/call-%00",
        "/inbox/calls/call-%ED%A0%80",
        "/inbox/calls/call-%C0%80",
        "/v1/calls/call-%00",
        "/v1/calls/call-%ED%A0%80",
        "/v1/calls?customer=%00",
        "/inbox/?q=a%00b",
    ):
        page = await client.get(path, headers=bearer())
        assert page.status_code < 500, (path, page.text[:300])
    assert (await client.get(f"/inbox/calls/{call_id}")).status_code == 200
    assert stored_calls(api_runtime) == 1


ZOOM_SECRET = "zoom-secret-token"
ZOOM_CASES = [
    (lambda e: e["payload"]["object"].update(topic="Weekly\u0000"), "payload.object.topic"),
    (lambda e: e["payload"]["object"].update(uuid="4444\ud800=="), "payload.object.uuid"),
    (lambda e: e["payload"]["object"].update(host_email="\udfff"), "payload.object.host_email"),
    (
        lambda e: e["payload"]["object"]["recording_files"][0].update(recording_type="a\u0000"),
        "payload.object.recording_files.0.recording_type",
    ),
    (lambda e: e.update(download_token="tok\u0000"), "download_token"),
]


@pytest.mark.parametrize(("change", "field"), ZOOM_CASES, ids=[c[1] for c in ZOOM_CASES])
async def test_a_zoom_event_with_unstorable_text_is_refused_naming_the_field(
    backend_settings: Settings, change: Any, field: str
) -> None:
    configured = backend_settings.model_copy(
        update={
            "zoom_secret_token": SecretStr(ZOOM_SECRET),
            "zoom_api_url": "http://127.0.0.1:9/v2/",
        }
    )
    runtime = Runtime(configured)
    await runtime.start(run_workflows=False)
    try:
        event = transcript_completed(download_url="http://127.0.0.1:9/rec/t.vtt", token="tok")
        change(event)
        body = json.dumps(event).encode()
        async for client in aclient(create_app(configured, runtime=runtime)):
            response = await client.post(
                "/webhooks/zoom", content=body, headers=sign(ZOOM_SECRET, body)
            )
        assert response.status_code == 422, response.text
        assert response.json()["field"] == field
        assert stored_calls(runtime) == 0
    finally:
        await runtime.stop()


@pytest.mark.parametrize(("fields", "field"), METADATA_CASES, ids=[c[1] for c in METADATA_CASES])
def test_a_metadata_file_with_unstorable_text_is_refused_naming_the_field(
    settings: Settings, tmp_path: Path, fields: dict[str, Any], field: str
) -> None:
    meta = tmp_path / "meta.json"
    meta.write_text(json.dumps(fields), encoding="utf-8")  # the escapes, as a program writes
    with pytest.raises(CliError) as refused:
        call_metadata(
            settings,
            metadata_file=meta,
            call_date=None,
            customer=None,
            customer_domain=None,
            title=None,
            attendees=[],
        )
    assert f"field {field}:" in str(refused.value)
    assert "cannot be stored" in str(refused.value)


async def test_a_call_stored_before_these_checks_still_has_a_page(runtime: Runtime) -> None:
    # SQLite kept a NUL in a text column, and a JSON column keeps the escapes of both.
    metadata = {
        "title": "QBR\u0000",
        "customer": {"name": "Umbrella\ud800", "domain": None},
        "attendees": [{"name": "Carla\udfff", "email": None, "side": None}],
    }
    with session_scope(runtime.engine) as session:
        session.add(
            CallRow(
                id="call-0000000000000000legacy",
                source="api",
                request_hash="legacy",
                title="QBR\u0000",
                customer_name="Umbrella",
                call_metadata=metadata,
                transcript_format="text",
                transcript_text="Ann: hello\nBob: fine",
                status="failed",
                failure_reason="stored before",
                workflow_id="wf-legacy",
            )
        )
    async for client in aclient(create_app(runtime.settings, runtime=runtime)):
        page = await client.get("/inbox/calls/call-0000000000000000legacy")
        assert page.status_code == 200, page.text[:500]
        assert "Umbrella\ufffd" in page.text
        assert (await client.get("/v1/calls/call-0000000000000000legacy")).status_code == 200


# --- a database error during processing is a sentence, not SQL --------------------------------


class NulWritingAnalyzer:
    """The offline analyzer, with a NUL in its draft: what a model's JSON answer could hold."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.name = inner.name

    async def analyze(
        self, transcript: Transcript, metadata: CallMetadata, *, tracker: TaskTracker
    ) -> CallAnalysis:
        analysis: CallAnalysis = await self._inner.analyze(transcript, metadata, tracker=tracker)
        analysis.email.body += " \u0000"
        return analysis

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


async def test_a_database_error_in_processing_is_a_plain_failure_reason(
    settings: Settings, pg_url: str
) -> None:
    # PostgreSQL refuses a NUL in a text column (SQLite keeps it): the draft cannot be stored.
    runtime = Runtime(settings.model_copy(update={"database_url": pg_url}))
    runtime.adapters.analyzer = NulWritingAnalyzer(runtime.adapters.analyzer)
    await runtime.start()
    try:
        # A question asked: the call needs a follow-up, so the draft (with its NUL) is stored.
        asked = [*GOOD_LINES, {"speaker": "Bob", "text": "Could you send the renewal quote?"}]
        transcript = check_transcript(json.dumps({"utterances": asked}))
        result = await submit_call(
            runtime, transcript=transcript, metadata=CallMetadata(title="QBR"), source="api"
        )
        deadline = time.monotonic() + 60
        while True:
            with session_scope(runtime.engine) as session:
                row = repo.get_call(session, call_id=result.call_id)
                assert row is not None
                status, reason = row.status, row.failure_reason
            if status == "failed" or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.2)
    finally:
        await runtime.stop()
    assert status == "failed", status
    assert reason == UNSTORABLE_TEXT.format(call_id=result.call_id)
    assert "SQL" not in reason and "UPDATE" not in reason and "psycopg" not in reason
