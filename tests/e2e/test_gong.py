"""Gong end to end: an automation rule's signed delivery, the call and its transcript fetched
from a local Gong over real HTTP, processed into an approval request; forged deliveries
refused with nothing recorded; paging, duplicates, retries and refused keys."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import SecretStr
from sqlmodel import select

from cs_agent.api.app import create_app
from cs_agent.bootstrap.runtime import Runtime
from cs_agent.config import Settings
from cs_agent.core import ids
from cs_agent.core.domain import CallMetadata
from cs_agent.core.sources import SourceRef
from cs_agent.services import queues, source_ingest
from cs_agent.services.views import load_call_view
from storage.db import session_scope
from storage.models import CallRow

from ..emulators.base import Fault
from ..emulators.gong import ACCESS_KEY, ACCESS_KEY_SECRET, GongEmulator
from ..emulators.meetings import example_call
from .intake_helpers import aclient

WEBHOOK = "https://cs-agent.example/webhooks/gong"
URL_TOKEN = "gong-url-token-0123456789abcdef"


@pytest.fixture
def gong() -> Iterator[GongEmulator]:
    with GongEmulator() as emulator:
        assert isinstance(emulator, GongEmulator)
        yield emulator


def gong_settings(settings: Settings, gong: GongEmulator, **extra: Any) -> Settings:
    return settings.model_copy(
        update={
            "gong_access_key": ACCESS_KEY,
            "gong_access_key_secret": SecretStr(ACCESS_KEY_SECRET),
            "gong_api_url": gong.url,
            "gong_webhook_public_key": gong.public_key_base64(),
            "gong_webhook_secret": SecretStr(URL_TOKEN),
            **extra,
        }
    )


@pytest.fixture
async def gong_runtime(settings: Settings, gong: GongEmulator) -> AsyncIterator[Runtime]:
    runtime = Runtime(gong_settings(settings, gong))
    await runtime.start()
    try:
        yield runtime
    finally:
        await runtime.stop()


@pytest.fixture
async def client(gong_runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    async for c in aclient(create_app(gong_runtime.settings, runtime=gong_runtime)):
        yield c


def stored_calls(runtime: Runtime) -> list[CallRow]:
    with session_scope(runtime.engine) as session:
        return list(session.exec(select(CallRow)).all())


async def deliver(client: httpx.AsyncClient, gong: GongEmulator, call_id: str) -> httpx.Response:
    body, headers = gong.delivery(call_id, webhook_url=WEBHOOK)
    return await client.post("/webhooks/gong", content=body, headers=headers)


async def test_a_delivered_call_becomes_one_call_awaiting_approval(
    client: httpx.AsyncClient, gong: GongEmulator, gong_runtime: Runtime
) -> None:
    recorded = example_call()
    recorded.person("Fatima Siddiqui").email = None  # Gong knows some people by name only
    gong.add_call("7782342274025937895", recorded)
    gong.page_size = 7  # several pages of monologues

    response = await deliver(client, gong, "7782342274025937895")
    assert response.status_code == 200, response.text
    accepted = response.json()
    assert accepted["status"] == "accepted"
    call_id = await queues.wait_for(accepted["workflow_id"], timeout=60)
    assert call_id == accepted["call_id"]
    await queues.wait_for(ids.process_call_workflow_id(call_id), timeout=60)

    view = load_call_view(gong_runtime, call_id)
    assert view is not None
    assert view.status == "awaiting_approval", view.failure_reason
    assert view.title == recorded.title
    assert view.customer == "Umbrella Retail"
    assert view.draft is not None and view.approval  # the approval request was posted

    [row] = stored_calls(gong_runtime)
    assert row.source == "gong" and row.source_id == "7782342274025937895"
    metadata = CallMetadata.model_validate(row.call_metadata)
    people = {a.name: a for a in metadata.attendees}
    assert people["Olivia Brandt"].side == "us"
    assert people["Carla Mendes"].side == "customer"
    assert people["Carla Mendes"].email == "carla.mendes@umbrellaretail.example"
    assert people["Fatima Siddiqui"].email is None
    assert metadata.customer is not None
    assert metadata.customer.domain == "umbrellaretail.example"
    # Every line was read, across the pages, with its speaker's name.
    text = json.loads(row.transcript_text or "")
    assert [u["text"] for u in text["utterances"]] == [line.text for line in recorded.lines]
    assert text["utterances"][0]["speaker"] == recorded.lines[0].speaker
    assert text["utterances"][1]["start"] == pytest.approx(recorded.lines[1].start, abs=0.001)
    pages = gong.requests_to("/v2/calls/transcript")
    assert len(pages) > 1 and [r.json().get("cursor") for r in pages][1] == "7"
    assert all(r.headers["authorization"].startswith("Basic ") for r in gong.requests)

    # The rule fires again for the same call: the same call, nothing fetched again.
    fetched = len(gong.requests)
    again = await deliver(client, gong, "7782342274025937895")
    assert again.status_code == 200
    assert again.json()["call_id"] == call_id
    assert again.json()["status"] == "duplicate"
    assert len(gong.requests) == fetched
    assert len(stored_calls(gong_runtime)) == 1


async def test_the_same_call_announced_twice_at_once_is_fetched_once(
    client: httpx.AsyncClient, gong: GongEmulator, gong_runtime: Runtime
) -> None:
    gong.add_call("1001", example_call(lines=12))
    first, second = await deliver(client, gong, "1001"), await deliver(client, gong, "1001")
    assert first.json()["workflow_id"] == second.json()["workflow_id"]
    await queues.wait_for(first.json()["workflow_id"], timeout=60)
    assert len(gong.requests_to("/v2/calls/extensive")) == 1
    assert len(stored_calls(gong_runtime)) == 1


def _forged(gong: GongEmulator, kind: str) -> tuple[bytes, dict[str, str], str]:
    path = "/webhooks/gong"
    if kind == "missing":
        body, headers = gong.delivery("1001", webhook_url=WEBHOOK)
        return body, {"content-type": "application/json"}, path
    if kind == "other-key":
        other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        body, headers = gong.delivery("1001", webhook_url=WEBHOOK, key=other)
        return body, headers, path
    if kind == "tampered":
        body, headers = gong.delivery("1001", webhook_url=WEBHOOK, tamper=True)
        return body, headers, path
    if kind == "expired":
        body, headers = gong.delivery("1001", webhook_url=WEBHOOK, expires_in=-600)
        return body, headers, path
    if kind == "other-url":
        body, headers = gong.delivery("1001", webhook_url="https://cs-agent.example/elsewhere")
        return body, headers, path
    if kind == "hs256":
        body, _ = gong.delivery("1001", webhook_url=WEBHOOK)
        import hashlib

        import jwt

        token = jwt.encode(
            {"body_sha256": hashlib.sha256(body).hexdigest(), "exp": 2**31 - 1},
            gong.public_key_base64(),  # the public key used as an HMAC secret
            algorithm="HS256",
        )
        return body, {"content-type": "application/json", "authorization": token}, path
    if kind == "wrong-url-token":
        body, _ = gong.delivery("1001", webhook_url=WEBHOOK)
        return body, {"content-type": "application/json"}, f"{path}?token=guessed"
    raise AssertionError(kind)


@pytest.mark.parametrize(
    "kind",
    ["missing", "other-key", "tampered", "expired", "other-url", "hs256", "wrong-url-token"],
)
async def test_a_forged_delivery_is_refused_and_nothing_is_recorded(
    client: httpx.AsyncClient, gong: GongEmulator, gong_runtime: Runtime, kind: str
) -> None:
    gong.add_call("1001", example_call(lines=5))
    body, headers, path = _forged(gong, kind)
    response = await client.post(path, content=body, headers=headers)
    assert response.status_code == 401, response.text
    assert stored_calls(gong_runtime) == []
    assert gong.requests == []


async def test_a_delivery_with_the_url_token_is_accepted(
    client: httpx.AsyncClient, gong: GongEmulator, gong_runtime: Runtime
) -> None:
    gong.add_call("2002", example_call(lines=8))
    body, _ = gong.delivery("2002", webhook_url=WEBHOOK)
    response = await client.post(
        f"/webhooks/gong?token={URL_TOKEN}",
        content=body,
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 200, response.text
    call_id = await queues.wait_for(response.json()["workflow_id"], timeout=60)
    view = load_call_view(gong_runtime, call_id)
    assert view is not None and view.status != "failed", view.failure_reason


async def test_a_delivery_over_the_size_limit_is_refused(client: httpx.AsyncClient) -> None:
    body = b'{"callData": {"metaData": {"id": "1"}}, "pad": "' + b"x" * (3 * 1024 * 1024) + b'"}'
    response = await client.post(
        f"/webhooks/gong?token={URL_TOKEN}",
        content=body,
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 413


async def test_gong_busy_for_a_while_is_retried(
    client: httpx.AsyncClient, gong: GongEmulator, gong_runtime: Runtime
) -> None:
    gong.add_call("3003", example_call(lines=10))
    gong.fail_next(1, Fault(status=429, headers={"retry-after": "0"}))
    gong.fail_next(1, Fault(status=503), when=lambda r: r.path == "/v2/calls/transcript")
    response = await deliver(client, gong, "3003")
    call_id = await queues.wait_for(response.json()["workflow_id"], timeout=60)
    view = load_call_view(gong_runtime, call_id)
    assert view is not None and view.status != "failed", view.failure_reason
    assert len(gong.faulted) == 2


async def test_a_refused_access_key_fails_the_call_naming_the_setting(
    settings: Settings, gong: GongEmulator
) -> None:
    gong.add_call("4004", example_call(lines=5))
    configured = gong_settings(settings, gong, gong_access_key_secret=SecretStr("wrong"))
    runtime = Runtime(configured)
    await runtime.start()
    try:
        async for c in aclient(create_app(configured, runtime=runtime)):
            response = await deliver(c, gong, "4004")
            call_id = await queues.wait_for(response.json()["workflow_id"], timeout=60)
            view = load_call_view(runtime, call_id)
            assert view is not None and view.status == "failed"
            assert view.failure_reason is not None
            assert "CS_AGENT_GONG_ACCESS_KEY_SECRET" in view.failure_reason
            assert len(gong.requests) == 1  # a refused key is not retried
    finally:
        await runtime.stop()


async def test_a_transcript_over_the_limit_fails_the_call_saying_so(
    settings: Settings, gong: GongEmulator
) -> None:
    gong.add_call("5005", example_call())
    configured = gong_settings(settings, gong, max_transcript_bytes=2000)
    runtime = Runtime(configured)
    await runtime.start()
    try:
        async for c in aclient(create_app(configured, runtime=runtime)):
            response = await deliver(c, gong, "5005")
            call_id = await queues.wait_for(response.json()["workflow_id"], timeout=60)
            view = load_call_view(runtime, call_id)
            assert view is not None and view.status == "failed"
            assert "CS_AGENT_MAX_TRANSCRIPT_BYTES" in (view.failure_reason or "")
    finally:
        await runtime.stop()


async def test_a_poll_takes_in_new_calls_once(gong: GongEmulator, gong_runtime: Runtime) -> None:
    gong.add_call("6006", example_call(lines=6))
    gong.add_call("6007", example_call(lines=9))
    gong.page_size = 1
    since = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    announced = await source_ingest.poll(gong_runtime, "gong", since=since)
    assert sorted(a.source_id for a in announced) == ["6006", "6007"]
    for a in announced:
        await queues.wait_for(a.workflow_id, timeout=60)
    again = await source_ingest.poll(gong_runtime, "gong", since=since)
    assert all(a.duplicate for a in again)
    assert len(stored_calls(gong_runtime)) == 2


async def test_the_webhook_is_not_mounted_without_gong_settings(runtime: Runtime) -> None:
    async for c in aclient(create_app(runtime.settings, runtime=runtime)):
        response = await c.post("/webhooks/gong", content=b"{}")
        assert response.status_code == 404
        assert stored_calls(runtime) == []


async def test_a_call_fetched_again_with_other_metadata_is_the_same_call(
    client: httpx.AsyncClient, gong: GongEmulator, gong_runtime: Runtime
) -> None:
    gong.add_call("7007", example_call(lines=6))
    response = await deliver(client, gong, "7007")
    call_id = await queues.wait_for(response.json()["workflow_id"], timeout=60)
    # As when the step runs again after a crash and Gong's answer changed meanwhile.
    fetched = await gong_runtime.adapters.sources["gong"].fetch(SourceRef(source_id="7007"))
    renamed = fetched.model_copy(update={"title": "Renamed in Gong since"})
    assert await source_ingest.take_in(gong_runtime, "gong", renamed) == call_id
    assert len(stored_calls(gong_runtime)) == 1
