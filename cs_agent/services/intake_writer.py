"""Group commit for accepted calls: many submissions, one transaction for their rows, one for
their workflows.

Every submission waits until its call row and its ``process_call`` workflow are committed, so
an answer of "accepted" is durable. Submissions that arrive while a batch is being written
form the next batch: under load each commit (and each fsync) is shared by all the requests
that arrived meanwhile, and with one request at a time a batch is that one request. The
database work runs in a worker thread, so the event loop keeps reading requests meanwhile.

A call is matched to one already stored by its id (derived from the idempotency key, the
source id or the content) and, for a signed request, by its signature: an exact replay of a
signed request finds the call it created even if an unsigned header such as
``Idempotency-Key`` was changed.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import sqlalchemy as sa
from dbos import DBOSClient, EnqueueOptions
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from cs_agent.config import sqlalchemy_url
from cs_agent.core import ids
from cs_agent.core.domain import CallStatus
from cs_agent.services import queues
from storage.models import AuditEventRow, CallRow, utcnow

log = logging.getLogger(__name__)

CALLS = cast(sa.Table, CallRow.__table__)  # type: ignore[attr-defined]
AUDIT = cast(sa.Table, AuditEventRow.__table__)  # type: ignore[attr-defined]


class IdempotencyConflict(Exception):
    """The same key (or source id) was used before for a different transcript."""

    def __init__(self, call_id: str) -> None:
        super().__init__(call_id)
        self.call_id = call_id


@dataclass(frozen=True)
class Submission:
    """The outcome of submitting a call."""

    call_id: str
    created: bool
    """False when this call was already known (a retry, or the same file again)."""
    workflow_id: str
    status: str


@dataclass(frozen=True)
class NewCall:
    """A call to store: the values of its row and what identifies it."""

    values: dict[str, Any]
    """Every column of the ``calls`` row (see ``cs_agent.intake.call_values``)."""
    audit_detail: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        """The call id."""
        return str(self.values["id"])

    @property
    def request_hash(self) -> str:
        """What makes two submissions of this call the same."""
        return str(self.values["request_hash"])

    @property
    def signature(self) -> str | None:
        """The signature of the request that delivered it, when it was signed."""
        value = self.values.get("signature")
        return str(value) if value else None


@dataclass(frozen=True)
class _Known:
    id: str
    request_hash: str
    status: str


Outcome = Submission | IdempotencyConflict


class IntakeWriter:
    """Stores accepted calls and enqueues their workflows, batching concurrent submissions."""

    def __init__(
        self, engine: Engine, *, system_database_url: str, app_name: str, app_version: str
    ) -> None:
        self._engine = engine
        self._system_database_url = system_database_url
        self._app_name = app_name
        self._app_version = app_version
        self._pending: list[tuple[NewCall, asyncio.Future[Submission]]] = []
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._client: DBOSClient | None = None
        self._system_engine: Engine | None = None
        self._client_lock = threading.Lock()

    async def submit(self, call: NewCall) -> Submission:
        """Store ``call`` (once) and enqueue its processing (once); return when both are committed.

        Raises ``IdempotencyConflict`` when the call's id belongs to a different transcript.
        """
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Submission] = loop.create_future()
        self._pending.append((call, future))
        if self._task is None or self._task.done() or self._loop is not loop:
            self._loop = loop
            self._task = loop.create_task(self._drain(), name="cs-agent-intake-writer")
        return await future

    async def aclose(self) -> None:
        """Finish the batch in flight, then release the workflow database connection."""
        task = self._task
        if task is not None and not task.done() and self._loop is asyncio.get_running_loop():
            await task
        with self._client_lock:
            if self._client is not None:
                self._client.destroy()
                self._client = None
            if self._system_engine is not None:
                self._system_engine.dispose()
                self._system_engine = None

    async def _drain(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                outcomes = await asyncio.to_thread(self.write, [call for call, _ in batch])
            except Exception as error:
                if len(batch) == 1:
                    log.exception("storing call %s failed", batch[0][0].id)
                    _settle(batch[0][1], error)
                    continue
                # One bad row must not fail the requests it happened to share a batch with.
                log.warning("storing %d calls together failed (%s); one by one", len(batch), error)
                for call, future in batch:
                    alone: Submission | BaseException
                    try:
                        (alone,) = await asyncio.to_thread(self.write, [call])
                    except Exception as single_error:
                        log.exception("storing call %s failed", call.id)
                        alone = single_error
                    _settle(future, alone)
                continue
            for (_, future), outcome in zip(batch, outcomes, strict=True):
                _settle(future, outcome)

    # --- the work of one batch (runs in a worker thread) ----------------------------------------

    def write(self, calls: Sequence[NewCall]) -> list[Outcome]:
        """Store a batch and enqueue the workflows of its new (or never enqueued) calls."""
        outcomes = self._store(calls)
        waiting = sorted(
            {
                outcome.call_id
                for outcome in outcomes
                if isinstance(outcome, Submission) and outcome.status == CallStatus.RECEIVED
            }
        )
        if waiting:
            self._enqueue(waiting)
        return outcomes

    def _store(self, calls: Sequence[NewCall]) -> list[Outcome]:
        with self._engine.begin() as conn:
            known, by_signature = _select_known(conn, calls)
            fresh: dict[str, NewCall] = {}
            fresh_signatures: dict[str, str] = {}
            for call in calls:
                if _target(call, known, by_signature, fresh, fresh_signatures) is None:
                    fresh[call.id] = call
                    if call.signature:
                        fresh_signatures[call.signature] = call.id
            inserted: set[str] = set()
            if fresh:
                inserted = _insert_calls(conn, list(fresh.values()))
                lost = [call for call_id, call in fresh.items() if call_id not in inserted]
                if lost:  # another process stored the same call between our read and insert
                    more_known, more_by_signature = _select_known(conn, lost)
                    known.update(more_known)
                    by_signature.update(more_by_signature)
                for call_id in inserted:
                    call = fresh[call_id]
                    known[call_id] = _Known(call_id, call.request_hash, CallStatus.RECEIVED.value)
                    if call.signature:
                        by_signature[call.signature] = call_id
                if inserted:
                    conn.execute(
                        sa.insert(AUDIT),
                        [
                            {
                                "at": utcnow(),
                                "call_id": call_id,
                                "draft_id": None,
                                "actor": fresh[call_id].values["source"],
                                "action": "received",
                                "detail": fresh[call_id].audit_detail,
                            }
                            for call_id in sorted(inserted)
                        ],
                    )
            outcomes: list[Outcome] = []
            claimed: set[str] = set()
            for call in calls:
                target = _target(call, known, by_signature, {}, {})
                if target is None:
                    raise RuntimeError(f"call {call.id} was neither stored nor found")
                row = known[target]
                if row.request_hash != call.request_hash:
                    outcomes.append(IdempotencyConflict(target))
                    continue
                created = target in inserted and target not in claimed and fresh[target] is call
                if created:
                    claimed.add(target)
                outcomes.append(
                    Submission(
                        call_id=target,
                        created=created,
                        workflow_id=ids.process_call_workflow_id(target),
                        status=row.status,
                    )
                )
            return outcomes

    def _enqueue(self, call_ids: Sequence[str]) -> None:
        client, engine = self._workflow_client()
        with engine.begin() as conn:
            for call_id in call_ids:
                options: EnqueueOptions = {
                    "workflow_name": queues.PROCESS_CALL_WORKFLOW,
                    "queue_name": queues.CALLS_QUEUE,
                    "workflow_id": ids.process_call_workflow_id(call_id),
                    "app_version": self._app_version,
                }
                client.enqueue_in_transaction(conn, options, call_id)

    def _workflow_client(self) -> tuple[DBOSClient, Engine]:
        with self._client_lock:
            if self._client is None or self._system_engine is None:
                self._system_engine = _system_engine(self._system_database_url)
                self._client = DBOSClient(
                    system_database_engine=self._system_engine,
                    application_name=self._app_name,
                )
            return self._client, self._system_engine


def _settle(future: asyncio.Future[Submission], outcome: Submission | BaseException) -> None:
    """Hand a submission its outcome; a request that went away has its call stored anyway."""
    if future.done():
        return
    if isinstance(outcome, BaseException):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)


def _target(
    call: NewCall,
    known: dict[str, _Known],
    by_signature: dict[str, str],
    fresh: dict[str, NewCall],
    fresh_signatures: dict[str, str],
) -> str | None:
    """The id of the stored (or about to be stored) call this submission is, or None if new."""
    signature = call.signature
    if signature:
        if signature in by_signature:
            return by_signature[signature]
        if signature in fresh_signatures:
            return fresh_signatures[signature]
    if call.id in known or call.id in fresh:
        return call.id
    return None


def _select_known(
    conn: sa.Connection, calls: Sequence[NewCall]
) -> tuple[dict[str, _Known], dict[str, str]]:
    ids = sorted({call.id for call in calls})
    signatures = sorted({call.signature for call in calls if call.signature})
    condition: sa.ColumnElement[bool] = CALLS.c.id.in_(ids)
    if signatures:
        condition = sa.or_(condition, CALLS.c.signature.in_(signatures))
    rows = conn.execute(
        sa.select(CALLS.c.id, CALLS.c.request_hash, CALLS.c.status, CALLS.c.signature).where(
            condition
        )
    ).all()
    known = {row.id: _Known(row.id, row.request_hash, row.status) for row in rows}
    by_signature = {row.signature: row.id for row in rows if row.signature}
    return known, by_signature


def _insert_calls(conn: sa.Connection, calls: list[NewCall]) -> set[str]:
    """Insert the rows, skipping any that conflict with a stored one; return the ids inserted."""
    if conn.dialect.name == "postgresql":
        statement: Any = postgresql.insert(CALLS).on_conflict_do_nothing()
    else:
        statement = sqlite.insert(CALLS).on_conflict_do_nothing()
    result = conn.execute(statement.returning(CALLS.c.id), [call.values for call in calls])
    return set(result.scalars())


def _system_engine(url: str) -> Engine:
    """An engine on DBOS's system database, set up the way DBOS sets up its own."""
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"check_same_thread": False})

        @sa.event.listens_for(engine, "connect")
        def _immediate(dbapi_connection: Any, _record: Any) -> None:
            # Writers take the lock when they begin, as DBOS's own connections do.
            dbapi_connection.isolation_level = "IMMEDIATE"
            dbapi_connection.execute("PRAGMA busy_timeout=30000")
            dbapi_connection.execute("PRAGMA foreign_keys=ON")

        return engine
    return sa.create_engine(sqlalchemy_url(url), pool_pre_ping=True, pool_size=2, max_overflow=4)
