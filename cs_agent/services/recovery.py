"""Finishing the work of workers that died: exact liveness, and recovery of what they left.

DBOS resumes a process's own unfinished workflows when that process starts again under the
same executor id. With many workers on PostgreSQL a dead worker may never come back (a new
container gets a new name), so every worker also watches the others.

A worker is alive exactly as long as its database session is: for its whole life it holds a
session-level advisory lock, on a connection of its own, keyed by its executor id. A peer's
pending workflows are handed back to the queue only when that peer's lock can be taken, which
PostgreSQL allows only once the peer's session has ended (the process exited, was killed, or
its host vanished and the server's TCP keepalives gave up on it). A worker that is merely slow,
starved of CPU or paused keeps its session, so its work is never resumed twice (and its
analysis never paid for twice). DBOS's hand-back is conditional on the dead executor still
owning the workflows, so two workers doing it at once, or doing it twice, start each once.

Workers also register in the ``workers`` table and refresh ``last_seen`` every few seconds.
The table is how a worker finds its peers; ``last_seen`` is for operators only: a worker that
has not refreshed it for longer than the timeout is reported as stalled, never taken for dead.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import socket
import uuid
from dataclasses import dataclass, field

from dbos import DBOS
from sqlalchemy import delete, select, text
from sqlalchemy.engine import Connection, Engine
from sqlmodel import col

from storage.db import session_scope
from storage.models import WorkerRow, utcnow

log = logging.getLogger(__name__)


def new_executor_id() -> str:
    """A unique, readable executor id: host, pid and a random suffix."""
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


def liveness_key(executor_id: str) -> int:
    """The advisory-lock key of ``executor_id``: a stable, signed 64-bit hash of it.

    Stable across processes and Python versions (unlike ``hash``), and 64 bits wide so that two
    workers of one deployment never share a key (a shared key would make one wait for the other).
    """
    digest = hashlib.blake2b(f"cs-agent.worker:{executor_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def keepalive_settings(timeout: float) -> dict[str, int]:
    """Server-side TCP keepalives for a worker's lock session, ending it within ``timeout``.

    A process that exits or is killed closes its socket, and the server ends the session at
    once. A host that vanishes (power loss, a partition) closes nothing: the keepalives are how
    the server finds out, after three quarters of ``timeout`` (of 4 s at least). A paused or starved process
    still answers them (the kernel does), so it keeps its session.
    """
    whole = max(4, round(timeout))
    return {
        "tcp_keepalives_idle": whole // 4,
        "tcp_keepalives_interval": whole // 4,
        "tcp_keepalives_count": 2,
    }


@dataclass
class Watchdog:
    """This executor's liveness lock and registration, and recovery of executors that died."""

    engine: Engine
    executor_id: str
    interval: float = 5.0
    timeout: float = 30.0
    _lock_conn: Connection | None = field(default=None, init=False, repr=False)

    @property
    def key(self) -> int:
        """This executor's advisory-lock key."""
        return liveness_key(self.executor_id)

    def hold(self) -> None:
        """Take this executor's liveness lock on a dedicated session, and register.

        Blocks while a peer holds it (a peer resuming the work of an earlier process with this
        id); returns once this process owns it. The lock comes before the registration, so a
        peer never sees this executor registered without its lock held.
        """
        if self._lock_conn is None:
            conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            try:
                for name, value in keepalive_settings(self.timeout).items():
                    # Not a bind parameter: SET takes none; ``name`` and ``value`` are ours.
                    conn.execute(text(f"SET {name} = {int(value)}"))
                key = {"key": self.key}
                if not conn.execute(text("SELECT pg_try_advisory_lock(:key)"), key).scalar():
                    # Another live process uses this id (two workers given one
                    # CS_AGENT_EXECUTOR_ID), or a peer is resuming a dead one's work under it.
                    log.warning(
                        "executor id %s is held by another session; waiting for it",
                        self.executor_id,
                    )
                    conn.execute(text("SELECT pg_advisory_lock(:key)"), key)
            except BaseException:
                conn.invalidate()  # never back to the pool with a session lock possibly held
                conn.close()
                raise
            self._lock_conn = conn
        self.beat()

    def holds_lock(self) -> bool:
        """Whether this executor's lock session is still open (it ends if the server restarts)."""
        if self._lock_conn is None:
            return False
        try:
            self._lock_conn.execute(text("SELECT 1"))
        except Exception:
            return False
        return True

    def _rehold(self) -> None:
        """Open a new lock session after the old one was lost."""
        log.error(
            "worker %s lost its liveness session; peers may resume its unfinished work",
            self.executor_id,
        )
        self.release()
        self.hold()

    def beat(self) -> None:
        """Register this executor, or refresh when it was last seen (for operators)."""
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

    def peers(self) -> list[WorkerRow]:
        """The other registered executors."""
        with session_scope(self.engine) as session:
            rows = session.execute(select(WorkerRow)).scalars().all()
            return [row for row in rows if row.executor_id != self.executor_id]

    def recover_dead(self) -> int:
        """Hand the pending workflows of executors whose session ended back to the queues.

        Returns how many were handed back. A peer whose lock is held is alive, however long ago
        it was last seen: its work stays where it is.
        """
        recovered = 0
        cutoff = utcnow().timestamp() - self.timeout
        for peer in self.peers():
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                key = {"key": liveness_key(peer.executor_id)}
                if not conn.execute(text("SELECT pg_try_advisory_lock(:key)"), key).scalar():
                    if peer.last_seen.timestamp() < cutoff:
                        log.warning(
                            "worker %s has not been seen for %.0f s but is alive; leaving its work",
                            peer.executor_id,
                            utcnow().timestamp() - peer.last_seen.timestamp(),
                        )
                    continue
                try:
                    # Holding the peer's lock: a process restarting under its id waits for us.
                    recovered += self._recover(peer.executor_id)
                finally:
                    conn.execute(text("SELECT pg_advisory_unlock(:key)"), key)
        return recovered

    def _recover(self, executor_id: str) -> int:
        handles = DBOS._recover_pending_workflows([executor_id])
        if handles:
            log.warning("worker %s stopped; resumed %d of its workflows", executor_id, len(handles))
        with session_scope(self.engine) as session:
            session.execute(delete(WorkerRow).where(col(WorkerRow.executor_id) == executor_id))
        return len(handles)

    def release(self) -> None:
        """End this executor's lock session: what it leaves pending is resumed by its peers."""
        if self._lock_conn is not None:
            conn, self._lock_conn = self._lock_conn, None
            try:
                conn.invalidate()  # the session ends with the connection, and its lock with it
                conn.close()
            except Exception:
                log.debug("closing the liveness session failed", exc_info=True)

    def check(self) -> None:
        """One round: keep the lock, refresh the registration, resume dead peers' work."""
        if not self.holds_lock():
            self._rehold()
        self.beat()
        self.recover_dead()

    async def run(self) -> None:
        """Check every ``interval`` until cancelled."""
        while True:
            try:
                await asyncio.to_thread(self.check)
            except Exception:
                log.exception("worker liveness check failed; trying again")
            await asyncio.sleep(self.interval)
