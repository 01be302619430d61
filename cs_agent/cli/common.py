"""What every ``cs-agent`` command shares: settings, logging, the runtime, the actor, errors.

Errors are one line naming what is wrong and where (file and line for transcripts), with a
non-zero exit; tracebacks are for ``--debug``.
"""

from __future__ import annotations

import asyncio
import getpass
import logging
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TypeVar

from pydantic import ValidationError
from rich.console import Console
from sqlalchemy.engine import Engine

from cs_agent.config import Settings
from cs_agent.logs import configure_logging

if TYPE_CHECKING:
    # Annotations only; the commands import the runtime when they run, for start-up time.
    from cs_agent.bootstrap.runtime import Runtime
    from cs_agent.services.views import CallView

out = Console(soft_wrap=False)
err = Console(stderr=True)
T = TypeVar("T")


class CliError(Exception):
    """An error to show as one line and exit with ``code``."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def setup_logging(verbose: bool) -> logging.Handler:
    """Readable lines in a terminal, JSON lines otherwise (``CS_AGENT_LOG_FORMAT``), masked."""
    try:
        settings = Settings()
        fmt, mask = settings.log_format, settings.log_mask_pii
    except ValidationError:  # load_settings() reports it properly next
        fmt, mask = "auto", True
    return configure_logging(level=logging.INFO if verbose else logging.WARNING, fmt=fmt, mask=mask)


def load_settings() -> Settings:
    """The settings from the environment; an invalid one is a one-line error naming it."""
    try:
        return Settings()
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']).upper()}: {e['msg']}" for e in error.errors()
        )
        raise CliError(f"configuration error: {problems}") from None


def start_command(verbose: bool = False) -> Settings:
    """How a command begins: logging set up, then the settings loaded."""
    setup_logging(verbose)
    return load_settings()


async def with_runtime(settings: Settings, work: Callable[[Runtime], Awaitable[T]]) -> T:
    """Start a runtime (database migrated, workflows running), do ``work`` with it, stop it."""
    # Imported here for start-up time: the runtime and its adapters take ~1.5 s to import.
    from cs_agent.bootstrap.runtime import Runtime

    runtime = Runtime(settings)
    await runtime.start()
    try:
        return await work(runtime)
    finally:
        await runtime.stop()


def run_with_runtime(settings: Settings, work: Callable[[Runtime], Awaitable[T]]) -> T:
    """``with_runtime`` in a new event loop, for a command's synchronous body."""
    return asyncio.run(with_runtime(settings, work))


def stored_call(runtime: Runtime, call_id: str) -> CallView:
    """The call as the views show it; an unknown id is a one-line error."""
    # Imported here for start-up time: the services load storage (~0.3 s).
    from cs_agent.services.views import load_call_view

    view = load_call_view(runtime, call_id)
    if view is None:
        raise CliError(f"no call {call_id}")
    return view


@contextmanager
def open_database(settings: Settings) -> Iterator[Engine]:
    """The app database, migrated, for commands that need no runtime; disposed afterwards."""
    # Imported here for start-up time: storage (with its migrations) takes ~0.2 s to import.
    from storage.db import make_engine, migrate

    engine = make_engine(settings.app_database_url)
    try:
        migrate(engine)
        yield engine
    finally:
        engine.dispose()


def actor() -> str:
    """Who the audit log records for a decision made here: ``cli:<login name>``."""
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:
        return "cli"
