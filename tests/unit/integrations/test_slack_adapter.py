"""The Slack adapter against the Web API emulator: errors, approvers, channels, doctor."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterator
from typing import cast

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from cs_agent.core.domain import ApprovalRequest, TrackerCustomer
from cs_agent.core.errors import RateLimited, RejectedInput, Unauthorized, Unavailable
from integrations.slack.channel import SlackApprovalChannel, SlackConfig

from ...emulators.base import Fault
from ...emulators.slack import SlackEmulator
from ...slack_env import a_request


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


async def _posted_request(slack: SlackEmulator, channel: SlackApprovalChannel) -> ApprovalRequest:
    request = a_request()
    ref = await channel.request_approval(request)
    return request.model_copy(
        update={"draft": request.draft.model_copy(update={"approval_ref": ref})}
    )


def _reminders(slack: SlackEmulator, request: ApprovalRequest) -> list[object]:
    return [
        (m.get("metadata") or {}).get("event_payload", {}).get("reminder")
        for m in slack.replies("C0APPROVALS", request.draft.approval_ref["ts"])
    ]


async def test_a_reminder_carries_metadata_and_is_posted_once_per_number(
    slack: SlackEmulator,
) -> None:
    channel = adapter(slack)
    request = await _posted_request(slack, channel)
    waited = dt.timedelta(hours=25)
    await channel.remind(request, waited=waited)
    await channel.remind(request, waited=waited)  # run again, as after a crash
    await channel.remind(request, waited=waited, number=2)
    (first, second) = slack.replies("C0APPROVALS", request.draft.approval_ref["ts"])
    assert first["metadata"] == {
        "event_type": "cs_agent_reminder",
        "event_payload": {"draft_id": request.draft.id, "reminder": 1},
    }
    assert second["metadata"]["event_payload"]["reminder"] == 2
    assert len(slack.requests_to("/api/conversations.replies")) == 3


@pytest.mark.parametrize(
    "fault",
    [
        Fault(200, {"ok": False, "error": "missing_scope", "needed": "channels:history"}),
        Fault(200, {"ok": True, "messages": "not a list"}),
        Fault(200, {"ok": True}),
        Fault(503, "<html>upstream down</html>"),
    ],
    ids=["missing_scope", "odd-messages", "no-messages", "http-503"],
)
async def test_a_thread_that_cannot_be_read_still_gets_its_reminder(
    slack: SlackEmulator, fault: Fault, caplog: pytest.LogCaptureFixture
) -> None:
    channel = adapter(slack)
    request = await _posted_request(slack, channel)
    await channel.remind(request, waited=dt.timedelta(hours=25))  # already in the thread …
    slack.fail_next(1, fault, when=lambda r: r.path == "/api/conversations.replies")
    with caplog.at_level(logging.WARNING):
        await channel.remind(request, waited=dt.timedelta(hours=25))
    assert _reminders(slack, request) == [1, 1], "… but unseen: a duplicate beats none"
    assert "cannot read the thread" in caplog.text


async def test_without_the_history_scope_the_reminder_is_posted_and_logged(
    slack: SlackEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    channel = adapter(slack)
    request = await _posted_request(slack, channel)
    slack.scopes = "chat:write"
    with caplog.at_level(logging.WARNING):
        await channel.remind(request, waited=dt.timedelta(hours=25))
    assert _reminders(slack, request) == [1]
    assert "channels:history" in caplog.text


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("subject", "Renewal " * 400, "Subject"),
        ("cc", [f"person{n}.with.a.long.name@acmefreight.example" for n in range(80)], "Cc"),
    ],
    ids=["subject", "cc"],
)
async def test_a_to_cc_or_subject_too_long_for_a_slack_form_is_sent_to_the_web_inbox(
    slack: SlackEmulator, field: str, value: object, named: str
) -> None:
    draft = a_request(**{field: value}).draft
    await adapter(slack).open_edit_modal("trigger-1", draft, channel_id="C0APPROVALS")
    (view,) = slack.views  # Slack took it (an input over 3,000 characters it refuses)
    assert not [b for b in view["blocks"] if b["type"] == "input"], "nothing to save cut"
    assert "submit" not in view
    text = json.dumps(view["blocks"])
    assert named in text and "web inbox" in text
    assert "/inbox/calls/call-1" in text


async def test_the_trackers_customer_record_gives_the_owner_and_a_channel_of_last_resort() -> None:
    with SlackEmulator(
        channels=("C0APPROVALS", "C0ACMEOWN"), users={"dana@ours.example": "U0DANA"}
    ) as emulator:
        slack = cast(SlackEmulator, emulator)
        known = TrackerCustomer(
            id="cust-1",
            name="Acme & Sons",
            owner_name="Dana Reyes",
            owner_email="dana@ours.example",
            slack_channel_id="C0ACMEOWN",
            url="https://linear.app/example/customers/acme",
        )
        request = a_request().model_copy(update={"tracker_customer": known})
        # No channel configured at all: the customer's own channel, from its record.
        unconfigured = SlackApprovalChannel(
            AsyncWebClient(token=slack.bot_token, base_url=slack.api_url),
            config=SlackConfig(),
            load_request=lambda draft_id: request,
        )
        ref = await unconfigured.request_approval(request)
        assert ref["slack_channel"] == "C0ACMEOWN" and ref["owner"] == "U0DANA"
        (message,) = slack.top_level("C0ACMEOWN")
        blocks = json.dumps(message["blocks"])
        assert "Account owner: <@U0DANA>" in blocks
        assert "https://linear.app/example/customers/acme" in blocks
        # A configured channel still wins over the record's.
        configured = adapter(slack)
        other = request.model_copy(
            update={"draft": request.draft.model_copy(update={"id": "draft-2"})}
        )
        assert (await configured.request_approval(other))["slack_channel"] == "C0APPROVALS"


async def test_a_customer_the_tracker_does_not_know_is_said_in_the_message(
    slack: SlackEmulator,
) -> None:
    note = "Acme & Sons is not a customer in Linear <!channel>"
    request = a_request().model_copy(update={"tracker_customer_note": note})
    await adapter(slack).request_approval(request)
    (message,) = slack.top_level("C0APPROVALS")
    blocks = json.dumps(message["blocks"])
    assert "is not a customer in Linear" in blocks
    assert "<!channel>" not in blocks
