"""The ``cs-agent`` command as a user runs it: a real process, real files, real exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ..conftest import EXAMPLES, REPO_ROOT


def cs_agent(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cs_agent", *args],
        cwd=cwd or REPO_ROOT,
        env={**os.environ, "COLUMNS": "120"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_process_json_then_approve_writes_one_eml(isolated_environment: Path) -> None:
    result = cs_agent(
        "process",
        str(EXAMPLES / "acme-renewal.vtt"),
        "--metadata",
        str(EXAMPLES / "acme-renewal.meta.json"),
        "--json",
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) >= {"call_id", "analyzer", "summary", "action_items", "draft", "approval"}
    assert data["analyzer"] == "offline-rules"
    assert data["draft"]["status"] == "pending"
    for item in data["action_items"]:
        assert set(item) >= {
            "title",
            "description",
            "owner",
            "due_date",
            "priority",
            "quote",
            "quote_time",
        }
    draft_id = data["draft"]["id"]
    assert data["approval"]["approve"] == f"cs-agent drafts approve {draft_id}"

    approved = cs_agent("drafts", "approve", draft_id[:12])
    assert approved.returncode == 0, approved.stderr
    assert "Sent" in approved.stdout
    again = cs_agent("drafts", "approve", draft_id)
    assert again.returncode == 0
    assert "already approved" in again.stderr
    assert len(list((isolated_environment / "outbox").glob("*.eml"))) == 1


def test_process_prints_items_email_and_where_to_approve(isolated_environment: Path) -> None:
    result = cs_agent(
        "process",
        str(EXAMPLES / "globex-onboarding.srt"),
        "--metadata",
        str(EXAMPLES / "globex-onboarding.meta.json"),
    )
    assert result.returncode == 0, result.stderr
    assert "OFFLINE ANALYZER" in result.stdout
    assert "Action items" in result.stdout
    assert "Follow-up email" in result.stdout
    assert "cs-agent drafts approve draft-" in result.stdout


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"WEBVTT\n\n00:00:01.000 --> 00:00:00.500\nA: hi\n", "line 3"),
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a transcript"),
        (b"Ann: caf\xe9 au lait\n", "UTF-8"),
    ],
)
def test_bad_transcript_is_one_line_naming_file_and_problem(
    tmp_path: Path, content: bytes, expected: str
) -> None:
    path = tmp_path / "call.vtt"
    path.write_bytes(content)
    result = cs_agent("process", str(path))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith(f"error: {path}: ")
    assert expected.lower() in result.stderr.lower()
    assert len(result.stderr.strip().splitlines()) == 1


def test_missing_file_and_bad_metadata_are_clear(tmp_path: Path) -> None:
    missing = cs_agent("process", str(tmp_path / "nope.vtt"))
    assert missing.returncode == 2
    assert "no such file" in missing.stderr
    meta = tmp_path / "meta.json"
    meta.write_text('{"call_date": "not a date"}')
    bad = cs_agent("process", str(EXAMPLES / "acme-renewal.vtt"), "--metadata", str(meta))
    assert bad.returncode == 2
    assert "call_date" in bad.stderr
    assert "Traceback" not in bad.stderr
