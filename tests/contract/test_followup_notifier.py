"""The FollowUpNotifier contract: every approval channel (local, Slack) says a call ended with
no draft, once, even when the step runs again after a crash."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from cs_agent.bootstrap.runtime import Runtime
from cs_agent.config import Settings
from cs_agent.core.followup import FollowUpPolicy
from cs_agent.core.ports import FollowUpNotifier
from cs_agent.services.followup_policy import load_notice

from ..emulators.slack import SlackEmulator
from ..slack_env import CHANNEL, process_example, slack_emulator, slack_settings

NONE_FOR_ACME = {"followup_policy_overrides": {"acme freight": FollowUpPolicy.NONE}}


@pytest.fixture
def slack() -> Iterator[SlackEmulator]:
    with slack_emulator() as emulator:
        yield emulator  # type: ignore[misc]


@pytest.fixture(params=["local", "slack"])
async def runtime(
    request: pytest.FixtureRequest, isolated_environment: Path, slack: SlackEmulator
) -> AsyncIterator[Runtime]:
    if request.param == "slack":
        settings = slack_settings(isolated_environment, slack, **NONE_FOR_ACME)
    else:
        settings = Settings(_env_file=None, data_dir=isolated_environment, **NONE_FOR_ACME)  # type: ignore[call-arg]
    rt = Runtime(settings)
    await rt.start()
    try:
        yield rt
    finally:
        await rt.stop()


def notices_in_slack(slack: SlackEmulator, call_id: str) -> int:
    return sum(
        1
        for m in slack.top_level(CHANNEL)
        if (m.get("metadata") or {}).get("event_payload", {}).get("call_id") == call_id
    )


async def test_a_notice_is_shown_once_however_often_or_after_a_lost_ref(
    runtime: Runtime, slack: SlackEmulator
) -> None:
    channel = runtime.adapters.approvals
    assert isinstance(channel, FollowUpNotifier)
    call_id, draft_id = await process_example(runtime)
    assert draft_id == ""
    notice = load_notice(runtime, call_id)
    stored = notice.ref
    assert stored and stored["channel"] == channel.name
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in stored.items())

    assert await channel.notify_no_draft(notice) == stored
    assert await channel.notify_no_draft(notice.model_copy(update={"ref": {}})) == stored
    if channel.name == "slack":
        assert notices_in_slack(slack, call_id) == 1
