"""Logging: readable lines in a terminal, one JSON object a line elsewhere, personal data masked.

Every line carries the call (and draft) it is about and the workflow step that wrote it, taken
from context variables the steps set (``log_context``), so a line from deep inside an adapter
still says which call it belongs to. Email addresses and phone numbers are masked by default:
logs are shipped to places with wider access than the database. Credentials are always masked,
whatever the setting: a URL's user and password, and query parameters that carry a secret
(``?access_token=…``, ``&signature=…``), in every line of every logger (httpx writes each URL
it fetches at INFO), so a download token or a database password never reaches a log.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Literal, TextIO

LogFormat = Literal["auto", "json", "text"]

CONTEXT_FIELDS = ("call_id", "draft_id", "step", "workflow_id")
_context: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar(
    "cs_agent_log_context", default=None
)


@contextmanager
def log_context(**fields: str | None) -> Iterator[None]:
    """Within the block, every log line carries ``fields`` (``call_id``, ``step`` …)."""
    merged = {**(_context.get() or {}), **{k: v for k, v in fields.items() if v}}
    token = _context.set(merged)
    try:
        yield
    finally:
        _context.reset(token)


# --- masking ------------------------------------------------------------------------------------

_EMAIL = re.compile(
    r"(?<![\w.+-])([A-Za-z0-9._%+-]+)@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})"
)
# Phone numbers in the shapes people write them, not every run of digits: timestamps, ids,
# dates, IP addresses and durations must stay readable.
_PHONE = re.compile(
    r"(?<![\w.:/-])(?:"
    r"\+\d{1,3}[\s.-]?(?:\(\d{1,4}\)[\s.-]?)?\d{1,4}(?:[\s.-]?\d{2,4}){1,4}"  # +1 415 555 0134
    r"|\(\d{3}\)\s?\d{3}[\s.-]\d{4}"  # (415) 555-0134
    r"|\d{3}[\s.-]\d{3}[\s.-]\d{4}"  # 415-555-0134
    r"|0\d{1,4}[\s-]\d{3,4}[\s-]\d{3,4}"  # 030 1234 5678
    r")(?![\w:/-]|\.\d)"
)
_OURS = "cs-agent."  # our own Message-IDs look like addresses and are not anyone's data


def _mask_email(match: re.Match[str]) -> str:
    local, domain = match.group(1), match.group(2)
    if local.startswith(_OURS):
        return match.group(0)
    return f"{local[0]}***@{domain}"


def _mask_phone(match: re.Match[str]) -> str:
    text = match.group(0)
    digits = sum(ch.isdigit() for ch in text)
    if digits < 7:
        return text
    keep, out = 2, []
    seen = 0
    for ch in text:
        if ch.isdigit():
            seen += 1
            out.append(ch if seen > digits - keep else "*")
        else:
            out.append(ch)
    return "".join(out)


def mask_pii(text: str) -> str:
    """``text`` with email addresses (``p***@acme.example``) and phone numbers masked."""
    if "@" in text:
        text = _EMAIL.sub(_mask_email, text)
    return _PHONE.sub(_mask_phone, text)


# --- credentials --------------------------------------------------------------------------------

# Query parameters whose value is a secret: these names exactly, or any name ending in one of
# the suffixes (``download_token``, ``X-Amz-Signature``, ``db_password``).
_CREDENTIAL_PARAMS = (
    "access_token|token|key|api_key|apikey|api-key|signature|sig|password|passwd|pwd|secret"
    "|code|client_secret|refresh_token|id_token|auth|x-amz-credential|x-amz-security-token"
)
_CREDENTIAL_SUFFIXES = "token|secret|password|signature|api_key|apikey"
_QUERY_SECRET = re.compile(
    rf"(?P<name>(?<=[?&;])(?:{_CREDENTIAL_PARAMS}|[\w.-]*[_.-](?:{_CREDENTIAL_SUFFIXES}))=)"
    r"(?P<value>[^&#;\s\"'<>]+)",
    re.IGNORECASE,
)
# ``scheme://user:password@host``: everything between ``://`` and the last ``@`` before the
# path; after ``user:``, up to the last ``@`` even past a ``/``, since people put unescaped
# slashes in passwords (a URL with a port and an ``@`` in its path loses its host: better so).
_USERINFO = re.compile(
    r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)"
    r"(?:[^/\s?#@\"'<>:]*:[^\s\"'<>]*|[^/\s?#\"'<>]+)@"
)
_BEARER = re.compile(r"(?P<scheme>\bBearer\s+)[A-Za-z0-9._~+/=-]{8,}", re.IGNORECASE)
MASK = "***"


def mask_credentials(text: str) -> str:
    """``text`` with secrets in URLs masked: ``https://***@host``, ``?access_token=***``.

    Also a bearer token written out (``Bearer ***``). Everything else is left as it is.
    """
    if "://" in text:
        text = _USERINFO.sub(rf"\g<scheme>{MASK}@", text)
    if "=" in text:
        text = _QUERY_SECRET.sub(rf"\g<name>{MASK}", text)
    if "earer" in text:
        text = _BEARER.sub(rf"\g<scheme>{MASK}", text)
    return text


def _mask_record(record: logging.LogRecord, mask: Callable[[str], str]) -> None:
    """Apply ``mask`` to the record's final message (its arguments folded in), its traceback,
    and its string ``extra`` fields, in place."""
    try:
        message = record.getMessage()
    except Exception:  # a bad format string: still log (masked) what was given
        message = f"{record.msg} {record.args!r}"
    record.msg = mask(message)
    record.args = None
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = mask(record.exc_text)
    for key in [*_extra_keys(record), "color_message"]:
        value = record.__dict__.get(key)
        if isinstance(value, str):
            record.__dict__[key] = mask(value)


class CredentialMaskingFilter(logging.Filter):
    """Masks URL credentials and secret query parameters in each record, before any handler
    formats it. On every handler whatever ``CS_AGENT_LOG_MASK_PII`` says."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place; never drops one."""
        if not getattr(record, "_cs_agent_credentials_masked", False):
            _mask_record(record, mask_credentials)
            record._cs_agent_credentials_masked = True
        return True


