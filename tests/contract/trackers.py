"""Each TaskTracker adapter with a way to see what it stored, for the contract suites.

A harness pairs an adapter with a read of its backing store (the local table, or the Linear
emulator's workspace), so one suite can assert what was filed, whichever adapter filed it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.engine import Engine

from cs_agent.bootstrap.adapters import choose_tracker
from cs_agent.config import Settings
from cs_agent.core.domain import IssueRef
from cs_agent.core.ports import TaskTracker
from storage import repo
from storage.db import make_engine, migrate, session_scope

from ..emulators.linear import LinearEmulator


@dataclass
class Filed:
    """An issue as the tracker holds it."""

    id: str
    title: str
    description: str
    assignee: str | None
    due_date: dt.date | None
    priority: int
    labels: list[str] | None
    """None when the tracker has no labels."""


class Harness(Protocol):
    """A tracker adapter plus a view of what it stored."""

    tracker: TaskTracker

    def filed(self) -> list[Filed]:
        """Everything in the tracker, in filing order."""
        ...

    def close(self, ref: IssueRef) -> None:
        """Mark an issue done, as a person would."""
        ...


class LocalHarness:
    """The local task list in the test's SQLite database."""

    def __init__(self, settings: Settings) -> None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.engine: Engine = make_engine(settings.app_database_url)
        migrate(self.engine)
        tracker, choice = choose_tracker(settings, self.engine)
        assert choice.adapter == "local"
        self.tracker = tracker

    def filed(self) -> list[Filed]:
        with session_scope(self.engine) as session:
            return [
                Filed(
                    id=row.id,
                    title=row.title,
                    description=row.description,
                    assignee=row.assignee,
                    due_date=row.due_date,
                    priority=row.priority,
                    labels=None,
                )
                for row in repo.list_local_tasks(session)
            ]

    def close(self, ref: IssueRef) -> None:
        with session_scope(self.engine) as session:
            for row in repo.list_local_tasks(session):
                if row.id == ref.id:
                    row.state = "done"
                    session.add(row)

    def dispose(self) -> None:
        self.engine.dispose()


class LinearHarness:
    """The Linear adapter, chosen from settings, over the Linear emulator."""

    def __init__(self, settings: Settings, emulator: LinearEmulator) -> None:
        self.emulator = emulator
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.engine = make_engine(settings.app_database_url)
        tracker, choice = choose_tracker(settings, self.engine)
        assert choice.adapter == "linear"
        self.tracker = tracker

    def filed(self) -> list[Filed]:
        return [
            Filed(
                id=issue["id"],
                title=issue["title"],
                description=issue["description"],
                assignee=issue["assignee"]["name"] if issue["assignee"] else None,
                due_date=dt.date.fromisoformat(issue["dueDate"]) if issue["dueDate"] else None,
                priority=issue["priority"],
                labels=[label["name"] for label in issue["labels"]["nodes"]],
            )
            for issue in self.emulator.issues()
        ]

    def close(self, ref: IssueRef) -> None:
        team = self.emulator.team("CS")
        done = next(state for state in team["states"] if state["type"] == "completed")
        issue = self.emulator.issue(ref.id)
        assert issue is not None
        issue["state"] = dict(done)

    def dispose(self) -> None:
        self.engine.dispose()


def harnesses(kind: str, settings: Settings, emulator: LinearEmulator) -> Iterator[Harness]:
    """A harness of ``kind`` (``local`` or ``linear``), disposed after use."""
    harness: LocalHarness | LinearHarness
    harness = LocalHarness(settings) if kind == "local" else LinearHarness(settings, emulator)
    try:
        yield harness
    finally:
        harness.dispose()
