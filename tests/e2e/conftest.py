"""Fixtures of the deployment tests: emulators for every service, and the environment of a cluster."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from cs_agent.bootstrap.runtime import Runtime
from cs_agent.config import Settings

from ..emulators.anthropic import AnthropicEmulator
from ..emulators.gmail import GmailEmulator
from ..emulators.linear import API_KEY, LinearEmulator
from ..emulators.slack import SlackEmulator
from ..mailers import SENDER, GmailSetup
from ..slack_env import slack_emulator, slack_env
from .cluster import cluster_env


@pytest.fixture
def gmail(tmp_path: Path) -> Iterator[GmailSetup]:
    emulator = GmailEmulator().start()
    emulator.mailbox(SENDER)
    try:
        yield GmailSetup(emulator, emulator.authorized_user_file(tmp_path / "token.json", SENDER))
    finally:
        emulator.stop()


@pytest.fixture(scope="module")
def model_api() -> Iterator[AnthropicEmulator]:
    """The model emulator, one a test module: each test takes it through ``model``."""
    emulator = AnthropicEmulator().start()
    yield emulator
    emulator.stop()


@pytest.fixture
def model(model_api: AnthropicEmulator) -> AnthropicEmulator:
    """The model emulator, with no scripts, faults or records left from another test."""
    model_api.reset()
    return model_api


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
    environment.update(slack_env(slack))
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
