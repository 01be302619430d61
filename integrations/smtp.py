"""The SMTP mailer, for mail systems other than Google Workspace. Configured by one URL.

``smtp://user:password@host:587`` submits with STARTTLS (required: the password never crosses
the network in clear); ``smtps://user:password@host:465`` uses TLS from the first byte.
``smtp://host:25?tls=off`` is for a relay on a trusted network that offers no TLS (no login
is sent then). Percent-encode ``@`` or ``:`` in the user or password.

**What exactly-once means here.** An SMTP server cannot be asked what it already has, so this
mailer keeps a journal in the database (``mail_deliveries``): an entry is committed right
before the message is transmitted (after the server accepted sender and recipients) and marked
accepted when the server confirms. ``find_sent`` reads the journal. The gap: if the process
dies, or the connection drops, after the message was transmitted and before the confirmation
was recorded, nobody knows whether the server queued it. This mailer then refuses to send that
message again (``OutcomeUnknown``): the draft is marked failed, and a person checks the
mailbox before editing and approving it again. At most once, never silently twice.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from dataclasses import dataclass
from email.utils import parseaddr
from typing import Literal
from urllib.parse import parse_qs, unquote, urlsplit

from sqlalchemy.engine import Engine

from cs_agent.config import ConfigurationError
from cs_agent.core.domain import OutgoingEmail, SentEmail
from cs_agent.core.errors import (
    ExternalError,
    OutcomeUnknown,
    RejectedInput,
    Unauthorized,
    Unavailable,
)
from cs_agent.core.ports import CheckResult
from integrations.blocking_mailer import BlockingMailer
from integrations.email_message import build_mime, envelope_recipients
from storage import repo
from storage.db import session_scope

SYSTEM = "smtp"
Security = Literal["starttls", "tls", "none"]
_QUEUE_ID = re.compile(r"queued as ([A-Za-z0-9._-]+)", re.I)


@dataclass(frozen=True)
class SmtpServer:
    """Where and how to submit mail, parsed from ``CS_AGENT_SMTP_URL``."""

    host: str
    port: int
    security: Security
    username: str | None = None
    password: str | None = None

    @classmethod
    def from_url(cls, url: str) -> SmtpServer:
        """Parse ``smtp://`` / ``smtps://`` URLs; a bad one raises ``ConfigurationError``."""
        parts = urlsplit(url.strip())
        scheme = parts.scheme.lower()
        if scheme not in {"smtp", "smtps"}:
            raise ConfigurationError(
                f"CS_AGENT_SMTP_URL: scheme {parts.scheme or '(none)'!r} is not smtp:// "
                "(STARTTLS, port 587) or smtps:// (TLS, port 465)"
            )
        if not parts.hostname:
            raise ConfigurationError("CS_AGENT_SMTP_URL: no host, e.g. smtp://user:pw@host:587")
        try:
            port = parts.port or (465 if scheme == "smtps" else 587)
        except ValueError as error:
            raise ConfigurationError(f"CS_AGENT_SMTP_URL: {error}") from None
        tls = parse_qs(parts.query).get("tls", [""])[-1].lower()
        security: Security = "tls" if scheme == "smtps" else "starttls"
        if tls in {"off", "none", "false", "no"}:
            if scheme == "smtps":
                raise ConfigurationError("CS_AGENT_SMTP_URL: smtps:// is TLS; drop ?tls=off")
            if parts.username:
                raise ConfigurationError(
                    "CS_AGENT_SMTP_URL: ?tls=off with a user would send the password in clear"
                )
            security = "none"
        elif tls not in {"", "on", "required", "true", "yes"}:
            raise ConfigurationError(f"CS_AGENT_SMTP_URL: tls={tls!r} is not on or off")
        return cls(
            host=parts.hostname,
            port=port,
            security=security,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )

    def describe(self) -> str:
        """The server in a person's words, without the password."""
        user = f"{self.username}@" if self.username else ""
        how = {"starttls": "STARTTLS", "tls": "TLS", "none": "no TLS"}[self.security]
        return f"{user}{self.host}:{self.port} ({how})"


