"""The error taxonomy survives workflow checkpoints, and the one retry loop behaves."""

from __future__ import annotations

import pickle

import pytest

from cs_agent.core.errors import (
    ExternalError,
    OutcomeUnknown,
    RateLimited,
    RejectedInput,
    Unauthorized,
    Unavailable,
)
from cs_agent.services.backoff import RetryPolicy, with_retries


@pytest.mark.parametrize(
    "error",
    [
        Unauthorized("linear", "bad key", field="CS_AGENT_LINEAR_API_KEY"),
        RejectedInput("gmail", "Invalid To header", field="to"),
        RateLimited("slack", "ratelimited", retry_after=2.5),
        Unavailable("linear", "503"),
        OutcomeUnknown("smtp", "connection dropped after DATA"),
    ],
)
def test_errors_survive_pickling_with_every_attribute(error: ExternalError) -> None:
    loaded = pickle.loads(pickle.dumps(error))
    assert type(loaded) is type(error)
    assert loaded.__dict__ == error.__dict__
    assert str(loaded) == str(error)
    assert loaded.transient == error.transient


async def test_retry_after_wins_and_permanent_errors_are_not_retried() -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    answers: list[Exception | str] = [RateLimited("x", "slow down", retry_after=7.0), "ok"]

    async def flaky() -> str:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    policy = RetryPolicy(attempts=3, initial_delay=0.1, jitter=0.0)
    assert await with_retries(flaky, what="x", policy=policy, sleep=sleep) == "ok"
    assert waits == [7.0]

    calls = 0

    async def refused() -> str:
        nonlocal calls
        calls += 1
        raise RejectedInput("x", "no")

    with pytest.raises(RejectedInput):
        await with_retries(refused, what="x", policy=policy, sleep=sleep)
    assert calls == 1


async def test_transient_errors_stop_after_the_budget() -> None:
    calls = 0

    async def down() -> str:
        nonlocal calls
        calls += 1
        raise Unavailable("x", "503")

    async def sleep(_seconds: float) -> None:
        return None

    with pytest.raises(Unavailable):
        await with_retries(down, what="x", policy=RetryPolicy(attempts=4), sleep=sleep)
    assert calls == 4
