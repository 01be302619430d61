"""The data folder and its databases are private to the user who runs cs-agent."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

from ..conftest import EXAMPLES, REPO_ROOT


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def process_example(data: Path, home: Path) -> None:
    """``cs-agent process`` on an example call, as a user with the common umask 022."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CS_AGENT_", "ANTHROPIC_"))}
    env.update(HOME=str(home), CS_AGENT_DATA_DIR=str(data), NO_COLOR="1")
    result = subprocess.run(
        [sys.executable, "-m", "cs_agent", "process", str(EXAMPLES / "initech-escalation.txt")],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        preexec_fn=lambda: os.umask(0o022),
    )
    assert result.returncode == 0, result.stderr


def test_a_new_data_folder_is_0700_and_its_files_0600(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    data = tmp_path / "nested" / "data"
    process_example(data, home)

    assert mode(data) == 0o700
    databases = [data / "cs-agent.db", data / "workflows.db"]
    for database in databases:
        assert mode(database) == 0o600, database
    # SQLite's WAL companions take the database's mode; whatever is left in the folder is private.
    for path in data.rglob("*"):
        if path.is_file():
            assert mode(path) & 0o077 == 0, f"{path} is {oct(mode(path))}"
    with sqlite3.connect(databases[0]) as db:
        assert db.execute("select count(*) from calls").fetchone()[0] == 1


def test_databases_left_readable_by_an_earlier_version_are_tightened(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    for name in ("cs-agent.db", "workflows.db"):
        (data / name).touch()
        (data / name).chmod(0o644)

    process_example(data, home)

    assert mode(data) == 0o700
    assert mode(data / "cs-agent.db") == 0o600
    assert mode(data / "workflows.db") == 0o600
