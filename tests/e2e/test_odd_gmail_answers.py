"""Gmail answering ok but in an unexpected shape: the message is sent exactly once, or the
draft fails with a reason naming Gmail and the field, and Retry then sends it (once)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from cs_agent.bootstrap.runtime import Runtime
from cs_agent.config import Settings
from cs_agent.core.domain import CallMetadata, DraftStatus
from cs_agent.services import approvals, queues, send_followup
from integrations.gmail.mailer import GmailMailer

from ..emulators.gmail import GmailEmulator
from ..mailers import CUSTOMER, SENDER, GmailSetup
from .test_gmail_flow import (
    SEND_PATH,
    RecordingApprovals,
    approve_and_wait,
    draft_row,
    seed_draft,
    started,
)


@pytest.fixture
def emulator() -> Iterator[GmailEmulator]:
    emulator = GmailEmulator().start()
    emulator.mailbox(SENDER)
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture
async def flow(
    settings: Settings, emulator: GmailEmulator, tmp_path: Path
) -> AsyncIterator[tuple[Runtime, RecordingApprovals]]:
    gmail = GmailSetup(emulator, emulator.authorized_user_file(tmp_path / "token.json", SENDER))
    runtime, channel = await started(gmail.settings(settings))
    assert isinstance(runtime.adapters.mailer, GmailMailer)
    try:
        yield runtime, channel
    finally:
        await runtime.stop()


async def retry_and_wait(runtime: Runtime, draft_id: str) -> send_followup.SendResult:
    version = draft_row(runtime, draft_id).version
    decision = await approvals.retry(runtime, draft_id=draft_id, actor="test:ops", version=version)
    result = await queues.wait_for(decision.workflow_id or "", timeout=60)
    assert isinstance(result, send_followup.SendResult)
    return result


@pytest.mark.parametrize(
    ("shape", "path"),
    [("missing", "id"), ("null", "id"), ("wrong_type", "id"), ("not_object", "")],
)
async def test_a_send_answered_without_its_id_is_found_by_message_id_not_sent_again(
    flow: tuple[Runtime, RecordingApprovals], emulator: GmailEmulator, shape: str, path: str
) -> None:
    runtime, channel = flow
    emulator.answer_oddly("messages.send", path, shape)
    draft_id = seed_draft(runtime.engine, to=[CUSTOMER])

    result = await approve_and_wait(runtime, draft_id)

    assert result.status == DraftStatus.SENT
    [sent] = emulator.sent(SENDER)
    assert len(emulator.requests_to(SEND_PATH)) == 1
    assert len(emulator.oddly_answered) == 1
    row = draft_row(runtime, draft_id)
    assert row.provider_message_id == sent.id
    assert sent.thread_id in (result.location or "")
    assert channel.outcomes[-1].status == "sent"


@pytest.mark.parametrize(
    ("shape", "path"),
    [("wrong_type", "messages"), ("null", "messages"), ("not_object", "")],
)
async def test_an_odd_duplicate_look_up_fails_the_draft_naming_gmail_and_retry_sends_once(
    flow: tuple[Runtime, RecordingApprovals], emulator: GmailEmulator, shape: str, path: str
) -> None:
    runtime, channel = flow
    # The look-up before sending answers oddly: without it a retry could send twice, so the
    # draft fails instead of guessing.
    emulator.answer_oddly("messages.list", path, shape, count=10)
    draft_id = seed_draft(runtime.engine, to=[CUSTOMER])

    failed = await approve_and_wait(runtime, draft_id)

    assert failed.status == DraftStatus.FAILED
    reason = draft_row(runtime, draft_id).failure_reason or ""
    assert reason.startswith("gmail: looking up <") and "answered an unexpected shape" in reason
    assert "(field messages" in reason if path else "an object was expected" in reason
    assert "KeyError" not in reason and "TypeError" not in reason
    assert channel.outcomes[-1].status == "failed"
    assert emulator.sent(SENDER) == []

    emulator.clear_faults()
    result = await retry_and_wait(runtime, draft_id)

    assert result.status == DraftStatus.SENT
    assert len(emulator.sent(SENDER)) == 1
    assert len(emulator.requests_to(SEND_PATH)) == 1


async def test_an_odd_send_and_look_up_fail_the_draft_and_retry_finds_the_sent_message(
    flow: tuple[Runtime, RecordingApprovals], emulator: GmailEmulator
) -> None:
    runtime, _channel = flow
    # Gmail sends it, then answers without the id, and the look-up's read of the message too.
    emulator.answer_oddly("messages.send", "id", "missing")
    emulator.answer_oddly("messages.get", "payload", "wrong_type", count=10)
    draft_id = seed_draft(runtime.engine, to=[CUSTOMER])

    failed = await approve_and_wait(runtime, draft_id)

    assert failed.status == DraftStatus.FAILED
    reason = draft_row(runtime, draft_id).failure_reason or ""
    assert reason.startswith("gmail: reading message ") and "(field payload)" in reason
    assert len(emulator.sent(SENDER)) == 1

    emulator.clear_faults()
    result = await retry_and_wait(runtime, draft_id)

    assert result.status == DraftStatus.SENT
    [sent] = emulator.sent(SENDER)
    assert len(emulator.requests_to(SEND_PATH)) == 1, "the retry found it, did not resend"
    assert draft_row(runtime, draft_id).provider_message_id == sent.id


@pytest.mark.parametrize(
    ("shape", "path"), [("missing", "id"), ("wrong_type", "messages"), ("null", "messages")]
)
async def test_an_odd_thread_answer_sends_as_a_new_conversation(
    flow: tuple[Runtime, RecordingApprovals], emulator: GmailEmulator, shape: str, path: str
) -> None:
    runtime, _channel = flow
    question = emulator.deliver(
        SENDER,
        sender=f"Priya Natarajan <{CUSTOMER}>",
        to=SENDER,
        subject="Renewal",
        message_id="<priya-question@acmefreight.example>",
    )
    emulator.answer_oddly("threads.get", path, shape)
    draft_id = seed_draft(
        runtime.engine,
        to=[CUSTOMER],
        subject="Re: Renewal",
        metadata=CallMetadata(gmail_thread_id=question.thread_id),
    )

    result = await approve_and_wait(runtime, draft_id)

    assert result.status == DraftStatus.SENT
    [reply] = emulator.sent(SENDER)
    assert reply.thread_id != question.thread_id
    assert reply.header("In-Reply-To") is None
    assert len(emulator.oddly_answered) == 1
