"""The SMTP mailer against a real SMTP server (aiosmtpd) with TLS and AUTH."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from cs_agent.core.errors import OutcomeUnknown, RejectedInput, Unauthorized
from integrations.smtp import SmtpMailer, SmtpServer, tls_context
from storage import repo
from storage.db import session_scope

from ...emulators.smtp import SmtpTestServer
from ...mailers import CUSTOMER, SENDER, outgoing, smtp_mailer


async def test_starttls_login_and_envelope(server: SmtpTestServer, engine: Engine) -> None:
    sent = await smtp_mailer(server, engine).send(outgoing(cc=["tom@acmefreight.example"]))

    [received] = server.received
    assert server.logins == ["cs-agent"]
    assert received.mail_from == SENDER
    assert received.rcpt_tos == [CUSTOMER, "tom@acmefreight.example"]
    assert sent.provider_message_id == received.queue_id
    assert sent.location and "queued as" in sent.location


async def test_implicit_tls(tmp_path: Path, engine: Engine) -> None:
    server = SmtpTestServer(tmp_path / "smtps", implicit_tls=True).start()
    try:
        assert SmtpServer.from_url(server.url).security == "tls"
        await smtp_mailer(server, engine).send(outgoing())
        assert len(server.received) == 1
    finally:
        server.stop()


async def test_a_wrong_password_is_unauthorized(server: SmtpTestServer, engine: Engine) -> None:
    server.password = "changed"
    mailer = smtp_mailer(server, engine)
    server.password = "the real one"
    with pytest.raises(Unauthorized, match="refused the login of cs-agent"):
        await mailer.send(outgoing())
    assert server.received == []


async def test_an_untrusted_certificate_says_which_setting_fixes_it(
    server: SmtpTestServer, engine: Engine
) -> None:
    mailer = SmtpMailer(
        SmtpServer.from_url(server.url), engine=engine, sender=SENDER, tls_context=tls_context()
    )
    with pytest.raises(Unauthorized, match="CS_AGENT_SMTP_CA_FILE"):
        await mailer.send(outgoing())


async def test_a_server_without_starttls_gets_no_password(tmp_path: Path, engine: Engine) -> None:
    server = SmtpTestServer(tmp_path / "plain", offer_starttls=False).start()
    try:
        with pytest.raises(Unauthorized, match="does not offer STARTTLS"):
            await smtp_mailer(server, engine).send(outgoing())
        assert server.logins == [] and server.received == []
    finally:
        server.stop()


async def test_a_refused_recipient_sends_nothing_and_can_be_fixed(
    server: SmtpTestServer, engine: Engine
) -> None:
    server.refuse["nobody@acmefreight.example"] = 550
    mailer = smtp_mailer(server, engine)
    first = outgoing(cc=["nobody@acmefreight.example"])
    with pytest.raises(RejectedInput) as raised:
        await mailer.send(first)
    assert raised.value.field == "to"
    assert "nobody@acmefreight.example (550" in str(raised.value)
    assert server.received == []
    assert await mailer.find_sent(first.message_id) is None

    await mailer.send(outgoing(version=2, cc=[]))
    assert len(server.received) == 1


async def test_a_connection_lost_after_the_data_is_never_sent_again(
    server: SmtpTestServer, engine: Engine
) -> None:
    server.drop_after_data = 1
    mailer = smtp_mailer(server, engine)
    message = outgoing()
    with pytest.raises(OutcomeUnknown, match="may or may not have reached"):
        await mailer.send(message)
    assert len(server.received) == 1  # the server did queue it

    # Not confirmed, so not "found"; and not sent again either.
    assert await mailer.find_sent(message.message_id) is None
    with pytest.raises(OutcomeUnknown):
        await mailer.send(message)
    assert len(server.received) == 1
    with session_scope(engine) as session:
        row = repo.get_mail_delivery(session, message_id=message.message_id)
        assert row is not None and row.status == "transmitting"


async def test_doctor_connects_and_logs_in(server: SmtpTestServer, engine: Engine) -> None:
    [ok] = await smtp_mailer(server, engine).check()
    assert ok.ok and "logged in as cs-agent" in ok.detail

    server.password = "rotated"
    broken = SmtpMailer(
        SmtpServer.from_url(server.url.replace("rotated", "old")),
        engine=engine,
        sender=SENDER,
        tls_context=tls_context(server.ca_file),
    )
    [failed] = await broken.check()
    assert not failed.ok and "refused the login" in failed.detail
