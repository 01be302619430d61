"""The Gmail mailer: sends the approved follow-up with ``users.messages.send``, once, as a reply.

- **Exactly once.** Every message carries a Message-ID derived from the draft version.
  ``find_sent`` searches the mailbox for it (``rfc822msgid:``, including spam and trash, never
  drafts), and the workflow calls it before every send attempt, so a retry after a timeout or a
  crash finds the first message instead of sending a second.
- **Threading.** With a thread id (or a subject to find the thread by) the message is sent in
  that thread: ``threadId`` set, ``In-Reply-To`` = the thread's last Message-ID, ``References``
  = that message's references plus its id.
- **Errors** become the shared taxonomy: 401/403 → ``Unauthorized`` naming the account and the
  scope; 429 and quota 403s → ``RateLimited``; 5xx and network failures → ``Unavailable``; other
  4xx (an invalid recipient) → ``RejectedInput``.

The google client is synchronous; each call runs in a worker thread over a thread-safe
transport (see ``integrations.google_http``).
"""

from __future__ import annotations

import asyncio
import base64
import email.utils
import json
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
from google.auth.exceptions import RefreshError
from google.auth.exceptions import TransportError as GoogleTransportError
from google_auth_httplib2 import AuthorizedHttp
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from cs_agent.core.domain import OutgoingEmail, SentEmail
from cs_agent.core.errors import (
    ExternalError,
    RateLimited,
    RejectedInput,
    Unauthorized,
    Unavailable,
    UnexpectedAnswer,
    parse_retry_after,
)
from cs_agent.core.ports import CheckResult
from integrations.blocking_mailer import BlockingMailer
from integrations.email_message import build_mime, envelope_recipients
from integrations.gmail import answers
from integrations.gmail.answers import Message, Thread
from integrations.gmail.auth import GMAIL_READONLY, GMAIL_SEND, SCOPES, GmailIdentity
from integrations.gmail.drafts import GmailDrafts
from integrations.gmail.http import HttpxHttp

log = logging.getLogger(__name__)

SYSTEM = answers.SYSTEM
RATE_LIMIT_REASONS = frozenset(
    {"rateLimitExceeded", "userRateLimitExceeded", "dailyLimitExceeded", "quotaExceeded"}
)
THREAD_HEADERS = ["Message-ID", "References", "In-Reply-To", "Subject", "From", "To", "Cc"]
_REPLY_PREFIX = re.compile(r"^\s*(?:(?:re|fwd?|aw|wg|sv|vs|tr)\s*(?:\[\d+\])?\s*:\s*)+", re.I)
_MESSAGE_ID = re.compile(r"<[^<>\s]+>")
_HEADER_FIELD = re.compile(r"\b(to|cc|bcc|from|reply-to|subject)\b header", re.I)


def build_gmail_service(credentials: Any, *, api_url: str, timeout: float) -> Any:
    """A Gmail API client from the discovery document shipped with the library (no network).

    Requests go to ``api_url`` (``https://gmail.googleapis.com/`` unless a proxy or a test says
    otherwise) through a thread-safe httpx transport that never re-sends on its own.
    """
    transport = HttpxHttp(httpx.Client(timeout=httpx.Timeout(timeout, connect=min(timeout, 10))))
    return build(
        "gmail",
        "v1",
        http=AuthorizedHttp(credentials, http=transport),
        static_discovery=True,
        cache_discovery=False,
        client_options={"api_endpoint": api_url if api_url.endswith("/") else api_url + "/"},
    )


@dataclass(frozen=True)
class ThreadAnchor:
    """Where a reply goes: the thread, and the ids it answers."""

    thread_id: str
    in_reply_to: str | None
    references: list[str]
    subject: str | None


