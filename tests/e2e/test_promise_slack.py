"""An update on promises kept goes through Slack like a follow-up: one message with the
email and the buttons, an Approve click, one email in the follow-up's thread."""

from __future__ import annotations

import email
import email.policy
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from cs_agent.api.app import create_app
from cs_agent.bootstrap.runtime import Runtime
from cs_agent.core.domain import DraftStatus
from cs_agent.core.slack_ids import APPROVE, EDIT, REJECT
from cs_agent.services import promise_checks, queues
from cs_agent.services.local_tasks import change_task, list_tasks
from cs_agent.services.promise_updates import hand_updates_to_workers
from cs_agent.services.promise_views import list_promises

from ..emulators.slack import SlackEmulator
from ..slack_env import (
    APPROVER,
    CHANNEL,
    actions_of,
    draft_row,
    eventually,
    post_signed,
    process_example,
    slack_emulator,
    slack_settings,
    texts_of,
)


@pytest.fixture
def slack() -> Iterator[SlackEmulator]:
    with slack_emulator() as emulator:
        yield emulator  # type: ignore[misc]


@pytest.fixture
async def runtime(isolated_environment: Path, slack: SlackEmulator) -> AsyncIterator[Runtime]:
    rt = Runtime(slack_settings(isolated_environment, slack))
    await rt.start()
    try:
        yield rt
    finally:
        await rt.stop()


async def test_an_update_is_approved_in_slack_and_sent_once_in_the_thread(
    runtime: Runtime, slack: SlackEmulator
) -> None:
    call_id, followup_id = await process_example(runtime)
    app = create_app(runtime.settings, runtime=runtime)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        (request,) = slack.top_level(CHANNEL)
        await post_signed(client, slack.click(request, APPROVE, user=APPROVER, channel=CHANNEL))
        await eventually(lambda: draft_row(runtime, followup_id).status == DraftStatus.SENT)
        followup = draft_row(runtime, followup_id)

        ours = next(p for p in list_promises(runtime.engine, call_id=call_id) if p.side == "us")
        task = next(t for t in list_tasks(runtime.engine) if t.title == ours.title)
        change = change_task(runtime.engine, task.id, state="completed", actor="cli:dana")
        [workflow] = hand_updates_to_workers(runtime.settings, [c.item_id for c in change.promises])
        update_id = str(await queues.wait_for(workflow, timeout=30))

        messages = slack.top_level(CHANNEL)
        assert len(messages) == 2
        update_message = next(m for m in messages if m["ts"] != request["ts"])
        text = texts_of(update_message)
        assert "Update for Acme Freight: promises kept" in text
        assert "a template (not a model)" in text, text
        assert ours.title.lower()[:20] in text.lower()
        assert actions_of(update_message) == [APPROVE, EDIT, REJECT]
        assert draft_row(runtime, update_id).approval_ref["ts"] == update_message["ts"]

        for _ in range(3):  # three clicks, one email
            answer = await post_signed(
                client, slack.click(update_message, APPROVE, user=APPROVER, channel=CHANNEL)
            )
            assert answer.status_code == 200
        await eventually(lambda: draft_row(runtime, update_id).status == DraftStatus.SENT)

    sent = sorted(runtime.settings.outbox_dir.glob("*.eml"))
    assert len(sent) == 2, "the follow-up and one update"
    parsed = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in sent]
    [update] = [m for m in parsed if m["In-Reply-To"]]
    assert update["In-Reply-To"] == followup.message_id
    told = {p.id: p for p in list_promises(runtime.engine, call_id=call_id)}
    assert told[ours.id].customer_told


async def test_an_overdue_reminder_step_run_again_posts_once(
    runtime: Runtime, slack: SlackEmulator
) -> None:
    call_id, followup_id = await process_example(runtime)
    late = next(p for p in list_promises(runtime.engine, call_id=call_id) if p.overdue)
    assert late.due_date is not None
    due = late.due_date.isoformat()
    assert await promise_checks.claim_promise_reminder(runtime, late.id, due)
    await promise_checks.send_promise_reminder(runtime, late.id, due)
    # The process dies after Slack has it and before the step is recorded: it runs again.
    await promise_checks.send_promise_reminder(runtime, late.id, due)
    thread = draft_row(runtime, followup_id).approval_ref["ts"]
    posted = [
        m
        for m in slack.replies(CHANNEL, thread)
        if (m.get("metadata") or {}).get("event_type") == "cs_agent_promise_reminder"
    ]
    assert len(posted) == 1
    assert "still open" in posted[0]["text"] and late.title[:20] in posted[0]["text"]
    # Claimed once: a second claim for the same due date is refused (the audit has it).
    assert not await promise_checks.claim_promise_reminder(runtime, late.id, due)
