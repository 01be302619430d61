"""The schema the migrations build is the schema the models describe; repo functions hold their promises."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

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


def _engine_with_a_pending_draft(path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    with session_scope(engine) as session:
        repo.insert_call_if_absent(session, row=_call("call-1"))
        repo.insert_draft_if_absent(
            session, row=DraftRow(id="draft-1", call_id="call-1", subject="s", body="b")
        )
    return engine


def _all_at_once(engine: Engine, decide: Callable[[Session], bool], times: int = 8) -> list[bool]:
    """Run ``decide`` in ``times`` threads released together, each in its own transaction."""
    results: list[bool] = []
    barrier = threading.Barrier(times)

    def click() -> None:
        barrier.wait()
        with session_scope(engine) as session:
            results.append(decide(session))

    threads = [threading.Thread(target=click) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_only_one_of_many_concurrent_transitions_wins(tmp_path: Path) -> None:
    engine = _engine_with_a_pending_draft(tmp_path / "race.db")
    wins = _all_at_once(
        engine,
        lambda session: repo.transition_draft(
            session,
            draft_id="draft-1",
            from_statuses=[DraftStatus.PENDING],
            to_status=DraftStatus.APPROVED,
        ),
    )
    assert sorted(wins) == [False] * 7 + [True]


def _approve(session: Session, *, audit_unchanged: bool = False) -> repo.DraftTransition:
    return repo.transition_draft_audited(
        session,
        draft_id="draft-1",
        version=1,
        from_statuses=[DraftStatus.PENDING],
        to_status=DraftStatus.APPROVED,
        actor="cli:dana",
        action="approved",
        detail=lambda draft: {"status": draft.status},
        audit_unchanged=audit_unchanged,
        decided_by="cli:dana",
    )


def test_an_audited_transition_logs_only_the_change_it_made(tmp_path: Path) -> None:
    engine = _engine_with_a_pending_draft(tmp_path / "audited.db")
    with session_scope(engine) as session:
        first = _approve(session)
    with session_scope(engine) as session:
        again = _approve(session)
        events = repo.list_audit(session, call_id="call-1")
    assert first.changed and not again.changed
    assert again.draft is not None and again.draft.status == DraftStatus.APPROVED
    assert again.draft.decided_by == "cli:dana"
    assert [(e.actor, e.action, e.draft_id, e.detail) for e in events] == [
        ("cli:dana", "approved", "draft-1", {"status": "approved"})  # the draft after the update
    ]


def test_an_audited_transition_can_log_an_unchanged_outcome(tmp_path: Path) -> None:
    engine = _engine_with_a_pending_draft(tmp_path / "outcome.db")
    with session_scope(engine) as session:
        _approve(session)
    with session_scope(engine) as session:
        again = _approve(session, audit_unchanged=True)
        missing = repo.transition_draft_audited(
            session,
            draft_id="no-such-draft",
            from_statuses=[DraftStatus.PENDING],
            to_status=DraftStatus.APPROVED,
            actor="cli:dana",
            action="approved",
            audit_unchanged=True,
        )
        actions = [e.action for e in repo.list_audit(session, call_id="call-1")]
        strays = repo.audit_exists(session, draft_id="no-such-draft", action="approved")
    assert not again.changed and actions == ["approved", "approved"]
    assert (missing.changed, missing.draft, strays) == (False, None, False)


def test_an_audited_transition_rolls_back_with_its_transaction(tmp_path: Path) -> None:
    engine = _engine_with_a_pending_draft(tmp_path / "rollback.db")

    def approve_then_refuse() -> None:
        with session_scope(engine) as session:
            assert _approve(session).changed
            raise RuntimeError("the caller refused after the update")

    with pytest.raises(RuntimeError):
        approve_then_refuse()
    with session_scope(engine) as session:
        draft = repo.get_draft(session, draft_id="draft-1")
        assert draft is not None and draft.status == DraftStatus.PENDING
        assert repo.list_audit(session, call_id="call-1") == []


def test_racing_audited_transitions_log_exactly_one_event(tmp_path: Path) -> None:
    engine = _engine_with_a_pending_draft(tmp_path / "audited-race.db")
    wins = _all_at_once(engine, lambda session: _approve(session).changed)
    with session_scope(engine) as session:
        events = repo.list_audit(session, call_id="call-1")
    assert sorted(wins) == [False] * 7 + [True]
    assert [e.action for e in events] == ["approved"]


def test_a_revision_saves_the_next_version_once(tmp_path: Path) -> None:
    engine = _engine_with_a_pending_draft(tmp_path / "revise.db")
    edit = {"subject": "new", "body": "text", "to": ["a@b.example"], "cc": []}
    with session_scope(engine) as session:
        assert repo.revise_draft(session, draft_id="draft-1", expected_version=1, **edit)
        assert not repo.revise_draft(session, draft_id="draft-1", expected_version=1, **edit)
        draft = repo.get_draft(session, draft_id="draft-1")
        assert draft is not None
    assert (draft.version, draft.status, draft.subject, draft.to) == (
        2,
        DraftStatus.PENDING,
        "new",
        ["a@b.example"],
    )


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
