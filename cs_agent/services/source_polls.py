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
    await poll_recent(context.current(), MEET, scheduled_at.isoformat())


@DBOS.step(name="poll_recent")
@observed("poll_recent")
async def poll_recent(ctx: ServiceContext, source: str, scheduled_at: str) -> int:
    """Announce the source's calls since two periods before the tick (a read, then idempotent
    announcements: safe to repeat)."""
    every = ctx.settings.meet_poll or dt.timedelta(minutes=5)
    since = dt.datetime.fromisoformat(scheduled_at) - 2 * every
    announced = await source_ingest.poll(ctx, source, since=since)
    new = sum(1 for a in announced if not a.duplicate)
    if new:
        log.info("%s poll: %d new calls", source, new)
    return new
