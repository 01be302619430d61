"""The async face of a mailer whose client blocks (the Google client, smtplib).

Each call runs in a worker thread, so a slow mail server never holds up the event loop that
answers webhooks and clicks. A subclass writes the blocking ``_send``, ``_find_sent`` and
``_check``; the ``Mailer`` port's methods are here, once.
"""

from __future__ import annotations

import asyncio

from cs_agent.core.domain import OutgoingEmail, SentEmail
from cs_agent.core.ports import CheckResult


class BlockingMailer:
    """Runs a blocking mail client's send, look-up and checks off the event loop."""

    name: str

    async def send(self, email: OutgoingEmail) -> SentEmail:
        """Send ``email`` once (the caller has looked its Message-ID up first)."""
        return await asyncio.to_thread(self._send, email)

    async def find_sent(self, message_id: str) -> SentEmail | None:
        """The message already sent under ``message_id``, if any."""
        return await asyncio.to_thread(self._find_sent, message_id)

    async def check(self) -> list[CheckResult]:
        """``cs-agent doctor``'s live checks of this mailer."""
        return await asyncio.to_thread(self._check)

    def _send(self, email: OutgoingEmail) -> SentEmail:
        raise NotImplementedError

    def _find_sent(self, message_id: str) -> SentEmail | None:
        raise NotImplementedError

    def _check(self) -> list[CheckResult]:
        raise NotImplementedError
