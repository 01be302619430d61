"""Failures of the agent run, mapped onto the shared error taxonomy (``cs_agent.core.errors``).

Bad credentials are ``Unauthorized``; 429 is ``RateLimited``; 5xx, overload and unreachable
APIs are ``Unavailable`` (the workflow retries those); everything else is a permanent
``AgentError`` whose message says what to do.
"""

from __future__ import annotations

from collections.abc import Mapping

from claude_agent_sdk import (
    ClaudeSDKError,
    CLIConnectionError,
    CLINotFoundError,
    ProcessError,
    ResultError,
    ResultMessage,
)

from cs_agent.config import Settings
from cs_agent.core.errors import (
    ExternalError,
    RateLimited,
    RejectedInput,
    Unauthorized,
    Unavailable,
)

SYSTEM = "claude"

# What the CLI reports when an error has no HTTP status (e.g. no credentials at all).
_STATUS_OF_KIND = {
    "authentication_failed": 401,
    "billing_error": 402,
    "rate_limit": 429,
    "invalid_request": 400,
}


class AgentError(ExternalError):
    """The agent run failed for a reason retrying will not fix; the message says what to do."""


def result_error(
    result: ResultMessage,
    api_error: str | None,
    kind: str | None,
    *,
    settings: Settings,
    environ: Mapping[str, str],
) -> ExternalError:
    """The taxonomy error for a query whose result is an error."""
    detail = api_error or result.result or "; ".join(result.errors or []) or result.subtype
    if result.subtype == "error_max_turns":
        return max_turns_error(settings)
    return http_error(
        result.api_error_status, detail, kind=kind, settings=settings, environ=environ
    )


def max_turns_error(settings: Settings) -> AgentError:
    """The agent ran out of turns before finishing."""
    return AgentError(
        SYSTEM,
        f"the agent used all {settings.max_turns} turns without finishing; nothing "
        "was filed. Retry the call, or raise CS_AGENT_MAX_TURNS if long calls need more.",
    )


def http_error(
    status: int | None,
    detail: str,
    *,
    kind: str | None = None,
    settings: Settings,
    environ: Mapping[str, str],
) -> ExternalError:
    """The taxonomy error for a failed model request: by HTTP status, else by the CLI's kind."""
    where = settings.anthropic_base_url or environ.get("ANTHROPIC_BASE_URL")
    at = f" at {where}" if where else ""
    said = f"HTTP {status}: {detail}" if status else detail
    effective = status or _STATUS_OF_KIND.get(kind or "")
    if effective == 402:
        return Unauthorized(
            SYSTEM,
            f"the model API{at} refused the request for billing reasons ({said}). Check "
            "the account's plan and credit.",
        )
    if effective in (401, 403):
        return Unauthorized(
            SYSTEM,
            f"the model API{at} refused the credentials ({said}). Set ANTHROPIC_API_KEY "
            "to a valid key; `cs-agent doctor` checks it.",
        )
    if effective == 429:
        return RateLimited(SYSTEM, f"the model API{at} is rate-limiting us ({said})")
    if effective is not None and 400 <= effective < 500:
        return RejectedInput(
            SYSTEM,
            f"the model API{at} rejected the request ({said}). Check CS_AGENT_MODEL "
            f"({settings.model}).",
        )
    return Unavailable(SYSTEM, f"the model API{at} is unavailable ({said})")


def sdk_error(
    error: ClaudeSDKError, *, settings: Settings, environ: Mapping[str, str]
) -> ExternalError:
    """The taxonomy error for a failure the SDK raised (CLI missing, crashed, or refused)."""
    if isinstance(error, CLINotFoundError):
        return AgentError(
            SYSTEM,
            f"the claude CLI was not found ({error}). It ships inside the claude-agent-sdk "
            "package: reinstall cs-agent, or set CS_AGENT_CLAUDE_CLI to a claude executable.",
        )
    if isinstance(error, ResultError):
        if error.subtype == "error_max_turns":
            return max_turns_error(settings)
        return http_error(
            error.api_error_status, error.result or str(error), settings=settings, environ=environ
        )
    if isinstance(error, ProcessError | CLIConnectionError):
        stderr = getattr(error, "stderr", None)
        return AgentError(
            SYSTEM,
            f"the claude CLI failed ({error}){': ' + stderr if stderr else ''}. Run "
            "`cs-agent doctor` to check the agent's setup.",
        )
    return AgentError(SYSTEM, f"the agent failed: {error}")
