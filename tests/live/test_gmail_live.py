"""Against the real Gmail API: skipped unless a person provides credentials and a mailbox.

    GMAIL_LIVE_CREDENTIALS=~/gmail-token.json   # or a service-account key with delegation
    GMAIL_LIVE_SENDER=you@yourdomain.com
    GMAIL_LIVE_TO=a-mailbox-you-read@example.com
    .venv/bin/pytest -m live tests/live

It sends one real email, then checks the assumption exactly-once rests on: Gmail keeps our
Message-ID, and ``rfc822msgid:`` search finds the message by it.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from pathlib import Path

import pytest

from integrations.gmail.auth import load_credentials
from integrations.gmail.mailer import GmailMailer, build_gmail_service

from ..mailers import outgoing

CREDENTIALS = os.environ.get("GMAIL_LIVE_CREDENTIALS")
SENDER = os.environ.get("GMAIL_LIVE_SENDER")
RECIPIENT = os.environ.get("GMAIL_LIVE_TO")

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(
        not (CREDENTIALS and SENDER and RECIPIENT),
        reason="set GMAIL_LIVE_CREDENTIALS, GMAIL_LIVE_SENDER and GMAIL_LIVE_TO to run",
    ),
]


def live_mailer() -> GmailMailer:
    assert CREDENTIALS and SENDER
    identity = load_credentials(Path(CREDENTIALS).expanduser(), sender=SENDER)
    service = build_gmail_service(
        identity.credentials, api_url="https://gmail.googleapis.com/", timeout=30
    )
    return GmailMailer(service, identity=identity)


async def test_doctor_passes() -> None:
    results = await live_mailer().check()
    assert all(r.ok for r in results), results


async def test_a_sent_message_is_found_by_its_message_id() -> None:
    assert SENDER and RECIPIENT
    mailer = live_mailer()
    message = outgoing(
        draft_id=f"draft-live-{uuid.uuid4().hex[:8]}",
        sender=SENDER,
        to=[RECIPIENT],
        cc=[],
        subject="cs-agent live test — ünïcødé",
    ).model_copy(
        update={"message_id": f"<cs-agent.live-{uuid.uuid4().hex}@{SENDER.split('@')[1]}>"}
    )
    assert await mailer.find_sent(message.message_id) is None

    sent = await mailer.send(message)

    deadline = time.monotonic() + 60  # search indexing takes a moment
    found = None
    while found is None and time.monotonic() < deadline:
        found = await mailer.find_sent(message.message_id)
        if found is None:
            await asyncio.sleep(2)
    assert found is not None, "Gmail did not keep our Message-ID, or search never found it"
    assert found.provider_message_id == sent.provider_message_id
