"""Reading the inbox's forms: the upload (transcript and call metadata) and the draft edit.

Each reader returns the values as typed (to show the form again) plus the problems by field
name, so a page can point at exactly what to fix and keep everything else the person entered.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from dataclasses import dataclass, field

from starlette.datastructures import FormData, UploadFile

from cs_agent.core.addresses import EmailAddress, InvalidAddress
from cs_agent.core.domain import (
    Attendee,
    CallMetadata,
    Customer,
    Side,
    Transcript,
    TranscriptFormat,
)
from cs_agent.core.text import unstorable
from cs_agent.core.transcripts import TranscriptError, format_for_filename, parse_transcript
from cs_agent.services.approvals import validate_email_fields
from cs_agent.web.numbers import parse_number

_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$", re.I)


@dataclass
class UploadForm:
    """The upload form as submitted, and what is wrong with it."""

    transcript: str = ""
    filename: str = ""
    format: str = ""
    title: str = ""
    call_date: str = ""
    customer_name: str = ""
    customer_domain: str = ""
    attendees: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    error_line: int | None = None
    """The transcript line a parse error is at, when it is at one."""
    parsed: Transcript | None = None
    metadata: CallMetadata | None = None

    def excerpt(self, around: int = 2) -> list[tuple[int, str]]:
        """The transcript's lines near the parse error, numbered, to show where it is."""
        if not self.error_line:
            return []
        lines = self.transcript.splitlines()
        first = max(1, self.error_line - around)
        last = min(len(lines), self.error_line + around)
        return [(number, lines[number - 1][:200]) for number in range(first, last + 1)]


async def read_upload(form: FormData, *, max_bytes: int, our_domain: str) -> UploadForm:
    """Parse the transcript (a file wins over pasted text) and the call's metadata."""
    upload = UploadForm(
        transcript=_text(form, "transcript"),
        filename=_text(form, "filename"),
        format=_text(form, "format"),
        title=_text(form, "title").strip(),
        call_date=_text(form, "call_date").strip(),
        customer_name=_text(form, "customer_name").strip(),
        customer_domain=_text(form, "customer_domain").strip().lower(),
        attendees=_text(form, "attendees"),
    )
    data: bytes | str = upload.transcript
    file = form.get("transcript_file")
    if isinstance(file, UploadFile) and file.filename:
        raw = await file.read(max_bytes + 1)
        if raw:
            data = raw
            upload.filename = file.filename
            # Shown again if it cannot be read, so it can be fixed here instead of re-chosen.
            upload.transcript = raw[: max_bytes + 1].decode("utf-8", errors="replace")
    size = len(data if isinstance(data, bytes) else data.encode("utf-8"))
    fmt = _format(upload)
    if size > max_bytes:
        upload.errors["transcript"] = (
            f"the transcript is {size:,} bytes; the limit is {max_bytes:,} "
            "(CS_AGENT_MAX_TRANSCRIPT_BYTES)"
        )
    elif not upload.transcript.strip() and not isinstance(data, bytes):
        upload.errors["transcript"] = "paste the transcript or choose its file"
    else:
        try:
            # Parsing is CPU work: in a thread, so the server keeps answering meanwhile.
            upload.parsed = await asyncio.to_thread(parse_transcript, data, format=fmt)
        except TranscriptError as error:
            where = f"{upload.filename}: " if upload.filename else ""
            upload.errors["transcript"] = f"{where}{error}"
            upload.error_line = error.line
    if upload.format and upload.format not in {f.value for f in TranscriptFormat}:
        upload.errors["format"] = "choose one of the listed formats"
    upload.metadata = _metadata(upload, our_domain=our_domain)
    return upload


def _format(upload: UploadForm) -> TranscriptFormat | None:
    if upload.format in {f.value for f in TranscriptFormat}:
        return TranscriptFormat(upload.format)
    return format_for_filename(upload.filename) if upload.filename else None


