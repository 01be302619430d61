"""``cs-agent``: process a call, serve the API, run a worker, decide on drafts.

Errors are one line naming what is wrong and where (file and line for transcripts), with a
non-zero exit; tracebacks are for ``--debug``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import getpass
import json
import logging
import sys
from collections.abc import Awaitable, Callable
from email.utils import parseaddr
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from cs_agent.cli import users as web_cli
from cs_agent.config import ConfigurationError, Settings
from cs_agent.core.domain import Attendee, CallMetadata, Customer, Side, TranscriptFormat
from cs_agent.core.transcripts import TranscriptError, format_for_filename, parse_transcript
from cs_agent.services import queues

app = typer.Typer(
    name="cs-agent",
    help="After every customer call: file the follow-ups, draft the recap email, send on approval.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
drafts_app = typer.Typer(help="Follow-up drafts waiting for a decision.", no_args_is_help=True)
app.add_typer(drafts_app, name="drafts")
calls_app = typer.Typer(
    help="Calls: their status, failures, and retrying them.", no_args_is_help=True
)
app.add_typer(calls_app, name="calls")
auth_app = typer.Typer(help="Let cs-agent act for you in an outside service.", no_args_is_help=True)
app.add_typer(auth_app, name="auth")
app.add_typer(web_cli.app, name="web")

log = logging.getLogger("cs_agent.cli")
out = Console(soft_wrap=False)
err = Console(stderr=True)
T = TypeVar("T")


class CliError(Exception):
    """An error to show as one line and exit with ``code``."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def _setup_logging(verbose: bool) -> logging.Handler:
    """Readable lines in a terminal, JSON lines otherwise (``CS_AGENT_LOG_FORMAT``), masked."""
    from cs_agent.logs import configure_logging

    try:
        settings = Settings()
        fmt, mask = settings.log_format, settings.log_mask_pii
    except ValidationError:  # _settings() reports it properly next
        fmt, mask = "auto", True
    return configure_logging(level=logging.INFO if verbose else logging.WARNING, fmt=fmt, mask=mask)


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']).upper()}: {e['msg']}" for e in error.errors()
        )
        raise CliError(f"configuration error: {problems}") from None


def _run(factory: Callable[[], Awaitable[T]]) -> T:
    return asyncio.run(factory())  # type: ignore[arg-type]


# --- process ------------------------------------------------------------------------------------


