"""``cs-agent sources …`` and ``calls list --json`` as a person runs them: real processes,
settings from the environment, a local Gong."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from ..emulators.gong import ACCESS_KEY, ACCESS_KEY_SECRET, GongEmulator
from ..emulators.google_meet import GoogleMeetEmulator
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


@pytest.fixture
def meet(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[GoogleMeetEmulator]:
    with GoogleMeetEmulator() as emulator:
        assert isinstance(emulator, GoogleMeetEmulator)
        token = emulator.token_file(tmp_path / "meet-token.json")
        monkeypatch.setenv("CS_AGENT_MEET_CREDENTIALS", str(token))
        monkeypatch.setenv("CS_AGENT_MEET_API_URL", emulator.url)
        monkeypatch.setenv("CS_AGENT_GOOGLE_CALENDAR_API_URL", f"{emulator.url}/calendar/v3/")
        monkeypatch.setenv("CS_AGENT_WORKSPACE_EVENTS_API_URL", emulator.url)
        monkeypatch.setenv("CS_AGENT_GOOGLE_TOKEN_URL", f"{emulator.url}/token")
        monkeypatch.setenv("CS_AGENT_MEET_PUBSUB_TOPIC", "projects/cs-agent/topics/meet")
        yield emulator


def test_doctor_has_a_row_for_each_configured_source(
    isolated_environment: Path, gong: GongEmulator, meet: GoogleMeetEmulator
) -> None:
    result = cs_agent("doctor", "--json")
    report = json.loads(result.stdout)
    rows = {row["port"]: row for row in report["ports"]}
    assert rows["source:gong"]["ok"], rows["source:gong"]
    assert rows["source:google-meet"]["ok"], rows["source:google-meet"]
    assert gong.requests_to("/v2/users")
    assert [r for r in meet.requests if r.path == "/v2/conferenceRecords"]


def test_doctor_says_how_to_fix_a_refused_gong_key(
    isolated_environment: Path, gong: GongEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CS_AGENT_GONG_ACCESS_KEY_SECRET", "wrong")
    result = cs_agent("doctor", "--json")
    assert result.returncode == 1
    [row] = [r for r in json.loads(result.stdout)["ports"] if r["port"] == "source:gong"]
    assert not row["ok"] and "CS_AGENT_GONG_ACCESS_KEY" in " ".join(row["fixes"])


def test_meet_subscribe_creates_the_subscription_then_renews_it(
    isolated_environment: Path, meet: GoogleMeetEmulator
) -> None:
    first = cs_agent("sources", "meet", "subscribe", "--target", "users/1234", "--json")
    assert first.returncode == 0, first.stderr
    made = json.loads(first.stdout)
    assert made["created"] is True and made["expire_time"]
    assert made["target"] == "//cloudidentity.googleapis.com/users/1234"
    [stored] = meet.subscriptions.values()
    assert stored["eventTypes"] == ["google.workspace.meet.transcript.v2.fileGenerated"]
    assert stored["notificationEndpoint"] == {"pubsubTopic": "projects/cs-agent/topics/meet"}

    again = cs_agent("sources", "meet", "subscribe", "--target", "users/1234")
    assert again.returncode == 0, again.stderr
    assert "renewed" in again.stdout and "expires at" in again.stdout
    assert len(meet.subscriptions) == 1
