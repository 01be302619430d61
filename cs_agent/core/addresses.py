"""One validated email address: exactly one mailbox, with an optional display name.

Every address that reaches a header or an SMTP envelope goes through ``EmailAddress.parse``:
at intake (attendees, a Zoom host), when a person edits a draft's To/Cc, and when the message
is built. A raw string is never split with ``getaddresses`` on the way to a send, so a value
such as ``tom@acme.example\\r\\nBcc: hidden@evil.example`` or ``a@x.example,b@y.example`` is
refused instead of adding recipients that no header shows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_ADDRESS = 254
MAX_LOCAL = 64
MAX_LABEL = 63
MAX_NAME = 200

# The dot-atom of RFC 5322 for the local part; quoted local parts are not accepted (no
# mail system a customer uses needs them, and they are where parsers disagree).
_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_LABEL = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]")
# Characters that turn one value into several mailboxes or a group (``a, b``, ``grp: a;``).
_LIST_SYNTAX = re.compile(r"[,;:]")


class InvalidAddress(ValueError):
    """The value is not exactly one plausible mailbox; the message says why."""


@dataclass(frozen=True, slots=True)
class EmailAddress:
    """A single mailbox: ``addr`` (``local@domain``) and an optional display ``name``."""

    addr: str
    name: str = ""

    @classmethod
    def parse(cls, value: str) -> EmailAddress:
        """``Name <local@domain>`` or ``local@domain``; anything else raises ``InvalidAddress``."""
        if not isinstance(value, str):
            raise InvalidAddress("not a string")
        if _CONTROL.search(value):
            raise InvalidAddress("contains a line break or control character")
        text = value.strip()
        if not text:
            raise InvalidAddress("is empty")
        if len(text) > MAX_ADDRESS + MAX_NAME + 3:
            raise InvalidAddress("is too long")
        name = ""
        if text.endswith(">") and "<" in text:
            head, _lt, addr = text[:-1].rpartition("<")
            name = head.strip()
            quoted = len(name) >= 2 and name[0] == name[-1] == '"'
            if quoted:
                # A quoted name may hold a comma ("Doe, Jane"); it is quoted again on output.
                name = name[1:-1].replace('\\"', '"').replace("\\\\", "\\")
            if any(c in name for c in '<>"') or (not quoted and _LIST_SYNTAX.search(name)):
                raise InvalidAddress("the display name holds <, >, quotes, commas or colons")
        else:
            addr = text
        return cls(addr=_check_addr(addr.strip()), name=name.strip())

    @classmethod
    def is_valid(cls, value: str) -> bool:
        """Whether ``parse`` accepts ``value``."""
        try:
            cls.parse(value)
        except InvalidAddress:
            return False
        return True

    @property
    def domain(self) -> str:
        """The domain, lower-cased."""
        return self.addr.rpartition("@")[2].lower()

    @property
    def local(self) -> str:
        """The part before the ``@``."""
        return self.addr.rpartition("@")[0]

    def __str__(self) -> str:
        if not self.name:
            return self.addr
        name = self.name.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{name}" <{self.addr}>'


def _check_addr(addr: str) -> str:
    if len(addr) > MAX_ADDRESS:
        raise InvalidAddress(f"is longer than {MAX_ADDRESS} characters")
    if _LIST_SYNTAX.search(addr) or any(c in addr for c in ' <>"()[]\\'):
        raise InvalidAddress("is not a single address (a list, a group or stray characters)")
    local, at, domain = addr.rpartition("@")
    if not at or not local or not domain:
        raise InvalidAddress("has no local@domain")
    if len(local) > MAX_LOCAL:
        raise InvalidAddress(f"the part before @ is longer than {MAX_LOCAL} characters")
    if not _LOCAL.fullmatch(local):
        raise InvalidAddress("the part before @ has characters an address cannot have")
    return f"{local}@{_check_domain(domain)}"


def _check_domain(domain: str) -> str:
    try:
        # IDNA: a domain in any script becomes its ASCII (punycode) form for the check; the
        # address keeps the form the person wrote.
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        raise InvalidAddress("the domain is not a valid domain name") from None
    labels = ascii_domain.split(".")
    if len(labels) < 2 or len(ascii_domain) > 253:
        raise InvalidAddress("the domain needs a dot (name.tld)")
    for label in labels:
        if len(label) > MAX_LABEL or not _LABEL.fullmatch(label):
            raise InvalidAddress("the domain is not a valid domain name")
    return domain


def optional_mailbox(value: str | None) -> str | None:
    """An optional address field read at intake: blank is None, anything else one bare mailbox.

    A CR/LF, a comma list or a group is refused here (a ``ValueError``, which pydantic reports
    as a 422 naming the field), so it can never reach a header or an envelope.
    """
    if value is None or not value.strip():
        return None
    try:
        return EmailAddress.parse(value).addr
    except InvalidAddress as error:
        raise ValueError(f"not a single email address: {error}") from None
