"""``cs-agent``: process a call, serve the API, run a worker, decide on drafts.

The app is assembled here from one module a command group; ``main`` is the console entry point.
"""

from __future__ import annotations

import sys

import typer

from cs_agent.cli import auth, calls, draft_edit, drafts, sources, tasks, users  # noqa: F401 (draft_edit adds `drafts edit`)
from cs_agent.cli.common import CliError, err
from cs_agent.cli.doctor import doctor
from cs_agent.cli.operations import costs, purge
from cs_agent.cli.process import process
from cs_agent.cli.promises import promises
from cs_agent.cli.serve import serve, worker
from cs_agent.config import ConfigurationError

app = typer.Typer(
    name="cs-agent",
    help="After every customer call: file the follow-ups, draft the recap email, send on approval.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
for command in (process, serve, worker, doctor, costs, purge):
    app.command()(command)
app.add_typer(drafts.app, name="drafts")
app.add_typer(calls.app, name="calls")
app.add_typer(auth.app, name="auth")
app.add_typer(users.app, name="web")
app.add_typer(tasks.app, name="tasks")
app.command()(promises)
app.add_typer(sources.app, name="sources")


def main() -> None:
    """Console entry point: run the app, turning expected errors into one line."""
    debug = "--debug" in sys.argv
    if debug:
        sys.argv.remove("--debug")
    try:
        app()
    except CliError as error:
        if debug:
            raise
        err.print(f"[red]error:[/red] {error}", highlight=False, soft_wrap=True)
        raise SystemExit(error.code) from None
    except ConfigurationError as error:
        if debug:
            raise
        err.print(f"[red]configuration error:[/red] {error}", highlight=False, soft_wrap=True)
        raise SystemExit(2) from None
