"""Upstream answers of an unexpected shape: the call goes on without what is optional, or fails
with a reason naming the system and the field, and a retry once the system is right completes it.

Each odd answer is an ok answer (the work was done) with one field missing, null or of another
type, from the emulators' ``answer_oddly``; the call is processed by the real workflow.
"""

from __future__ import annotations

import uuid

import pytest

from cs_agent.bootstrap.runtime import Runtime
from cs_agent.config import Settings
from cs_agent.core.transcripts import parse_transcript
from cs_agent.services import queues
from cs_agent.services.call_retry import retry_call
from cs_agent.services.intake import submit_call
from cs_agent.services.views import CallView, load_call_view
from integrations.linear.tracker import linear_issue_id
from storage import repo
from storage.db import session_scope

from ..contract.test_linear_tracker import tracker_for
from ..emulators.linear import LinearEmulator
from .test_local_flow import example_call, process

SHAPES = ["missing", "null", "wrong_type"]


def item_ids(runtime: Runtime, call_id: str) -> list[str]:
    with session_scope(runtime.engine) as session:
        return [row.id for row in repo.list_items(session, call_id=call_id)]


def assert_one_issue_per_item(runtime: Runtime, view: CallView, linear: LinearEmulator) -> None:
    """Every item filed, each exactly once, under the id derived from it."""
    issues = linear.issues()
    ids = item_ids(runtime, view.call_id)
    assert len(issues) == len(view.action_items) == len(ids) > 0
    assert sorted(i["id"] for i in issues) == sorted(linear_issue_id(uuid.UUID(i)) for i in ids)
    by_id = {issue["id"]: issue for issue in issues}
    for item in view.action_items:
        assert item.issue is not None
        assert by_id[item.issue.id]["identifier"] == item.issue.identifier


async def run_call(settings: Settings) -> tuple[Runtime, str]:
    runtime = Runtime(settings)
    await runtime.start()
    data, meta = example_call()
    return runtime, await process(runtime, data, meta)


@pytest.mark.parametrize(
    ("shape", "path"),
    [
        ("missing", "issueCreate.issue.identifier"),
        ("null", "issueCreate"),
        ("wrong_type", "issueCreate.issue.id"),
        ("not_object", ""),
    ],
)
async def test_an_odd_create_answer_is_read_back_by_id_and_the_call_goes_on(
    linear_settings: Settings, linear_emulator: LinearEmulator, shape: str, path: str
) -> None:
    linear_emulator.answer_oddly("CreateIssue", path, shape, count=2)
    runtime, call_id = await run_call(linear_settings)
    try:
        view = load_call_view(runtime, call_id)
        assert view is not None
        assert view.status == "awaiting_approval", view.failure_reason
        assert_one_issue_per_item(runtime, view, linear_emulator)
    finally:
        await runtime.stop()
    assert len(linear_emulator.oddly_answered) == 2
    assert len(linear_emulator.calls("CreateIssue")) == len(view.action_items)
    assert len(linear_emulator.calls("IssueById")) >= 2


@pytest.mark.parametrize("shape", SHAPES)
async def test_an_odd_label_or_user_answer_files_the_issue_without_it(
    linear_settings: Settings, linear_emulator: LinearEmulator, shape: str
) -> None:
    # Every label and user look-up answers oddly: the issues are filed, unlabelled, unassigned.
    linear_emulator.answer_oddly("LabelsByName", "issueLabels.nodes", shape, count=100)
    linear_emulator.answer_oddly("UserByEmail", "users.nodes.*.id", shape, count=100)
    runtime, call_id = await run_call(linear_settings)
    try:
        view = load_call_view(runtime, call_id)
        assert view is not None
        assert view.status == "awaiting_approval", view.failure_reason
        assert_one_issue_per_item(runtime, view, linear_emulator)
    finally:
        await runtime.stop()
    assert linear_emulator.calls("LabelsByName") and linear_emulator.calls("UserByEmail")
    for call in linear_emulator.calls("CreateIssue"):
        sent = call.variables["input"]
        assert "labelIds" not in sent and "assigneeId" not in sent
    assert linear_emulator.calls("CreateLabel") == [], "an odd answer is not 'no such label'"


