"""On PostgreSQL a dead worker never comes back under its own id: the live ones finish its work.

A worker that is only paused (or starved of CPU) is alive: its work stays with it.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from cs_agent.bootstrap.adapters import build_adapters
from cs_agent.bootstrap.runtime import Runtime
from cs_agent.config import Settings
from cs_agent.core import ids
from cs_agent.services import queues
from cs_agent.services.views import load_call_view
from storage import repo
from storage.db import make_engine, session_scope

from ..conftest import EXAMPLES, REPO_ROOT
from .stalling_process import CountingAnalyzer
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


def start_stalling_process(marker: Path, ledger: Path) -> subprocess.Popen[bytes]:
    transcript = next(EXAMPLES.glob("acme-renewal.v*"))
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.e2e.stalling_process",
            str(transcript),
            str(EXAMPLES / "acme-renewal.meta.json"),
            str(marker),
            str(ledger),
        ],
        cwd=REPO_ROOT,
        env=os.environ.copy(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


async def test_a_paused_worker_is_alive_however_long_it_is_silent(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CS_AGENT_DATABASE_URL", pg_url)
    monkeypatch.setenv("CS_AGENT_WORKER_HEARTBEAT_SECONDS", "0.5")
    monkeypatch.setenv("CS_AGENT_WORKER_TIMEOUT_SECONDS", "2")
    marker, ledger = tmp_path / "analysing", tmp_path / "analyses"
    proc = start_stalling_process(marker, ledger)
    try:
        wait_for_marker(proc, marker)
        proc.send_signal(signal.SIGSTOP)  # starved: no heartbeat, but its session is open
        assert proc.stdout is not None
        call_id = proc.stdout.readline().decode().strip()

        settings = Settings(_env_file=None)  # type: ignore[call-arg]
        engine = make_engine(settings.app_database_url)
        adapters = build_adapters(settings, engine)
        adapters.analyzer = CountingAnalyzer(adapters.analyzer, ledger=ledger)
        runtime = Runtime(settings, adapters=adapters, engine=engine)
        await runtime.start()
        try:
            # Silent for three timeouts, while the other worker checks every half second.
            await asyncio.sleep(6)
            assert ledger.read_text().splitlines() == ["Acme Freight renewal call"], (
                "analysed once so far"
            )
            view = load_call_view(runtime, call_id)
            assert view is not None and view.status == "analyzing", "still the paused worker's"

            proc.send_signal(signal.SIGCONT)
            await queues.wait_for(ids.process_call_workflow_id(call_id), timeout=60)
            view = load_call_view(runtime, call_id)
            assert view is not None
            assert view.status == "awaiting_approval"
            assert len(ledger.read_text().splitlines()) == 1, "the analysis ran (and cost) once"
            with session_scope(runtime.engine) as session:
                analyzed = [
                    e for e in repo.list_audit(session, call_id=call_id) if e.action == "analyzed"
                ]
            assert len(analyzed) == 1
        finally:
            await runtime.stop()
    finally:
        proc.send_signal(signal.SIGCONT)
        proc.kill()
        proc.wait(timeout=10)
