"""``cs-agent costs`` (what the analyses cost) and ``cs-agent purge`` (transcript retention)."""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cs_agent.cli.common import CliError, actor, open_database, out, start_command
from cs_agent.core.durations import parse_duration, parse_since

if TYPE_CHECKING:
    # Annotations only; the commands import storage when they run, for start-up time.
    from storage.repo import CostLine


def costs(
    since: Annotated[
        str | None,
        typer.Option(help="Calls received since a date (2026-11-01) or for an age (30d)."),
    ] = None,
    by: Annotated[str, typer.Option(help="customer (totals) or call (one line each).")] = (
        "customer"
    ),
    limit: Annotated[int, typer.Option(help="With --by call: how many, newest first.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """What the analyses cost: model tokens and US dollars, per customer or per call."""
    settings = start_command()
    # Imported here for start-up time: the services and storage take ~0.3 s to import.
    from cs_agent.cli.render import render_costs
    from cs_agent.services.costs import cost_report
    from storage.models import utcnow

    if by not in ("customer", "call"):
        raise CliError(f"--by {by!r}: use customer or call", code=2)
    start = None
    if since:
        try:
            start = parse_since(since, now=utcnow())
        except ValueError as error:
            raise CliError(f"--since: {error}", code=2) from None
    with open_database(settings) as engine:
        report = cost_report(engine, since=start, by=by, limit=limit)
    if as_json:
        out.print_json(
            json.dumps(
                {
                    "since": start.isoformat() if start else None,
                    "by": by,
                    "lines": [cost_json(line) for line in report.lines],
                    "total": cost_json(report.total),
                }
            )
        )
        return
    render_costs(out, report)


def cost_json(line: CostLine) -> dict[str, Any]:
    """One line of ``costs --json``: a customer's (or a call's) tokens and dollars."""
    data: dict[str, Any] = {
        "customer": line.customer,
        "calls": line.calls,
        "input_tokens": line.input_tokens,
        "output_tokens": line.output_tokens,
        "cache_read_tokens": line.cache_read_tokens,
        "cache_creation_tokens": line.cache_creation_tokens,
        "cost_usd": round(line.cost_usd, 6),
    }
    if line.call_id:
        data.update(
            call_id=line.call_id,
            title=line.title,
            received=line.received.isoformat() if line.received else None,
            analyzer=line.analyzer,
        )
    return data


def purge(
    older_than: Annotated[
        str, typer.Option(help="Remove transcripts of calls received longer ago: 90d, 12w, 1d.")
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only say what would be removed.")
    ] = False,
) -> None:
    """Delete the transcripts of old calls (action items, drafts and the audit log stay)."""
    settings = start_command()
    # Imported here for start-up time: the services and storage take ~0.3 s to import.
    from cs_agent.cli.render import render_purge
    from cs_agent.services.retention import purge_transcripts

    try:
        age = parse_duration(older_than)
    except ValueError as error:
        raise CliError(f"--older-than: {error}", code=2) from None
    if age <= dt.timedelta(0):
        raise CliError("--older-than must be more than 0", code=2)
    with open_database(settings) as engine:
        report = purge_transcripts(
            engine, older_than=age, described=older_than, actor=actor(), dry_run=dry_run
        )
    render_purge(out, report)
