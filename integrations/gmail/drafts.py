"""Drafts in the sender's Gmail (the ``gmail-draft`` follow-up policy), exactly once.

``users.drafts.create`` is not idempotent, so the draft is looked up by its Message-ID first
(``drafts.list`` with ``rfc822msgid:``, the header then compared exactly): a create retried
after a timeout that had in fact been applied finds the first draft instead of making a second.
The draft is the MIME a sent follow-up would be (same Message-ID, thread and headers), so a
person who sends it from Gmail sends it in the customer's thread, and ``find_sent`` then finds
it. Mixed into ``GmailMailer``; it uses the mailer's request runner and threading.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from cs_agent.core.domain import OutgoingEmail, SentEmail
from cs_agent.core.errors import UnexpectedAnswer
from integrations.email_message import build_mime
from integrations.gmail import answers
from integrations.gmail.auth import GMAIL_COMPOSE, GMAIL_READONLY


class GmailDrafts:
    """``create_draft`` and ``find_draft`` (the ``MailboxDrafts`` port) for the Gmail mailer."""

    sender: str
    _service: Any

    async def create_draft(self, email: OutgoingEmail) -> SentEmail:
        """Create the draft, unless one with its Message-ID is already there."""
        return await asyncio.to_thread(self._create_draft, email)

    async def find_draft(self, message_id: str) -> SentEmail | None:
        """The draft created under ``message_id``, while it is still a draft."""
        return await asyncio.to_thread(self._find_draft, message_id)

    def draft_url(self, message_id: str) -> str:
        """Where the sender opens the draft in Gmail (the draft's message id)."""
        return f"https://mail.google.com/mail/u/{quote(self.sender)}/#drafts?compose={message_id}"

    def _create_draft(self, email: OutgoingEmail) -> SentEmail:
        found = self._find_draft(email.message_id)
        if found is not None:
            return found
        email = self._threaded(email)
        raw = base64.urlsafe_b64encode(build_mime(email).as_bytes()).decode("ascii")
        message: dict[str, str] = {"raw": raw}
        if email.thread_id:
            message["threadId"] = email.thread_id
        what = f"creating the draft {email.message_id}"
        answer = self._run(
            what,
            GMAIL_COMPOSE,
            lambda: self._service.users().drafts().create(userId="me", body={"message": message}),
        )
        try:
            draft = answers.read(answers.Draft, answer, what=what)
        except UnexpectedAnswer:
            # Gmail made it but did not say its id: the look-up by Message-ID knows.
            again = self._find_draft(email.message_id)
            if again is None:
                raise
            return again
        return self._placed(email.message_id, draft)

    def _find_draft(self, message_id: str) -> SentEmail | None:
        bare = message_id.strip().strip("<>")
        what = f"looking up the draft {message_id}"
        listing = self._run(
            what,
            GMAIL_READONLY,
            lambda: (
                self._service.users()
                .drafts()
                .list(userId="me", q=f"rfc822msgid:{bare}", maxResults=10)
            ),
        )
        for listed in answers.read(answers.DraftList, listing, what=what).drafts:
            draft = self._get_draft(listed.id, what=what)
            headers = {h.name.lower(): h.value for h in draft.message.payload.headers}
            if headers.get("message-id", "").strip().strip("<>") == bare:
                return self._placed(message_id, draft)
        return None

    def _get_draft(self, draft_id: str, *, what: str) -> answers.Draft:
        got = self._run(
            what,
            GMAIL_READONLY,
            lambda: self._service.users().drafts().get(userId="me", id=draft_id, format="metadata"),
        )
        return answers.read(answers.Draft, got, what=what)

    def _placed(self, message_id: str, draft: answers.Draft) -> SentEmail:
        return SentEmail(
            message_id=message_id,
            provider_message_id=draft.id,
            location=self.draft_url(draft.message.id),
        )

    # Provided by GmailMailer.
    def _run(self, what: str, scope: str, make_request: Callable[[], Any]) -> Any:
        raise NotImplementedError

    def _threaded(self, email: OutgoingEmail) -> OutgoingEmail:
        raise NotImplementedError
