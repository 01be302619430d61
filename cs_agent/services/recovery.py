"""Finishing the work of workers that died: heartbeats, and recovery of what they left pending.

DBOS resumes a process's own unfinished workflows when that process starts again under the
same executor id. With many workers on PostgreSQL a dead worker may never come back (a new
container gets a new name), so every worker also watches the others: it records a heartbeat
every few seconds, and when another executor's heartbeat is older than the timeout while it
still owns pending workflows, those workflows are handed back to the queue. DBOS's hand-back
is conditional on the dead executor still owning them, so two workers doing it at once, or
doing it twice, start each workflow once.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import socket
import uuid
from dataclasses import dataclass

from dbos import DBOS
from sqlalchemy import delete, select
from sqlalchemy.engine import Engine
from sqlmodel import col

from storage.db import session_scope
from storage.models import WorkerRow, utcnow

log = logging.getLogger(__name__)


def new_executor_id() -> str:
    """A unique, readable executor id: host, pid and a random suffix."""
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


@dataclass
class Watchdog:
    """Heartbeats for this executor, and recovery of executors that stopped beating."""

    engine: Engine
    executor_id: str
    interval: float = 5.0
    timeout: float = 30.0

    def beat(self) -> None:
        """Record that this executor is alive."""
        now = utcnow()
        with session_scope(self.engine) as session:
            row = session.get(WorkerRow, self.executor_id)
            if row is None:
                session.add(
                    WorkerRow(
                        executor_id=self.executor_id,
                        host=socket.gethostname(),
                        pid=os.getpid(),
                        started_at=now,
                        last_seen=now,
                    )
                )
            else:
                row.last_seen = now
                session.add(row)

    def dead_executors(self) -> list[str]:
        """Executors whose last heartbeat is older than the timeout."""
        cutoff = utcnow().timestamp() - self.timeout
        with session_scope(self.engine) as session:
            rows = session.execute(select(WorkerRow)).scalars().all()
            return [
                row.executor_id
                for row in rows
                if row.executor_id != self.executor_id and row.last_seen.timestamp() < cutoff
            ]

    def recover_dead(self) -> int:
        """Hand the pending workflows of dead executors back to the queues. Returns how many."""
        recovered = 0
        for executor_id in self.dead_executors():
            handles = DBOS._recover_pending_workflows([executor_id])
            recovered += len(handles)
            if handles:
                log.warning(
                    "worker %s stopped; resumed %d of its workflows", executor_id, len(handles)
                )
            with session_scope(self.engine) as session:
                session.execute(delete(WorkerRow).where(col(WorkerRow.executor_id) == executor_id))
        return recovered

    def retire(self) -> None:
        """Mark this executor gone at once, so what it leaves pending is resumed without waiting."""
        with session_scope(self.engine) as session:
            row = session.get(WorkerRow, self.executor_id)
            if row is not None:
                row.last_seen = dt.datetime.fromtimestamp(0, dt.UTC)
                session.add(row)

    async def run(self) -> None:
        """Beat and watch until cancelled."""
        while True:
            try:
                await asyncio.to_thread(self.beat)
                await asyncio.to_thread(self.recover_dead)
            except Exception:
                log.exception("worker heartbeat failed; trying again")
            await asyncio.sleep(self.interval)
