"""What every workflow step reports: its log context, its latency, and how it ended.

``@observed("analyze_call")`` goes under ``@DBOS.step``: while the step runs, each log line
(ours, an adapter's, the retry loop's) carries the call or draft id from the step's arguments
and the step's name, and the step's duration lands in the latency histogram.
"""

from __future__ import annotations

import functools
import inspect
import logging
import time
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from dbos import DBOS

from cs_agent.core.ids import call_id_of_draft
from cs_agent.logs import log_context
from cs_agent.services import metrics

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

_ID_ARGUMENTS = ("call_id", "draft_id")


def observed(step: str) -> Callable[[Callable[P, Awaitable[R]]], Callable[P, Awaitable[R]]]:
    """Decorate an async step: log context from its ``call_id``/``draft_id``, and its latency."""

    def decorate(func: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        signature = inspect.signature(func)
        wanted = [name for name in _ID_ARGUMENTS if name in signature.parameters]

        @functools.wraps(func)
        async def run(*args: P.args, **kwargs: P.kwargs) -> R:
            bound = signature.bind_partial(*args, **kwargs).arguments
            ids = {name: str(bound[name]) for name in wanted if bound.get(name) is not None}
            if "draft_id" in ids and "call_id" not in ids:
                ids["call_id"] = call_id_of_draft(ids["draft_id"])
            with log_context(step=step, workflow_id=_workflow_id(), **ids):
                started = time.perf_counter()
                ok = False
                try:
                    result = await func(*args, **kwargs)
                    ok = True
                    return result
                finally:
                    seconds = time.perf_counter() - started
                    metrics.observe_step(step, seconds=seconds, ok=ok)
                    log.debug("%s %s in %.3fs", step, "finished" if ok else "failed", seconds)

        return run

    return decorate


def _workflow_id() -> str | None:
    try:
        workflow_id = DBOS.workflow_id
    except Exception:  # outside DBOS (a step called directly)
        return None
    return str(workflow_id) if workflow_id else None
