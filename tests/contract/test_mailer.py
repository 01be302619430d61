"""The Mailer contract: every mailer (outbox, Gmail, SMTP) keeps the same promises.

Each runs against its real backend (a folder, the Gmail emulator, an SMTP server with TLS and
AUTH), and the message is read back from that backend: what a recipient would get.
"""

from __future__ import annotations

import email
import email.policy
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import pytest

from cs_agent.core.ports import Mailer
from integrations.local import OutboxMailer
from storage.db import make_engine, migrate

from ..emulators.gmail import GmailEmulator
from ..emulators.smtp import SmtpTestServer
from ..mailers import CUSTOMER, SENDER, GmailSetup, outgoing, smtp_mailer


@dataclass
class MailerUnderTest:
    mailer: Mailer
    delivered: Callable[[], list[EmailMessage]]
    """Every message the backend holds, parsed, oldest first."""


@pytest.fixture(params=["outbox", "gmail", "smtp"])
def subject(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MailerUnderTest]:
    if request.param == "outbox":
        outbox = OutboxMailer(tmp_path / "outbox")

        def from_folder() -> list[EmailMessage]:
            return [
                _parse(path.read_bytes()) for path in sorted((tmp_path / "outbox").glob("*.eml"))
            ]

        yield MailerUnderTest(outbox, from_folder)
    elif request.param == "gmail":
        emulator = GmailEmulator().start()
        try:
            setup = GmailSetup(emulator, emulator.authorized_user_file(tmp_path / "t.json", SENDER))
            yield MailerUnderTest(setup.mailer(), lambda: [m.parsed for m in emulator.sent(SENDER)])
        finally:
            emulator.stop()
    else:
        server = SmtpTestServer(tmp_path / "smtp").start()
        engine = make_engine(f"sqlite:///{tmp_path / 'app.db'}")
        migrate(engine)
        try:
            yield MailerUnderTest(
                smtp_mailer(server, engine), lambda: [r.parsed for r in server.received]
            )
        finally:
            server.stop()
            engine.dispose()


async def test_nothing_is_found_before_a_send(subject: MailerUnderTest) -> None:
    assert await subject.mailer.find_sent(outgoing().message_id) is None
    assert subject.delivered() == []


async def test_a_sent_message_is_found_by_its_message_id(subject: MailerUnderTest) -> None:
    message = outgoing()
    sent = await subject.mailer.send(message)
    assert sent.message_id == message.message_id
    assert sent.provider_message_id

    found = await subject.mailer.find_sent(message.message_id)
    assert found is not None
    assert found.message_id == message.message_id
    assert found.provider_message_id == sent.provider_message_id
    assert await subject.mailer.find_sent(outgoing(version=2).message_id) is None
    assert len(subject.delivered()) == 1


async def test_the_delivered_message_has_the_headers_and_both_parts(
    subject: MailerUnderTest,
) -> None:
    message = outgoing(
        sender_name="Dana Reyes-Ødegård",
        subject="Acme Freight — prochaines étapes ✓",
        to=[f"Priya Nätarajan <{CUSTOMER}>"],
        cc=["tom.kowalski@acmefreight.example"],
        body="Hi Priya,\n\n**Pricing** by Friday.\n\n<script>alert(1)</script>\n",
    )
    await subject.mailer.send(message)

    [delivered] = subject.delivered()
    assert delivered["Message-ID"] == message.message_id
    assert delivered["Subject"] == "Acme Freight — prochaines étapes ✓"
    assert delivered["From"].addresses[0].display_name == "Dana Reyes-Ødegård"
    assert delivered["From"].addresses[0].addr_spec == SENDER
    assert [a.addr_spec for a in delivered["To"].addresses] == [CUSTOMER]
    assert delivered["To"].addresses[0].display_name == "Priya Nätarajan"
    assert [a.addr_spec for a in delivered["Cc"].addresses] == ["tom.kowalski@acmefreight.example"]
    assert delivered.get_content_type() == "multipart/alternative"
    text = delivered.get_body(preferencelist=("plain",))
    html = delivered.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    # The plain part is the Markdown read as text: the words without the marks.
    plain = text.get_content().replace("\r\n", "\n")
    assert "Pricing by Friday." in plain and "**" not in plain
    assert "<script>alert(1)</script>" in plain  # plain text is not HTML: nothing to escape
    rendered = html.get_content()
    assert "<strong>Pricing</strong>" in rendered
    assert "<script>" not in rendered and "&lt;script&gt;" in rendered


def _parse(data: bytes) -> EmailMessage:
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message
