"""``cs-agent sources …``: the meeting systems transcripts come from (Gong, Google Meet).

``sources gong poll`` and ``sources meet poll`` take in calls since a time, for servers that
cannot receive webhooks; calls already taken in are skipped, so polls may overlap.
``sources meet subscribe`` creates or renews the Workspace Events subscription.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from typing import TYPE_CHECKING, Annotated

import typer

from cs_agent.cli.common import CliError, out, run_with_runtime, start_command
from cs_agent.cli.meet import meet_subscribe
from cs_agent.core.durations import parse_since
from cs_agent.core.errors import ExternalError
from cs_agent.services import queues

if TYPE_CHECKING:
    from cs_agent.bootstrap.runtime import Runtime

app = typer.Typer(help="Transcript sources: Gong and Google Meet.", no_args_is_help=True)
gong = typer.Typer(help="Gong: calls recorded and transcribed by Gong.", no_args_is_help=True)
meet = typer.Typer(help="Google Meet: transcripts of Meet conferences.", no_args_is_help=True)
app.add_typer(gong, name="gong")
app.add_typer(meet, name="meet")
meet.command("subscribe")(meet_subscribe)

SINCE_HELP = "Calls since: a date (2026-11-01), an ISO time, or an age (24h, 7d)."


def _since(text: str) -> dt.datetime:
    try:
        return parse_since(text, now=dt.datetime.now(dt.UTC))
    except ValueError as error:
        raise CliError(f"--since: {error}") from None


def poll_command(source: str, since: dt.datetime, *, as_json: bool, wait: bool) -> None:
    """Poll ``source`` and print what became of each call found."""
    settings = start_command()
    # Imported here for start-up time: the services load storage (~0.3 s).
    from cs_agent.services import source_ingest

    async def work(runtime: Runtime) -> list[dict[str, object]]:
        try:
            announced = await source_ingest.poll(runtime, source, since=since)
        except source_ingest.UnknownSource as error:
            page = "gong" if source == "gong" else "google-meet"
            raise CliError(f"{error}: see docs/{page}.md") from None
        except ExternalError as error:
            raise CliError(f"polling {source} failed: {error}") from None
        rows = []
        for a in announced:
            if wait and not a.duplicate:
                with contextlib.suppress(Exception):  # a failure shows in the call's status
                    await queues.wait_for(a.workflow_id, timeout=300)
            rows.append(
                {
                    "source_id": a.source_id,
                    "call_id": a.call_id,
                    "new": not a.duplicate,
                }
            )
        return rows

    rows = run_with_runtime(settings, work)
    if as_json:
        out.print_json(json.dumps({"source": source, "since": since.isoformat(), "calls": rows}))
        return
    new = [r for r in rows if r["new"]]
    out.print(f"{source}: {len(rows)} calls since {since:%Y-%m-%d %H:%M} UTC, {len(new)} new")
    for row in new:
        out.print(f"  {row['source_id']} → {row['call_id']}")


@gong.command("poll")
def gong_poll(
    since: Annotated[str, typer.Option(help=SINCE_HELP)] = "24h",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    wait: Annotated[bool, typer.Option(help="Wait until each new call is fetched.")] = True,
) -> None:
    """Take in Gong calls since a time (for servers that cannot receive Gong's webhook)."""
    poll_command("gong", _since(since), as_json=as_json, wait=wait)


@meet.command("poll")
def meet_poll(
    since: Annotated[str, typer.Option(help=SINCE_HELP)] = "24h",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    wait: Annotated[bool, typer.Option(help="Wait until each new call is fetched.")] = True,
) -> None:
    """Take in Google Meet transcripts of conferences since a time."""
    poll_command("google-meet", _since(since), as_json=as_json, wait=wait)