@pytest.mark.parametrize("shape", [*SHAPES, "not_object"])
async def test_an_odd_team_answer_fails_the_call_naming_linear_and_a_retry_completes_it(
    linear_settings: Settings, linear_emulator: LinearEmulator, shape: str
) -> None:
    linear_emulator.answer_oddly("TeamByKey", "teams.nodes", shape, count=100)
    runtime = Runtime(linear_settings)
    await runtime.start()
    try:
        data, meta = example_call()
        submission = await submit_call(
            runtime, transcript=parse_transcript(data), metadata=meta, source="test"
        )
        with pytest.raises(Exception, match="linear"):
            await queues.wait_for(submission.workflow_id, timeout=60)
        call_id = submission.call_id
        failed = load_call_view(runtime, call_id)
        assert failed is not None and failed.status == "failed"
        reason = failed.failure_reason or ""
        assert reason.startswith("linear: TeamByKey answered an unexpected shape")
        assert "KeyError" not in reason and "TypeError" not in reason
        assert "(field teams.nodes" in reason
        assert linear_emulator.issues() == []

        linear_emulator.clear_faults()
        workflow_id = await retry_call(runtime, call_id=call_id, actor="cli:ops")
        await queues.wait_for(workflow_id, timeout=60)
        view = load_call_view(runtime, call_id)
        assert view is not None and view.status == "awaiting_approval", view.failure_reason
        assert_one_issue_per_item(runtime, view, linear_emulator)
    finally:
        await runtime.stop()


async def test_odd_create_and_read_back_fail_the_call_and_the_retry_files_each_item_once(
    linear_settings: Settings, linear_emulator: LinearEmulator
) -> None:
    # Linear files the first issue but answers the create, and the read-back, without an id.
    linear_emulator.answer_oddly("CreateIssue", "issueCreate.issue.id", "missing", count=1)
    linear_emulator.answer_oddly("IssueById", "issue.id", "missing", count=100)
    runtime = Runtime(linear_settings)
    await runtime.start()
    try:
        data, meta = example_call()
        submission = await submit_call(
            runtime, transcript=parse_transcript(data), metadata=meta, source="test"
        )
        with pytest.raises(Exception, match="linear"):
            await queues.wait_for(submission.workflow_id, timeout=60)
        failed = load_call_view(runtime, submission.call_id)
        assert failed is not None and failed.status == "failed"
        assert failed.failure_reason == (
            "linear: IssueById answered an unexpected shape: a field is missing (field issue.id)"
        )
        assert len(linear_emulator.issues()) == 1, "the first create did file its issue"

        linear_emulator.clear_faults()
        workflow_id = await retry_call(runtime, call_id=submission.call_id, actor="cli:ops")
        await queues.wait_for(workflow_id, timeout=60)
        view = load_call_view(runtime, submission.call_id)
        assert view is not None and view.status == "awaiting_approval", view.failure_reason
        assert_one_issue_per_item(runtime, view, linear_emulator)
    finally:
        await runtime.stop()


@pytest.mark.parametrize(
    ("path", "shape"),
    [("viewer.name", "missing"), ("organization", "null"), ("viewer.email", "wrong_type")],
)
async def test_doctor_reports_an_odd_viewer_answer_naming_linear(
    linear_emulator: LinearEmulator, path: str, shape: str
) -> None:
    linear_emulator.answer_oddly("Viewer", path, shape)
    tracker = tracker_for(linear_emulator)

    [only] = await tracker.check()

    assert not only.ok and only.fix
    assert only.detail.startswith("linear: Viewer answered an unexpected shape")
    assert f"(field {path})" in only.detail
