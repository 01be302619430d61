"""Taking in what a tracker reports, in a process that runs DBOS (the API, a worker).

The webhook and the reconcile end here: the states go through ``promises.record_issue_states``
(the one path every report takes), then each promise kept for a customer gets its update
workflow enqueued. ``cs-agent tasks`` takes the same path, handing the workflows to the
server through a DBOS client instead.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from cs_agent.core.domain import IssueState
from cs_agent.services.context import ServiceContext
from cs_agent.services.promise_updates import start_updates
from cs_agent.services.promises import PromiseChange, record_issue_states


@dataclass(frozen=True)
class TakenReport:
    """What a report did."""

    duplicate: bool = False
    """The delivery was taken in before: nothing was recorded again."""
    changes: list[PromiseChange] = field(default_factory=list)
    workflow_ids: list[str] = field(default_factory=list)


async def take_report(
    ctx: ServiceContext,
    states: list[IssueState],
    *,
    source: str,
    delivery_id: str | None = None,
) -> TakenReport:
    """Record ``states`` (claiming ``delivery_id`` with them) and start the updates they make due."""
    changes = await asyncio.to_thread(
        record_issue_states, ctx.engine, states, source=source, delivery_id=delivery_id
    )
    if changes is None:
        return TakenReport(duplicate=True)
    workflow_ids = await start_updates([c.item_id for c in changes if c.tell_customer])
    return TakenReport(changes=changes, workflow_ids=workflow_ids)