class GmailMailer(GmailDrafts, BlockingMailer):
    """Sends through the Gmail API as ``identity.sender``, in the customer's thread when one is
    known. Sending is not idempotent by itself: ``find_sent`` searches the mailbox for the
    Message-ID (``rfc822msgid:``); ``check`` reads the sender's profile, scopes and look-up."""

    name = "gmail"

    def __init__(self, service: Any, *, identity: GmailIdentity) -> None:
        self._service = service
        self._identity = identity
        self.sender = identity.sender

    async def account_address(self) -> str:
        """The address of the Google account the credentials act for (``users.getProfile``)."""
        profile = await asyncio.to_thread(self._profile)
        return profile.emailAddress

    def web_url(self, thread_id: str) -> str:
        """Where a person sees the conversation in Gmail."""
        return f"https://mail.google.com/mail/u/{quote(self.sender)}/#all/{thread_id}"

    # --- sending ----------------------------------------------------------------------------
    def _send(self, email: OutgoingEmail) -> SentEmail:
        email = self._threaded(email)
        raw = base64.urlsafe_b64encode(build_mime(email).as_bytes()).decode("ascii")
        body: dict[str, str] = {"raw": raw}
        if email.thread_id:
            body["threadId"] = email.thread_id
        answer = self._run(
            f"sending {email.message_id}",
            GMAIL_SEND,
            lambda: self._service.users().messages().send(userId="me", body=body),
        )
        try:
            sent = answers.read(answers.Sent, answer, what=f"sending {email.message_id}")
        except UnexpectedAnswer as odd:
            # Gmail took the message but did not say its id: find it by our Message-ID.
            log.warning("%s; looking the message up by its Message-ID", odd)
            found = self._find_sent(email.message_id)
            if found is None:
                raise odd from None
            return found
        return SentEmail(
            message_id=email.message_id,
            provider_message_id=sent.id,
            location=self.web_url(sent.threadId or sent.id),
        )

    def _threaded(self, email: OutgoingEmail) -> OutgoingEmail:
        """``email`` as a reply in its thread (ids and references set), or as a new one."""
        anchor = self._anchor_for(email)
        if anchor is not None:
            if anchor.subject and normalize_subject(anchor.subject) != normalize_subject(
                email.subject
            ):
                # Gmail files a reply in the thread only when the subjects match; the
                # headers still make it a reply in the customer's mail client.
                log.info(
                    "%s: subject %r differs from thread %s (%r); Gmail may start a new thread",
                    email.message_id,
                    email.subject,
                    anchor.thread_id,
                    anchor.subject,
                )
            email = email.model_copy(
                update={
                    "thread_id": anchor.thread_id,
                    "in_reply_to": anchor.in_reply_to or email.in_reply_to,
                    "references": anchor.references or email.references,
                }
            )
            return email
        return email.model_copy(update={"thread_id": None})

    def _find_sent(self, message_id: str) -> SentEmail | None:
        bare = message_id.strip().strip("<>")
        # No degrading here: without this look-up a retry could send the message twice.
        what = f"looking up {message_id}"
        listing = self._run(
            what,
            GMAIL_READONLY,
            lambda: (
                self._service.users()
                .messages()
                .list(userId="me", q=f"rfc822msgid:{bare}", includeSpamTrash=True, maxResults=10)
            ),
        )
        for found in answers.read(answers.MessageList, listing, what=what).messages:
            meta = self._message_metadata(found.id)
            if "DRAFT" in meta.labelIds:
                continue  # a draft with our id was never sent
            if (header(meta, "Message-ID") or "").strip().strip("<>") != bare:
                continue  # search is fuzzy; the header is the truth
            return SentEmail(
                message_id=message_id,
                provider_message_id=meta.id,
                location=self.web_url(meta.threadId or meta.id),
            )
        return None

    def _message_metadata(self, gmail_id: str) -> Message:
        what = f"reading message {gmail_id}"
        meta = self._run(
            what,
            GMAIL_READONLY,
            lambda: (
                self._service.users()
                .messages()
                .get(userId="me", id=gmail_id, format="metadata", metadataHeaders=["Message-ID"])
            ),
        )
        return answers.read(Message, meta, what=what)

    # --- threading --------------------------------------------------------------------------
    def _anchor_for(self, email: OutgoingEmail) -> ThreadAnchor | None:
        if email.thread_id:
            thread = self._get_thread(email.thread_id)
            if thread is not None:
                anchor = reply_anchor(thread)
                if anchor is not None:
                    return anchor
            log.warning(
                "%s: Gmail thread %s was not found; sending as a new conversation",
                email.message_id,
                email.thread_id,
            )
        if email.thread_subject:
            anchor = self._find_thread_by_subject(email)
            if anchor is None:
                log.info(
                    "%s: no thread with subject %r and these recipients; sending as a new "
                    "conversation",
                    email.message_id,
                    email.thread_subject,
                )
            return anchor
        return None

    def _get_thread(self, thread_id: str) -> Thread | None:
        what = f"reading thread {thread_id}"
        try:
            thread = self._run(
                what,
                GMAIL_READONLY,
                lambda: (
                    self._service.users()
                    .threads()
                    .get(
                        userId="me", id=thread_id, format="metadata", metadataHeaders=THREAD_HEADERS
                    )
                ),
            )
        except RejectedInput:
            return None  # 404 (or a malformed id): no such thread in this mailbox
        try:
            return answers.read(Thread, thread, what=what)
        except UnexpectedAnswer as odd:
            # Threading is a courtesy: without it the message starts a new conversation.
            log.warning("%s; not replying in that thread", odd)
            return None

    def _find_thread_by_subject(self, email: OutgoingEmail) -> ThreadAnchor | None:
        wanted = normalize_subject(email.thread_subject or "")
        if not wanted:
            return None
        phrase = " ".join(wanted.replace('"', " ").split())
        what = f"searching threads with subject {phrase!r}"
        listing = self._run(
            what,
            GMAIL_READONLY,
            lambda: (
                self._service.users()
                .threads()
                .list(userId="me", q=f'subject:"{phrase}"', maxResults=10)
            ),
        )
        try:
            candidates = answers.read(answers.ThreadList, listing, what=what).threads
        except UnexpectedAnswer as odd:
            log.warning("%s; not looking for the thread", odd)
            return None
        recipients = {addr.lower() for addr in envelope_recipients(email)}
        for candidate in candidates:
            thread = self._get_thread(candidate.id)
            if thread is None:
                continue
            anchor = reply_anchor(thread)
            if anchor is None or normalize_subject(anchor.subject or "") != wanted:
                continue
            # A same-subject thread with none of our recipients is someone else's conversation.
            if recipients & participants(thread):
                return anchor
        return None

    # --- doctor -----------------------------------------------------------------------------
    def _check(self) -> list[CheckResult]:

        def result(ok: bool, detail: str, fix: str | None = None) -> CheckResult:
            return CheckResult(port="mailer", adapter=self.name, ok=ok, detail=detail, fix=fix)

        identity = self._identity
        try:
            address = self._profile().emailAddress
        except ExternalError as error:
            return [result(False, str(error), identity.fix())]
        results = [result(True, f"signed in to Gmail as {address} ({identity.describe()})")]
        if address.lower() != self.sender.lower():
            results.append(self._check_send_as(address, result))
        granted = getattr(identity.credentials, "granted_scopes", None)
        if identity.kind == "service_account":
            results.append(
                result(True, "domain-wide delegation issued a token for " + ", ".join(SCOPES))
            )
        elif granted is not None:
            missing = [scope for scope in SCOPES if scope not in granted]
            results.append(
                result(False, "the token lacks " + ", ".join(missing), identity.fix())
                if missing
                else result(True, "the token grants " + ", ".join(SCOPES))
            )
        try:
            self._find_sent("<cs-agent-doctor@cs-agent.invalid>")
        except ExternalError as error:
            results.append(result(False, f"duplicate look-up: {error}", identity.fix()))
        else:
            results.append(result(True, "duplicate look-up (rfc822msgid: search) works"))
        return results

    def _profile(self) -> answers.Profile:
        what = "reading the Gmail profile"
        profile = self._run(
            what, GMAIL_READONLY, lambda: self._service.users().getProfile(userId="me")
        )
        return answers.read(answers.Profile, profile, what=what)

    def _check_send_as(self, address: str, result: Callable[..., CheckResult]) -> CheckResult:
        what = "listing send-as addresses"
        try:
            listing = self._run(
                what,
                GMAIL_READONLY,
                lambda: self._service.users().settings().sendAs().list(userId="me"),
            )
            aliases = answers.read(answers.SendAsList, listing, what=what).sendAs
        except ExternalError as error:
            return result(False, f"cannot list send-as addresses: {error}", self._identity.fix())
        for alias in aliases:
            if alias.sendAsEmail.lower() == self.sender.lower() and (
                alias.verificationStatus == "accepted"
            ):
                return result(True, f"{self.sender} is a verified send-as address of {address}")
        return result(
            False,
            f"{address} cannot send as {self.sender}: Gmail would rewrite the From",
            f"Set CS_AGENT_GMAIL_SENDER={address}, or add {self.sender} as a verified "
            "'Send mail as' address in that account's Gmail settings.",
        )

    # --- calling the API --------------------------------------------------------------------
    def _run(self, what: str, scope: str, make_request: Callable[[], Any]) -> Any:
        """Execute one API request, translating every failure into the error taxonomy."""
        try:
            return make_request().execute()
        except HttpError as error:
            raise self._translate(error, what=what, scope=scope) from error
        except RefreshError as error:
            if getattr(error, "retryable", False):
                raise Unavailable(SYSTEM, f"{what}: token refresh failed: {error}") from error
            raise Unauthorized(
                SYSTEM,
                f"Google refused to issue a token for {self._identity.describe()}: "
                f"{_refresh_reason(error).rstrip('.')}. {self._identity.fix()}",
            ) from error
        except (httpx.TransportError, GoogleTransportError, OSError) as error:
            # For a send the outcome is unknown: the workflow looks the message up before
            # trying again.
            raise Unavailable(
                SYSTEM, f"{what}: {type(error).__name__}: {str(error) or 'no answer'}"
            ) from error

    def _translate(self, error: HttpError, *, what: str, scope: str) -> ExternalError:
        status = int(error.resp.status)
        message, reasons = google_error(error.content)
        message = message.rstrip(".")  # our sentences follow it
        identity = self._identity
        if status == 429 or (status == 403 and reasons & RATE_LIMIT_REASONS):
            return RateLimited(
                SYSTEM,
                f"{what}: {message}",
                retry_after=parse_retry_after(error.resp.get("retry-after")),
            )
        if status == 401:
            return Unauthorized(
                SYSTEM,
                f"Gmail did not accept the credentials ({identity.describe()}) while {what}: "
                f"{message}. {identity.fix()}",
            )
        if status == 403:
            return Unauthorized(
                SYSTEM,
                f"Gmail refused {what} for {self.sender} ({identity.describe()}): {message}. "
                f"This call needs the scope {scope}. {identity.fix()}",
            )
        if status >= 500 or status == 408:
            return Unavailable(SYSTEM, f"{what}: Gmail answered {status}: {message}")
        field_match = _HEADER_FIELD.search(message)
        if "recipient address required" in message.lower():
            field: str | None = "to"
        else:
            field = field_match.group(1).lower() if field_match else None
        hint = (
            f" Check the addresses in {field.title()}, edit the draft and approve it again."
            if field in {"to", "cc", "bcc"}
            else ""
        )
        return RejectedInput(SYSTEM, f"Gmail refused {what}: {message}.{hint}", field=field)


