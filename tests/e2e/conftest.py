"""Fixtures of the deployment tests: emulators for every service, and the environment of a cluster."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from cs_agent.config import Settings
from cs_agent.runtime import Runtime

from ..emulators.gmail import GmailEmulator
from ..emulators.linear import API_KEY, LinearEmulator
from ..emulators.slack import SlackEmulator
from ..mailers import SENDER, GmailSetup
from ..slack_env import APPROVER, CHANNEL, SIGNING_SECRET, slack_emulator
from .cluster import cluster_env


@pytest.fixture
def gmail(tmp_path: Path) -> Iterator[GmailSetup]:
    emulator = GmailEmulator().start()
    emulator.mailbox(SENDER)
    try:
        yield GmailSetup(emulator, emulator.authorized_user_file(tmp_path / "token.json", SENDER))
    finally:
        emulator.stop()


@pytest.fixture
def slack() -> Iterator[SlackEmulator]:
    emulator = slack_emulator().start()
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture
def env(
    pg_url: str,
    tmp_path: Path,
    linear_emulator: LinearEmulator,
    gmail: GmailSetup,
    slack: SlackEmulator,
) -> dict[str, str]:
    environment = cluster_env(
        database_url=pg_url,
        data_dir=tmp_path / "data",
        linear_api_key=API_KEY,
        linear_api_url=linear_emulator.graphql_url,
        linear_team="CS",
    )
    environment.update(gmail.env())
    environment.update(
        {
            "CS_AGENT_SLACK_BOT_TOKEN": slack.bot_token,
            "CS_AGENT_SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "CS_AGENT_SLACK_API_URL": slack.api_url,
            "CS_AGENT_SLACK_CHANNEL": CHANNEL,
            "CS_AGENT_SLACK_APPROVERS": APPROVER,
        }
    )
    return environment


@pytest.fixture
async def api(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Runtime]:
    """The test's own API-only runtime on the cluster's database: it submits and approves."""
    for key, value in env.items():
        if key.startswith("CS_AGENT_"):
            monkeypatch.setenv(key, value)
    runtime = Runtime(Settings(_env_file=None))  # type: ignore[call-arg]
    await runtime.start(run_workflows=False)
    try:
        yield runtime
    finally:
        await runtime.stop()
