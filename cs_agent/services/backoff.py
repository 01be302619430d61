"""The one retry policy: capped exponential backoff with jitter that honours ``Retry-After``.

Every call to an outside system from a step goes through ``with_retries``; the policies below
say how hard each kind of call tries, from the settings.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from cs_agent.config import Settings
from cs_agent.core.errors import ExternalError, RateLimited, error_kind
from cs_agent.services import metrics

log = logging.getLogger(__name__)

T = TypeVar("T")


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


def service_retry_policy(settings: Settings) -> RetryPolicy:
    """How hard a step tries one call to a tracker, approval channel or mailer."""
    return RetryPolicy(
        attempts=max(1, settings.retry_attempts),
        initial_delay=settings.retry_initial_delay,
        max_delay=settings.retry_max_delay,
    )


def analysis_retry_policy(settings: Settings) -> RetryPolicy:
    """How often a whole analysis is tried when the model API is rate-limited or down."""
    return RetryPolicy(
        attempts=max(1, settings.analysis_attempts),
        initial_delay=settings.analysis_retry_delay,
        max_delay=max(settings.analysis_retry_delay, 300.0),
    )


ZOOM_DOWNLOAD_POLICY = RetryPolicy(attempts=8, initial_delay=0.5, max_delay=60.0)
"""A download that keeps failing is retried for about a minute (8 tries) before the call fails."""

SOURCE_FETCH_POLICY = RetryPolicy(attempts=6, initial_delay=0.5, max_delay=30.0)
"""Fetching a call from a transcript source (Gong, Google Meet): about half a minute of tries."""
