"""The gmail-draft policy end to end: the workflow places one draft in the sender's Gmail, in
the customer's thread, even when the create is retried after a timeout; nothing is sent; when
the person sends it from Gmail, the scheduled reconcile notices and the call is complete."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from cs_agent.bootstrap.runtime import Runtime
from cs_agent.config import Settings
from cs_agent.core.domain import CallMetadata, DraftStatus
from cs_agent.core.followup import FollowUpPolicy
from cs_agent.core.transcripts import parse_transcript
from cs_agent.services import mailbox_drafts, queues
from cs_agent.services.intake import submit_call
from cs_agent.services.views import load_call_view
from integrations.gmail.auth import DRAFT_SCOPES
from storage import repo
from storage.db import session_scope

from ..conftest import EXAMPLES
from ..emulators.gmail import GmailEmulator
from ..mailers import CUSTOMER, SENDER, GmailSetup

DRAFTS_PATH = "/gmail/v1/users/me/drafts"
SUBJECT = "Follow-up: Acme Freight renewal call — next steps"


@pytest.fixture
def emulator() -> Iterator[GmailEmulator]:
    emulator = GmailEmulator().start()
    emulator.mailbox(SENDER)
    try:
        yield emulator
    finally:
        emulator.stop()


def gmail_settings(settings: Settings, emulator: GmailEmulator, tmp_path: Path) -> Settings:
    token = emulator.authorized_user_file(
        tmp_path / "token.json", SENDER, scopes=list(DRAFT_SCOPES)
    )
    return GmailSetup(emulator, token).settings(
        settings, followup_policy=FollowUpPolicy.GMAIL_DRAFT, gmail_timeout_seconds=1.0
    )


def acme(thread_id: str | None = None) -> tuple[bytes, CallMetadata]:
    meta = json.loads((EXAMPLES / "acme-renewal.meta.json").read_text())
    metadata = CallMetadata.model_validate({**meta, "gmail_thread_id": thread_id})
    return (EXAMPLES / "acme-renewal.vtt").read_bytes(), metadata


async def process(runtime: Runtime, data: bytes, meta: CallMetadata) -> str:
    submission = await submit_call(
        runtime, transcript=parse_transcript(data), metadata=meta, source="test"
    )
    await queues.wait_for(submission.workflow_id, timeout=60)
    return submission.call_id


async def test_one_draft_in_the_thread_even_after_a_timed_out_create_then_the_send_is_noticed(
    settings: Settings, emulator: GmailEmulator, tmp_path: Path
) -> None:
    question = emulator.deliver(
        SENDER,
        sender=f"Priya Natarajan <{CUSTOMER}>",
        to=SENDER,
        subject=f"Re: {SUBJECT}",
        message_id="<priya-question@acmefreight.example>",
    )
    emulator.hang_next_draft_create(seconds=15)
    runtime = Runtime(gmail_settings(settings, emulator, tmp_path))
    await runtime.start()
    try:
        call_id = await process(runtime, *acme(question.thread_id))
        view = load_call_view(runtime, call_id)
        assert view is not None and view.draft is not None, view and view.failure_reason
        draft_id = view.draft.id
        assert not await mailbox_drafts.reconcile_mailbox_draft(draft_id), "still a draft"

        (placed,) = emulator.drafts_of(SENDER)
        emulator.send_draft(SENDER, placed)
        assert await mailbox_drafts.reconcile_mailbox_draft(draft_id)
        after = load_call_view(runtime, call_id)
        with session_scope(runtime.engine) as session:
            audit = [e.action for e in repo.list_audit(session, call_id=call_id)]
    finally:
        await runtime.stop()

    # The create timed out after Gmail applied it; the retry found it by its Message-ID.
    assert emulator.draft_create_hung.is_set()
    creates = [r for r in emulator.requests_to(DRAFTS_PATH) if r.method == "POST"]
    assert len(creates) == 1
    assert view.policy is not None and view.policy.name == FollowUpPolicy.GMAIL_DRAFT
    assert view.draft.status == DraftStatus.IN_GMAIL
    assert view.draft.mailbox_url and "#drafts?compose=" in view.draft.mailbox_url
    # The draft is the follow-up as it would be sent: its Message-ID, in the customer's thread.
    assert placed.thread_id == question.thread_id
    assert placed.header("Message-ID") == view.draft.message_id
    assert placed.header("In-Reply-To") == "<priya-question@acmefreight.example>"
    assert CUSTOMER in (placed.header("To") or "")
    assert "DRAFT" in placed.label_ids
    # Sent by the person from Gmail, not by cs-agent; the reconcile noticed it.
    (sent,) = emulator.sent(SENDER)
    assert sent.header("Message-ID") == view.draft.message_id
    assert not [r for r in emulator.requests if r.path.endswith("/messages/send")]
    assert after is not None and after.draft is not None
    assert after.draft.status == DraftStatus.SENT and after.status == "completed"
    assert audit.count("mailbox_draft_created") == 1 and "sent_from_mailbox" in audit


async def test_gmail_draft_without_gmail_fails_the_call_saying_what_to_set(
    settings: Settings,
) -> None:
    runtime = Runtime(settings.model_copy(update={"followup_policy": FollowUpPolicy.GMAIL_DRAFT}))
    await runtime.start()
    try:
        submission = await submit_call(
            runtime, transcript=parse_transcript(acme()[0]), metadata=acme()[1], source="test"
        )
        with pytest.raises(Exception, match="needs Gmail"):
            await queues.wait_for(submission.workflow_id, timeout=60)
        view = load_call_view(runtime, submission.call_id)
    finally:
        await runtime.stop()
    assert view is not None and view.status == "failed"
    assert "CS_AGENT_GMAIL_CREDENTIALS" in (view.failure_reason or "")
    assert view.draft is None, "no draft is left that could be approved and sent elsewhere"
    assert list(settings.outbox_dir.glob("*.eml")) == []
