"""One error taxonomy for every outside system, and the failure of a durable step.

Adapters translate what their service answers (HTTP status, GraphQL error codes, Slack's
``ok: false``) into these kinds (four, plus ``OutcomeUnknown`` for the rare system that cannot
tell us whether it did what we asked). The workflows only ever reason about the kinds:
transient ones are retried with capped exponential backoff that honours ``Retry-After``;
permanent ones fail the step at once with a message a person can act on. The retries
themselves live in ``cs_agent.services.backoff``.
"""

from __future__ import annotations

import datetime as dt
import email.utils


class ExternalError(Exception):
    """An outside system did not do what we asked. ``system`` names it (``linear``, ``slack`` …)."""

    transient = False

    def __init__(self, system: str, message: str, *, field: str | None = None) -> None:
        super().__init__(system, message, field)
        self.system = system
        self.message = message
        self.field = field

    def __str__(self) -> str:
        where = f" (field {self.field})" if self.field else ""
        return f"{self.system}: {self.message}{where}"

    def __reduce__(self) -> tuple[object, ...]:
        # Workflow checkpoints pickle errors; keyword-only arguments and extra attributes
        # (retry_after …) would otherwise be lost, or make the error impossible to load.
        return (_rebuild_error, (type(self), self.args, dict(self.__dict__)))


def _rebuild_error(
    cls: type[ExternalError], args: tuple[object, ...], state: dict[str, object]
) -> ExternalError:
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


class Unauthorized(ExternalError):
    """Credentials missing, wrong, expired, or lacking a scope: a person must fix configuration."""


class RejectedInput(ExternalError):
    """The system refused what we sent (validation error, unknown recipient): retrying won't help."""


class RateLimited(ExternalError):
    """Too many requests; ``retry_after`` is how long the system asked us to wait, if it said."""

    transient = True

    def __init__(
        self,
        system: str,
        message: str,
        *,
        retry_after: float | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(system, message, field=field)
        self.retry_after = retry_after


class Unavailable(ExternalError):
    """The system is down, timed out or answered 5xx: worth trying again later."""

    transient = True


class OutcomeUnknown(ExternalError):
    """The system may or may not have done it, and offers no way to ask.

    Retrying could do it twice, so this is not transient: a person checks, then decides. (An SMTP
    connection lost after the message was transmitted is the case: the server may have queued it.)
    """


class UnexpectedAnswer(ExternalError):
    """The system answered without error, but not in the shape its API documents.

    Not transient: the same request tends to get the same answer, so the step fails at once
    with the field named; ``cs-agent calls retry`` tries again once the system is right.
    """


def error_kind(error: ExternalError) -> str:
    """The taxonomy's name for ``error``: ``rate_limited``, ``unavailable`` … (``other`` else)."""
    for cls, kind in (
        (Unauthorized, "unauthorized"),
        (RejectedInput, "rejected_input"),
        (RateLimited, "rate_limited"),
        (Unavailable, "unavailable"),
        (OutcomeUnknown, "outcome_unknown"),
    ):
        if isinstance(error, cls):
            return kind
    return "other"


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta seconds or an HTTP date); None if absent."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())


class WorkflowFailure(Exception):
    """A step failed for good; the call or draft is marked failed with ``reason``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def describe_failure(error: BaseException) -> str:
    """The one line a failed call or draft shows for ``error``."""
    if isinstance(error, WorkflowFailure):
        return error.reason
    if isinstance(error, ExternalError):
        return str(error)
    return f"{type(error).__name__}: {error}"
