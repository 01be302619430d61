"""Shared fixtures: every test runs in its own data directory with no outside credentials.

Nothing here may reach the internet. The model's base URL points at a closed local port, so a
test that would call a real model fails at once instead of quietly spending money.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from cs_agent.bootstrap.runtime import Runtime
from cs_agent.config import Settings

from .emulators.linear import API_KEY as LINEAR_API_KEY
from .emulators.linear import LinearEmulator, seed

REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = REPO_ROOT / "examples"
CLOSED_PORT_URL = "http://127.0.0.1:9"
LINEAR_PEOPLE = [("Dana Reyes", "dana@ours.example"), ("Sam Ortiz", "sam@ours.example")]


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


PG_ADMIN_URL = os.environ.get(
    "CS_AGENT_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def _pg_admin() -> Any:
    import psycopg

    return psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards.

    PostgreSQL must be running (CI starts it); a test that needs it fails loudly otherwise.
    """
    name = f"cs_agent_test_{uuid.uuid4().hex[:12]}"
    with _pg_admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with _pg_admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- Linear ------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def linear_server() -> Iterator[LinearEmulator]:
    """One Linear emulator for the whole run (it builds Linear's schema once)."""
    emulator = LinearEmulator().start()
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture
def linear_emulator(linear_server: LinearEmulator) -> LinearEmulator:
    """The Linear emulator, emptied, with team CS and two of our people as members."""
    linear_server.reset()
    seed(linear_server, team="CS", people=LINEAR_PEOPLE)
    return linear_server


@pytest.fixture
def linear_settings(settings: Settings, linear_emulator: LinearEmulator) -> Settings:
    """Settings that switch the tracker port to Linear, pointed at the emulator."""
    return settings.model_copy(
        update={
            "linear_api_key": SecretStr(LINEAR_API_KEY),
            "linear_api_url": linear_emulator.graphql_url,
            "linear_team": "CS",
            "linear_assignees": {"Sam": "sam@ours.example"},
            "linear_timeout_seconds": 5.0,
        }
    )
