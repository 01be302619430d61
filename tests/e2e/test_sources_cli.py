"""``cs-agent sources …`` and ``calls list --json`` as a person runs them: real processes,
settings from the environment, a local Gong."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from ..emulators.gong import ACCESS_KEY, ACCESS_KEY_SECRET, GongEmulator
from ..emulators.meetings import example_call
from .test_cli import cs_agent


@pytest.fixture
def gong(monkeypatch: pytest.MonkeyPatch) -> Iterator[GongEmulator]:
    with GongEmulator() as emulator:
        assert isinstance(emulator, GongEmulator)
        monkeypatch.setenv("CS_AGENT_GONG_ACCESS_KEY", ACCESS_KEY)
        monkeypatch.setenv("CS_AGENT_GONG_ACCESS_KEY_SECRET", ACCESS_KEY_SECRET)
        monkeypatch.setenv("CS_AGENT_GONG_API_URL", emulator.url)
        yield emulator


def test_sources_help_lists_meet_and_gong() -> None:
    result = cs_agent("sources", "--help")
    assert result.returncode == 0, result.stderr
    assert "meet" in result.stdout and "gong" in result.stdout


def test_gong_poll_takes_in_calls_once_and_calls_list_shows_them(
    isolated_environment: Path, gong: GongEmulator
) -> None:
    gong.add_call("9001", example_call(lines=8))
    first = cs_agent("sources", "gong", "poll", "--since", "2026-01-01", "--json")
    assert first.returncode == 0, first.stderr
    polled = json.loads(first.stdout)
    assert [(c["source_id"], c["new"]) for c in polled["calls"]] == [("9001", True)]

    again = cs_agent("sources", "gong", "poll", "--since", "2026-01-01", "--json")
    assert [c["new"] for c in json.loads(again.stdout)["calls"]] == [False]
    assert len(gong.requests_to("/v2/calls/transcript")) == 1

    upload = cs_agent("process", str(Path(__file__).parents[2] / "examples" / "acme-renewal.vtt"))
    assert upload.returncode == 0, upload.stderr
    listing = cs_agent("calls", "list", "--json")
    assert listing.returncode == 0, listing.stderr
    calls = json.loads(listing.stdout)["calls"]
    assert sorted(c["source"] for c in calls) == ["cli", "gong"]
    [from_gong] = [c for c in calls if c["source"] == "gong"]
    assert (
        from_gong["source_id"] == "9001" and from_gong["call_id"] == polled["calls"][0]["call_id"]
    )


def test_a_refused_gong_key_is_a_clear_error(
    isolated_environment: Path, gong: GongEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CS_AGENT_GONG_ACCESS_KEY_SECRET", "wrong")
    result = cs_agent("sources", "gong", "poll")
    assert result.returncode != 0
    assert "CS_AGENT_GONG_ACCESS_KEY" in result.stderr


def test_gong_poll_without_gong_settings_says_what_to_set(isolated_environment: Path) -> None:
    result = cs_agent("sources", "gong", "poll")
    assert result.returncode != 0
    assert "gong" in result.stderr and "docs/gong.md" in result.stderr
