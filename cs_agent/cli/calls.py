"""``cs-agent calls …``: calls, their status and failures, and retrying a failed one."""

from __future__ import annotations

import contextlib
import json
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from cs_agent.cli.common import (
    CliError,
    actor,
    open_database,
    out,
    run_with_runtime,
    start_command,
    stored_call,
)
from cs_agent.cli.render_calls import call_json
from cs_agent.services import queues

if TYPE_CHECKING:
    # Annotations only; the commands import these when they run, for start-up time.
    from cs_agent.bootstrap.runtime import Runtime
    from cs_agent.services.views import CallView

app = typer.Typer(help="Calls: their status, failures, and retrying them.", no_args_is_help=True)


@app.command("list")
def calls_list(
    failed: Annotated[bool, typer.Option("--failed", help="Only failed calls, with why.")] = False,
    status: Annotated[str | None, typer.Option(help="Only calls in this status.")] = None,
    limit: Annotated[int, typer.Option(help="How many, newest first.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Calls from every source (upload, API, Zoom, Gong, Google Meet), newest first."""
    settings = start_command()
    # Imported here for start-up time: storage takes ~0.2 s to import.
    from storage import repo
    from storage.db import session_scope

    with open_database(settings) as engine, session_scope(engine) as session:
        rows = repo.list_calls(session, status="failed" if failed else status, limit=limit)
    if as_json:
        out.print_json(json.dumps({"calls": [call_json(row) for row in rows]}))
        return
    table = Table(title="Failed calls" if failed else "Calls")
    for column in ("call", "status", "customer", "title", "received"):
        table.add_column(column)
    if failed:
        table.add_column("why")
    for row in rows:
        cells = [
            row.id,
            row.status,
            row.customer_name or "—",
            row.title or "—",
            f"{row.created_at:%Y-%m-%d %H:%M}",
        ]
        if failed:
            cells.append(row.failure_reason or "")
        table.add_row(*cells)
    out.print(table)
    if failed and rows:
        out.print("Fix the cause, then: [bold]cs-agent calls retry CALL[/bold]")


@app.command("show")
def calls_show(call_id: Annotated[str, typer.Argument(help="The call id.")]) -> None:
    """One call: summary, action items, the draft."""
    settings = start_command()
    # Imported here for start-up time: the renderers load the services (~0.3 s).
    from cs_agent.cli.render import render_call

    async def work(runtime: Runtime) -> CallView:
        return stored_call(runtime, call_id)

    render_call(out, run_with_runtime(settings, work))


@app.command("retry")
def calls_retry(
    call_id: Annotated[str, typer.Argument(help="A failed call's id.")],
    wait: Annotated[bool, typer.Option(help="Wait for the call to finish.")] = True,
) -> None:
    """Resume a failed call from the step that failed; finished steps are not redone."""
    settings = start_command()
    # Imported here for start-up time: the services load storage (~0.3 s).
    from cs_agent.cli.render import render_call
    from cs_agent.services.call_retry import RetryRefused, retry_call

    async def retried_call(runtime: Runtime) -> CallView:
        try:
            workflow_id = await retry_call(runtime, call_id=call_id, actor=actor())
        except RetryRefused as refused:
            raise CliError(str(refused)) from None
        if wait:
            with contextlib.suppress(Exception):  # a failure is shown from the call's status
                await queues.wait_for(workflow_id)
        return stored_call(runtime, call_id)

    view = run_with_runtime(settings, retried_call)
    render_call(out, view)
    if view.status == "failed":
        raise typer.Exit(1)
