"""``cs-agent serve`` (the HTTP API, on SQLite with the workflows) and ``cs-agent worker``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer
import uvicorn
from prometheus_client import start_http_server

from cs_agent.cli.common import (
    CliError,
    load_settings,
    run_with_runtime,
    setup_logging,
    start_command,
)
from cs_agent.config import Settings
from cs_agent.logs import access_log_handler

if TYPE_CHECKING:
    # Annotations only; the runtime is imported when a worker starts, for start-up time.
    from cs_agent.bootstrap.runtime import Runtime

log = logging.getLogger("cs_agent.cli")
SWITCH_INTERVAL_SECONDS = 0.0005


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
    # Imported here for start-up time: the API and the adapters take ~2 s to import.
    from cs_agent.api.app import create_app
    from cs_agent.api.auth import open_bind_problem
    from cs_agent.bootstrap.adapters import slack_missing

    handler = setup_logging(verbose=True)
    settings = load_settings()
    problem = open_bind_problem(settings, host)
    if problem is not None:
        raise CliError(problem, code=2)
    if socket_mode:
        settings = settings.model_copy(update={"slack_socket_mode": True})
        missing = slack_missing(settings)
        if missing:
            raise CliError(f"--socket-mode: {missing}", code=2)
    # One access line a request: JSON like every other line, or plain text in a terminal.
    access = logging.getLogger("uvicorn.access")
    access.handlers, access.propagate = [access_log_handler(handler)], False
    run_workflows = (not settings.is_postgres) if workflows is None else workflows
    if run_workflows:
        # Analyses run in worker threads beside the event loop. Python hands the GIL to a
        # waiting thread every switch interval (5 ms by default), so a loop with many small
        # requests waits that long at each step behind a busy analysis; a shorter interval
        # keeps health checks and Slack's acknowledgements fast (bench/loop_latency.py).
        sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
    uvicorn.run(
        create_app(settings, run_workflows=run_workflows),
        host=host,
        port=port,
        log_config=None,
        access_log=access_log,
        **proxy_options(settings),
    )


def proxy_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's forwarded-header options from ``CS_AGENT_TRUSTED_PROXIES``.

    uvicorn on its own believes ``X-Forwarded-For`` from 127.0.0.1, so anything on this host
    could pose as any client (and dodge the sign-in throttle). Here nobody is believed unless
    listed: with no trusted proxy the client is the peer that connected.
    """
    if not settings.trusted_proxies:
        return {"proxy_headers": False, "forwarded_allow_ips": ""}
    return {"proxy_headers": True, "forwarded_allow_ips": ",".join(settings.trusted_proxies)}


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
    settings = start_command(verbose)
    port = metrics_port if metrics_port is not None else settings.metrics_port

    async def run_until_stopped(runtime: Runtime) -> None:
        server = None
        if port is not None:
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

    with contextlib.suppress(KeyboardInterrupt):
        run_with_runtime(settings, run_until_stopped)
