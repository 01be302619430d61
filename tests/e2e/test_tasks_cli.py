"""``cs-agent tasks done`` beside a running ``cs-agent serve`` on the same (SQLite) database:
the command records the change, the server drafts the customer's update."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from ..conftest import EXAMPLES, REPO_ROOT
from .cluster import Cluster


def cs_agent(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cs_agent", *args],
        cwd=REPO_ROOT,
        env={**env, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def json_of(env: dict[str, str], *args: str) -> Any:
    result = cs_agent(env, *args, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def until(check: Any, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"not within {timeout}s: {check}")


def test_tasks_done_beside_serve_drafts_the_update(
    isolated_environment: Path, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "CS_AGENT_LINEAR_WEBHOOK_SECRET": "local-webhook-secret",
        "PYTHONUNBUFFERED": "1",
    }
    cluster = Cluster(env=env, logs=tmp_path)
    try:
        cluster.start_api(workflows=True)
        meta = json.loads((EXAMPLES / "acme-renewal.meta.json").read_text())
        body = {**meta, "transcript": (EXAMPLES / "acme-renewal.vtt").read_text()}
        answer = httpx.post(f"{cluster.url}/v1/transcripts", json=body, timeout=30)
        assert answer.status_code in (200, 202), answer.text
        status_url = f"{cluster.url}{answer.json()['status_url']}"
        until(lambda: httpx.get(status_url, timeout=5).json()["status"] == "awaiting_approval")

        # The webhook is there in local mode too once its secret is set.
        unsigned = httpx.post(f"{cluster.url}/webhooks/linear", json={"type": "Issue"}, timeout=5)
        assert unsigned.status_code == 401

        tasks = json_of(env, "tasks", "list")
        assert tasks and {"id", "identifier", "title", "status", "side"} <= set(tasks[0])
        ours = next(t for t in tasks if t["side"] == "us")
        assert ours["status"] == "open"
        done = cs_agent(env, "tasks", "done", ours["identifier"])
        assert done.returncode == 0, done.stderr
        assert ours["identifier"] in done.stdout

        updates = until(
            lambda: [d for d in json_of(env, "drafts", "list") if d["kind"] == "update"]
        )
        assert len(updates) == 1 and updates[0]["status"] == "pending"
        kinds = {d["kind"] for d in json_of(env, "drafts", "list")}
        assert kinds == {"followup", "update"}
        promises = {p["title"]: p for p in json_of(env, "promises")}
        assert promises[ours["title"]]["status"] == "kept"
        assert promises[ours["title"]]["customer_told"] is False
        assert {p["status"] for p in promises.values()} == {"open", "kept"}
        after = {t["id"]: t for t in json_of(env, "tasks", "list")}
        assert after[ours["id"]]["status"] == "completed"

        dropped = next(t for t in tasks if t["id"] != ours["id"])
        assert cs_agent(env, "tasks", "drop", dropped["id"]).returncode == 0
        overdue = json_of(env, "promises", "--overdue")
        assert all(p["status"] == "open" for p in overdue)
        missing = cs_agent(env, "tasks", "done", "LOCAL-999")
        assert missing.returncode == 1 and "no local task" in missing.stderr
    finally:
        cluster.stop()


def test_tasks_done_without_a_server_drafts_the_update_itself(isolated_environment: Path) -> None:
    env = {**os.environ, "CS_AGENT_COMPANY_NAME": "Brightwave"}
    processed = cs_agent(
        env,
        "process",
        str(EXAMPLES / "acme-renewal.vtt"),
        "--metadata",
        str(EXAMPLES / "acme-renewal.meta.json"),
    )
    assert processed.returncode == 0, processed.stderr
    ours = [t for t in json_of(env, "tasks", "list") if t["side"] == "us"]
    done = cs_agent(env, "tasks", "done", ours[0]["identifier"])
    assert done.returncode == 0, done.stderr
    updates = [d for d in json_of(env, "drafts", "list") if d["kind"] == "update"]
    assert len(updates) == 1, "the update is drafted before the command ends"
    assert updates[0]["id"] in done.stdout
    assert updates[0]["status"] == "pending", "and it waits for a click"
