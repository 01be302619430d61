"""Building the real mailers against local servers, for the mailer tests and the flows."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from cs_agent.config import Settings
from cs_agent.core.domain import OutgoingEmail
from cs_agent.core.ids import message_id_for
from integrations.gmail.auth import load_credentials
from integrations.gmail.mailer import GmailMailer, build_gmail_service
from integrations.smtp import SmtpMailer, SmtpServer, tls_context

from .emulators.gmail import GmailEmulator
from .emulators.smtp import SmtpTestServer

SENDER = "dana.reyes@brightwave.example"
CUSTOMER = "priya.natarajan@acmefreight.example"


@dataclass
class GmailSetup:
    """A Gmail emulator with a sender mailbox and a credentials file for it."""

    emulator: GmailEmulator
    credentials: Path
    sender: str = SENDER

    def mailer(self, *, timeout: float = 5.0) -> GmailMailer:
        """The Gmail mailer exactly as the wiring builds it, pointed at the emulator."""
        identity = load_credentials(
            self.credentials, sender=self.sender, token_url=self.emulator.url + "/token"
        )
        service = build_gmail_service(
            identity.credentials, api_url=self.emulator.url + "/", timeout=timeout
        )
        return GmailMailer(service, identity=identity)

    def settings(self, base: Settings, **extra: Any) -> Settings:
        """``base`` with Gmail switched on (what the CS_AGENT_GMAIL_* variables would do)."""
        return base.model_copy(
            update={
                "gmail_credentials": self.credentials,
                "gmail_sender": self.sender,
                "gmail_api_url": self.emulator.url + "/",
                "gmail_timeout_seconds": 5.0,
                "google_token_url": self.emulator.url + "/token",
                **extra,
            }
        )

    def env(self) -> dict[str, str]:
        """The same configuration as environment variables, for a child process."""
        return {
            "CS_AGENT_GMAIL_CREDENTIALS": str(self.credentials),
            "CS_AGENT_GMAIL_SENDER": self.sender,
            "CS_AGENT_GMAIL_API_URL": self.emulator.url + "/",
            "CS_AGENT_GMAIL_TIMEOUT_SECONDS": "5",
            "CS_AGENT_GOOGLE_TOKEN_URL": self.emulator.url + "/token",
        }


def smtp_mailer(server: SmtpTestServer, engine: Engine, *, sender: str = SENDER) -> SmtpMailer:
    """The SMTP mailer as the wiring builds it, trusting the test server's certificate."""
    return SmtpMailer(
        SmtpServer.from_url(server.url),
        engine=engine,
        sender=sender,
        tls_context=tls_context(server.ca_file),
        timeout=5.0,
    )


def outgoing(draft_id: str = "draft-test", version: int = 1, **fields: Any) -> OutgoingEmail:
    """A follow-up ready to send, with its deterministic Message-ID."""
    values: dict[str, Any] = {
        "message_id": message_id_for(draft_id=draft_id, version=version, sender=SENDER),
        "sender": SENDER,
        "sender_name": "Dana Reyes",
        "to": [f"Priya Natarajan <{CUSTOMER}>"],
        "cc": ["tom.kowalski@acmefreight.example"],
        "subject": "Acme Freight renewal: next steps",
        "body": "Hi Priya,\n\nThanks for the call. **Next steps:**\n\n- pricing by Friday\n",
    }
    values.update(fields)
    return OutgoingEmail(**values)
