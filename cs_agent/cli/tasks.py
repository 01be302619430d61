"""``cs-agent tasks …``: the local task list, and closing its tasks the way Linear would.

``tasks done ID`` / ``tasks drop ID`` record the change through the same service as Linear's
webhook; the customer's update draft is then handed to the server (or a worker) running on the
same database, through DBOS's queue, so this works while ``cs-agent serve`` runs. The command
then waits for the update with a runtime of its own (whichever process takes the queued
workflow first runs it, once), so without a server the draft is there when the command ends.
"""

from __future__ import annotations

import asyncio
import json
from typing import Annotated

import typer
from rich.table import Table

from cs_agent.cli.common import CliError, actor, open_database, out, run_with_runtime, start_command
from cs_agent.config import Settings

UPDATE_WAIT_SECONDS = 60.0
"""How long ``tasks done`` waits for the customer's update draft before leaving it to the server."""

app = typer.Typer(help="The local task list (when no tracker is configured).", no_args_is_help=True)

TaskId = Annotated[str, typer.Argument(help="Task id or identifier (LOCAL-3).")]


@app.command("list")
def tasks_list(
    status: Annotated[str | None, typer.Option(help="open, completed or canceled.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array.")] = False,
) -> None:
    """Local tasks in filing order, with whose promise each is."""
    settings = start_command()
    # Imported here for start-up time: the services load storage (~0.3 s).
    from cs_agent.services.local_tasks import list_tasks

    with open_database(settings) as engine:
        lines = list_tasks(engine, status=status)
    if as_json:
        out.print_json(json.dumps([line.model_dump() for line in lines]))
        return
    table = Table(title="Local tasks")
    for column in ("task", "status", "side", "owner", "customer", "due", "title"):
        table.add_column(column)
    for line in lines:
        table.add_row(
            line.identifier,
            line.status,
            line.side or "—",
            line.owner or "—",
            line.customer or "—",
            line.due_date or "—",
            line.title,
        )
    out.print(table)


def _change(task_id: str, state: str, verb: str) -> None:
    settings = start_command()
    # Imported here for start-up time: the services load storage and DBOS (~0.5 s).
    from cs_agent.services.local_tasks import TaskNotFound, change_task
    from cs_agent.services.promise_updates import hand_updates_to_workers

    with open_database(settings) as engine:
        try:
            change = change_task(engine, task_id, state=state, actor=actor())  # type: ignore[arg-type]
        except TaskNotFound as error:
            raise CliError(str(error)) from None
    told = [c.item_id for c in change.promises if c.tell_customer]
    workflow_ids = hand_updates_to_workers(settings, told)
    task = change.task
    if not change.changed:
        out.print(f"{task.identifier} was already {task.status}; nothing changed.")
        return
    out.print(f"{task.identifier} {verb}: {task.title}.", soft_wrap=True)
    if workflow_ids:
        _report_updates(settings, workflow_ids)


def _report_updates(settings: Settings, workflow_ids: list[str]) -> None:
    """Wait for the customer's update draft and say where it waits for approval."""
    # Imported here for start-up time: the services load storage and DBOS (~0.5 s).
    from cs_agent.services import queues

    async def wait(_runtime: object) -> list[str]:
        results = await asyncio.wait_for(
            asyncio.gather(*(queues.wait_for(w) for w in workflow_ids)), UPDATE_WAIT_SECONDS
        )
        return sorted({draft for draft in results if draft})

    try:
        drafts = run_with_runtime(settings, wait)
    except TimeoutError:
        out.print("The customer's update is queued; the server drafts it for approval.")
        return
    for draft_id in drafts:
        out.print(
            f"An update for the customer waits for approval: cs-agent drafts show {draft_id}",
            soft_wrap=True,
        )


@app.command("done")
def tasks_done(task_id: TaskId) -> None:
    """Mark a task done: its promise is kept (and the customer's update drafted)."""
    _change(task_id, "completed", "done")


@app.command("drop")
def tasks_drop(task_id: TaskId) -> None:
    """Drop a task: its promise is dropped; nobody is emailed."""
    _change(task_id, "canceled", "dropped")


@app.command("reopen")
def tasks_reopen(task_id: TaskId) -> None:
    """Open a done or dropped task again."""
    _change(task_id, "open", "reopened")
