"""Slack pieces on their own: request signing, Block Kit limits, error mapping, settings."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from pydantic import ValidationError
from slack_sdk.signature import SignatureVerifier

from cs_agent.bootstrap.adapters import choose_approvals
from cs_agent.config import Settings
from cs_agent.core.domain import DraftStatus
from cs_agent.core.slack_ids import read_edit_submission
from integrations.slack.blocks import approval_message, edit_modal
from integrations.slack.text import INPUT_TEXT, MAX_BLOCKS, SECTION_TEXT, cut, cut_escaped
from storage.db import make_engine

from ...conftest import REPO_ROOT
from ...emulators.slack import sign
from ...slack_env import a_request

FIXTURES = REPO_ROOT / "tests" / "fixtures" / "slack"


# --- signing ----------------------------------------------------------------------------------------


def test_our_signer_reproduces_slacks_published_vector() -> None:
    vector = json.loads((FIXTURES / "signature_test_vector.json").read_text())
    body = vector["raw_body"].encode()
    signature = sign(vector["signing_secret"], vector["X-Slack-Request-Timestamp"], body)
    assert signature == vector["expected_X-Slack-Signature"]


@pytest.mark.parametrize(
    ("clock_offset", "tamper", "valid"),
    [(0, False, True), (300, False, True), (301, False, False), (0, True, False)],
    ids=["now", "at-5-minutes", "past-5-minutes", "body-altered"],
)
def test_the_verifier_bolt_uses_agrees_with_our_signer(
    clock_offset: int, tamper: bool, valid: bool
) -> None:
    vector = json.loads((FIXTURES / "signature_test_vector.json").read_text())
    stamp = vector["X-Slack-Request-Timestamp"]
    body = vector["raw_body"].encode()
    verifier = SignatureVerifier(vector["signing_secret"], clock=_Clock(int(stamp) + clock_offset))
    signature = sign(vector["signing_secret"], stamp, body)
    sent = body + b"&x=1" if tamper else body
    assert verifier.is_valid(sent, stamp, signature) is valid


class _Clock:
    def __init__(self, now: int) -> None:
        self._now = now

    def now(self) -> float:
        return float(self._now)


# --- Block Kit ---------------------------------------------------------------------------------------


def _texts(blocks: list[dict[str, object]]) -> list[str]:
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn" and isinstance(node.get("text"), str):
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(blocks)
    return found


@pytest.mark.parametrize("items", [0, 1, 25, 200])
def test_any_number_of_items_gives_a_message_within_slacks_limits(items: int) -> None:
    _text, blocks = approval_message(a_request(items=items, body="word " * 5000))
    assert len(blocks) <= MAX_BLOCKS
    for block in blocks:
        text = block.get("text")
        if isinstance(text, dict):
            assert len(text["text"]) <= SECTION_TEXT
    listed = "\n".join(_texts(blocks))
    if items >= 25:
        assert "CS-24" in listed or "more: open the call" in listed
    if items == 200:
        assert "more: open the call" in listed
    if items:
        assert "already open" in listed, "an item that matched an open issue is marked"


def test_text_from_the_call_cannot_ping_or_inject_links() -> None:
    _text, blocks = approval_message(a_request())
    for text in _texts(blocks):
        assert "<!channel>" not in text and "<@U0EVIL>" not in text
    assert any("&lt;!channel&gt;" in t for t in _texts(blocks))
    assert any("Acme &amp; Sons" in str(b) or "Acme & Sons" in str(b) for b in blocks)


def test_a_decided_draft_has_no_buttons_and_says_who_and_when() -> None:
    when = dt.datetime(2026, 11, 11, 9, 30, tzinfo=dt.UTC)
    _text, blocks = approval_message(
        a_request(
            status=DraftStatus.REJECTED,
            decided_by="slack:U0APPROVER1",
            decided_at=when,
            reject_reason="Wrong <price>",
        )
    )
    assert not [b for b in blocks if b["type"] == "actions"]
    (status,) = [t for t in _texts(blocks) if "Rejected" in t]
    assert "<@U0APPROVER1>" in status and "2026-11-11 09:30 UTC" in status
    assert "Wrong &lt;price&gt;" in status


def test_cut_ends_cleanly_and_stays_within_the_limit() -> None:
    text = "First paragraph here.\n\nSecond paragraph that is rather long and goes on and on."
    assert cut(text, 30) == "First paragraph here.…"
    assert cut(text, 40) == "First paragraph here.\n\nSecond…", "else at a word"
    assert cut("short", 40) == "short"
    assert cut("a" * 100, 10) == "a" * 9 + "…"
    escaped = cut_escaped("<" * 100, 50)
    assert len(escaped) <= 50 and escaped.endswith("&lt;…")


def test_the_edit_modal_round_trips_and_keeps_a_body_too_long_for_slack() -> None:
    draft = a_request().draft
    view = edit_modal(draft, channel_id="C0APPROVALS")
    inputs = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    assert set(inputs) == {"to", "cc", "subject", "body"}
    assert inputs["body"]["initial_value"] == draft.body

    long_draft = a_request(body="x" * (INPUT_TEXT + 1)).draft
    long_view = edit_modal(long_draft, channel_id="C0APPROVALS")
    assert "body" not in {b.get("block_id") for b in long_view["blocks"]}
    submitted = {
        **long_view,
        "state": {
            "values": {
                "to": {"value": {"value": "a@b.example; c@d.example"}},
                "subject": {"value": {"value": " New "}},
            }
        },
    }
    edited = read_edit_submission(submitted)
    assert edited.to == ["a@b.example", "c@d.example"] and edited.subject == "New"
    assert edited.body is None, "the long body is kept, not replaced"


# --- settings and wiring -----------------------------------------------------------------------------


def test_slack_settings_read_maps_and_insist_on_ids(
    monkeypatch: pytest.MonkeyPatch, isolated_environment: Path
) -> None:
    monkeypatch.setenv(
        "CS_AGENT_SLACK_CUSTOMER_CHANNELS", "Acme Freight=C0ACME, globex.example=G0GLOBEX"
    )
    monkeypatch.setenv("CS_AGENT_SLACK_APPROVERS", "U0ONE, W0TWO")
    monkeypatch.setenv("CS_AGENT_SLACK_ACCOUNT_OWNERS", "Acme Freight=dana@ours.example")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.slack_customer_channels == {
        "acme freight": "C0ACME",
        "globex.example": "G0GLOBEX",
    }
    assert settings.slack_approvers == ["U0ONE", "W0TWO"]
    assert settings.slack_account_owners == {"acme freight": "dana@ours.example"}

    monkeypatch.setenv("CS_AGENT_SLACK_CHANNEL", "#cs-approvals")
    with pytest.raises(ValidationError, match="expected a channel ID like C0123ABCDEF"):
        Settings(_env_file=None)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("values", "adapter_name", "reason"),
    [
        ({}, "local", "no CS_AGENT_SLACK_BOT_TOKEN"),
        ({"slack_bot_token": "xoxb-1"}, "local", "no CS_AGENT_SLACK_SIGNING_SECRET"),
        ({"slack_bot_token": "xoxb-1", "slack_signing_secret": "s"}, "slack", "POST /slack/events"),
        (
            {"slack_bot_token": "xoxb-1", "slack_socket_mode": True},
            "local",
            "CS_AGENT_SLACK_APP_TOKEN",
        ),
        (
            {"slack_bot_token": "xoxb-1", "slack_socket_mode": True, "slack_app_token": "xapp-1"},
            "slack",
            "Socket Mode",
        ),
    ],
    ids=["nothing", "no-secret", "http", "socket-no-app-token", "socket"],
)
def test_slack_is_chosen_only_when_it_can_verify_clicks(
    isolated_environment: Path, values: dict[str, object], adapter_name: str, reason: str
) -> None:
    settings = Settings(_env_file=None, data_dir=isolated_environment, **values)  # type: ignore[arg-type]
    engine = make_engine(settings.app_database_url)
    try:
        channel, choice = choose_approvals(settings, engine)
    finally:
        engine.dispose()
    assert channel.name == choice.adapter == adapter_name
    assert reason in choice.reason
