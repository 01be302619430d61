"""Operations on a real deployment: two ``cs-agent worker`` processes on PostgreSQL, each running
the reminder schedule, and still one reminder a pending draft. What the deployment reports is
read back too: the API's /metrics counts the workers' work (from the database), each worker's
own /metrics has its step latencies, and the workers' logs are JSON lines, each event with its
call and step, customer addresses masked."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from cs_agent.api.app import create_app
from cs_agent.bootstrap.runtime import Runtime
from cs_agent.services import approvals, reminders
from storage import repo
from storage.db import session_scope

from ..emulators.slack import SlackEmulator
from ..slack_env import CHANNEL, draft_row, eventually, process_example, slack_settings
from .cluster import free_port, running_cluster

CUSTOMER_EMAIL = "priya.natarajan@acmefreight.example"


def samples(text: str) -> dict[str, float]:
    """``name{labels}`` → value, for the samples of an exposition."""
    return {
        sample.name + json.dumps(sample.labels, sort_keys=True): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def audit_count(runtime: Runtime, call_id: str, action: str) -> int:
    with session_scope(runtime.engine) as session:
        return sum(1 for e in repo.list_audit(session, call_id=call_id) if e.action == action)


async def test_a_pending_draft_gets_one_reminder_with_two_workers(
    env: dict[str, str], api: Runtime, slack: SlackEmulator, tmp_path: Path
) -> None:
    env = {**env, "CS_AGENT_REMIND_AFTER": "2s", "CS_AGENT_REMIND_CHECK_EVERY": "1s"}
    ports = [free_port(), free_port()]
    with running_cluster(env, tmp_path / "logs", workers=0, api=False) as cluster:
        for port in ports:
            cluster.start_worker(extra_env={"CS_AGENT_METRICS_PORT": str(port)})
        waiting_call, waiting = await process_example(api, "acme-renewal")
        decided_call, decided = await process_example(api, "globex-onboarding")
        await approvals.reject(api, draft_id=decided, actor="test:dana", reason="not needed")
        thread = draft_row(api, waiting).approval_ref["ts"]
        await eventually(lambda: slack.replies(CHANNEL, thread), timeout=60)
        # Both workers keep firing the schedule every second: give them ticks to get it wrong.
        await asyncio.sleep(3)
        replies = slack.replies(CHANNEL, thread)
        decided_thread = draft_row(api, decided).approval_ref["ts"]
        worker_logs = [(cluster.logs / f"worker-{n}.log").read_text() for n in range(2)]
        async with httpx.AsyncClient(timeout=10) as http:
            worker_metrics = [
                samples((await http.get(f"http://127.0.0.1:{port}/metrics")).text) for port in ports
            ]
        app = create_app(api.settings, runtime=api)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8000"
        ) as client:
            api_metrics = samples((await client.get("/metrics")).text)

    assert len(replies) == 1, replies
    assert "has waited" in replies[0]["text"] and "for a decision" in replies[0]["text"]
    assert audit_count(api, waiting_call, "reminder_sent") == 1
    assert draft_row(api, waiting).reminded_at is not None
    # A draft decided before it was due gets none (its thread has only the outcome, if any).
    assert not any("waited" in m["text"] for m in slack.replies(CHANNEL, decided_thread))
    assert audit_count(api, decided_call, "reminder_sent") == 0

    # The API did none of the work, and its /metrics counts all of it: from the database.
    assert api_metrics["cs_agent_calls_received_total{}"] == 2
    assert api_metrics["cs_agent_reminders_sent_total{}"] == 1
    assert api_metrics['cs_agent_drafts{"status": "pending"}'] == 1
    assert api_metrics['cs_agent_drafts{"status": "rejected"}'] == 1
    assert api_metrics['cs_agent_action_items_total{"outcome": "filed"}'] > 0
    # Each worker's own /metrics has what it ran, and not the database's numbers (no double count).
    analyses = 'cs_agent_step_duration_seconds_count{"outcome": "ok", "step": "analyze_call"}'
    assert sum(m.get(analyses, 0) for m in worker_metrics) == 2
    reminders = 'cs_agent_step_duration_seconds_count{"outcome": "ok", "step": "send_reminder"}'
    assert sum(m.get(reminders, 0) for m in worker_metrics) == 1
    assert not any("cs_agent_calls_received_total{}" in m for m in worker_metrics)

    # Every line a worker wrote is one JSON object; events name their call and step.
    events = [json.loads(line) for log in worker_logs for line in log.splitlines() if line]
    assert any(e["message"].startswith("worker ") and "running" in e["message"] for e in events)
    reminded = [
        e for e in events if e.get("step") == "send_reminder" and "reminder about" in e["message"]
    ]
    assert len(reminded) == 1
    assert reminded[0]["call_id"] == waiting_call and reminded[0]["draft_id"] == waiting
    drafted = [e for e in events if e.get("step") == "save_draft"]
    assert {e["call_id"] for e in drafted} == {waiting_call, decided_call}
    everything = "\n".join(worker_logs)
    assert CUSTOMER_EMAIL not in everything
    assert "p***@acmefreight.example" in everything


@pytest.fixture
async def slack_runtime(isolated_environment: Path, slack: SlackEmulator) -> AsyncIterator[Runtime]:
    """One in-process runtime (SQLite) with Slack approvals: no cluster needed."""
    runtime = Runtime(slack_settings(isolated_environment, slack))
    await runtime.start()
    try:
        yield runtime
    finally:
        await runtime.stop()


def reminder_numbers(slack: SlackEmulator, thread: str) -> list[object]:
    """The ``reminder`` of each message in the thread carrying reminder metadata."""
    return [
        m["metadata"]["event_payload"]["reminder"]
        for m in slack.replies(CHANNEL, thread)
        if (m.get("metadata") or {}).get("event_type") == "cs_agent_reminder"
    ]


async def test_a_reminder_step_run_again_after_a_crash_posts_it_once(
    slack_runtime: Runtime, slack: SlackEmulator
) -> None:
    _call_id, draft_id = await process_example(slack_runtime)
    thread = draft_row(slack_runtime, draft_id).approval_ref["ts"]
    await reminders.send_reminder(slack_runtime, draft_id)
    # The process dies after Slack has the reminder and before DBOS records the step: on
    # resume, DBOS runs the step again for the same reminder.
    await reminders.send_reminder(slack_runtime, draft_id)
    assert reminder_numbers(slack, thread) == [1], "the resumed step found it in the thread"
    (reply,) = slack.replies(CHANNEL, thread)
    assert reply["metadata"]["event_payload"]["draft_id"] == draft_id
    await reminders.send_reminder(slack_runtime, draft_id, 2)
    assert reminder_numbers(slack, thread) == [1, 2], "the next reminder is still posted"
    lookups = slack.requests_to("/api/conversations.replies")
    assert len(lookups) == 3 and all("include_all_metadata=1" in r.query for r in lookups)
