"""One error taxonomy for every outside system, and the one place retries live.

Adapters translate what their service answers (HTTP status, GraphQL error codes, Slack's
``ok: false``) into these kinds (four, plus ``OutcomeUnknown`` for the rare system that cannot
tell us whether it did what we asked). The workflows only ever reason about the kinds:
transient ones are retried here with capped exponential backoff that honours ``Retry-After``;
permanent ones fail the step at once with a message a person can act on.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from cs_agent import metrics

log = logging.getLogger(__name__)

T = TypeVar("T")


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


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: attempts in all, the first delay, its growth, and the cap on one delay."""

    attempts: int = 5
    initial_delay: float = 0.5
    backoff: float = 2.0
    max_delay: float = 30.0
    jitter: float = 0.1


DEFAULT_POLICY = RetryPolicy()


async def with_retries(
    operation: Callable[[], Awaitable[T]],
    *,
    what: str,
    policy: RetryPolicy = DEFAULT_POLICY,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> T:
    """Run ``operation``, retrying transient ``ExternalError``s with backoff; re-raise the rest.

    A ``Retry-After`` from the system wins over our own schedule (capped at ``max_delay``).
    """
    delay = policy.initial_delay
    for attempt in range(1, policy.attempts + 1):
        try:
            return await operation()
        except ExternalError as error:
            metrics.count_external_error(error.system, error_kind(error))
            if not error.transient or attempt == policy.attempts:
                raise
            wait = delay
            if isinstance(error, RateLimited) and error.retry_after is not None:
                wait = error.retry_after
            wait = min(wait, policy.max_delay) * (1 + random.uniform(0, policy.jitter))
            log.warning(
                "%s failed (attempt %d of %d): %s; retrying in %.1fs",
                what,
                attempt,
                policy.attempts,
                error,
                wait,
            )
            await sleep(wait)
            delay = min(delay * policy.backoff, policy.max_delay)
    raise AssertionError("unreachable")  # pragma: no cover


class OutcomeUnknown(ExternalError):
    """The system may or may not have done it, and offers no way to ask.

    Retrying could do it twice, so this is not transient: a person checks, then decides. (An SMTP
    connection lost after the message was transmitted is the case: the server may have queued it.)
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
