"""Approve → send through Gmail, the whole way: runtime, workflow, real client, Gmail emulator.

The drafts are stored directly (the analysis that would write them is not under test here);
everything from the approval on is the product as it runs.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from pydantic import SecretStr

from cs_agent.bootstrap.adapters import build_adapters
from cs_agent.bootstrap.runtime import Runtime
from cs_agent.config import Settings
from cs_agent.core import ids
from cs_agent.core.domain import CallMetadata, DraftStatus, FollowUpDraft
from cs_agent.core.ids import message_id_for
from cs_agent.core.ports import ApprovalOutcome
from cs_agent.services import approvals, queues, send_followup
from integrations.gmail.auth import GMAIL_SEND
from integrations.gmail.mailer import GmailMailer
from integrations.local import LocalApprovalChannel
from storage import repo
from storage.db import make_engine, migrate, session_scope
from storage.models import CallRow, DraftRow

from ..conftest import REPO_ROOT
from ..emulators.gmail import GmailEmulator, gmail_fault
from ..emulators.smtp import SmtpTestServer
from ..mailers import CUSTOMER, SENDER, GmailSetup

SEND_PATH = "/gmail/v1/users/me/messages/send"
LIST_PATH = "/gmail/v1/users/me/messages"


class RecordingApprovals(LocalApprovalChannel):
    """The local approval channel, remembering what it was told (where Slack would show it)."""

    def __init__(self) -> None:
        super().__init__(public_url="http://127.0.0.1:8000")
        self.outcomes: list[ApprovalOutcome] = []

    async def show_outcome(self, draft: FollowUpDraft, outcome: ApprovalOutcome) -> None:
        self.outcomes.append(outcome)


@pytest.fixture
def emulator() -> Iterator[GmailEmulator]:
    emulator = GmailEmulator().start()
    emulator.mailbox(SENDER)
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture
def gmail(emulator: GmailEmulator, tmp_path: Path) -> GmailSetup:
    return GmailSetup(emulator, emulator.authorized_user_file(tmp_path / "token.json", SENDER))


async def started(settings: Settings) -> tuple[Runtime, RecordingApprovals]:
    engine = make_engine(settings.app_database_url)
    adapters = build_adapters(settings, engine)
    channel = RecordingApprovals()
    adapters.approvals = channel
    runtime = Runtime(settings, adapters=adapters, engine=engine)
    await runtime.start()
    return runtime, channel


@pytest.fixture
async def flow(
    settings: Settings, gmail: GmailSetup
) -> AsyncIterator[tuple[Runtime, RecordingApprovals]]:
    runtime, channel = await started(gmail.settings(settings))
    assert isinstance(runtime.adapters.mailer, GmailMailer), "Gmail settings choose Gmail"
    try:
        yield runtime, channel
    finally:
        await runtime.stop()


def seed_draft(
    engine: Any, *, to: list[str], metadata: CallMetadata | None = None, **fields: str
) -> str:
    """A call awaiting approval, with its pending draft. Returns the draft id."""
    call_id = "call-" + uuid.uuid4().hex[:12]
    draft_id = ids.draft_id_for(call_id)
    with session_scope(engine) as session:
        repo.insert_call_if_absent(
            session,
            row=CallRow(
                id=call_id,
                source="test",
                request_hash=call_id,
                transcript_format="text",
                workflow_id=ids.process_call_workflow_id(call_id),
                call_metadata=(metadata or CallMetadata()).model_dump(mode="json"),
                status="awaiting_approval",
            ),
        )
        repo.insert_draft_if_absent(
            session,
            row=DraftRow(
                id=draft_id,
                call_id=call_id,
                subject=fields.get("subject", "Acme Freight renewal: next steps"),
                body=fields.get("body", "Hi Priya,\n\nThanks for the call.\n"),
                to=to,
                cc=[],
                message_id=message_id_for(draft_id=draft_id, version=1, sender=SENDER),
            ),
        )
    return draft_id


async def approve_and_wait(runtime: Runtime, draft_id: str) -> send_followup.SendResult:
    decision = await approvals.approve(runtime, draft_id=draft_id, actor="test:approver")
    result = await queues.wait_for(decision.workflow_id or "", timeout=60)
    assert isinstance(result, send_followup.SendResult)
    return result


def draft_row(runtime: Runtime, draft_id: str) -> DraftRow:
    with session_scope(runtime.engine) as session:
        row = repo.get_draft(session, draft_id=draft_id)
    assert row is not None
    return row


async def test_an_approved_draft_is_sent_once_and_the_gmail_id_stored(
    flow: tuple[Runtime, RecordingApprovals], emulator: GmailEmulator
) -> None:
    runtime, channel = flow
    draft_id = seed_draft(runtime.engine, to=[f"Priya Natarajan <{CUSTOMER}>"])

    result = await approve_and_wait(runtime, draft_id)
    again = await approvals.approve(runtime, draft_id=draft_id, actor="test:double-click")

    assert result.status == DraftStatus.SENT and not again.changed
    [sent] = emulator.sent(SENDER)
    assert len(emulator.requests_to(SEND_PATH)) == 1
    row = draft_row(runtime, draft_id)
    assert row.status == DraftStatus.SENT
    assert row.provider_message_id == sent.id
    assert row.message_id == sent.header("Message-ID") == result.message_id
    assert sent.header("To") == f"Priya Natarajan <{CUSTOMER}>"
    assert [o.status for o in channel.outcomes] == ["approved", "sent"]
    assert channel.outcomes[-1].location == result.location


async def test_the_follow_up_replies_in_the_customers_thread(
    settings: Settings, gmail: GmailSetup, emulator: GmailEmulator
) -> None:
    question = emulator.deliver(
        SENDER,
        sender=f"Priya Natarajan <{CUSTOMER}>",
        to=SENDER,
        subject="Renewal — pricing questions",
        message_id="<priya-question@acmefreight.example>",
    )
    runtime, _channel = await started(gmail.settings(settings))
    try:
        draft_id = seed_draft(
            runtime.engine,
            to=[CUSTOMER],
            subject="Re: Renewal — pricing questions",
            metadata=CallMetadata(gmail_thread_id=question.thread_id),
        )
        result = await approve_and_wait(runtime, draft_id)
    finally:
        await runtime.stop()

    assert result.status == DraftStatus.SENT
    reply = emulator.sent(SENDER)[-1]
    assert reply.thread_id == question.thread_id
    assert reply.header("In-Reply-To") == "<priya-question@acmefreight.example>"
    assert reply.header("References") == "<priya-question@acmefreight.example>"
    assert reply.header("Subject") == "Re: Renewal — pricing questions"


async def test_rate_limited_then_sent(
    flow: tuple[Runtime, RecordingApprovals], emulator: GmailEmulator
) -> None:
    runtime, _channel = flow
    emulator.fail_next(
        1,
        gmail_fault(429, "Too many requests", headers={"Retry-After": "0"}),
        when=lambda r: r.path == SEND_PATH,
    )
    draft_id = seed_draft(runtime.engine, to=[CUSTOMER])

    result = await approve_and_wait(runtime, draft_id)

    assert result.status == DraftStatus.SENT
    assert len(emulator.faulted) == 1 and emulator.faulted[0].path == SEND_PATH
    assert len(emulator.sent(SENDER)) == 1


async def test_a_send_whose_answer_was_lost_is_found_not_repeated(
    settings: Settings, gmail: GmailSetup, emulator: GmailEmulator
) -> None:
    emulator.hang_next_send(seconds=15)
    runtime, _channel = await started(gmail.settings(settings, gmail_timeout_seconds=1.0))
    try:
        draft_id = seed_draft(runtime.engine, to=[CUSTOMER])
        result = await approve_and_wait(runtime, draft_id)
    finally:
        await runtime.stop()

    assert result.status == DraftStatus.SENT
    [sent] = emulator.sent(SENDER)
    assert len(emulator.requests_to(SEND_PATH)) == 1
    assert result.message_id == sent.header("Message-ID")


async def test_a_missing_scope_fails_the_draft_with_a_clear_reason(
    settings: Settings, emulator: GmailEmulator, tmp_path: Path
) -> None:
    token = emulator.authorized_user_file(
        tmp_path / "narrow.json", SENDER, scopes=[GMAIL_SEND], write_scopes=False
    )
    runtime, channel = await started(GmailSetup(emulator, token).settings(settings))
    try:
        draft_id = seed_draft(runtime.engine, to=[CUSTOMER])
        result = await approve_and_wait(runtime, draft_id)
        row = draft_row(runtime, draft_id)
    finally:
        await runtime.stop()

    assert result.status == DraftStatus.FAILED
    assert row.status == DraftStatus.FAILED
    reason = row.failure_reason or ""
    assert "insufficient authentication scopes" in reason
    assert SENDER in reason and "gmail.readonly" in reason
    assert channel.outcomes[-1].status == "failed" and channel.outcomes[-1].detail == reason
    assert emulator.sent(SENDER) == []


async def test_an_invalid_recipient_fails_then_the_fixed_draft_is_sent_once(
    flow: tuple[Runtime, RecordingApprovals], emulator: GmailEmulator
) -> None:
    runtime, channel = flow
    draft_id = seed_draft(runtime.engine, to=["Priya <priya.natarajan@acmefreight>"])

    failed = await approve_and_wait(runtime, draft_id)

    assert failed.status == DraftStatus.FAILED
    row = draft_row(runtime, draft_id)
    assert row.status == DraftStatus.FAILED and row.version == 1
    # Refused by the address check before Gmail is asked: the reason names the entry.
    reason = row.failure_reason or ""
    assert "priya.natarajan@acmefreight" in reason and "nothing was sent" in reason
    assert channel.outcomes[-1].status == "failed"
    assert emulator.sent(SENDER) == []

    edited = await approvals.edit(
        runtime,
        draft_id=draft_id,
        actor="test:editor",
        expected_version=1,
        subject=row.subject,
        body=row.body,
        to=[f"Priya <{CUSTOMER}>"],
        cc=[],
    )
    assert edited.draft.status == DraftStatus.PENDING and edited.draft.version == 2

    sent = await approve_and_wait(runtime, draft_id)

    assert sent.status == DraftStatus.SENT and sent.version == 2
    [message] = emulator.sent(SENDER)
    assert message.parsed["To"].addresses[0].addr_spec == CUSTOMER
    assert message.header("Message-ID") == message_id_for(
        draft_id=draft_id, version=2, sender=SENDER
    )
    # Before sending version 2, the failed version 1 was looked up too.
    v1 = message_id_for(draft_id=draft_id, version=1, sender=SENDER).strip("<>")
    assert any(v1 in unquote(r.query) for r in emulator.requests_to(LIST_PATH))


async def test_a_crash_between_send_and_record_does_not_send_twice(
    settings: Settings, gmail: GmailSetup, emulator: GmailEmulator
) -> None:
    engine = make_engine(settings.app_database_url)
    migrate(engine)
    draft_id = seed_draft(engine, to=[CUSTOMER])
    engine.dispose()
    emulator.hang_next_send(seconds=60)
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.e2e.gmail_send_process", draft_id],
        cwd=REPO_ROOT,
        env={**os.environ, **gmail.env()},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        if not emulator.send_hung.wait(timeout=60):
            child.kill()
            _out, err = child.communicate(timeout=10)
            raise AssertionError(f"the send never reached Gmail: {err.decode()[-2000:]}")
        assert len(emulator.sent(SENDER)) == 1, "Gmail has the message…"
        child.send_signal(signal.SIGKILL)  # …and cs-agent dies before it hears so
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()

    runtime = Runtime(gmail.settings(settings))
    await runtime.start()  # recovers the interrupted send_followup
    try:
        result = await queues.wait_for(ids.send_followup_workflow_id(draft_id, 1), timeout=60)
        row = draft_row(runtime, draft_id)
        with session_scope(runtime.engine) as session:
            audit = [e.action for e in repo.list_audit(session, call_id=row.call_id)]
    finally:
        await runtime.stop()

    [sent] = emulator.sent(SENDER)
    assert len(emulator.requests_to(SEND_PATH)) == 1
    assert result.status == DraftStatus.SENT
    assert row.status == DraftStatus.SENT and row.provider_message_id == sent.id
    assert audit.count("email_sent") == 1


async def test_smtp_settings_send_through_the_workflow(settings: Settings, tmp_path: Path) -> None:
    server = SmtpTestServer(tmp_path / "smtp").start()
    smtp_settings = settings.model_copy(
        update={
            "smtp_url": SecretStr(server.url),
            "smtp_ca_file": Path(server.ca_file),
            "sender_email": SENDER,
        }
    )
    runtime, channel = await started(smtp_settings)
    try:
        assert runtime.adapters.mailer.name == "smtp"
        draft_id = seed_draft(runtime.engine, to=[CUSTOMER])
        result = await approve_and_wait(runtime, draft_id)
        row = draft_row(runtime, draft_id)
    finally:
        await runtime.stop()
        server.stop()

    [received] = server.received
    assert result.status == DraftStatus.SENT
    assert row.provider_message_id == received.queue_id
    assert received.parsed["Message-ID"] == row.message_id
    assert channel.outcomes[-1].status == "sent"
