"""A call processed end to end with action items filed in Linear (the emulator), and doctor."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

from cs_agent.bootstrap.runtime import Runtime
from cs_agent.config import Settings
from cs_agent.services.views import load_call_view
from integrations.linear.tracker import linear_issue_id
from storage import repo
from storage.db import session_scope

from ..conftest import REPO_ROOT
from ..emulators.linear import API_KEY, LinearEmulator
from .test_local_flow import example_call, process


async def test_each_item_is_filed_once_even_when_a_create_times_out_and_is_retried(
    linear_settings: Settings, linear_emulator: LinearEmulator
) -> None:
    # Linear creates the first issue but answers after the client has given up on it.
    settings = linear_settings.model_copy(update={"linear_timeout_seconds": 1.0})
    linear_emulator.answer_slowly(3.0, when=lambda call: call.operation == "CreateIssue")
    runtime = Runtime(settings)
    assert [c.adapter for c in runtime.adapters.choices if c.port == "tracker"] == ["linear"]
    await runtime.start()
    try:
        data, meta = example_call()
        call_id = await process(runtime, data, meta)
        view = load_call_view(runtime, call_id)
        with session_scope(runtime.engine) as session:
            item_ids = [row.id for row in repo.list_items(session, call_id=call_id)]
            audit = [entry.action for entry in repo.list_audit(session, call_id=call_id)]
    finally:
        await runtime.stop()

    assert view is not None and view.status == "awaiting_approval"
    items = view.action_items
    assert items, "the example call has commitments to file"
    issues = linear_emulator.issues()
    assert len(issues) == len(items)
    assert sorted(i["id"] for i in issues) == sorted(
        linear_issue_id(uuid.UUID(i)) for i in item_ids
    )
    assert sorted(i["title"] for i in issues) == sorted(item.title for item in items)
    by_id = {issue["id"]: issue for issue in issues}
    for item in items:
        assert item.issue is not None and item.issue.tracker == "linear"
        assert by_id[item.issue.id]["identifier"] == item.issue.identifier
        assert f"/v1/calls/{call_id})" in by_id[item.issue.id]["description"]
    # One create more than there are items: the one that timed out and was tried again.
    assert len(linear_emulator.calls("CreateIssue")) == len(items) + 1
    assert audit.count("issue_filed") == len(items)


def test_doctor_shows_what_it_found_in_linear(
    linear_emulator: LinearEmulator, isolated_environment: object
) -> None:
    linear_emulator.add_label("customer-follow-up", team_key="CS")
    env = {
        **os.environ,
        "COLUMNS": "400",
        "CS_AGENT_LINEAR_API_KEY": API_KEY,
        "CS_AGENT_LINEAR_API_URL": linear_emulator.graphql_url,
        "CS_AGENT_LINEAR_TEAM": "CS",
    }
    result = subprocess.run(
        [sys.executable, "-m", "cs_agent", "doctor"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "authenticated as Avery Admin" in result.stdout
    assert "team CS (Customer Success)" in result.stdout
    assert "label 'customer-follow-up' exists" in result.stdout
