"""Slack answering ``ok`` in an unexpected shape: the request is posted once and the call goes
on, without the owner's mention if need be; or it fails naming Slack and the field, and a
retry finds the message it posted instead of posting a second."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from cs_agent.bootstrap.runtime import Runtime
from cs_agent.core.transcripts import parse_transcript
from cs_agent.services import queues
from cs_agent.services.call_retry import retry_call
from cs_agent.services.intake import submit_call
from cs_agent.services.views import load_call_view

from ..emulators.slack import SlackEmulator
from ..slack_env import (
    CHANNEL,
    OWNER,
    draft_row,
    process_example,
    slack_emulator,
    slack_settings,
    texts_of,
)
from .test_local_flow import example_call

POST = "/api/chat.postMessage"


@pytest.fixture
def slack() -> Iterator[SlackEmulator]:
    with slack_emulator() as emulator:
        yield emulator  # type: ignore[misc]


@pytest.fixture
async def runtime(isolated_environment: Path, slack: SlackEmulator) -> AsyncIterator[Runtime]:
    rt = Runtime(slack_settings(isolated_environment, slack))
    await rt.start()
    try:
        yield rt
    finally:
        await rt.stop()


@pytest.mark.parametrize(
    ("shape", "path"),
    [("missing", "user"), ("null", "user"), ("wrong_type", "user.id"), ("missing", "user.id")],
)
async def test_an_odd_user_lookup_posts_the_request_without_the_owner(
    runtime: Runtime, slack: SlackEmulator, shape: str, path: str
) -> None:
    slack.answer_oddly("users.lookupByEmail", path, shape, count=10)
    _call_id, draft_id = await process_example(runtime)

    [message] = slack.top_level(CHANNEL)
    assert "Account owner:" not in texts_of(message) and f"<@{OWNER}>" not in texts_of(message)
    assert slack.oddly_answered, "the look-up was made and answered oddly"
    ref = draft_row(runtime, draft_id).approval_ref
    assert ref["ts"] == message["ts"] and "owner" not in ref


@pytest.mark.parametrize(
    ("shape", "path"), [("missing", "ts"), ("null", "channel"), ("wrong_type", "ts")]
)
async def test_a_post_answered_without_its_ts_is_found_in_the_history(
    runtime: Runtime, slack: SlackEmulator, shape: str, path: str
) -> None:
    slack.answer_oddly("chat.postMessage", path, shape)
    call_id, draft_id = await process_example(runtime)

    [message] = slack.top_level(CHANNEL)
    assert len(slack.requests_to(POST)) == 1
    assert [r.path for r in slack.oddly_answered] == [POST]
    assert draft_row(runtime, draft_id).approval_ref["ts"] == message["ts"]
    view = load_call_view(runtime, call_id)
    assert view is not None and view.status == "awaiting_approval"


async def test_an_odd_post_and_history_fail_the_call_naming_slack_and_retry_posts_once(
    runtime: Runtime, slack: SlackEmulator
) -> None:
    slack.answer_oddly("chat.postMessage", "ts", "missing")
    slack.answer_oddly("conversations.history", "messages", "wrong_type", count=2)
    data, meta = example_call("acme-renewal")
    submission = await submit_call(
        runtime, transcript=parse_transcript(data), metadata=meta, source="test"
    )
    with pytest.raises(Exception, match="slack"):
        await queues.wait_for(submission.workflow_id, timeout=60)
    call = submission.call_id
    failed = load_call_view(runtime, call)
    assert failed is not None and failed.status == "failed"
    assert failed.failure_reason == (
        "slack: chat.postMessage answered an unexpected shape: a field is missing (field ts)"
    )
    assert len(slack.top_level(CHANNEL)) == 1, "Slack did post it"
    assert len(slack.oddly_answered) == 3

    slack.clear_faults()
    workflow_id = await retry_call(runtime, call_id=call, actor="cli:ops")
    draft_id = await queues.wait_for(workflow_id, timeout=60)

    [message] = slack.top_level(CHANNEL)
    assert len(slack.requests_to(POST)) == 1, "found in the history, not posted again"
    assert draft_row(runtime, str(draft_id)).approval_ref["ts"] == message["ts"]
