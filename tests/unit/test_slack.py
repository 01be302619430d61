"""Slack pieces on their own: request signing, Block Kit limits, error mapping, settings."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest
from pydantic import ValidationError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from cs_agent.config import Settings
from cs_agent.domain import (
    ActionItem,
    ApprovalRequest,
    CallSummary,
    Customer,
    DraftStatus,
    FollowUpDraft,
    IssueRef,
)
from cs_agent.wiring import choose_approvals
from integrations.errors import RateLimited, RejectedInput, Unauthorized, Unavailable
from integrations.slack import SlackApprovalChannel, SlackConfig
from integrations.slack_blocks import (
    INPUT_TEXT,
    MAX_BLOCKS,
    SECTION_TEXT,
    approval_message,
    cut,
    cut_escaped,
    edit_modal,
    read_edit_submission,
)
from storage.db import make_engine

from ..conftest import REPO_ROOT
from ..emulators.base import Fault
from ..emulators.slack import SlackEmulator, sign

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


def a_request(
    *, items: int = 3, body: str = "Hi,\n\nThanks for the call.\n", **draft: object
) -> ApprovalRequest:
    values: dict[str, object] = {
        "id": "draft-1",
        "call_id": "call-1",
        "version": 1,
        "status": DraftStatus.PENDING,
        "subject": "Next steps",
        "body": body,
        "to": ["priya@acmefreight.example"],
        "cc": [],
        **draft,
    }
    return ApprovalRequest(
        draft=FollowUpDraft.model_validate(values),
        call_id="call-1",
        call_title="Renewal <!channel>",
        call_date=dt.date(2026, 11, 10),
        customer=Customer(name="Acme & Sons", domain="acme.example"),
        summary=CallSummary(text="Went well. " * 500, risks=["<@U0EVIL> pricing"]),
        action_items=[ActionItem(title=f"Task {n} " + "x" * 250, quote="q") for n in range(items)],
        issues=[
            IssueRef(
                tracker="linear",
                id=str(n),
                identifier=f"CS-{n}",
                title="t",
                url=f"https://l.example/CS-{n}",
                existing=n == 0,
            )
            for n in range(items)
        ],
        analyzer="claude",
    )


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


# --- the adapter against the emulator ----------------------------------------------------------


@pytest.fixture
def slack() -> Iterator[SlackEmulator]:
    with SlackEmulator(channels=("C0APPROVALS",), usergroups={"S0GROUP": ["U0MEMBER"]}) as emulator:
        yield emulator  # type: ignore[misc]


def adapter(
    slack: SlackEmulator, *, token: str | None = None, **config: object
) -> SlackApprovalChannel:
    def no_loader(draft_id: str) -> ApprovalRequest:
        raise AssertionError("not used")

    return SlackApprovalChannel(
        AsyncWebClient(token=token or slack.bot_token, base_url=slack.api_url),
        config=SlackConfig(default_channel="C0APPROVALS", **config),  # type: ignore[arg-type]
        load_request=no_loader,
    )


@pytest.mark.parametrize(
    ("fault", "kind"),
    [
        (Fault(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "7"}), RateLimited),
        (Fault(503, "<html>upstream down</html>"), Unavailable),
        (Fault(200, {"ok": False, "error": "internal_error"}), Unavailable),
        (Fault(200, {"ok": False, "error": "missing_scope", "needed": "chat:write"}), Unauthorized),
        (Fault(200, {"ok": False, "error": "is_archived"}), RejectedInput),
    ],
    ids=["ratelimited", "http-503", "internal_error", "missing_scope", "is_archived"],
)
async def test_slack_errors_map_to_the_shared_taxonomy(
    slack: SlackEmulator, fault: Fault, kind: type[Exception]
) -> None:
    slack.fail_next(1, fault, when=lambda r: r.path == "/api/chat.postMessage")
    with pytest.raises(kind) as raised:
        await adapter(slack).request_approval(a_request())
    if isinstance(raised.value, RateLimited):
        assert raised.value.retry_after == 7.0
    if isinstance(raised.value, Unauthorized):
        assert "chat:write" in str(raised.value)


async def test_a_wrong_token_is_unauthorized(slack: SlackEmulator) -> None:
    with pytest.raises(Unauthorized, match="invalid_auth"):
        await adapter(slack, token="xoxb-wrong").request_approval(a_request())


async def test_approvers_are_listed_users_or_members_of_the_group(slack: SlackEmulator) -> None:
    channel = adapter(slack, approvers=frozenset({"U0LISTED"}), approver_group="S0GROUP")
    assert await channel.is_approver("U0LISTED")
    assert await channel.is_approver("U0MEMBER")
    assert not await channel.is_approver("U0STRANGER")
    assert await channel.is_approver("U0MEMBER")
    assert len(slack.requests_to("/api/usergroups.users.list")) == 1, "membership is cached"
    assert not await adapter(slack).is_approver("U0LISTED"), "nobody configured: nobody approves"


async def test_doctor_reports_missing_scopes_and_configuration(slack: SlackEmulator) -> None:
    slack.scopes = "chat:write"
    results = await adapter(slack).check()
    failed = {r.detail: r.fix for r in results if not r.ok}
    assert any("channels:history" in detail for detail in failed)
    assert "nobody may approve" in failed
    assert all(fix for fix in failed.values()), "every failure says what to do"


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


async def test_a_mapped_customer_goes_to_its_own_channel_and_mentions_its_owner() -> None:
    with SlackEmulator(
        channels=("C0APPROVALS", "C0ACME"), users={"owner@ours.example": "U0OWNER"}
    ) as emulator:
        slack = cast(SlackEmulator, emulator)
        channel = adapter(
            slack,
            customer_channels={"acme.example": "C0ACME"},
            account_owners={"acme & sons": "owner@ours.example"},
        )
        ref = await channel.request_approval(a_request())
        assert ref["slack_channel"] == "C0ACME" and ref["owner"] == "U0OWNER"
        (message,) = slack.top_level("C0ACME")
        assert "Account owner: <@U0OWNER>" in json.dumps(message["blocks"])
        assert slack.top_level("C0APPROVALS") == []


async def test_no_channel_for_a_customer_is_a_clear_error(slack: SlackEmulator) -> None:
    channel = SlackApprovalChannel(
        AsyncWebClient(token=slack.bot_token, base_url=slack.api_url),
        config=SlackConfig(),
        load_request=lambda draft_id: a_request(),
    )
    with pytest.raises(RejectedInput, match="CS_AGENT_SLACK_CHANNEL"):
        await channel.request_approval(a_request())
    assert slack.requests_to("/api/chat.postMessage") == []
