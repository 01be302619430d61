"""``cs-agent tasks``: the local task list playing the tracker's part.

``tasks done`` and ``tasks drop`` change a local task's state and report it through
``promises.record_issue_states``, exactly as Linear's webhook reports an issue: the same
conditional updates, audit events and update drafts follow.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel
from sqlalchemy.engine import Engine
from sqlmodel import Session

from cs_agent.services.promises import PromiseChange, record_issue_states
from storage import repo
from storage.db import session_scope
from storage.models import LocalTaskRow, utcnow
from storage.repo import promises as promise_rows

LocalState = Literal["completed", "canceled", "open"]
SOURCE = "local-tasks"


class TaskNotFound(Exception):
    """No local task has that id or identifier."""


class TaskLine(BaseModel):
    """A local task as ``cs-agent tasks list`` shows it."""

    id: str
    identifier: str
    title: str
    status: str
    """``open``, ``completed`` or ``canceled``."""
    side: str | None
    """Whose promise it is: ``us`` or ``customer`` (the action item's owner side)."""
    owner: str | None
    customer: str | None
    due_date: str | None
    call_id: str | None


@dataclass(frozen=True)
class TaskChange:
    """What ``tasks done``/``drop`` did."""

    task: TaskLine
    changed: bool
    promises: list[PromiseChange]


def list_tasks(engine: Engine, *, status: str | None = None) -> list[TaskLine]:
    """Every local task in filing order, with its promise's side."""
    with session_scope(engine) as session:
        rows = repo.list_local_tasks(session, state=status)
        return [_line(session, row) for row in rows]


def change_task(
    engine: Engine, id_or_identifier: str, *, state: LocalState, actor: str
) -> TaskChange:
    """Move a local task to ``state`` and report it like a tracker would. Repeats are harmless."""
    now = utcnow()
    with session_scope(engine) as session:
        row = promise_rows.find_local_task(session, id_or_identifier=id_or_identifier)
        if row is None:
            raise TaskNotFound(
                f"no local task {id_or_identifier!r}: `cs-agent tasks list` shows them (with "
                "Linear configured, close the issue in Linear instead)"
            )
        changed = promise_rows.set_local_task_state(
            session, task_id=row.id, state=state, actor=actor, now=now
        )
        session.refresh(row)
        issue_state = promise_rows.local_issue_state(row)
        line = _line(session, row)
    changes = record_issue_states(engine, [issue_state], source=SOURCE, now=now) or []
    return TaskChange(task=line, changed=changed, promises=changes)


def _line(session: Session, row: LocalTaskRow) -> TaskLine:
    items = promise_rows.items_filed_as(session, issue_id=row.id)
    side = items[0].owner_side if items else None
    return TaskLine(
        id=row.id,
        identifier=f"LOCAL-{row.number}",
        title=row.title,
        status=row.state,
        side=side,
        owner=row.assignee,
        customer=row.customer,
        due_date=row.due_date.isoformat() if row.due_date else None,
        call_id=row.call_id,
    )
