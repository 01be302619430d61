"""The schema the migrations build is the schema the models describe; repo functions hold their promises."""

from __future__ import annotations

import threading
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers the tables)
from cs_agent.core.domain import DraftStatus
from storage import repo
from storage.db import make_engine, migrate, session_scope
from storage.models import CallRow, DraftRow


def test_migrations_match_the_models(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'schema.db'}")
    migrate(engine)
    with engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), SQLModel.metadata
        )
    assert diff == [], f"models changed without a migration: {diff}"


def test_migrate_twice_is_harmless(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'twice.db'}")
    migrate(engine)
    migrate(engine)


def _call(call_id: str) -> CallRow:
    return CallRow(
        id=call_id,
        source="test",
        request_hash="x",
        transcript_format="text",
        workflow_id=f"wf-{call_id}",
    )


def test_only_one_of_many_concurrent_transitions_wins(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'race.db'}")
    migrate(engine)
    with session_scope(engine) as session:
        repo.insert_call_if_absent(session, row=_call("call-1"))
        repo.insert_draft_if_absent(
            session, row=DraftRow(id="draft-1", call_id="call-1", subject="s", body="b")
        )
    wins: list[bool] = []
    barrier = threading.Barrier(8)

    def click() -> None:
        barrier.wait()
        with session_scope(engine) as session:
            wins.append(
                repo.transition_draft(
                    session,
                    draft_id="draft-1",
                    from_statuses=[DraftStatus.PENDING],
                    to_status=DraftStatus.APPROVED,
                )
            )

    threads = [threading.Thread(target=click) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(wins) == [False] * 7 + [True]


def test_local_task_numbers_are_unique_and_ids_idempotent(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'tasks.db'}")
    migrate(engine)
    with session_scope(engine) as session:
        first, created = repo.insert_local_task_if_absent(
            session,
            task_id="t1",
            title="A",
            description="",
            customer=None,
            assignee=None,
            due_date=None,
            priority=0,
            call_id=None,
        )
        assert created
        again, created_again = repo.insert_local_task_if_absent(
            session,
            task_id="t1",
            title="changed",
            description="",
            customer=None,
            assignee=None,
            due_date=None,
            priority=0,
            call_id=None,
        )
        assert not created_again
        assert again.title == "A"
        second, _ = repo.insert_local_task_if_absent(
            session,
            task_id="t2",
            title="B",
            description="",
            customer=None,
            assignee=None,
            due_date=None,
            priority=0,
            call_id=None,
        )
    assert (first.number, second.number) == (1, 2)
