"""Google Meet end to end: a Pub/Sub push of a transcript event, its OIDC token checked against
a local certificates URL, the conference fetched from a local Meet (built from the shipped
discovery documents) over real HTTP, processed into an approval request; forged pushes refused
with nothing recorded; paging, duplicates, retries, refused credentials, the scheduled poll."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from dbos import DBOS
from sqlmodel import select

from cs_agent.api.app import create_app
from cs_agent.bootstrap.runtime import Runtime
from cs_agent.config import ConfigurationError, Settings
from cs_agent.core import ids
from cs_agent.core.domain import CallMetadata
from cs_agent.services import queues, source_ingest, source_polls
from cs_agent.services.views import load_call_view
from storage.db import session_scope
from storage.models import CallRow

from ..emulators.base import Fault
from ..emulators.gmail import google_error
from ..emulators.google_meet import CALENDAR_SCOPE, MEET_SCOPE, GoogleMeetEmulator
from ..emulators.meetings import example_call
from .intake_helpers import aclient

AUDIENCE = "https://cs-agent.example/webhooks/google-meet"
PUSHER = "meet-push@cs-agent-project.iam.gserviceaccount.com"


@pytest.fixture
def meet() -> Iterator[GoogleMeetEmulator]:
    with GoogleMeetEmulator() as emulator:
        assert isinstance(emulator, GoogleMeetEmulator)
        yield emulator


def meet_settings(
    settings: Settings, meet: GoogleMeetEmulator, tmp_path: Path, **extra: Any
) -> Settings:
    scopes = extra.pop("scopes", None)
    record = extra.pop("record_scopes", True)
    token = meet.token_file(tmp_path / "meet-token.json", scopes=scopes, record_scopes=record)
    return settings.model_copy(
        update={
            "meet_credentials": token,
            "meet_user": "olivia.brandt@brightwave.example",
            "meet_api_url": meet.url,
            "google_calendar_api_url": f"{meet.url}/calendar/v3/",
            "workspace_events_api_url": meet.url,
            "google_token_url": f"{meet.url}/token",
            "google_push_audience": AUDIENCE,
            "google_push_service_account": PUSHER,
            "google_oidc_certs_url": meet.certs_url(),
            **extra,
        }
    )


@pytest.fixture
async def meet_runtime(
    settings: Settings, meet: GoogleMeetEmulator, tmp_path: Path
) -> AsyncIterator[Runtime]:
    runtime = Runtime(meet_settings(settings, meet, tmp_path))
    await runtime.start()
    try:
        yield runtime
    finally:
        await runtime.stop()


@pytest.fixture
async def client(meet_runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    async for c in aclient(create_app(meet_runtime.settings, runtime=meet_runtime)):
        yield c


def stored_calls(runtime: Runtime) -> list[CallRow]:
    with session_scope(runtime.engine) as session:
        return list(session.exec(select(CallRow)).all())


async def push(
    client: httpx.AsyncClient, meet: GoogleMeetEmulator, body: bytes, **token: Any
) -> httpx.Response:
    bearer = meet.id_token(
        audience=token.pop("audience", AUDIENCE), email=token.pop("email", PUSHER), **token
    )
    return await client.post(
        "/webhooks/google-meet",
        content=body,
        headers={"content-type": "application/json", "authorization": f"Bearer {bearer}"},
    )


def api_requests(meet: GoogleMeetEmulator) -> list[str]:
    return [r.path for r in meet.requests if r.path.startswith(("/v2/", "/calendar/"))]


async def test_a_pushed_transcript_becomes_one_call_awaiting_approval(
    client: httpx.AsyncClient, meet: GoogleMeetEmulator, meet_runtime: Runtime
) -> None:
    recorded = example_call()
    recorded.person("Fatima Siddiqui").email = None  # not on the calendar invitation
    conference = meet.add_conference(recorded, record_id="rec-one")
    meet.page_size = 9  # entries (and the rest) come in several pages

    response = await push(client, meet, meet.push_body(conference))
    assert response.status_code == 200, response.text
    accepted = response.json()
    assert accepted["status"] == "accepted"
    call_id = await queues.wait_for(accepted["workflow_id"], timeout=60)
    assert call_id == accepted["call_id"]
    await queues.wait_for(ids.process_call_workflow_id(call_id), timeout=60)

    view = load_call_view(meet_runtime, call_id)
    assert view is not None
    assert view.status == "awaiting_approval", view.failure_reason
    assert view.title == recorded.title  # from the calendar event
    assert view.draft is not None and view.approval

    [row] = stored_calls(meet_runtime)
    assert row.source == "google-meet" and row.source_id == "conferenceRecords/rec-one"
    metadata = CallMetadata.model_validate(row.call_metadata)
    people = {a.name: a for a in metadata.attendees}
    assert people["Olivia Brandt"].email == "olivia.brandt@brightwave.example"
    assert people["Olivia Brandt"].side == "us"
    assert people["Carla Mendes"].side == "customer"
    assert people["Fatima Siddiqui"].email is None and people["Fatima Siddiqui"].side is None
    assert metadata.customer is not None and metadata.customer.domain == "umbrellaretail.example"
    text = json.loads(row.transcript_text or "")
    assert [u["text"] for u in text["utterances"]] == [line.text for line in recorded.lines]
    assert text["utterances"][3]["speaker"] == recorded.lines[3].speaker
    assert text["utterances"][3]["start"] == pytest.approx(recorded.lines[3].start, abs=0.01)
    entries = [r for r in meet.requests if r.path.endswith("/entries")]
    assert len(entries) == -(-len(recorded.lines) // 9)
    assert all(r.headers["authorization"].startswith("Bearer ya29.") for r in entries)

    # Pub/Sub redelivers (or Meet announces again): the same call, nothing fetched again.
    fetched = len(api_requests(meet))
    again = await push(client, meet, meet.push_body(conference))
    assert again.status_code == 200
    assert again.json()["status"] == "duplicate" and again.json()["call_id"] == call_id
    assert len(api_requests(meet)) == fetched
    assert len(stored_calls(meet_runtime)) == 1


def _other_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.mark.parametrize(
    "token",
    [
        None,
        {"audience": "https://someone-else.example/push"},
        {"email": "attacker@evil-project.iam.gserviceaccount.com"},
        {"issuer": "https://evil.example"},
        {"key": "other"},
        {"expires_in": -3600},
        {"email_verified": False},
    ],
    ids=["none", "audience", "service-account", "issuer", "key", "expired", "unverified-email"],
)
async def test_a_forged_push_is_refused_and_nothing_is_recorded(
    client: httpx.AsyncClient,
    meet: GoogleMeetEmulator,
    meet_runtime: Runtime,
    token: dict[str, Any] | None,
) -> None:
    body = meet.push_body(meet.add_conference(example_call(lines=5)))
    if token is None:
        response = await client.post(
            "/webhooks/google-meet", content=body, headers={"content-type": "application/json"}
        )
    else:
        if token.get("key") == "other":
            token = {"key": _other_key()}
        response = await push(client, meet, body, **token)
    assert response.status_code == 401, response.text
    assert stored_calls(meet_runtime) == []
    assert api_requests(meet) == []


async def test_other_events_are_acknowledged_and_ignored(
    client: httpx.AsyncClient, meet: GoogleMeetEmulator, meet_runtime: Runtime
) -> None:
    conference = meet.add_conference(example_call(lines=5))
    body = meet.push_body(conference, event="google.workspace.meet.conference.v2.ended")
    response = await push(client, meet, body)
    assert response.status_code == 200 and response.json()["status"] == "ignored"
    assert stored_calls(meet_runtime) == []


async def test_a_push_over_the_size_limit_is_refused(
    client: httpx.AsyncClient, meet: GoogleMeetEmulator
) -> None:
    body = b'{"message": {"data": "' + b"A" * (300 * 1024) + b'"}}'
    response = await push(client, meet, body)
    assert response.status_code == 413


async def test_meet_busy_for_a_while_is_retried(
    client: httpx.AsyncClient, meet: GoogleMeetEmulator, meet_runtime: Runtime
) -> None:
    conference = meet.add_conference(example_call(lines=10))
    meet.fail_next(
        1,
        Fault(status=429, body=google_error(429, "Quota exceeded"), headers={"retry-after": "0"}),
        when=lambda r: r.path.endswith("/entries"),
    )
    meet.fail_next(
        1,
        Fault(status=503, body=google_error(503, "Backend Error")),
        when=lambda r: r.path.startswith("/v2/conferenceRecords"),
    )
    response = await push(client, meet, meet.push_body(conference))
    call_id = await queues.wait_for(response.json()["workflow_id"], timeout=60)
    view = load_call_view(meet_runtime, call_id)
    assert view is not None and view.status != "failed", view.failure_reason
    assert len(meet.faulted) == 2


async def _one_call(settings: Settings, meet: GoogleMeetEmulator, *, lines: int = 8) -> Any:
    conference = meet.add_conference(example_call(lines=lines))
    runtime = Runtime(settings)
    await runtime.start()
    try:
        async for c in aclient(create_app(settings, runtime=runtime)):
            response = await push(c, meet, meet.push_body(conference))
            call_id = await queues.wait_for(response.json()["workflow_id"], timeout=60)
            view = load_call_view(runtime, call_id)
            [row] = stored_calls(runtime)
            return view, CallMetadata.model_validate(row.call_metadata)
    finally:
        await runtime.stop()


async def test_a_token_file_without_the_meet_scope_is_refused_at_start(
    settings: Settings, meet: GoogleMeetEmulator, tmp_path: Path
) -> None:
    configured = meet_settings(settings, meet, tmp_path, scopes=[CALENDAR_SCOPE])
    with pytest.raises(ConfigurationError, match="CS_AGENT_MEET_CREDENTIALS"):
        Runtime(configured)


async def test_credentials_without_the_meet_scope_fail_the_call_naming_the_setting(
    settings: Settings, meet: GoogleMeetEmulator, tmp_path: Path
) -> None:
    configured = meet_settings(settings, meet, tmp_path, scopes=["openid"], record_scopes=False)
    view, _ = await _one_call(configured, meet)
    assert view.status == "failed"
    assert "CS_AGENT_MEET_CREDENTIALS" in (view.failure_reason or "")
    assert "meetings.space.readonly" in (view.failure_reason or "")


async def test_without_the_calendar_the_call_comes_in_without_emails(
    settings: Settings, meet: GoogleMeetEmulator, tmp_path: Path
) -> None:
    configured = meet_settings(settings, meet, tmp_path, scopes=[MEET_SCOPE])
    view, metadata = await _one_call(configured, meet)
    assert view.status != "failed", view.failure_reason
    assert metadata.attendees and all(a.email is None for a in metadata.attendees)


async def test_a_transcript_over_the_limit_fails_the_call_saying_so(
    settings: Settings, meet: GoogleMeetEmulator, tmp_path: Path
) -> None:
    configured = meet_settings(settings, meet, tmp_path, max_transcript_bytes=1500)
    meet.page_size = 3
    view, _ = await _one_call(configured, meet, lines=60)
    assert view.status == "failed"
    assert "CS_AGENT_MAX_TRANSCRIPT_BYTES" in (view.failure_reason or "")
    # Refused as the pages came, not after reading them all.
    assert len([r for r in meet.requests if r.path.endswith("/entries")]) < 60 // 3


async def test_the_scheduled_poll_takes_in_finished_conferences_once(
    settings: Settings, meet: GoogleMeetEmulator, tmp_path: Path
) -> None:
    meet.add_conference(example_call(lines=6), record_id="rec-poll").call.started = dt.datetime.now(
        dt.UTC
    ) - dt.timedelta(minutes=3)
    unfinished = meet.add_conference(example_call(lines=6), record_id="rec-busy")
    unfinished.call.started = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=2)
    unfinished.transcript_state = "STARTED"
    configured = meet_settings(settings, meet, tmp_path, meet_poll=dt.timedelta(minutes=5))
    runtime = Runtime(configured)
    await runtime.start()
    try:
        schedule = await DBOS.get_schedule_async(source_polls.MEET_SCHEDULE)
        assert schedule is not None
        tick = dt.datetime.now(dt.UTC)
        await source_polls.poll_meet_schedule(tick, None)
        workflow_id = ids.source_workflow_id("google-meet", "conferenceRecords/rec-poll")
        await queues.wait_for(workflow_id, timeout=60)
        announced = await source_ingest.poll(
            runtime, "google-meet", since=tick - dt.timedelta(hours=1)
        )
        assert [(a.source_id, a.duplicate) for a in announced] == [
            ("conferenceRecords/rec-poll", True)
        ]
        await queues.wait_for(announced[0].workflow_id, timeout=60)
        assert [r.source_id for r in stored_calls(runtime)] == ["conferenceRecords/rec-poll"]
    finally:
        await runtime.stop()


async def test_the_webhook_is_not_mounted_without_a_push_audience(runtime: Runtime) -> None:
    async for c in aclient(create_app(runtime.settings, runtime=runtime)):
        response = await c.post("/webhooks/google-meet", content=b"{}")
        assert response.status_code == 404
