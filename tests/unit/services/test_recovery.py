"""Worker liveness on PostgreSQL: a worker is dead exactly when its lock session has ended."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import select

from cs_agent.services import recovery
from cs_agent.services.recovery import Watchdog, keepalive_settings, liveness_key
from storage.db import make_engine, migrate, session_scope
from storage.models import WorkerRow


@pytest.fixture
def engine(pg_url: str) -> Iterator[Engine]:
    engine = make_engine(pg_url)
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def handed_back(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The executors whose workflows were handed back to the queue (DBOS is not running here)."""
    executors: list[str] = []

    def hand_back(ids: list[str]) -> list[object]:
        executors.extend(ids)
        return []

    monkeypatch.setattr(recovery.DBOS, "_recover_pending_workflows", hand_back)
    return executors


def registered(engine: Engine) -> set[str]:
    with session_scope(engine) as session:
        return {row.executor_id for row in session.exec(select(WorkerRow)).all()}


def silence(engine: Engine, executor_id: str) -> None:
    """Make ``executor_id`` look silent for a day, as a worker starved of CPU would."""
    with session_scope(engine) as session:
        row = session.get(WorkerRow, executor_id)
        assert row is not None
        row.last_seen = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
        session.add(row)


def test_a_silent_worker_holding_its_lock_keeps_its_work(
    engine: Engine, handed_back: list[str]
) -> None:
    starved = Watchdog(engine, "starved", timeout=1)
    watcher = Watchdog(engine, "watcher", timeout=1)
    starved.hold()
    watcher.hold()
    try:
        silence(engine, "starved")
        assert watcher.recover_dead() == 0
        assert handed_back == []
        assert registered(engine) == {"starved", "watcher"}
    finally:
        starved.release()
        watcher.release()


def test_a_worker_whose_session_ended_is_resumed_once_however_recent_its_heartbeat(
    engine: Engine, handed_back: list[str]
) -> None:
    gone = Watchdog(engine, "gone")
    first, second = Watchdog(engine, "first"), Watchdog(engine, "second")
    for watchdog in (gone, first, second):
        watchdog.hold()
    try:
        gone.release()  # as a killed process's session ends; its heartbeat is a moment old
        first.recover_dead()
        second.recover_dead()
        assert handed_back == ["gone"]
        assert registered(engine) == {"first", "second"}
    finally:
        first.release()
        second.release()


def test_a_lost_lock_session_is_taken_again(engine: Engine, handed_back: list[str]) -> None:
    worker, watcher = Watchdog(engine, "worker"), Watchdog(engine, "watcher")
    worker.hold()
    watcher.hold()
    try:
        assert worker._lock_conn is not None
        worker._lock_conn.invalidate()  # the server dropped the session (a restart, say)
        assert not worker.holds_lock()
        worker.check()
        assert worker.holds_lock()
        watcher.recover_dead()
        assert handed_back == []
    finally:
        worker.release()
        watcher.release()


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=128))
def test_liveness_keys_are_stable_signed_64_bit(executor_id: str) -> None:
    key = liveness_key(executor_id)
    assert -(2**63) <= key < 2**63
    assert key == liveness_key(executor_id)


def test_liveness_keys_of_generated_ids_differ() -> None:
    ids = {recovery.new_executor_id() for _ in range(2000)}
    assert len({liveness_key(i) for i in ids}) == len(ids)


@pytest.mark.parametrize("timeout", [0.5, 2, 30, 600])
def test_keepalives_end_a_vanished_hosts_session_within_the_timeout(timeout: float) -> None:
    ka = keepalive_settings(timeout)
    assert all(value >= 1 for value in ka.values())
    detected = (
        ka["tcp_keepalives_idle"] + ka["tcp_keepalives_interval"] * ka["tcp_keepalives_count"]
    )
    assert detected <= max(4, timeout)


def test_the_lock_session_carries_the_keepalives(engine: Engine) -> None:
    worker = Watchdog(engine, "worker", timeout=8)
    worker.hold()
    try:
        assert worker._lock_conn is not None
        idle = worker._lock_conn.execute(text("SHOW tcp_keepalives_idle")).scalar()
        assert idle == "2s" or idle == "2"
    finally:
        worker.release()


def test_a_second_process_with_the_same_id_waits_until_the_first_is_gone(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    first, second = Watchdog(engine, "shared-id"), Watchdog(engine, "shared-id")
    first.hold()
    waiting = threading.Thread(target=second.hold)
    with caplog.at_level(logging.WARNING, logger=recovery.__name__):
        waiting.start()
        waiting.join(timeout=1)
        assert waiting.is_alive(), "it must not run beside a live process of the same id"
        first.release()
        waiting.join(timeout=10)
    try:
        assert not waiting.is_alive()
        assert second.holds_lock()
        assert "held by another session" in caplog.text
    finally:
        second.release()
