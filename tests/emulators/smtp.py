"""A real SMTP server for tests: aiosmtpd on 127.0.0.1, with TLS and AUTH like a submission port.

It has a self-signed certificate of its own (clients trust it through ``ca_file``), requires
STARTTLS before AUTH (or speaks TLS from the first byte), checks a user and password, and
keeps every message it accepted. It can refuse recipients, and it can drop the connection
right after it received a message (the unknown-outcome case).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
import threading
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@dataclass
class Received:
    """One message the server accepted: the envelope and the bytes."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    queue_id: str

    @property
    def parsed(self) -> EmailMessage:
        message = BytesParser(policy=policy.default).parsebytes(self.data)
        assert isinstance(message, EmailMessage)
        return message


class _Handler:
    def __init__(self, server: SmtpTestServer) -> None:
        self.server = server

    async def handle_RCPT(  # noqa: N802 (aiosmtpd hook name)
        self, smtp: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        code = self.server.refuse.get(address.lower())
        if code is not None:
            return f"{code} 5.1.1 <{address}>: Recipient address rejected"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(  # noqa: N802 (aiosmtpd hook name)
        self, smtp: SMTP, session: Session, envelope: Envelope
    ) -> str:
        with self.server.lock:
            queue_id = f"Q{len(self.server.received) + 1:04d}"
            content = envelope.original_content or b""
            self.server.received.append(
                Received(
                    mail_from=str(envelope.mail_from),
                    rcpt_tos=list(envelope.rcpt_tos),
                    data=content,
                    queue_id=queue_id,
                )
            )
            drop = self.server.drop_after_data > 0
            if drop:
                self.server.drop_after_data -= 1
        if drop and smtp.transport is not None:
            smtp.transport.abort()  # queued, but the client never hears so
        return f"250 2.0.0 Ok: queued as {queue_id}"


class SmtpTestServer:
    """aiosmtpd in a thread; ``url`` is what ``CS_AGENT_SMTP_URL`` would be."""

    def __init__(
        self,
        directory: Path,
        *,
        implicit_tls: bool = False,
        offer_starttls: bool = True,
        username: str = "cs-agent",
        password: str = "s3cret pass",
    ) -> None:
        self.directory = directory
        self.implicit_tls = implicit_tls
        self.offer_starttls = offer_starttls
        self.username = username
        self.password = password
        self.received: list[Received] = []
        self.logins: list[str] = []
        self.refuse: dict[str, int] = {}
        self.drop_after_data = 0
        self.lock = threading.Lock()
        self.port = 0
        self._controller: Controller | None = None
        self.ca_file, self._key_file = _self_signed(directory)

    @property
    def url(self) -> str:
        from urllib.parse import quote

        scheme = "smtps" if self.implicit_tls else "smtp"
        return f"{scheme}://{quote(self.username)}:{quote(self.password, safe='')}@127.0.0.1:{self.port}"

    def start(self) -> SmtpTestServer:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.ca_file, self._key_file)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        options: dict[str, Any] = {
            "authenticator": self._authenticate,
            "auth_require_tls": True,
            "server_hostname": "smtp.test.example",
        }
        if self.implicit_tls:
            options["ssl_context"] = context
            # aiosmtpd only counts STARTTLS as TLS; this connection is TLS from the start.
            options["auth_require_tls"] = False
        elif self.offer_starttls:
            options["tls_context"] = context
            options["require_starttls"] = True
        self._controller = _Controller(
            _Handler(self), hostname="127.0.0.1", port=self.port, **options
        )
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == self.username
            and auth_data.password.decode() == self.password
        )
        if ok:
            self.logins.append(self.username)
        # handled=False: aiosmtpd then answers 535 itself (the default stays silent).
        return AuthResult(success=ok, handled=False)


class _Controller(Controller):
    def _trigger_server(self) -> None:
        # The stock trigger wraps its probe in the server's own TLS context; a plain TCP
        # connect is enough to start the lazily created server.
        with socket.create_connection(("127.0.0.1", self.port), timeout=2):
            pass


def _self_signed(directory: Path) -> tuple[str, str]:
    """A certificate for 127.0.0.1/localhost signed by itself (so it is its own CA)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "cs-agent test SMTP")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    cert_path = directory / "smtp-cert.pem"
    key_path = directory / "smtp-key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert_path), str(key_path)
