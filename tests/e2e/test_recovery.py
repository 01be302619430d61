"""A process killed in the middle of a workflow: the next process finishes it, nothing twice."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from cs_agent.bootstrap.runtime import Runtime
from cs_agent.config import Settings
from cs_agent.core import ids
from cs_agent.services import queues
from cs_agent.services.views import load_call_view
from storage import repo
from storage.db import session_scope

from ..conftest import EXAMPLES, REPO_ROOT


def start_hanging_process(marker: Path, hang_after: int) -> subprocess.Popen[bytes]:
    transcript = next(EXAMPLES.glob("acme-renewal.v*"))
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.e2e.crashing_process",
            str(transcript),
            str(EXAMPLES / "acme-renewal.meta.json"),
            str(marker),
            str(hang_after),
        ],
        cwd=REPO_ROOT,
        env=os.environ.copy(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def wait_for_marker(proc: subprocess.Popen[bytes], marker: Path, timeout: float = 90) -> str:
    deadline = time.monotonic() + timeout
    while not marker.exists():
        if proc.poll() is not None:
            raise AssertionError(
                f"worker exited early: {proc.stderr.read().decode() if proc.stderr else ''}"
            )
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("worker never reached the step boundary")
        time.sleep(0.05)
    return marker.read_text()


async def test_killed_process_leaves_work_the_next_process_finishes(
    settings: Settings, tmp_path: Path
) -> None:
    marker = tmp_path / "hung"
    proc = start_hanging_process(marker, hang_after=2)
    call_id = wait_for_marker(proc, marker)
    proc.kill()  # SIGKILL: no cleanup, no goodbye
    proc.wait(timeout=10)

    runtime = Runtime(settings)
    await runtime.start()  # DBOS recovers the pending workflow on launch
    try:
        with session_scope(runtime.engine) as session:
            filed_before = len(repo.list_local_tasks(session))
            assert repo.get_draft_for_call(session, call_id=call_id) is None
        assert filed_before == 2, "the killed process filed two issues before it hung"

        await queues.wait_for(ids.process_call_workflow_id(call_id), timeout=60)

        view = load_call_view(runtime, call_id)
        assert view is not None and view.draft is not None
        assert view.status == "awaiting_approval"
        with session_scope(runtime.engine) as session:
            tasks = repo.list_local_tasks(session)
            audit = [e.action for e in repo.list_audit(session, call_id=call_id)]
        # Every item exactly once, including the one filed just before the kill.
        assert len(tasks) == len(view.action_items)
        assert len({t.id for t in tasks}) == len(tasks)
        assert {t.title for t in tasks} == {i.title for i in view.action_items}
        assert audit.count("draft_created") == 1
        assert audit.count("approval_requested") == 1
    finally:
        await runtime.stop()
