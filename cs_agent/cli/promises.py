"""``cs-agent promises``: every promise made on a call, until it is kept."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from cs_agent.cli.common import open_database, out, start_command


def promises(
    customer: Annotated[str | None, typer.Option(help="Only this customer's (name).")] = None,
    owner: Annotated[str | None, typer.Option(help="Only this owner's (name).")] = None,
    status: Annotated[str | None, typer.Option(help="open, kept or dropped.")] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only open ones past due.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array.")] = False,
) -> None:
    """Promises across calls: overdue first, then open, then kept (and whether the customer was told)."""
    settings = start_command()
    # Imported here for start-up time: the services load storage (~0.3 s).
    from cs_agent.services.promise_views import list_promises

    with open_database(settings) as engine:
        views = list_promises(
            engine, customer=customer, owner=owner, status=status, overdue=overdue
        )
    if as_json:
        out.print_json(json.dumps([view.model_dump(mode="json") for view in views]))
        return
    table = Table(title="Promises")
    for column in ("customer", "promise", "owner", "side", "due", "status", "issue", "told"):
        table.add_column(column)
    for view in views:
        status_text = view.status
        if view.overdue:
            status_text = "[red]overdue[/red]"
        elif view.changed_at is not None:
            status_text = f"{view.status} {view.changed_at:%Y-%m-%d}"
        table.add_row(
            view.customer or "—",
            view.title,
            view.owner or "—",
            view.side or "—",
            view.due_date.isoformat() if view.due_date else "—",
            status_text,
            view.issue or "—",
            "yes" if view.customer_told else ("—" if view.status != "kept" else "no"),
        )
    out.print(table)
