"""Linear's webhook and the reconcile: promises kept, dropped, and caught when a delivery is lost.

A call is processed with Linear (the emulator) as the tracker; deliveries are built and signed
the way Linear does it. Forged, stale or replayed deliveries must leave the database as it was.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from dbos import DBOS
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr
from sqlmodel import select

from cs_agent.api.app import create_app
from cs_agent.bootstrap.runtime import Runtime
from cs_agent.config import Settings
from cs_agent.services import promise_checks
from cs_agent.services.promise_views import PromiseView
from storage.db import session_scope
from storage.models import AuditEventRow, PromiseRow, WebhookDeliveryRow, utcnow

from ..emulators.linear import LinearEmulator
from ..emulators.linear_webhooks import customer_need_event, issue_event, signed
from .intake_helpers import aclient
from .promise_helpers import (
    processed_call_with_sent_followup,
    promises_of,
    update_drafts,
    wait_all,
)

SECRET = "linear-webhook-signing-secret"


@pytest.fixture
async def linear_runtime(linear_settings: Settings) -> AsyncIterator[Runtime]:
    configured = linear_settings.model_copy(update={"linear_webhook_secret": SecretStr(SECRET)})
    runtime = Runtime(configured)
    await runtime.start()
    try:
        yield runtime
    finally:
        await runtime.stop()


@pytest.fixture
async def client(linear_runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    async for c in aclient(create_app(linear_runtime.settings, runtime=linear_runtime)):
        yield c


def snapshot(runtime: Runtime) -> tuple[int, int, list[tuple[str, str]]]:
    """What a refused delivery must not change: deliveries, audit events, promise states."""
    with session_scope(runtime.engine) as session:
        deliveries = len(session.exec(select(WebhookDeliveryRow)).all())
        audit = len(session.exec(select(AuditEventRow)).all())
        promises = sorted((p.item_id, p.status) for p in session.exec(select(PromiseRow)).all())
    return deliveries, audit, promises


def issue_of(linear: LinearEmulator, promise: PromiseView) -> dict[str, Any]:
    found = next(i for i in linear.issues() if i["identifier"] == promise.issue)
    return found


async def post(client: httpx.AsyncClient, delivery: Any) -> httpx.Response:
    return await client.post("/webhooks/linear", content=delivery.body, headers=delivery.headers)


async def test_signed_delivery_keeps_the_promise_once_and_drafts_one_update(
    linear_runtime: Runtime, client: httpx.AsyncClient, linear_emulator: LinearEmulator
) -> None:
    call_id = await processed_call_with_sent_followup(linear_runtime)
    ours = [p for p in promises_of(linear_runtime, call_id) if p.side == "us"]
    assert ours and all(p.tracker == "linear" for p in ours)
    first, second = ours[0], ours[1]

    issue = linear_emulator.move_issue(issue_of(linear_emulator, first)["id"], "completed")
    delivery = signed(issue_event(issue), secret=SECRET)

    # Forged: the body changed after signing, or signed with another secret.
    before = snapshot(linear_runtime)
    tampered = delivery.body.replace(b'"Done"', b'"Dome"')
    forged = await client.post("/webhooks/linear", content=tampered, headers=delivery.headers)
    wrong_key = await post(client, signed(issue_event(issue), secret="not-the-secret"))
    unsigned = await client.post(
        "/webhooks/linear",
        content=delivery.body,
        headers={k: v for k, v in delivery.headers.items() if k != "Linear-Signature"},
    )
    # Stale: signed correctly, two minutes old.
    stale = await post(
        client,
        signed(issue_event(issue, at_ms=int(time.time() * 1000) - 120_000), secret=SECRET),
    )
    for refused in (forged, wrong_key, unsigned, stale):
        assert refused.status_code == 401, refused.text
    assert stale.json()["error"] == "stale_timestamp"
    assert snapshot(linear_runtime) == before, "a refused delivery records nothing"

    accepted = await post(client, delivery)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json() == {"status": "accepted", "type": "Issue", "changed": 1}
    replayed = await post(client, delivery)
    assert replayed.status_code == 200 and replayed.json()["status"] == "duplicate"

    # The second promise is kept within the window: it joins the same update.
    other = linear_emulator.move_issue(issue_of(linear_emulator, second)["id"], "completed")
    assert (await post(client, signed(issue_event(other), secret=SECRET))).json()["changed"] == 1

    await wait_all([f"promise-update:{first.id}", f"promise-update:{second.id}"])
    after = {p.id: p for p in promises_of(linear_runtime, call_id)}
    assert after[first.id].status == "kept" and after[first.id].changed_by == "linear:Dana Reyes"
    assert after[first.id].tracker_state == "Done"
    assert after[second.id].status == "kept"
    drafts = update_drafts(linear_runtime)
    assert len(drafts) == 1 and drafts[0].status == "pending"
    assert first.issue and first.issue in drafts[0].body and second.issue in drafts[0].body
    with session_scope(linear_runtime.engine) as session:
        kept_events = [
            e for e in session.exec(select(AuditEventRow)).all() if e.action == "promise_kept"
        ]
    assert len(kept_events) == 2, "the replay recorded nothing"


async def test_canceled_drops_the_promise_and_emails_nobody(
    linear_runtime: Runtime, client: httpx.AsyncClient, linear_emulator: LinearEmulator
) -> None:
    call_id = await processed_call_with_sent_followup(linear_runtime)
    ours = next(p for p in promises_of(linear_runtime, call_id) if p.side == "us")
    issue = linear_emulator.move_issue(issue_of(linear_emulator, ours)["id"], "canceled")

    answer = await post(client, signed(issue_event(issue, actor="Sam"), secret=SECRET))
    assert answer.json()["changed"] == 1
    after = {p.id: p for p in promises_of(linear_runtime, call_id)}
    assert after[ours.id].status == "dropped"
    assert after[ours.id].changed_by == "linear:Sam" and after[ours.id].changed_at is not None
    assert update_drafts(linear_runtime) == []
    # An issue we did not file, and another type of event, change nothing.
    stranger = linear_emulator.add_issue(
        team_key="CS", title="Someone else's", state_type="completed"
    )
    answer = await post(client, signed(issue_event(stranger), secret=SECRET))
    assert answer.status_code == 200 and answer.json()["changed"] == 0


async def test_reconcile_catches_a_lost_delivery(
    linear_runtime: Runtime, client: httpx.AsyncClient, linear_emulator: LinearEmulator
) -> None:
    call_id = await processed_call_with_sent_followup(linear_runtime)
    ours = [p for p in promises_of(linear_runtime, call_id) if p.side == "us"]
    # One delivery arrives; the other is lost.
    delivered = linear_emulator.move_issue(issue_of(linear_emulator, ours[0])["id"], "completed")
    assert (await post(client, signed(issue_event(delivered), secret=SECRET))).status_code == 200
    linear_emulator.move_issue(issue_of(linear_emulator, ours[1])["id"], "completed")

    handle = await DBOS.start_workflow_async(promise_checks.check_promises, utcnow(), None)
    await handle.get_result()
    await wait_all([f"promise-update:{ours[0].id}", f"promise-update:{ours[1].id}"])

    after = {p.id: p for p in promises_of(linear_runtime, call_id)}
    assert after[ours[1].id].status == "kept", "the reconcile found what the webhook missed"
    assert after[ours[2].id].status == "open"
    asked = linear_emulator.calls("IssueStates")
    assert asked, "the reconcile asked Linear"
    drafts = update_drafts(linear_runtime)
    assert len(drafts) == 1
    # A second run asks only about what changed since; it records nothing new.
    handle = await DBOS.start_workflow_async(promise_checks.check_promises, utcnow(), None)
    await handle.get_result()
    assert len(update_drafts(linear_runtime)) == 1


async def test_a_customer_request_event_reads_its_issue(
    linear_runtime: Runtime, client: httpx.AsyncClient, linear_emulator: LinearEmulator
) -> None:
    call_id = await processed_call_with_sent_followup(linear_runtime)
    ours = next(p for p in promises_of(linear_runtime, call_id) if p.side == "us")
    issue = linear_emulator.move_issue(issue_of(linear_emulator, ours)["id"], "completed")
    answer = await post(client, signed(customer_need_event("need-1", issue["id"]), secret=SECRET))
    assert answer.status_code == 200 and answer.json()["changed"] == 1


HOSTILE = st.one_of(
    st.text(st.characters(codec="utf-8"), max_size=20),
    st.sampled_from(["\x00", "\ud800", "completed", "canceled", "", "2026-13-40T99:00:00Z"]),
)
JSONISH = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), HOSTILE),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(HOSTILE, inner, max_size=3)
    ),
    max_leaves=8,
)


@st.composite
def hostile_events(draw: st.DrawFn) -> dict[str, Any]:
    """Signed, fresh deliveries whose every field may be odd."""
    event: dict[str, Any] = {
        "action": draw(st.one_of(HOSTILE, JSONISH)),
        "type": draw(st.sampled_from(["Issue", "CustomerNeed", "Comment", ""])),
        "data": draw(
            st.one_of(
                JSONISH,
                st.fixed_dictionaries(
                    {"id": HOSTILE},
                    optional={
                        "identifier": JSONISH,
                        "state": st.one_of(
                            JSONISH, st.fixed_dictionaries({"name": HOSTILE, "type": HOSTILE})
                        ),
                        "updatedAt": HOSTILE,
                        "issueId": HOSTILE,
                    },
                ),
            )
        ),
        "webhookTimestamp": int(time.time() * 1000),
    }
    if draw(st.booleans()):
        event["actor"] = draw(JSONISH)
    return event


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(event=hostile_events())
@example(
    event={
        "action": "update",
        "type": "Issue",
        "data": {"id": "\ud800", "state": {"name": "Done\x00", "type": "completed"}},
        "webhookTimestamp": int(time.time() * 1000),
    }
)
async def test_odd_deliveries_are_refused_clearly_never_a_5xx(
    client: httpx.AsyncClient, event: dict[str, Any]
) -> None:
    event = {**event, "webhookTimestamp": int(time.time() * 1000)}  # fresh when it is sent
    answer = await post(client, signed(event, secret=SECRET))
    assert answer.status_code in (200, 400, 422), answer.text
    if answer.status_code != 200:
        assert answer.json()["detail"] or answer.json()["error"]
