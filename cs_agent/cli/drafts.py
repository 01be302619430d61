"""``cs-agent drafts …``: follow-up drafts, and the decision on each (approve or reject)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.table import Table

from cs_agent.cli.common import (
    CliError,
    actor,
    err,
    open_database,
    out,
    run_with_runtime,
    start_command,
    stored_call,
)
from cs_agent.services import queues

if TYPE_CHECKING:
    # Annotations only; the commands import these when they run, for start-up time.
    from cs_agent.bootstrap.runtime import Runtime
    from cs_agent.services.approvals import Decision
    from cs_agent.services.views import CallView

app = typer.Typer(help="Follow-up drafts waiting for a decision.", no_args_is_help=True)
T = TypeVar("T")

DraftId = Annotated[str, typer.Argument(help="Draft id or a unique prefix.")]


def on_draft(draft_id: str, action: Callable[[Runtime, str], Awaitable[T]]) -> T:
    """Do ``action`` with the full id of the draft ``draft_id`` names (an id or a unique prefix).

    How every command on one draft begins: logging and settings, a runtime, the id resolved;
    a refused decision (no such draft, an ambiguous prefix, a decided draft) is a one-line error.
    """
    settings = start_command()
    # Imported here for start-up time: the services load storage (~0.3 s).
    from cs_agent.services.approvals import DecisionRefused, resolve_draft_id

    async def work(runtime: Runtime) -> T:
        try:
            return await action(runtime, resolve_draft_id(runtime, draft_id))
        except DecisionRefused as refused:
            raise CliError(str(refused)) from None

    return run_with_runtime(settings, work)


@app.command("list")
def drafts_list(
    status: Annotated[str | None, typer.Option(help="pending, sent, rejected, failed …")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array.")] = False,
) -> None:
    """Drafts, newest first: follow-ups, and updates telling customers promises were kept."""
    settings = start_command()
    # Imported here for start-up time: storage takes ~0.2 s to import.
    from storage import repo
    from storage.db import session_scope

    with open_database(settings) as engine, session_scope(engine) as session:
        rows = repo.list_drafts(session, status=status)
        calls = {row.call_id: repo.get_call(session, call_id=row.call_id) for row in rows}
    if as_json:
        out.print_json(json.dumps([_draft_json(row, calls.get(row.call_id)) for row in rows]))
        return
    table = Table(title="Drafts")
    for column in ("draft", "kind", "status", "customer", "subject", "created"):
        table.add_column(column)
    for row in rows:
        call = calls.get(row.call_id)
        table.add_row(
            row.id,
            row.kind
            if row.kind == "followup"
            else f"{row.kind} ({'template' if row.drafted_by in (None, 'update-template') else row.drafted_by})",
            row.status,
            (call.customer_name if call else None) or "—",
            row.subject,
            f"{row.created_at:%Y-%m-%d %H:%M}",
        )
    out.print(table)


def _draft_json(row: Any, call: Any) -> dict[str, Any]:
    """What ``drafts list --json`` shows of a draft."""
    return {
        "id": row.id,
        "kind": row.kind,
        "call_id": row.call_id,
        "status": row.status,
        "version": row.version,
        "customer": call.customer_name if call else None,
        "subject": row.subject,
        "to": list(row.to),
        "cc": list(row.cc),
        "in_reply_to": row.in_reply_to,
        "drafted_by": row.drafted_by,
        "message_id": row.message_id,
        "created_at": row.created_at.isoformat(),
    }


@app.command("show")
def drafts_show(draft_id: DraftId) -> None:
    """A draft with its call's summary and action items."""
    # Imported here for start-up time: the renderers and storage take ~0.3 s to import.
    from cs_agent.cli.render import render_call
    from storage import repo
    from storage.db import session_scope

    async def call_of_draft(runtime: Runtime, full_id: str) -> CallView:
        with session_scope(runtime.engine) as session:
            row = repo.get_draft(session, draft_id=full_id)
            assert row is not None
            call_id = row.call_id
        return stored_call(runtime, call_id)

    render_call(out, on_draft(draft_id, call_of_draft))


@app.command("approve")
def drafts_approve(draft_id: DraftId) -> None:
    """Approve a draft: the email is sent (once, however often this is run)."""
    # Imported here for start-up time: the services load storage (~0.3 s).
    from cs_agent.services.approvals import approve

    async def approve_and_send(runtime: Runtime, full_id: str) -> tuple[Decision, Any]:
        decision = await approve(runtime, draft_id=full_id, actor=actor())
        return decision, await queues.wait_for(decision.workflow_id or "")

    decision, result = on_draft(draft_id, approve_and_send)
    if not decision.changed:
        err.print(f"[dim]{decision.draft.id} was already approved; not sending again.[/dim]")
    if result.status == "sent":
        where = result.location or result.message_id
        out.print(
            f"[green]Sent[/green] {decision.draft.id} v{result.version}: {where}", soft_wrap=True
        )
    else:
        out.print(
            f"[red]{result.status}[/red] {decision.draft.id}: {result.detail or ''}", soft_wrap=True
        )
        raise typer.Exit(1)


@app.command("reject")
def drafts_reject(
    draft_id: DraftId,
    reason: Annotated[str | None, typer.Option(help="Why, for the audit log.")] = None,
) -> None:
    """Reject a draft: nothing is sent."""
    # Imported here for start-up time: the services load storage (~0.3 s).
    from cs_agent.services.approvals import reject

    async def reject_draft(runtime: Runtime, full_id: str) -> Decision:
        return await reject(runtime, draft_id=full_id, actor=actor(), reason=reason)

    decision = on_draft(draft_id, reject_draft)
    out.print(f"Rejected {decision.draft.id}; nothing will be sent.")


@app.command("anyway")
def drafts_anyway(
    call_id: Annotated[str, typer.Argument(help="The call the analysis found needed no email.")],
) -> None:
    """Draft the follow-up of a call the analysis found needed none (it then waits as usual)."""
    settings = start_command()
    # Imported here for start-up time: the services load storage (~0.3 s).
    from cs_agent.services.draft_anyway import DraftAnyway, request_draft_anyway

    async def ask(runtime: Runtime) -> tuple[DraftAnyway, Any]:
        result = await request_draft_anyway(runtime, call_id, actor=actor())
        if result.workflow_id is None:
            return result, None
        return result, await queues.wait_for(result.workflow_id)

    result, draft_id = run_with_runtime(settings, ask)
    if result.workflow_id is None:
        raise CliError(f"no draft made for {call_id}: {result.detail}")
    if not result.started:
        err.print(f"[dim]{result.detail}; showing that draft.[/dim]")
    out.print(f"Drafted {draft_id}: see it with cs-agent drafts show {draft_id}", soft_wrap=True)
