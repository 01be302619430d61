"""Follow-up policies in Slack: the policy on the request, the message of a call with no
draft, and Draft one anyway through the real listener (approvers only, once per call)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from cs_agent.api.app import create_app
from cs_agent.bootstrap.runtime import Runtime
from cs_agent.core.domain import DraftStatus
from cs_agent.core.followup import FollowUpPolicy
from cs_agent.core.slack_ids import APPROVE, DRAFT_ANYWAY, EDIT, REJECT
from cs_agent.core.transcripts import parse_transcript
from cs_agent.services import mailbox_drafts, queues
from cs_agent.services.intake import submit_call
from integrations.gmail.auth import DRAFT_SCOPES
from storage import repo
from storage.db import session_scope

from ..emulators.gmail import GmailEmulator
from ..emulators.slack import SlackEmulator
from ..mailers import SENDER, GmailSetup
from ..slack_env import (
    APPROVER,
    CHANNEL,
    OUTSIDER,
    actions_of,
    audit_actions,
    eventually,
    post_signed,
    process_example,
    slack_emulator,
    slack_settings,
    texts_of,
)
from .followup_calls import internal_call


@pytest.fixture
def slack() -> Iterator[SlackEmulator]:
    with slack_emulator() as emulator:
        yield emulator  # type: ignore[misc]


@pytest.fixture
def policy_settings() -> dict[str, Any]:
    return {}


@pytest.fixture
async def runtime(
    isolated_environment: Path, slack: SlackEmulator, policy_settings: dict[str, Any]
) -> AsyncIterator[Runtime]:
    rt = Runtime(slack_settings(isolated_environment, slack, **policy_settings))
    await rt.start()
    try:
        yield rt
    finally:
        await rt.stop()


@pytest.fixture
async def client(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(runtime.settings, runtime=runtime)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


async def internal_sync(runtime: Runtime) -> str:
    data, meta = internal_call()
    submission = await submit_call(
        runtime, transcript=parse_transcript(data), metadata=meta, source="test"
    )
    await queues.wait_for(submission.workflow_id, timeout=60)
    return submission.call_id


def drafts_of(runtime: Runtime, call_id: str) -> list[Any]:
    with session_scope(runtime.engine) as session:
        row = repo.get_draft_for_call(session, call_id=call_id)
        return [row] if row else []


async def test_the_request_shows_the_policy_and_where_it_came_from(
    runtime: Runtime, slack: SlackEmulator
) -> None:
    await process_example(runtime)
    (message,) = slack.top_level(CHANNEL)
    assert "Follow-up policy: *approval* (default)" in texts_of(message)
    assert actions_of(message) == [APPROVE, EDIT, REJECT]


@pytest.mark.parametrize(
    "policy_settings",
    [{"followup_policy_overrides": {"acmefreight.example": FollowUpPolicy.NONE}}],
)
async def test_policy_none_says_so_with_no_buttons(runtime: Runtime, slack: SlackEmulator) -> None:
    call_id, draft_id = await process_example(runtime)
    assert draft_id == ""
    (message,) = slack.top_level(CHANNEL)
    text = texts_of(message)
    assert "No follow-up email: the follow-up policy for this customer is *none*" in text
    assert "override domain acmefreight.example" in text
    assert actions_of(message) == []
    assert message["metadata"]["event_payload"]["call_id"] == call_id
    assert drafts_of(runtime, call_id) == []


async def test_no_followup_needed_then_draft_one_anyway_once(
    runtime: Runtime, slack: SlackEmulator, client: httpx.AsyncClient
) -> None:
    call_id = await internal_sync(runtime)
    (message,) = slack.top_level(CHANNEL)
    text = texts_of(message)
    assert "No follow-up needed:* nobody from the customer's side was on the call" in text
    assert actions_of(message) == [DRAFT_ANYWAY]
    assert drafts_of(runtime, call_id) == []

    refused = await post_signed(
        client, slack.click(message, DRAFT_ANYWAY, user=OUTSIDER, channel=CHANNEL)
    )
    assert refused.status_code == 200
    (told,) = await eventually(lambda: slack.ephemerals_to(OUTSIDER))
    assert "You are not an approver" in told
    assert (f"slack:{OUTSIDER}", "refused") in audit_actions(runtime, call_id)

    clicks = await asyncio.gather(
        *(
            post_signed(client, slack.click(message, DRAFT_ANYWAY, user=APPROVER, channel=CHANNEL))
            for _ in range(4)
        )
    )
    assert all(click.status_code == 200 for click in clicks)

    def approval_shown() -> bool:
        return APPROVE in actions_of(slack.message(CHANNEL, message["ts"]))

    await eventually(approval_shown)
    (draft,) = drafts_of(runtime, call_id)
    assert draft.status == DraftStatus.PENDING, "drafted, never sent by itself"
    assert len(slack.top_level(CHANNEL)) == 1, "the notice became the request, not a second post"
    assert audit_actions(runtime, call_id).count((f"slack:{APPROVER}", "draft_anyway")) == 1
    assert list(runtime.settings.outbox_dir.glob("*.eml")) == []


async def test_gmail_draft_notifies_slack_with_the_link_and_then_shows_it_sent(
    isolated_environment: Path, slack: SlackEmulator, tmp_path: Path
) -> None:
    gmail = GmailEmulator().start()
    try:
        gmail.mailbox(SENDER)
        token = gmail.authorized_user_file(tmp_path / "t.json", SENDER, scopes=list(DRAFT_SCOPES))
        settings = GmailSetup(gmail, token).settings(
            slack_settings(isolated_environment, slack),
            followup_policy_overrides={"acmefreight.example": FollowUpPolicy.GMAIL_DRAFT},
        )
        runtime = Runtime(settings)
        await runtime.start()
        try:
            _call_id, draft_id = await process_example(runtime)
            (message,) = slack.top_level(CHANNEL)
            (placed,) = gmail.drafts_of(SENDER)
            gmail.send_draft(SENDER, placed)
            assert await mailbox_drafts.reconcile_mailbox_draft(draft_id)

            def shows_sent() -> bool:
                return "from the sender's Gmail" in texts_of(slack.message(CHANNEL, message["ts"]))

            await eventually(shows_sent)
        finally:
            await runtime.stop()
    finally:
        gmail.stop()

    text = texts_of(message)
    assert actions_of(message) == [], "no Approve button: the sender sends it from Gmail"
    assert "Draft in Gmail" in text and "|Open in Gmail>" in text
    assert "priya.natarajan@acmefreight.example" in text and "*Summary*" in text
    assert "Follow-up policy: *gmail-draft* (override domain acmefreight.example)" in text
    assert len(slack.top_level(CHANNEL)) == 1