# --- reading Gmail's answers ---------------------------------------------------------------------


def google_error(content: bytes | str | None) -> tuple[str, set[str]]:
    """The message and the ``reason`` codes of a Google API error body."""
    try:
        data = json.loads(content or b"{}")
    except (ValueError, TypeError):
        text = content.decode(errors="replace") if isinstance(content, bytes) else str(content)
        return text.strip()[:300] or "no details", set()
    error = data.get("error") if isinstance(data, dict) else None
    if not isinstance(error, dict):
        return str(data)[:300], set()
    reasons = {str(e.get("reason")) for e in error.get("errors", []) if isinstance(e, dict)}
    return str(error.get("message") or error.get("status") or "no details"), reasons


def header(message: Message, name: str) -> str | None:
    """A header of a Gmail message resource (``format=metadata``), case-insensitively."""
    for item in message.payload.headers:
        if item.name.lower() == name.lower():
            return item.value
    return None


def normalize_subject(subject: str) -> str:
    """A subject without reply/forward prefixes, case or extra spaces: how threads compare."""
    return " ".join(_REPLY_PREFIX.sub("", subject).split()).casefold()


def reply_anchor(thread: Thread) -> ThreadAnchor | None:
    """How to reply in ``thread`` (a ``threads.get`` resource): answer its last sent message."""
    messages = [m for m in thread.messages if "DRAFT" not in m.labelIds]
    if not messages:
        return None
    last = messages[-1]
    last_id = header(last, "Message-ID")
    found = _MESSAGE_ID.findall(header(last, "References") or header(last, "In-Reply-To") or "")
    references: list[str] = []
    for ref in [*found, *([last_id.strip()] if last_id else [])]:
        if ref not in references:
            references.append(ref)
    return ThreadAnchor(
        thread_id=thread.id,
        in_reply_to=last_id.strip() if last_id else None,
        references=references,
        subject=header(messages[0], "Subject"),
    )


def participants(thread: Thread) -> set[str]:
    """Every address in From, To and Cc of the thread's messages, lower-cased."""
    values: list[str] = []
    for message in thread.messages:
        values.extend(header(message, name) or "" for name in ("From", "To", "Cc"))
    return {addr.lower() for addr in _addresses(values)}


def _addresses(values: Iterable[str]) -> list[str]:
    return [addr for _name, addr in email.utils.getaddresses(list(values)) if addr]


def _refresh_reason(error: RefreshError) -> str:
    # RefreshError args are (message, response body); the body's "error" code is the useful bit.
    if len(error.args) > 1 and isinstance(error.args[1], dict):
        body = error.args[1]
        code = body.get("error")
        description = body.get("error_description")
        if code:
            return f"{code}: {description}" if description else str(code)
    return str(error.args[0]) if error.args else str(error)