class SmtpMailer(BlockingMailer):
    """Submits follow-ups to an SMTP server, keeping a journal so a retry never resends: an
    earlier attempt with an unknown outcome blocks a resend, ``find_sent`` reads the journal's
    record of a Message-ID the server confirmed, and ``check`` connects, says EHLO, starts TLS
    and logs in."""

    name = "smtp"

    def __init__(
        self,
        server: SmtpServer,
        *,
        engine: Engine,
        sender: str,
        tls_context: ssl.SSLContext,
        timeout: float = 30.0,
    ) -> None:
        self._server = server
        self._engine = engine
        self._tls = tls_context
        self._timeout = timeout
        self.sender = parseaddr(sender)[1] or sender

    # --- sending ----------------------------------------------------------------------------
    def _find_sent(self, message_id: str) -> SentEmail | None:
        with session_scope(self._engine) as session:
            row = repo.get_mail_delivery(session, message_id=message_id)
            if row is None or row.status != "accepted":
                return None
            return self._sent(message_id, row.server_reply or "")

    def _send(self, email: OutgoingEmail) -> SentEmail:
        with session_scope(self._engine) as session:
            earlier = repo.get_mail_delivery(session, message_id=email.message_id)
            if earlier is not None and earlier.status == "accepted":
                return self._sent(email.message_id, earlier.server_reply or "")
        if earlier is not None:
            raise self._unknown(email.message_id, "an earlier attempt was cut off")
        recipients = envelope_recipients(email)
        if not recipients:
            raise RejectedInput(SYSTEM, "the email has no recipients", field="to")
        data = build_mime(email).as_bytes()
        connection = self._connect()
        try:
            self._envelope(connection, recipients)
            with session_scope(self._engine) as session:
                began = repo.begin_mail_delivery(
                    session, message_id=email.message_id, mailer=self.name, recipients=recipients
                )
            if not began:
                connection.rset()
                raise self._unknown(email.message_id, "another attempt is transmitting it")
            reply = self._transmit(connection, email.message_id, data)
        finally:
            _quit(connection)
        with session_scope(self._engine) as session:
            repo.finish_mail_delivery(session, message_id=email.message_id, server_reply=reply)
        return self._sent(email.message_id, reply)

    def _envelope(self, connection: smtplib.SMTP, recipients: list[str]) -> None:
        """MAIL FROM and RCPT TO; any refusal aborts before anything is transmitted."""
        try:
            code, reply = connection.mail(self.sender)
            if code != 250:
                raise _refused(code, reply, f"the sender {self.sender}", field="from")
            refused: list[tuple[str, int, str]] = []
            for address in recipients:
                code, reply = connection.rcpt(address)
                if code not in (250, 251):
                    refused.append((address, code, _text(reply)))
        except smtplib.SMTPServerDisconnected as error:
            raise Unavailable(SYSTEM, f"{self._server.host} hung up: {error}") from error
        except OSError as error:
            raise Unavailable(SYSTEM, f"{self._server.host}: {error}") from error
        if refused:
            connection.rset()
            listing = "; ".join(f"{a} ({code} {text})" for a, code, text in refused)
            if all(400 <= code < 500 for _a, code, _t in refused):
                raise Unavailable(SYSTEM, f"recipients deferred: {listing}")
            raise RejectedInput(
                SYSTEM,
                f"the server refused recipients: {listing}. Nothing was sent; fix the "
                "addresses, edit the draft and approve it again.",
                field="to",
            )

    def _transmit(self, connection: smtplib.SMTP, message_id: str, data: bytes) -> str:
        """DATA. A refusal forgets the journal entry; a lost connection leaves it (unknown)."""
        try:
            code, reply = connection.data(data)
        except smtplib.SMTPDataError as error:
            with session_scope(self._engine) as session:
                repo.forget_mail_delivery(session, message_id=message_id)
            raise _refused(error.smtp_code, error.smtp_error, "the message", field=None) from error
        except (OSError, smtplib.SMTPException) as error:
            raise self._unknown(message_id, f"{type(error).__name__}: {error}") from error
        return f"{code} {_text(reply)}"

    def _connect(self) -> smtplib.SMTP:
        server = self._server
        try:
            if server.security == "tls":
                connection: smtplib.SMTP = smtplib.SMTP_SSL(
                    server.host, server.port, timeout=self._timeout, context=self._tls
                )
            else:
                connection = smtplib.SMTP(server.host, server.port, timeout=self._timeout)
            connection.ehlo()
            if server.security == "starttls":
                if not connection.has_extn("starttls"):
                    _quit(connection)
                    raise Unauthorized(
                        SYSTEM,
                        f"{server.describe()} does not offer STARTTLS, so the login cannot be "
                        "sent safely. Use smtps:// if the server speaks TLS on connect, or "
                        "?tls=off (without a user) for a relay on a trusted network.",
                    )
                connection.starttls(context=self._tls)
                connection.ehlo()
            if server.username:
                connection.login(server.username, server.password or "")
        except smtplib.SMTPAuthenticationError as error:
            raise Unauthorized(
                SYSTEM,
                f"{server.describe()} refused the login of {server.username}: "
                f"{error.smtp_code} {_text(error.smtp_error)}. Check the user and password in "
                "CS_AGENT_SMTP_URL.",
            ) from error
        except smtplib.SMTPNotSupportedError as error:
            raise Unauthorized(
                SYSTEM, f"{server.describe()} does not support login: {error}"
            ) from error
        except ssl.SSLCertVerificationError as error:
            raise Unauthorized(
                SYSTEM,
                f"{server.describe()}: the TLS certificate is not trusted ({error.verify_message})."
                " Set CS_AGENT_SMTP_CA_FILE to the CA that signed it.",
            ) from error
        except smtplib.SMTPResponseException as error:
            raise _refused(
                error.smtp_code, error.smtp_error, "the connection", field=None
            ) from error
        except (OSError, smtplib.SMTPException) as error:
            raise Unavailable(SYSTEM, f"{server.describe()}: {error}") from error
        return connection

    def _sent(self, message_id: str, reply: str) -> SentEmail:
        queued = _QUEUE_ID.search(reply)
        return SentEmail(
            message_id=message_id,
            provider_message_id=queued.group(1) if queued else message_id,
            location=f"{self._server.host}: {reply}" if reply else self._server.host,
        )

    def _unknown(self, message_id: str, why: str) -> OutcomeUnknown:
        return OutcomeUnknown(
            SYSTEM,
            f"{message_id} may or may not have reached {self._server.host} ({why}). It is not "
            "sent again automatically: check the recipients' mailbox or the server's log, then "
            "edit the draft and approve it again if it did not arrive.",
        )

    # --- doctor -----------------------------------------------------------------------------
    def _check(self) -> list[CheckResult]:

        try:
            connection = self._connect()
        except ExternalError as error:
            return [
                CheckResult(
                    port="mailer",
                    adapter=self.name,
                    ok=False,
                    detail=str(error),
                    fix="check CS_AGENT_SMTP_URL (host, port, user and password, smtp:// for "
                    "STARTTLS or smtps://) and CS_AGENT_SMTP_CA_FILE for a private CA",
                )
            ]
        _quit(connection)
        login = f"logged in as {self._server.username}" if self._server.username else "no login"
        return [
            CheckResult(
                port="mailer",
                adapter=self.name,
                ok=True,
                detail=f"{self._server.describe()}: connected, {login}; sending as {self.sender}",
            )
        ]


def tls_context(ca_file: str | None = None) -> ssl.SSLContext:
    """A verifying TLS context, trusting ``ca_file`` as well when given."""
    context = ssl.create_default_context()
    if ca_file:
        context.load_verify_locations(cafile=ca_file)
    return context


def _refused(code: int, reply: bytes | str, what: str, *, field: str | None) -> ExternalError:
    text = f"the server refused {what}: {code} {_text(reply)}"
    if 400 <= code < 500:
        return Unavailable(SYSTEM, text)
    if field == "from":
        return Unauthorized(SYSTEM, f"{text}. Is CS_AGENT_SENDER_EMAIL allowed to send here?")
    return RejectedInput(SYSTEM, text, field=field)


def _text(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)


def _quit(connection: smtplib.SMTP) -> None:
    try:
        connection.quit()
    except (OSError, smtplib.SMTPException):
        connection.close()
