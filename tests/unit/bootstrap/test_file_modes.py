"""The data dir and the SQLite databases are private to the user the service runs as."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from cs_agent.bootstrap.runtime import private_files
from cs_agent.config import Settings
from storage.db import make_engine, migrate


def test_data_dir_is_0700_and_databases_0600(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Created before SQLite would create them 0644, and still so after migrating."""
    monkeypatch.delenv("CS_AGENT_DATABASE_URL", raising=False)
    monkeypatch.setenv("CS_AGENT_DATA_DIR", str(tmp_path / "data"))
    settings = Settings(_env_file=None)
    private_files(settings)
    engine = make_engine(settings.app_database_url)
    migrate(engine)
    engine.dispose()
    data_dir = tmp_path / "data"
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    for name in ("cs-agent.db", "workflows.db"):
        assert stat.S_IMODE((data_dir / name).stat().st_mode) == 0o600
