"""Each TaskTracker adapter with a way to see what it stored, for the contract suites.

A harness pairs an adapter with a read of its backing store (the local table, or the Linear
emulator's workspace), so one suite can assert what was filed, whichever adapter filed it.
"""

from __future__ import annotations

import datetime as dt
import uuid
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
from storage.models import LocalCustomerRow

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

    def add_customer(self, name: str, domains: list[str]) -> str:
        """A customer someone entered in the tracker by hand; returns its id."""
        ...

    def customer_names(self) -> list[str]:
        """Every customer the tracker holds, in creation order."""
        ...

    def needs(self) -> list[tuple[str, str, str]]:
        """Every customer need as (customer id, issue id, body)."""
        ...

    def links(self) -> list[tuple[str, str, str]]:
        """Every link on an issue as (issue id, url, title)."""
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

    def add_customer(self, name: str, domains: list[str]) -> str:
        with session_scope(self.engine) as session:
            row = LocalCustomerRow(id=str(uuid.uuid4()), name=name, domains=domains)
            session.add(row)
            return row.id

    def customer_names(self) -> list[str]:
        with session_scope(self.engine) as session:
            return [row.name for row in repo.list_local_customers(session)]

    def needs(self) -> list[tuple[str, str, str]]:
        with session_scope(self.engine) as session:
            return [(n.customer_id, n.task_id, n.body) for n in repo.list_local_needs(session)]

    def links(self) -> list[tuple[str, str, str]]:
        with session_scope(self.engine) as session:
            return [
                (link.task_id, link.url, link.title)
                for task in repo.list_local_tasks(session)
                for link in repo.list_local_task_links(session, task_id=task.id)
            ]

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

    def add_customer(self, name: str, domains: list[str]) -> str:
        return str(self.emulator.add_customer(name, domains=domains)["id"])

    def customer_names(self) -> list[str]:
        return [customer["name"] for customer in self.emulator.customers()]

    def needs(self) -> list[tuple[str, str, str]]:
        return [
            (need["customer"]["id"], need["issue"]["id"], need["body"] or "")
            for need in self.emulator.needs()
        ]

    def links(self) -> list[tuple[str, str, str]]:
        return [(a["issue"]["id"], a["url"], a["title"]) for a in self.emulator.attachments()]

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