def _metadata(upload: UploadForm, *, our_domain: str) -> CallMetadata | None:
    errors = upload.errors
    for name in ("title", "customer_name", "customer_domain"):
        # A NUL (%00 in a form) cannot be stored: said at the field, not a failed page.
        problem = unstorable(getattr(upload, name))
        if problem is not None:
            errors[name] = f"this has {problem}; remove it"
    if "title" not in errors and len(upload.title) > 500:
        errors["title"] = "keep the title under 500 characters"
    call_date = None
    if upload.call_date:
        try:
            call_date = dt.date.fromisoformat(upload.call_date)
        except ValueError:
            errors["call_date"] = f"{upload.call_date!r} is not a date like 2026-11-10"
    if "customer_name" not in errors and len(upload.customer_name) > 255:
        errors["customer_name"] = "keep the name under 255 characters"
    if (
        "customer_domain" not in errors
        and upload.customer_domain
        and not _DOMAIN.match(upload.customer_domain)
    ):
        errors["customer_domain"] = (
            f"{upload.customer_domain!r} is not a domain like acme.com (no @, no spaces)"
        )
    customer = None
    customer_ok = not errors.keys() & {"customer_name", "customer_domain"}
    if customer_ok and (upload.customer_name or upload.customer_domain):
        customer = Customer(
            name=upload.customer_name or upload.customer_domain,
            domain=upload.customer_domain or None,
        )
    attendees = parse_attendees(
        upload.attendees,
        customer_domain=upload.customer_domain if "customer_domain" not in errors else "",
        our_domain=our_domain,
        errors=errors,
    )
    if errors:
        return None
    return CallMetadata(
        title=upload.title or None, call_date=call_date, customer=customer, attendees=attendees
    )


def parse_attendees(
    text: str, *, customer_domain: str, our_domain: str, errors: dict[str, str]
) -> list[Attendee]:
    """One attendee a line, ``Name <email>``, ``email`` or just ``Name``.

    The side comes from the email's domain: the customer's domain, or ours (the sender's).
    A problem is reported in ``errors["attendees"]`` naming its line.
    """
    attendees = []
    for number, line in enumerate(text.splitlines(), start=1):
        entry = line.strip()
        if not entry:
            continue
        problem = unstorable(entry)
        if problem is not None:
            errors["attendees"] = f"line {number}: this has {problem}; remove it"
            break
        if "@" not in entry:
            attendees.append(Attendee(name=entry))
            continue
        try:
            address = EmailAddress.parse(entry)
        except InvalidAddress:
            errors["attendees"] = (
                f'line {number}: {entry!r} is not "Name <email>", an email address, or a name'
            )
            break
        name, email = address.name, address.addr
        domain = email.rpartition("@")[2].lower()
        side = None
        if customer_domain and domain == customer_domain:
            side = Side.CUSTOMER
        elif our_domain and domain == our_domain:
            side = Side.US
        attendees.append(Attendee(name=name or email, email=email, side=side))
    return attendees


@dataclass
class EditForm:
    """The draft edit form as submitted, and what is wrong with it."""

    subject: str
    body: str
    to: str
    cc: str
    version: int | None
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def to_list(self) -> list[str]:
        """The To addresses, one string each."""
        return split_addresses(self.to)

    @property
    def cc_list(self) -> list[str]:
        """The Cc addresses, one string each."""
        return split_addresses(self.cc)


def read_edit(form: FormData) -> EditForm:
    """The edited subject, body and recipients, checked the way every channel checks them."""
    edit = EditForm(
        subject=_text(form, "subject").strip(),
        body=_text(form, "body").replace("\r\n", "\n"),
        to=_text(form, "to"),
        cc=_text(form, "cc"),
        version=read_version(form),
    )
    if edit.version is None:
        edit.errors["version"] = "the form is missing the draft version; reload the page"
    edit.errors.update(
        validate_email_fields(
            subject=edit.subject, body=edit.body, to=edit.to_list, cc=edit.cc_list
        )
    )
    return edit


def read_version(form: FormData) -> int | None:
    """The draft version the person was looking at when they submitted (None if not a number)."""
    return parse_number(_text(form, "version"))


def split_addresses(text: str) -> list[str]:
    """Addresses separated by commas or new lines, as typed (a comma in a quoted name stays).

    Nothing is dropped or rewritten here, so a malformed entry reaches the validation that
    names it, instead of disappearing.
    """
    parts: list[str] = []
    current: list[str] = []
    quoted = angled = False
    for char in text:
        if char == '"' and not angled:
            quoted = not quoted
        elif char == "<" and not quoted:
            angled = True
        elif char == ">" and not quoted:
            angled = False
        if char in ",\n" and not quoted and not angled:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [" ".join(part.split()) for part in parts if part.strip()]


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""
