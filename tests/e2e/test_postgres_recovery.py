"""On PostgreSQL a dead worker never comes back under its own id: the live ones finish its work."""

from __future__ import annotations

from pathlib import Path

import pytest

from cs_agent.bootstrap.runtime import Runtime
from cs_agent.config import Settings
from cs_agent.core import ids
from cs_agent.services import queues
from cs_agent.services.views import load_call_view
from storage import repo
from storage.db import session_scope

from .test_recovery import start_hanging_process, wait_for_marker


async def test_a_killed_worker_is_noticed_and_its_workflow_resumed_elsewhere(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CS_AGENT_DATABASE_URL", pg_url)
    monkeypatch.setenv("CS_AGENT_WORKER_HEARTBEAT_SECONDS", "0.5")
    monkeypatch.setenv("CS_AGENT_WORKER_TIMEOUT_SECONDS", "2")
    marker = tmp_path / "hung"
    proc = start_hanging_process(marker, hang_after=3)
    call_id = wait_for_marker(proc, marker)
    proc.kill()
    proc.wait(timeout=10)

    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    runtime = Runtime(settings)
    assert runtime.executor_id != "local", "workers on PostgreSQL need ids of their own"
    await runtime.start()
    try:
        await queues.wait_for(ids.process_call_workflow_id(call_id), timeout=60)
        view = load_call_view(runtime, call_id)
        assert view is not None
        assert view.status == "awaiting_approval"
        with session_scope(runtime.engine) as session:
            tasks = repo.list_local_tasks(session)
        assert len(tasks) == len(view.action_items)
        assert len({t.title for t in tasks}) == len(tasks)
    finally:
        await runtime.stop()
