"""Building the follow-up as a standards-compliant MIME message, shared by every mailer.

The body is written in Markdown. Recipients get ``multipart/alternative``: the Markdown as the
plain-text part rendered as text (``integrations.email_text``: no ``##`` or ``**``) and HTML rendered from it. Raw HTML in the Markdown is
escaped, never passed through, so a drafted body cannot smuggle markup into an email.
"""

from __future__ import annotations

import datetime as dt
import re
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, parseaddr

from markdown_it import MarkdownIt

from cs_agent.core.addresses import EmailAddress, InvalidAddress
from cs_agent.core.domain import OutgoingEmail
from cs_agent.core.errors import RejectedInput
from integrations.email_text import render_text

# ``breaks``: a line break in the draft is a line break in the email (sign-offs, addresses),
# as people expect from the text they approved.
_markdown = MarkdownIt("commonmark", {"html": False, "breaks": True, "typographer": False})

_HTML_TEMPLATE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"></head>
<body style="font-family: -apple-system, Segoe UI, Helvetica, Arial, sans-serif; font-size: 14px; line-height: 1.5; color: #1f2328;">
{body}</body></html>
"""


def render_html(markdown: str) -> str:
    """The HTML part: Markdown rendered with raw HTML escaped and unsafe links dropped."""
    return _HTML_TEMPLATE.format(body=_markdown.render(markdown))


def build_mime(email: OutgoingEmail, *, date: str | None = None) -> EmailMessage:
    """The email as a MIME message: headers encoded per RFC 2047/5322, text and HTML parts.

    Non-ASCII subjects and display names become RFC 2047 encoded words when serialised; line
    breaks in a subject (a person's edit can carry one) are folded to spaces, since a header
    cannot hold them.
    """
    message = EmailMessage(policy=SMTP)
    sender_addr = parseaddr(email.sender)[1] or email.sender
    message["From"] = _address(sender_addr, email.sender_name)
    to, cc = recipients(email)
    message["To"] = ", ".join(_address(a.addr, a.name) for a in to)
    if cc:
        message["Cc"] = ", ".join(_address(a.addr, a.name) for a in cc)
    if email.reply_to:
        reply_to = _validated(email.reply_to, "reply_to")
        message["Reply-To"] = _address(reply_to.addr, reply_to.name)
    message["Subject"] = one_line(email.subject)
    message["Message-ID"] = email.message_id
    message["Date"] = date or format_datetime(dt.datetime.now(dt.UTC))
    if email.in_reply_to:
        message["In-Reply-To"] = email.in_reply_to
    if email.references:
        message["References"] = " ".join(email.references)
    message["X-Mailer"] = "cs-agent"
    message.set_content(render_text(email.body), subtype="plain", charset="utf-8")
    message.add_alternative(render_html(email.body), subtype="html", charset="utf-8")
    return message


def recipients(email: OutgoingEmail) -> tuple[list[EmailAddress], list[EmailAddress]]:
    """To and Cc as validated single mailboxes; a bad entry raises ``RejectedInput``.

    The headers and the SMTP envelope are both built from this one list, so nobody can
    receive the message without being shown in To or Cc.
    """
    to = [_validated(value, "to") for value in email.to]
    cc = [_validated(value, "cc") for value in email.cc]
    return to, cc


def envelope_recipients(email: OutgoingEmail) -> list[str]:
    """The bare addresses of everyone in To and Cc, each once, in order."""
    to, cc = recipients(email)
    seen: set[str] = set()
    addresses: list[str] = []
    for address in [*to, *cc]:
        if address.addr.lower() not in seen:
            seen.add(address.addr.lower())
            addresses.append(address.addr)
    return addresses


def one_line(value: str) -> str:
    """``value`` with runs of line breaks and surrounding whitespace folded into one space."""
    # Every character ``str.splitlines`` breaks on (vertical tab, form feed, the file/group/
    # record separators, NEL, U+2028/9), not only CR and LF: the email package refuses them all.
    return re.sub(r"\s*[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]+\s*", " ", value).strip()


def _address(addr: str, name: str | None) -> str:
    if not name:
        return addr
    local, at, domain = addr.rpartition("@")
    if not at:
        return addr
    return str(Address(display_name=one_line(name), username=local, domain=domain))


def _validated(value: str, field: str) -> EmailAddress:
    try:
        return EmailAddress.parse(value)
    except InvalidAddress as error:
        raise RejectedInput(
            "email",
            f"{field} entry {value!r} {error}; nothing was sent. Fix the address, edit the "
            "draft and approve it again.",
            field=field,
        ) from None
