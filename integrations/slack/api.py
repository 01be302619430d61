"""One Slack Web API call at a time, with Slack's errors translated into the shared taxonomy.

Slack answers ``ok: false`` with an error code (or an HTTP error); the callers retry what is
transient, stop on what is not, and tell the person what to fix when access is the problem.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from cs_agent.core.errors import (
    ExternalError,
    RateLimited,
    RejectedInput,
    Unauthorized,
    Unavailable,
    parse_retry_after,
)

SYSTEM = "slack"
_AUTH_ERRORS = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "missing_scope",
        "no_permission",
        "not_allowed_token_type",
        "ekm_access_denied",
    }
)
_TRANSIENT_ERRORS = frozenset(
    {"internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)


async def call_slack(
    method: str,
    call: Callable[[], Awaitable[AsyncSlackResponse]],
    *,
    tolerate: frozenset[str] | set[str] = frozenset(),
) -> Any:
    """Make one Web API call; Slack's errors become the shared taxonomy.

    Returns None for an error code in ``tolerate`` (the caller has a plan for it).
    """
    try:
        return await call()
    except SlackApiError as error:
        code = _error_code(error)
        if code in tolerate:
            return None
        raise translate_error(method, error) from None
    except (aiohttp.ClientError, TimeoutError) as error:
        raise Unavailable(SYSTEM, f"{method}: {type(error).__name__}: {error}") from None


def _error_code(error: SlackApiError) -> str:
    data = error.response.data if error.response is not None else None
    if isinstance(data, dict):
        return str(data.get("error") or "unknown_error")
    return "unknown_error"


def translate_error(method: str, error: SlackApiError) -> ExternalError:
    """Slack's ``ok: false`` answers (and HTTP errors) as the shared error kinds."""
    response = error.response
    status = response.status_code if response is not None else 0
    code = _error_code(error)
    data = response.data if response is not None and isinstance(response.data, dict) else {}
    if status == 429 or code == "ratelimited":
        header = response.headers.get("Retry-After") if response is not None else None
        return RateLimited(SYSTEM, f"{method}: rate limited", retry_after=parse_retry_after(header))
    if code in _AUTH_ERRORS or status in (401, 403):
        needed = f" (needs {data['needed']})" if data.get("needed") else ""
        return Unauthorized(SYSTEM, f"{method}: {code}{needed}")
    if status >= 500 or code in _TRANSIENT_ERRORS:
        return Unavailable(SYSTEM, f"{method}: {code} (HTTP {status})")
    messages = (data.get("response_metadata") or {}).get("messages") or []
    detail = f": {'; '.join(str(m) for m in messages)}" if messages else ""
    return RejectedInput(SYSTEM, f"{method}: {code}{detail}")
