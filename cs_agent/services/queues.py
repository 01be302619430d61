"""The queues durable work runs on, and how an entry point waits for a workflow.

DBOS keeps queues in its system database, so every process (API, workers) agrees on them.
"""

from __future__ import annotations

import asyncio
from typing import Any

from dbos import DBOS

APP_NAME = "cs-agent"
"""The DBOS application name: the API and the workers must agree on it."""
CALLS_QUEUE = "cs-agent-calls"
PROCESS_CALL_WORKFLOW = "process_call"
SENDS_QUEUE = "cs-agent-sends"
INTAKE_QUEUE = "cs-agent-intake"
PROMISES_QUEUE = "cs-agent-promises"
"""Telling customers about promises kept: one at a time across every worker, so two promises
of one customer kept at once join one update instead of racing to start two."""
PROMISE_UPDATE_WORKFLOW = "tell_customer_promise_kept"


async def register_queues(*, worker_concurrency: int) -> None:
    """Declare the queues (DBOS keeps them in its database, so every process agrees)."""
    await DBOS.register_queue_async(
        CALLS_QUEUE, worker_concurrency=worker_concurrency, polling_interval_sec=0.2
    )
    await DBOS.register_queue_async(SENDS_QUEUE, worker_concurrency=8, polling_interval_sec=0.2)
    await DBOS.register_queue_async(INTAKE_QUEUE, worker_concurrency=4, polling_interval_sec=0.2)
    await DBOS.register_queue_async(PROMISES_QUEUE, global_concurrency=1, polling_interval_sec=0.2)


async def wait_for(workflow_id: str, *, timeout: float | None = None) -> Any:
    """Wait for a workflow to finish and return its result (raises what it raised)."""
    handle: Any = await DBOS.retrieve_workflow_async(workflow_id)
    return await asyncio.wait_for(handle.get_result(polling_interval_sec=0.1), timeout)


# --- ingest_zoom_transcript ---------------------------------------------------------------------
