"""What Linear answers when it says no, translated into the shared error taxonomy.

Linear puts its verdict in each GraphQL error's ``extensions`` (``code``, ``type``,
``userPresentableMessage``) and also sets the HTTP status: 401 for a missing or wrong key,
400 for a document or input it rejects, and, for rate limits, HTTP 400 (sometimes 429) with
``extensions.code == "RATELIMITED"`` plus ``X-RateLimit-*`` headers whose ``-Reset`` values
are UTC epoch milliseconds. The extensions decide first; the status only when they say nothing.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Mapping
from typing import Any

from cs_agent.core.errors import (
    ExternalError,
    RateLimited,
    RejectedInput,
    Unauthorized,
    Unavailable,
)

SYSTEM = "linear"

_RATE_LIMITED = {"RATELIMITED", "RATE_LIMITED"}
_UNAUTHORIZED = {"AUTHENTICATION_ERROR", "UNAUTHENTICATED"}
_FORBIDDEN = {"FORBIDDEN"}
_TRANSIENT = {"INTERNAL_ERROR", "INTERNAL_SERVER_ERROR", "LOCK_TIMEOUT", "NETWORK_ERROR"}
_TRANSIENT_TYPES = {"internal error", "lock timeout", "network error"}

# Linear names the entity it could not find; we name the input field that referred to it.
_ENTITY_FIELDS = {
    "team": "teamId",
    "user": "assigneeId",
    "issuelabel": "labelIds",
    "label": "labelIds",
    "issue": "id",
    "workflowstate": "stateId",
    "project": "projectId",
}
_NOT_FOUND = re.compile(
    r"(?:Entity not found:\s*|Could not find referenced\s+)(?P<entity>[A-Za-z]+)", re.IGNORECASE
)
# graphql-js: `... got invalid value "x" at "input.dueDate"`; graphql-core: `... at .dueDate`.
_AT_PATH = re.compile(r"""\bat\s+(?:"(?P<quoted>[\w.\[\]]+)"|(?P<dotted>\.[\w.\[\]]+))""")
_UNKNOWN_FIELD = re.compile(r"""(?:unknown field|Field)\s+['"](?P<name>\w+)['"]""")
_LEADING_WORD = re.compile(r"^(?P<word>[a-z][A-Za-z0-9]*)\b")

AUTH_FIX = (
    "check CS_AGENT_LINEAR_API_KEY (Linear → Settings → Security & access → Personal API keys) "
    "or CS_AGENT_LINEAR_OAUTH_TOKEN"
)


def error_from_graphql(
    errors: Iterable[Mapping[str, Any]],
    *,
    status: int | None,
    headers: Mapping[str, str],
    operation: str,
    sent_fields: Iterable[str] = (),
    now: float | None = None,
) -> ExternalError:
    """The taxonomy error for a GraphQL ``errors`` array Linear answered ``operation`` with."""
    errors = [dict(error) for error in errors] or [{"message": "no error details"}]
    kinds = [_extensions(error) for error in errors]
    codes = {str(ext.get("code", "")).upper() for ext in kinds}
    types = {str(ext.get("type", "")).lower() for ext in kinds}
    first = errors[0]
    message = f"{operation}: {_message(first)}"

    if codes & _RATE_LIMITED or "ratelimited" in types or status == 429:
        return RateLimited(SYSTEM, message, retry_after=retry_after(headers, now=now))
    if codes & _UNAUTHORIZED or "authentication error" in types or status == 401:
        return Unauthorized(SYSTEM, f"{message}; {AUTH_FIX}")
    if codes & _FORBIDDEN or "forbidden" in types or status == 403:
        return Unauthorized(
            SYSTEM, f"{message}; the key's user cannot do this (team access, or a read-only key)"
        )
    if codes & _TRANSIENT or types & _TRANSIENT_TYPES or (status is not None and status >= 500):
        return Unavailable(SYSTEM, message)
    return RejectedInput(SYSTEM, message, field=field_of(first, sent_fields=sent_fields))


