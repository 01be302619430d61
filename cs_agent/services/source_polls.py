"""Polling transcript sources on a schedule, for servers that cannot receive their webhooks.

With ``CS_AGENT_MEET_POLL`` set (``5m``), every worker applies one DBOS schedule that fires
``poll_source_schedule`` on the intake queue; a tick's workflow id comes from its time, so
the workers firing the same tick run it once. Each tick looks back two periods (ticks may be
late or missed), and the ingest service skips calls already taken in, so the overlap costs
a look-up, never a second call.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from typing import Any

from dbos import DBOS

from cs_agent.core.durations import cron_every
from cs_agent.core.sources import SourceRef
from cs_agent.services import context, source_ingest
from cs_agent.services.context import ServiceContext
from cs_agent.services.observe import observed
from cs_agent.services.queues import INTAKE_QUEUE

log = logging.getLogger(__name__)

MEET_SCHEDULE = "cs-agent-meet-poll"
MEET = "google-meet"


async def schedule_source_polls(ctx: ServiceContext) -> None:
    """Apply (or remove) the Meet poll schedule from the settings; every worker does this."""
    every = ctx.settings.meet_poll
    if every is None or MEET not in ctx.adapters.sources:
        with contextlib.suppress(Exception):  # no schedule to remove
            await DBOS.delete_schedule_async(MEET_SCHEDULE)
        return
    await DBOS.apply_schedules_async(
        [
            {
                "schedule_name": MEET_SCHEDULE,
                "workflow_fn": poll_meet_schedule,
                "schedule": cron_every(every),
                "queue_name": INTAKE_QUEUE,
            }
        ]
    )


@DBOS.workflow(name="poll_meet_schedule")
async def poll_meet_schedule(scheduled_at: dt.datetime, _context: Any) -> None:
    """One tick: take in Meet transcripts of conferences that ended lately."""
    await poll_in_workflow(context.current(), MEET, scheduled_at)


async def poll_in_workflow(ctx: ServiceContext, source: str, scheduled_at: dt.datetime) -> int:
    """The tick's work, in its workflow: list (a step), then enqueue each new call's ingestion
    (from the workflow: DBOS enqueues from workflows, not from steps). Returns how many new."""
    every = ctx.settings.meet_poll or dt.timedelta(minutes=5)
    since = scheduled_at - 2 * every
    refs = await list_new_calls(ctx, source, since.isoformat())
    for ref in refs:
        await source_ingest.enqueue_ingest(source, SourceRef.model_validate(ref))
    if refs:
        log.info("%s poll: %d new calls", source, len(refs))
    return len(refs)


@DBOS.step(name="list_new_calls")
@observed("list_new_calls")
async def list_new_calls(ctx: ServiceContext, source: str, since: str) -> list[dict[str, Any]]:
    """The source's calls since ``since`` not taken in yet, as stored refs (a read only)."""
    refs = await source_ingest.recent_refs(ctx, source, since=dt.datetime.fromisoformat(since))
    return [
        ref.model_dump(mode="json", exclude={"secret"})
        for ref in refs
        if not await source_ingest.is_taken_in(ctx, source, ref.source_id)
    ]
