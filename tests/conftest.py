"""Shared fixtures: every test runs in its own data directory with no outside credentials.

Nothing here may reach the internet. The model's base URL points at a closed local port, so a
test that would call a real model fails at once instead of quietly spending money.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from cs_agent.config import Settings
from cs_agent.runtime import Runtime

REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = REPO_ROOT / "examples"
CLOSED_PORT_URL = "http://127.0.0.1:9"


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No CS_AGENT_*/ANTHROPIC_* from the developer's shell; state under tmp_path; no real model."""
    for name in list(os.environ):
        if name.startswith(("CS_AGENT_", "ANTHROPIC_", "CLAUDE_")):
            monkeypatch.delenv(name, raising=False)
    data_dir = tmp_path / "data"
    monkeypatch.setenv("CS_AGENT_DATA_DIR", str(data_dir))
    monkeypatch.setenv("ANTHROPIC_BASE_URL", CLOSED_PORT_URL)
    monkeypatch.setenv("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1")
    # The claude CLI keeps its state here instead of the developer's ~/.claude, and a model
    # request that fails is not retried, so a test that reaches for a model fails at once.
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(tmp_path / "claude-config"))
    monkeypatch.setenv("CS_AGENT_MODEL_MAX_RETRIES", "0")
    monkeypatch.setenv("CS_AGENT_ANALYSIS_ATTEMPTS", "1")
    monkeypatch.chdir(tmp_path)  # so no developer .env is read
    return data_dir


@pytest.fixture
def settings(isolated_environment: Path) -> Settings:
    """Default settings: SQLite in the test's data directory, every port on its local adapter."""
    return Settings(_env_file=None, data_dir=isolated_environment)  # type: ignore[call-arg]


@pytest.fixture
async def runtime(settings: Settings) -> AsyncIterator[Runtime]:
    """A started runtime (DBOS launched, queues registered) on the default settings."""
    rt = Runtime(settings)
    await rt.start()
    try:
        yield rt
    finally:
        await rt.stop()
