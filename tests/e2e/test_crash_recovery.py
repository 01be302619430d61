"""A worker SIGKILLed at each step boundary: another worker finishes, each side effect once.

The worker is a real ``cs-agent worker`` process on PostgreSQL. An emulator holds its answer
at the chosen moment (after doing the work, or before), the test kills the worker while it
waits, and a fresh worker takes over once the dead one's database session has ended.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from cs_agent.bootstrap.runtime import Runtime
from cs_agent.core import ids
from cs_agent.core.transcripts import parse_transcript
from cs_agent.services import approvals, queues
from cs_agent.services.intake import submit_call
from cs_agent.services.views import load_call_view
from storage import repo
from storage.db import session_scope

from ..emulators.base import Fault
from ..emulators.linear import LinearEmulator, operation_is
from ..emulators.slack import SlackEmulator
from ..mailers import SENDER, GmailSetup
from ..slack_env import CHANNEL
from .cluster import Cluster, running_cluster
from .test_local_flow import example_call


async def eventually(check: Callable[[], bool], *, timeout: float = 60, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        await asyncio.sleep(0.05)


async def submit_example(runtime: Runtime) -> str:
    data, meta = example_call()
    submission = await submit_call(
        runtime, transcript=parse_transcript(data), metadata=meta, source="test"
    )
    return submission.call_id


def kill_and_replace(cluster: Cluster) -> None:
    victim = cluster.workers[0]
    victim.kill()  # SIGKILL: no clean-up, no goodbye
    victim.wait(timeout=10)
    cluster.start_worker()


HOLD = 600.0  # longer than any test: the worker is killed while it waits


@pytest.mark.parametrize("boundary", ["after_analysis", "after_some_issues_filed"])
async def test_killed_while_filing_each_issue_is_filed_once(
    boundary: str,
    env: dict[str, str],
    api: Runtime,
    linear_emulator: LinearEmulator,
    tmp_path: Path,
) -> None:
    creates = operation_is("CreateIssue")
    if boundary == "after_analysis":
        # The first create never reaches Linear's resolvers: nothing is filed yet.
        linear_emulator.fail_next(1, Fault(hang_seconds=HOLD), when=creates)
        held = lambda: any(creates(r) for r in linear_emulator.faulted)  # noqa: E731
        filed_before_kill = 0
    else:
        # The third create is done by Linear, but its answer never comes back.
        linear_emulator.answer_slowly(HOLD, when=lambda call: len(linear_emulator.issues()) >= 2)
        held = lambda: len(linear_emulator.issues()) >= 3  # noqa: E731
        filed_before_kill = 3

    with running_cluster(env, tmp_path / "logs", workers=1, api=False) as cluster:
        call_id = await submit_example(api)
        await eventually(held, what="the worker is stuck at the boundary")
        assert len(linear_emulator.issues()) == filed_before_kill
        kill_and_replace(cluster)
        await queues.wait_for(ids.process_call_workflow_id(call_id), timeout=90)

    view = load_call_view(api, call_id)
    assert view is not None
    assert view.status == "awaiting_approval"
    issues = linear_emulator.issues()
    assert sorted(i["title"] for i in issues) == sorted(i.title for i in view.action_items)
    assert len({i["id"] for i in issues}) == len(view.action_items)
    with session_scope(api.engine) as session:
        audit = [e.action for e in repo.list_audit(session, call_id=call_id)]
    assert audit.count("analyzed") == 1, "the analysis is checkpointed, not redone"
    assert audit.count("issue_filed") == len(view.action_items)
    assert audit.count("draft_created") == 1


async def test_killed_after_the_approval_request_was_posted_posts_it_once(
    api: Runtime, slack: SlackEmulator, env: dict[str, str], tmp_path: Path
) -> None:
    # Slack posts the message, then the answer (with its ts) never reaches the worker.
    slack.answer_late("chat.postMessage", HOLD)
    with running_cluster(env, tmp_path / "logs", workers=1, api=False) as cluster:
        call_id = await submit_example(api)
        await eventually(lambda: len(slack.top_level(CHANNEL)) == 1, what="Slack has the message")
        kill_and_replace(cluster)
        await queues.wait_for(ids.process_call_workflow_id(call_id), timeout=90)

    messages = slack.top_level(CHANNEL)
    assert len(messages) == 1, "the new worker found the posted message instead of posting again"
    view = load_call_view(api, call_id)
    assert view is not None
    assert view.status == "awaiting_approval"
    assert view.draft is not None
    assert view.approval.get("ts") == messages[0]["ts"]
    assert messages[0]["metadata"]["event_payload"]["draft_id"] == view.draft.id


async def test_killed_between_the_send_and_its_record_sends_one_email(
    env: dict[str, str], api: Runtime, gmail: GmailSetup, tmp_path: Path
) -> None:
    with running_cluster(env, tmp_path / "logs", workers=1, api=False) as cluster:
        call_id = await submit_example(api)
        await queues.wait_for(ids.process_call_workflow_id(call_id), timeout=90)
        view = load_call_view(api, call_id)
        assert view is not None
        assert view.draft is not None

        # Gmail stores the message, then holds its answer; the worker dies waiting for it.
        gmail.emulator.hang_next_send(HOLD)
        decision = await approvals.approve(api, draft_id=view.draft.id, actor="test:approver")
        await eventually(
            lambda: len(gmail.emulator.sent(SENDER)) == 1, what="Gmail has the message"
        )
        kill_and_replace(cluster)
        result = await queues.wait_for(decision.workflow_id or "", timeout=90)

    assert result.status == "sent"
    sent = gmail.emulator.sent(SENDER)
    assert len(sent) == 1, "the new worker found the message instead of sending it again"
    sends = gmail.emulator.requests_to("/gmail/v1/users/me/messages/send")
    assert len(sends) == 1, "one send request in all: the retry looked the message up first"
    after = load_call_view(api, call_id)
    assert after is not None
    assert after.draft is not None
    assert after.draft.status == "sent"
    assert after.draft.message_id == sent[0].header("Message-ID")
