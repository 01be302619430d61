"""The MailboxDrafts contract (Gmail): one draft per Message-ID, however often it is created,
even when a create timed out after it was applied; a draft is never taken for a sent email."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cs_agent.core.errors import Unauthorized, Unavailable
from cs_agent.core.ports import MailboxDrafts, Mailer
from integrations.gmail.auth import DRAFT_SCOPES, SCOPES, load_credentials
from integrations.gmail.mailer import GmailMailer, build_gmail_service

from ..emulators.gmail import GmailEmulator
from ..mailers import CUSTOMER, SENDER, outgoing


@pytest.fixture
def emulator() -> Iterator[GmailEmulator]:
    emulator = GmailEmulator().start()
    emulator.mailbox(SENDER)
    try:
        yield emulator
    finally:
        emulator.stop()


def mailer(
    emulator: GmailEmulator, tmp_path: Path, *, scopes: tuple[str, ...] = DRAFT_SCOPES
) -> GmailMailer:
    token = emulator.authorized_user_file(tmp_path / "token.json", SENDER, scopes=list(scopes))
    identity = load_credentials(
        token, sender=SENDER, token_url=emulator.url + "/token", scopes=scopes
    )
    service = build_gmail_service(identity.credentials, api_url=emulator.url + "/", timeout=1.0)
    return GmailMailer(service, identity=identity)


async def test_one_draft_per_message_id_and_it_is_not_a_sent_email(
    emulator: GmailEmulator, tmp_path: Path
) -> None:
    gmail = mailer(emulator, tmp_path)
    assert isinstance(gmail, MailboxDrafts) and isinstance(gmail, Mailer)
    email = outgoing()
    assert await gmail.find_draft(email.message_id) is None

    first = await gmail.create_draft(email)
    again = await gmail.create_draft(email)
    assert again == first
    assert await gmail.find_draft(email.message_id) == first
    (draft,) = emulator.drafts_of(SENDER)
    assert draft.header("Message-ID") == email.message_id
    assert CUSTOMER in (draft.header("To") or "")
    assert first.location and "#drafts?compose=" in first.location
    assert await gmail.find_sent(email.message_id) is None, "a draft was never sent"
    assert emulator.sent(SENDER) == []

    emulator.send_draft(SENDER, draft)
    assert await gmail.find_draft(email.message_id) is None
    sent = await gmail.find_sent(email.message_id)
    assert sent is not None and sent.message_id == email.message_id


async def test_a_create_that_timed_out_after_it_was_applied_is_found_not_repeated(
    emulator: GmailEmulator, tmp_path: Path
) -> None:
    gmail = mailer(emulator, tmp_path)
    email = outgoing(draft_id="draft-hung")
    emulator.hang_next_draft_create(seconds=10)
    with pytest.raises(Unavailable):
        await gmail.create_draft(email)
    placed = await gmail.create_draft(email)
    assert len(emulator.drafts_of(SENDER)) == 1
    assert placed.provider_message_id.startswith("r")


async def test_without_the_compose_scope_the_create_is_refused_naming_it(
    emulator: GmailEmulator, tmp_path: Path
) -> None:
    gmail = mailer(emulator, tmp_path, scopes=SCOPES)
    with pytest.raises(Unauthorized, match=r"gmail\.compose"):
        await gmail.create_draft(outgoing())
    assert emulator.drafts_of(SENDER) == []