@app.command()
def process(
    file: Annotated[Path, typer.Argument(help="Transcript file: .vtt, .srt, .txt or .json")],
    format: Annotated[
        TranscriptFormat | None, typer.Option("--format", "-f", help="Skip detection.")
    ] = None,
    call_date: Annotated[
        str | None, typer.Option(help="YYYY-MM-DD; due dates like 'Friday' resolve against it.")
    ] = None,
    customer: Annotated[str | None, typer.Option(help="Customer account name.")] = None,
    customer_domain: Annotated[
        str | None, typer.Option(help="Customer email domain, e.g. acme.com.")
    ] = None,
    title: Annotated[str | None, typer.Option(help="Call title.")] = None,
    attendee: Annotated[
        list[str] | None,
        typer.Option(help='"Name <email>", repeatable. Side is inferred from the domain.'),
    ] = None,
    metadata: Annotated[
        Path | None,
        typer.Option(help="JSON file with title, call_date, customer, attendees, source_id."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Process one call end to end and wait for the draft: items filed, email drafted."""
    _setup_logging(verbose)
    settings = _settings()
    transcript = _read_transcript(file, format)
    meta = _metadata(
        settings,
        metadata_file=metadata,
        call_date=call_date,
        customer=customer,
        customer_domain=customer_domain,
        title=title,
        attendees=attendee or [],
    )
    view, choices, created = _run(lambda: _process(settings, transcript, meta))
    if as_json:
        out.print_json(json.dumps(_json_result(view)))
        return
    from cs_agent.cli.render import render_adapters, render_call

    render_adapters(err, choices)
    if not created:
        err.print(
            f"[dim]This call was processed before ({view.call_id}); showing the stored result.[/dim]"
        )
    render_call(out, view)
    if view.status == "failed":
        raise typer.Exit(1)


async def _process(
    settings: Settings, transcript: Any, meta: CallMetadata
) -> tuple[Any, Any, bool]:
    from cs_agent.bootstrap.runtime import Runtime
    from cs_agent.services import queues
    from cs_agent.services.intake import IdempotencyConflict, submit_call
    from cs_agent.services.views import load_call_view

    runtime = Runtime(settings)
    await runtime.start()
    try:
        try:
            submission = await submit_call(
                runtime, transcript=transcript, metadata=meta, source="cli"
            )
        except IdempotencyConflict as conflict:
            raise CliError(
                f"source_id {meta.source_id!r} was already used for a different transcript "
                f"(call {conflict.call_id})"
            ) from None
        await queues.wait_for(submission.workflow_id)
        view = load_call_view(runtime, submission.call_id)
        assert view is not None
        return view, runtime.adapters.choices, submission.created
    finally:
        await runtime.stop()


def _read_transcript(file: Path, format: TranscriptFormat | None) -> Any:
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        raise CliError(f"{file}: no such file", code=2) from None
    except IsADirectoryError:
        raise CliError(f"{file}: is a directory, expected a transcript file", code=2) from None
    except PermissionError:
        raise CliError(f"{file}: permission denied", code=2) from None
    try:
        return parse_transcript(data, format=format or format_for_filename(file.name))
    except TranscriptError as error:
        raise CliError(f"{file}: {error}", code=2) from None


def _metadata(
    settings: Settings,
    *,
    metadata_file: Path | None,
    call_date: str | None,
    customer: str | None,
    customer_domain: str | None,
    title: str | None,
    attendees: list[str],
) -> CallMetadata:
    base: dict[str, Any] = {}
    if metadata_file is not None:
        try:
            base = json.loads(metadata_file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise CliError(f"{metadata_file}: no such file", code=2) from None
        except json.JSONDecodeError as error:
            raise CliError(
                f"{metadata_file}:{error.lineno}: not valid JSON ({error.msg})", code=2
            ) from None
        if not isinstance(base, dict):
            raise CliError(f"{metadata_file}: expected a JSON object", code=2)
    try:
        meta = CallMetadata.model_validate(base)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise CliError(f"{metadata_file}: field {field}: {first['msg']}", code=2) from None
    if call_date:
        try:
            meta.call_date = dt.date.fromisoformat(call_date)
        except ValueError:
            raise CliError(f"--call-date {call_date!r}: expected YYYY-MM-DD", code=2) from None
    if customer or customer_domain:
        current = meta.customer or Customer(name=customer or customer_domain or "")
        meta.customer = Customer(
            name=customer or current.name, domain=customer_domain or current.domain
        )
    if title:
        meta.title = title
    if attendees:
        meta.attendees = [_attendee(a, meta, settings) for a in attendees]
    return meta


def _attendee(value: str, meta: CallMetadata, settings: Settings) -> Attendee:
    name, email = parseaddr(value)
    if not email or "@" not in email:
        return Attendee(name=value.strip())
    domain = email.rpartition("@")[2].lower()
    side = None
    if meta.customer and meta.customer.domain and domain == meta.customer.domain.lower():
        side = Side.CUSTOMER
    elif domain == settings.sender_email.rpartition("@")[2].lower():
        side = Side.US
    return Attendee(name=name or email, email=email, side=side)


def _json_result(view: Any) -> dict[str, Any]:
    data: dict[str, Any] = view.model_dump(mode="json")
    return {
        "call_id": data["call_id"],
        "status": data["status"],
        "analyzer": data["analyzer"],
        "analysis_notes": data["analysis_notes"],
        "summary": data["summary"],
        "action_items": [
            {
                key: item[key]
                for key in (
                    "title",
                    "description",
                    "owner",
                    "due_date",
                    "priority",
                    "quote",
                    "quote_time",
                    "issue",
                )
            }
            for item in data["action_items"]
        ],
        "draft": data["draft"],
        "approval": data["approval"],
        "usage": data["usage"],
        "cost_usd": data["cost_usd"],
        "failure_reason": data["failure_reason"],
    }


# --- serve and worker ---------------------------------------------------------------------------


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workflows: Annotated[
        bool | None,
        typer.Option(
            "--workflows/--api-only",
            help="Also run workflows in this process. Default: yes on SQLite, no on PostgreSQL "
            "(run `cs-agent worker` processes there).",
        ),
    ] = None,
    access_log: Annotated[
        bool, typer.Option("--access-log/--no-access-log", help="Log every request.")
    ] = True,
    socket_mode: Annotated[
        bool,
        typer.Option(
            "--socket-mode",
            help="Receive Slack clicks over Socket Mode (CS_AGENT_SLACK_APP_TOKEN), "
            "for hosts Slack cannot reach.",
        ),
    ] = False,
) -> None:
    """Run the HTTP API (and, on SQLite, the workflows in the same process)."""
    import uvicorn

    from cs_agent.api.app import create_app
    from cs_agent.api.auth import open_bind_problem
    from cs_agent.bootstrap.adapters import slack_missing

    handler = _setup_logging(verbose=True)
    settings = _settings()
    problem = open_bind_problem(settings, host)
    if problem is not None:
        raise CliError(problem, code=2)
    if socket_mode:
        settings = settings.model_copy(update={"slack_socket_mode": True})
        missing = slack_missing(settings)
        if missing:
            raise CliError(f"--socket-mode: {missing}", code=2)
    from cs_agent.logs import access_log_handler

    # One access line a request: JSON like every other line, or plain text in a terminal.
    access = logging.getLogger("uvicorn.access")
    access.handlers, access.propagate = [access_log_handler(handler)], False
    run_workflows = (not settings.is_postgres) if workflows is None else workflows
    uvicorn.run(
        create_app(settings, run_workflows=run_workflows),
        host=host,
        port=port,
        log_config=None,
        access_log=access_log,
    )


@app.command()
def worker(
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = True,
    metrics_port: Annotated[
        int | None,
        typer.Option(
            help="Serve this worker's /metrics (step latencies, API errors) on this port "
            "(CS_AGENT_METRICS_PORT).",
        ),
    ] = None,
    metrics_host: Annotated[
        str, typer.Option(help="Interface for --metrics-port (0.0.0.0 for a scraper elsewhere).")
    ] = "127.0.0.1",
) -> None:
    """Run workflows only (no HTTP), for scaling out on PostgreSQL."""
    _setup_logging(verbose)
    settings = _settings()
    port = metrics_port if metrics_port is not None else settings.metrics_port

    async def run() -> None:
        import signal

        from cs_agent.bootstrap.runtime import Runtime

        runtime = Runtime(settings)
        await runtime.start()
        server = None
        if port is not None:
            from prometheus_client import start_http_server

            server, _thread = start_http_server(port, addr=metrics_host)
            log.info("metrics on http://%s:%d/metrics", metrics_host, port)
        stopping = asyncio.Event()
        # SIGTERM is how orchestrators ask a worker to stop: leave cleanly, so the other
        # workers resume whatever was in flight at once instead of after the timeout.
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stopping.set)
        log.info("worker %s running; Ctrl-C to stop", runtime.executor_id)
        try:
            await stopping.wait()
        finally:
            if server is not None:
                server.shutdown()
            await runtime.stop()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())


# --- doctor -------------------------------------------------------------------------------------


@app.command()
def doctor(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Check the database and every port's adapter live; exit non-zero if any check fails."""
    _setup_logging(False)
    settings = _settings()

    async def work() -> Any:
        from cs_agent.bootstrap.doctor import diagnose
        from storage.db import make_engine

        engine = make_engine(settings.app_database_url)
        try:
            return await diagnose(settings, engine)
        finally:
            engine.dispose()

    reports = _run(work)
    healthy = all(report.ok for report in reports)
    if as_json:
        out.print_json(
            json.dumps(
                {
                    "ok": healthy,
                    "ports": [
                        {**report.model_dump(mode="json"), "ok": report.ok, "fixes": report.fixes}
                        for report in reports
                    ],
                }
            )
        )
    else:
        from cs_agent.cli.render import render_doctor

        render_doctor(out, reports, data_dir=str(settings.data_dir))
    if not healthy:
        raise typer.Exit(1)


# --- costs and retention -----------------------------------------------------------------------


def _engine(settings: Settings) -> Any:
    from storage.db import make_engine, migrate

    engine = make_engine(settings.app_database_url)
    migrate(engine)
    return engine


@app.command()
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
    _setup_logging(False)
    settings = _settings()
    from cs_agent.core.durations import parse_since
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
    engine = _engine(settings)
    try:
        report = cost_report(engine, since=start, by=by, limit=limit)
    finally:
        engine.dispose()
    if as_json:
        out.print_json(
            json.dumps(
                {
                    "since": start.isoformat() if start else None,
                    "by": by,
                    "lines": [_cost_json(line) for line in report.lines],
                    "total": _cost_json(report.total),
                }
            )
        )
        return
    from cs_agent.cli.render import render_costs

    render_costs(out, report)


def _cost_json(line: Any) -> dict[str, Any]:
    data = {
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


@app.command()
def purge(
    older_than: Annotated[
        str, typer.Option(help="Remove transcripts of calls received longer ago: 90d, 12w, 1d.")
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only say what would be removed.")
    ] = False,
) -> None:
    """Delete the transcripts of old calls (action items, drafts and the audit log stay)."""
    _setup_logging(False)
    settings = _settings()
    from cs_agent.core.durations import parse_duration
    from cs_agent.services.retention import purge_transcripts

    try:
        age = parse_duration(older_than)
    except ValueError as error:
        raise CliError(f"--older-than: {error}", code=2) from None
    if age <= dt.timedelta(0):
        raise CliError("--older-than must be more than 0", code=2)
    engine = _engine(settings)
    try:
        report = purge_transcripts(
            engine, older_than=age, described=older_than, actor=_actor(), dry_run=dry_run
        )
    finally:
        engine.dispose()
    from cs_agent.cli.render import render_purge

    render_purge(out, report)


# --- drafts -------------------------------------------------------------------------------------


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:
        return "cli"


async def _with_runtime(settings: Settings, work: Callable[[Any], Awaitable[T]]) -> T:
    from cs_agent.bootstrap.runtime import Runtime

    runtime = Runtime(settings)
    await runtime.start()
    try:
        return await work(runtime)
    finally:
        await runtime.stop()


@calls_app.command("list")
def calls_list(
    failed: Annotated[bool, typer.Option("--failed", help="Only failed calls, with why.")] = False,
    status: Annotated[str | None, typer.Option(help="Only calls in this status.")] = None,
    limit: Annotated[int, typer.Option(help="How many, newest first.")] = 50,
) -> None:
    """Calls, newest first."""
    _setup_logging(False)
    settings = _settings()
    from storage import repo
    from storage.db import make_engine, migrate, session_scope

    engine = make_engine(settings.app_database_url)
    migrate(engine)
    with session_scope(engine) as session:
        rows = repo.list_calls(session, status="failed" if failed else status, limit=limit)
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


@calls_app.command("show")
def calls_show(call_id: Annotated[str, typer.Argument(help="The call id.")]) -> None:
    """One call: summary, action items, the draft."""
    _setup_logging(False)
    settings = _settings()

    async def work(runtime: Any) -> Any:
        from cs_agent.services.views import load_call_view

        view = load_call_view(runtime, call_id)
        if view is None:
            raise CliError(f"no call {call_id}")
        return view

    view = _run(lambda: _with_runtime(settings, work))
    from cs_agent.cli.render import render_call

    render_call(out, view)


@calls_app.command("retry")
def calls_retry(
    call_id: Annotated[str, typer.Argument(help="A failed call's id.")],
    wait: Annotated[bool, typer.Option(help="Wait for the call to finish.")] = True,
) -> None:
    """Resume a failed call from the step that failed; finished steps are not redone."""
    _setup_logging(False)
    settings = _settings()

    async def work(runtime: Any) -> Any:
        pass  # REMOVED-IMPORT
        from cs_agent.services.call_retry import RetryRefused, retry_call
        from cs_agent.services.views import load_call_view

        try:
            workflow_id = await retry_call(runtime, call_id=call_id, actor=_actor())
        except RetryRefused as refused:
            raise CliError(str(refused)) from None
        if wait:
            with contextlib.suppress(Exception):  # a failure is shown from the call's status
                await queues.wait_for(workflow_id)
        return load_call_view(runtime, call_id)

    view = _run(lambda: _with_runtime(settings, work))
    from cs_agent.cli.render import render_call

    render_call(out, view)
    if view.status == "failed":
        raise typer.Exit(1)


@drafts_app.command("list")
def drafts_list(
    status: Annotated[str | None, typer.Option(help="pending, sent, rejected, failed …")] = None,
) -> None:
    """Drafts, newest first."""
    _setup_logging(False)
    settings = _settings()
    from storage import repo
    from storage.db import make_engine, migrate, session_scope

    engine = make_engine(settings.app_database_url)
    migrate(engine)
    with session_scope(engine) as session:
        rows = repo.list_drafts(session, status=status)
        calls = {row.call_id: repo.get_call(session, call_id=row.call_id) for row in rows}
    table = Table(title="Follow-up drafts")
    for column in ("draft", "status", "customer", "subject", "created"):
        table.add_column(column)
    for row in rows:
        call = calls.get(row.call_id)
        table.add_row(
            row.id,
            row.status,
            (call.customer_name if call else None) or "—",
            row.subject,
            f"{row.created_at:%Y-%m-%d %H:%M}",
        )
    out.print(table)


@drafts_app.command("show")
def drafts_show(
    draft_id: Annotated[str, typer.Argument(help="Draft id or a unique prefix.")],
) -> None:
    """A draft with its call's summary and action items."""
    _setup_logging(False)
    settings = _settings()

    async def work(runtime: Any) -> Any:
        from cs_agent.services.approvals import DecisionRefused, resolve_draft_id
        from cs_agent.services.views import load_call_view
        from storage import repo
        from storage.db import session_scope

        try:
            full_id = resolve_draft_id(runtime, draft_id)
        except DecisionRefused as refused:
            raise CliError(str(refused)) from None
        with session_scope(runtime.engine) as session:
            row = repo.get_draft(session, draft_id=full_id)
            assert row is not None
            call_id = row.call_id
        return load_call_view(runtime, call_id)

    view = _run(lambda: _with_runtime(settings, work))
    from cs_agent.cli.render import render_call

    render_call(out, view)


@drafts_app.command("approve")
def drafts_approve(
    draft_id: Annotated[str, typer.Argument(help="Draft id or a unique prefix.")],
) -> None:
    """Approve a draft: the email is sent (once, however often this is run)."""
    _setup_logging(False)
    settings = _settings()

    async def work(runtime: Any) -> Any:
        from cs_agent.services import approvals

        try:
            full_id = approvals.resolve_draft_id(runtime, draft_id)
            decision = await approvals.approve(runtime, draft_id=full_id, actor=_actor())
        except approvals.DecisionRefused as refused:
            raise CliError(str(refused)) from None
        return decision, await queues.wait_for(decision.workflow_id or "")

    decision, result = _run(lambda: _with_runtime(settings, work))
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


@drafts_app.command("reject")
def drafts_reject(
    draft_id: Annotated[str, typer.Argument(help="Draft id or a unique prefix.")],
    reason: Annotated[str | None, typer.Option(help="Why, for the audit log.")] = None,
) -> None:
    """Reject a draft: nothing is sent."""
    _setup_logging(False)
    settings = _settings()

    async def work(runtime: Any) -> Any:
        from cs_agent.services import approvals

        try:
            full_id = approvals.resolve_draft_id(runtime, draft_id)
            return await approvals.reject(runtime, draft_id=full_id, actor=_actor(), reason=reason)
        except approvals.DecisionRefused as refused:
            raise CliError(str(refused)) from None

    decision = _run(lambda: _with_runtime(settings, work))
    out.print(f"Rejected {decision.draft.id}; nothing will be sent.")


# --- auth ---------------------------------------------------------------------------------------


@auth_app.command("gmail")
def auth_gmail(
    client_secret: Annotated[
        Path, typer.Argument(help="The OAuth client (Desktop app) JSON from Google Cloud console.")
    ],
    token_out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Where to write the token. Default: CS_AGENT_GMAIL_CREDENTIALS if set, "
            "else gmail-token.json in the data directory.",
        ),
    ] = None,
    force: Annotated[bool, typer.Option(help="Replace an existing token file.")] = False,
    port: Annotated[
        int, typer.Option(help="Local port for Google's redirect (0: any free port).")
    ] = 0,
    browser: Annotated[
        bool, typer.Option(help="Open the sign-in page in a browser on this machine.")
    ] = True,
) -> None:
    """Sign in with Google and save a token cs-agent sends follow-ups with (gmail.send and
    gmail.readonly only)."""
    _setup_logging(False)
    settings = _settings()
    target = token_out or settings.gmail_credentials or settings.data_dir / "gmail-token.json"
    if target.exists() and not force:
        raise CliError(f"{target} already exists; pass --force to replace it, or --out elsewhere")
    from integrations.gmail_auth import run_installed_app_flow, write_token_file

    try:
        credentials = run_installed_app_flow(client_secret, port=port, open_browser=browser)
    except ConfigurationError:
        raise
    except Exception as error:  # the flow raises oauthlib, wsgiref and socket errors alike
        raise CliError(
            f"Google sign-in did not complete: {type(error).__name__}: {error}"
        ) from None
    address = _run(lambda: _gmail_account(settings, credentials, target))
    write_token_file(credentials, target, account=address, force=force)
    out.print(f"Signed in as [bold]{address}[/bold]; token written to {target} (owner-only).")
    out.print("Send follow-ups with it by setting:", highlight=False)
    out.print(f"  CS_AGENT_GMAIL_CREDENTIALS={target}", highlight=False, soft_wrap=True)
    out.print(f"  CS_AGENT_GMAIL_SENDER={address}", highlight=False, soft_wrap=True)


async def _gmail_account(settings: Settings, credentials: Any, path: Path) -> str:
    from cs_agent.core.errors import ExternalError
    from integrations.gmail import GmailMailer, build_gmail_service
    from integrations.gmail_auth import GmailIdentity

    identity = GmailIdentity(
        credentials=credentials, kind="authorized_user", path=path, sender="this account"
    )
    service = build_gmail_service(
        credentials, api_url=settings.gmail_api_url, timeout=settings.gmail_timeout_seconds
    )
    try:
        return await GmailMailer(service, identity=identity).account_address()
    except ExternalError as error:
        raise CliError(f"signed in, but reading the Gmail profile failed: {error}") from None


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