def error_from_status(
    status: int | None,
    *,
    headers: Mapping[str, str],
    operation: str,
    body: str = "",
    now: float | None = None,
) -> ExternalError:
    """The taxonomy error for an HTTP answer without a GraphQL body (a proxy, an outage)."""
    message = f"{operation}: HTTP {status}" + (f": {body[:200]}" if body else "")
    if status == 429:
        return RateLimited(SYSTEM, message, retry_after=retry_after(headers, now=now))
    if status in (401, 403):
        return Unauthorized(SYSTEM, f"{message}; {AUTH_FIX}")
    if status is None or status >= 500 or status == 408:
        return Unavailable(SYSTEM, message)
    return RejectedInput(SYSTEM, message)


def retry_after(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """Seconds until Linear will take requests again, from ``Retry-After`` or ``X-RateLimit-*``.

    Linear keeps separate budgets (requests, complexity, and per endpoint), each with a
    ``-Remaining`` and a ``-Reset``; the exhausted ones decide. Resets are epoch milliseconds.
    """
    lowered = {key.lower(): value for key, value in headers.items()}
    explicit = _number(lowered.get("retry-after"))
    if explicit is not None:
        return max(explicit, 0.0)
    now = time.time() if now is None else now
    exhausted: list[float] = []
    any_reset: list[float] = []
    for budget in ("requests", "complexity", "endpoint-requests"):
        reset = _epoch_seconds(_number(lowered.get(f"x-ratelimit-{budget}-reset")))
        if reset is None:
            continue
        wait = max(reset - now, 0.0)
        any_reset.append(wait)
        remaining = _number(lowered.get(f"x-ratelimit-{budget}-remaining"))
        if remaining is not None and remaining <= 0:
            exhausted.append(wait)
    if exhausted:
        return max(exhausted)
    return min(any_reset) if any_reset else None


def field_of(error: Mapping[str, Any], *, sent_fields: Iterable[str] = ()) -> str | None:
    """The input field a rejection is about, as precisely as Linear's answer allows."""
    extensions = _extensions(error)
    for item in extensions.get("validationErrors") or []:
        if isinstance(item, Mapping) and item.get("property"):
            return str(item["property"])
    message = str(error.get("message", ""))
    presentable = str(extensions.get("userPresentableMessage", ""))
    for text in (message, presentable):
        at = _AT_PATH.search(text)
        if at:
            return (at.group("quoted") or at.group("dotted")).lstrip(".")
        unknown = _UNKNOWN_FIELD.search(text)
        if unknown:
            return unknown.group("name")
        missing = _NOT_FOUND.search(text)
        if missing:
            entity = missing.group("entity").lower()
            return _ENTITY_FIELDS.get(entity, entity)
    fields = set(sent_fields)
    for text in (presentable, message):
        leading = _LEADING_WORD.match(text)
        if leading and leading.group("word") in fields:
            return leading.group("word")
    path = error.get("path")
    if isinstance(path, list) and path:
        return ".".join(str(part) for part in path)
    return None


def _extensions(error: Mapping[str, Any]) -> Mapping[str, Any]:
    extensions = error.get("extensions")
    return extensions if isinstance(extensions, Mapping) else {}


def _message(error: Mapping[str, Any]) -> str:
    extensions = _extensions(error)
    presentable = extensions.get("userPresentableMessage")
    raw = str(error.get("message") or extensions.get("type") or "unknown error")
    if presentable and presentable != raw:
        return f"{presentable} ({raw})"
    return raw


def _number(value: str | None) -> float | None:
    if value is None or not value.strip():
        return None
    try:
        return float(value)
    except ValueError:
        return None


def _epoch_seconds(value: float | None) -> float | None:
    if value is None:
        return None
    # Linear sends milliseconds; a value this small can only be seconds.
    return value / 1000.0 if value > 1e11 else value