class PiiMaskingFilter(logging.Filter):
    """Masks the message and the traceback of each record before any handler formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place; never drops one."""
        if not getattr(record, "_cs_agent_masked", False):
            _mask_record(record, mask_pii)
            record._cs_agent_masked = True
        return True


class ContextFilter(logging.Filter):
    """Stamps each record with the log context of the code that logged it."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Adds ``call_id``, ``step`` … unless the call passed them in ``extra``."""
        for key, value in (_context.get() or {}).items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


# --- formats ------------------------------------------------------------------------------------

# Record attributes that are not extra fields (uvicorn adds a ``color_message`` with ANSI codes).
_STANDARD = frozenset(vars(logging.makeLogRecord({}))) | {
    "message",
    "asctime",
    "taskName",
    "color_message",
}


def _extra_keys(record: logging.LogRecord) -> list[str]:
    return [k for k in record.__dict__ if k not in _STANDARD and not k.startswith("_")]


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, the context, any ``extra``."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON."""
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in _extra_keys(record):
            entry[key] = record.__dict__[key]
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False, default=str)


class ContextTextFormatter(logging.Formatter):
    """The message, then the call and step it belongs to, for a person reading a terminal."""

    def format(self, record: logging.LogRecord) -> str:
        """``message  [call-… · analyze_call]``."""
        text = super().format(record)
        where = [str(getattr(record, key)) for key in CONTEXT_FIELDS[:3] if hasattr(record, key)]
        return f"{text}  [{' · '.join(where)}]" if where else text


def wants_json(fmt: LogFormat, stream: TextIO) -> bool:
    """JSON when asked, or when ``auto`` and the stream is not a terminal."""
    if fmt == "auto":
        isatty = getattr(stream, "isatty", None)
        return not (isatty and isatty())
    return fmt == "json"


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at the time of each line (it may be replaced)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def make_handler(*, fmt: LogFormat, mask: bool, stream: TextIO | None = None) -> logging.Handler:
    """A handler in the chosen format, with the context, credentials masked and (unless
    ``mask`` is off) personal data masked.

    Without ``stream`` it writes to the current ``sys.stderr``.
    """
    handler: logging.Handler
    if wants_json(fmt, stream or sys.stderr):
        handler = logging.StreamHandler(stream) if stream is not None else _StderrHandler()
        handler.setFormatter(JsonFormatter())
    else:
        from rich.console import Console
        from rich.logging import RichHandler

        console = Console(file=stream) if stream is not None else Console(stderr=True)
        handler = RichHandler(console=console, show_path=False, show_time=True)
        handler.setFormatter(ContextTextFormatter("%(message)s"))
    handler.addFilter(ContextFilter())
    # Credentials first, always: a password in a URL must not be half-read as an email address.
    handler.addFilter(CredentialMaskingFilter())
    if mask:
        handler.addFilter(PiiMaskingFilter())
    return handler


def configure_logging(
    *,
    level: int,
    fmt: LogFormat = "auto",
    mask: bool = True,
    stream: TextIO | None = None,
) -> logging.Handler:
    """Send every log line of the process (ours, DBOS's, uvicorn's) through one handler.

    Returns the handler, for loggers that keep their own (uvicorn's access log).
    """
    handler = make_handler(fmt=fmt, mask=mask, stream=stream)
    logging.basicConfig(level=level, handlers=[handler], force=True)
    # DBOS adds a console handler of its own unless its logger already has one, and does not
    # propagate: give it ours, so its lines are formatted (and masked) like everyone else's.
    dbos = logging.getLogger("dbos")
    dbos.handlers = [handler]
    dbos.propagate = False
    # Alembic announces its plugins on every start; the migrations it runs stay visible.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    return handler


def access_log_handler(main: logging.Handler, stream: TextIO | None = None) -> logging.Handler:
    """The handler for the HTTP access log: the main one when it writes JSON; otherwise plain
    lines, since Rich costs milliseconds a line on the event loop that answers requests."""
    if isinstance(main.formatter, JsonFormatter):
        return main
    plain: logging.Handler = logging.StreamHandler(stream) if stream else _StderrHandler()
    plain.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    for log_filter in main.filters:
        plain.addFilter(log_filter)
    return plain
