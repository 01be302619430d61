"""Overdue promises: one reminder a promise and due date, with two workers on PostgreSQL firing
the schedule every second, and still one after every worker restarts."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

from cs_agent.bootstrap.runtime import Runtime
from cs_agent.services import promise_checks
from cs_agent.services.promise_views import list_promises
from storage import repo
from storage.db import session_scope

from ..emulators.slack import SlackEmulator
from ..slack_env import CHANNEL, draft_row, eventually, process_example
from .cluster import running_cluster


def promise_reminders(slack: SlackEmulator, thread: str) -> Counter[tuple[str, str]]:
    """(item id, due date) of every promise reminder in the thread."""
    return Counter(
        (m["metadata"]["event_payload"]["item_id"], m["metadata"]["event_payload"]["due_date"])
        for m in slack.replies(CHANNEL, thread)
        if (m.get("metadata") or {}).get("event_type") == "cs_agent_promise_reminder"
    )


def reminders_recorded(runtime: Runtime, call_id: str) -> Counter[str]:
    with session_scope(runtime.engine) as session:
        return Counter(
            str(e.detail["item_id"])
            for e in repo.list_audit(session, call_id=call_id)
            if e.action == promise_checks.REMINDED
        )


async def test_an_overdue_promise_reminds_its_owner_once_with_two_workers(
    env: dict[str, str], api: Runtime, slack: SlackEmulator, tmp_path: Path
) -> None:
    env = {**env, "CS_AGENT_RECONCILE_EVERY": "1s"}
    with running_cluster(env, tmp_path / "logs", workers=2, api=False) as cluster:
        call_id, draft_id = await process_example(api, "acme-renewal")
        promises = list_promises(api.engine, call_id=call_id)
        overdue = {p.id for p in promises if p.overdue}
        assert overdue, "the example's promises were due in November"
        thread = draft_row(api, draft_id).approval_ref["ts"]
        await eventually(
            lambda: {item for item, _due in promise_reminders(slack, thread)} == overdue,
            timeout=90,
        )
        # Both workers keep firing the schedule every second: give them ticks to get it wrong.
        await asyncio.sleep(3)
        first = promise_reminders(slack, thread)
        # Every worker restarts: the claims are in the database, not in a worker's memory.
        for worker in list(cluster.workers):
            worker.terminate()
            worker.wait(timeout=30)
        cluster.workers.clear()
        cluster.start_worker()
        cluster.start_worker()
        await asyncio.sleep(4)
        after_restart = promise_reminders(slack, thread)

    assert set(first.values()) == {1}, first
    assert after_restart == first
    assert reminders_recorded(api, call_id) == Counter(dict.fromkeys(overdue, 1))
    texts = [
        m["text"]
        for m in slack.replies(CHANNEL, thread)
        if (m.get("metadata") or {}).get("event_type") == "cs_agent_promise_reminder"
    ]
    assert all("still open" in text for text in texts)
