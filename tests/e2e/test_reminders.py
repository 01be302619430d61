"""Reminders on a real deployment: two ``cs-agent worker`` processes on PostgreSQL, each running
the reminder schedule, and still one reminder a pending draft. Their logs are read back too:
JSON lines, each event with its call and step, customer addresses masked."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from cs_agent import approvals
from cs_agent.runtime import Runtime
from storage import repo
from storage.db import session_scope

from ..emulators.slack import SlackEmulator
from ..slack_env import CHANNEL, draft_row, eventually, process_example
from .cluster import running_cluster

CUSTOMER_EMAIL = "priya.natarajan@acmefreight.example"


def audit_count(runtime: Runtime, call_id: str, action: str) -> int:
    with session_scope(runtime.engine) as session:
        return sum(1 for e in repo.list_audit(session, call_id=call_id) if e.action == action)


async def test_a_pending_draft_gets_one_reminder_with_two_workers(
    env: dict[str, str], api: Runtime, slack: SlackEmulator, tmp_path: Path
) -> None:
    env = {**env, "CS_AGENT_REMIND_AFTER": "2s", "CS_AGENT_REMIND_CHECK_EVERY": "1s"}
    with running_cluster(env, tmp_path / "logs", workers=2, api=False) as cluster:
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

    assert len(replies) == 1, replies
    assert "has waited" in replies[0]["text"] and "for a decision" in replies[0]["text"]
    assert audit_count(api, waiting_call, "reminder_sent") == 1
    assert draft_row(api, waiting).reminded_at is not None
    # A draft decided before it was due gets none (its thread has only the outcome, if any).
    assert not any("waited" in m["text"] for m in slack.replies(CHANNEL, decided_thread))
    assert audit_count(api, decided_call, "reminder_sent") == 0

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
