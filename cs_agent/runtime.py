"""The running process: settings, the app database, the adapters, and DBOS launched on them.

DBOS is one per process, so a process has one ``Runtime`` at a time; the workflows find it
through ``cs_agent.workflows.current_runtime()``. The CLI, the API server and the worker all
start one the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from typing import Any

from dbos import DBOS, DBOSConfig
from sqlalchemy.engine import Engine

import cs_agent
from cs_agent import reminders, workflows
from cs_agent.config import Settings
from cs_agent.intake_writer import IntakeWriter
from cs_agent.recovery import Watchdog, new_executor_id
from cs_agent.wiring import Adapters, build_adapters, log_choices
from storage.db import make_engine, migrate

log = logging.getLogger(__name__)

APP_NAME = "cs-agent"


class Runtime:
    """Everything a process needs to accept calls and run their workflows."""

    def __init__(
        self, settings: Settings, *, adapters: Adapters | None = None, engine: Engine | None = None
    ) -> None:
        self.settings = settings
        self.engine = engine or make_engine(settings.app_database_url)
        self.adapters = adapters or build_adapters(settings, self.engine)
        self._launched = False
        self._intake_writer: IntakeWriter | None = None
        self._watchdog: Watchdog | None = None
        self._watchdog_task: asyncio.Task[None] | None = None
        self.executor_id = os.environ.get("CS_AGENT_EXECUTOR_ID") or (
            # Every worker on a shared database needs its own id: DBOS resumes, at start-up,
            # the pending workflows of its own id, which must not be another live worker's.
            new_executor_id() if settings.is_postgres else "local"
        )

    async def start(self, *, run_workflows: bool = True) -> None:
        """Migrate the database, launch DBOS, and (unless ``run_workflows`` is off) take work.

        An API-only process (``run_workflows=False``) still enqueues workflows; the workers run them.
        """
        settings = self.settings
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        migrate(self.engine)
        workflows.bind_runtime(self)
        config: DBOSConfig = {
            "name": APP_NAME,
            "system_database_url": settings.system_database_url,
            "application_version": cs_agent.__version__,
            "log_level": os.environ.get("CS_AGENT_DBOS_LOG_LEVEL", "WARNING"),
            "notification_listener_polling_interval_sec": 0.1,
        }
        config["executor_id"] = self.executor_id
        DBOS(config=config)
        if not run_workflows:
            DBOS.listen_queues([])
        if run_workflows and settings.is_postgres:
            self._watchdog = Watchdog(
                self.engine,
                self.executor_id,
                interval=settings.worker_heartbeat_seconds,
                timeout=settings.worker_timeout_seconds,
            )
            await asyncio.to_thread(self._watchdog.beat)  # before any work is taken
        DBOS.launch()
        self._launched = True
        await workflows.register_queues(
            worker_concurrency=settings.worker_concurrency,
        )
        if run_workflows:
            await reminders.schedule_reminders(settings.remind_check_every)
        if self._watchdog is not None:
            self._watchdog_task = asyncio.create_task(self._watchdog.run())
        log.info(
            "executor %s: %s",
            self.executor_id,
            "running workflows" if run_workflows else "API only",
        )
        log_choices(self.adapters)

    def intake_writer(self) -> IntakeWriter:
        """The writer that stores accepted calls and enqueues their workflows (one a process)."""
        if self._intake_writer is None:
            self._intake_writer = IntakeWriter(
                self.engine,
                system_database_url=self.settings.system_database_url,
                app_name=APP_NAME,
                app_version=cs_agent.__version__,
            )
        return self._intake_writer

    async def stop(self) -> None:
        """Finish storing accepted calls, shut DBOS down and release the database."""
        if self._intake_writer is not None:
            await self._intake_writer.aclose()
            self._intake_writer = None
        if self._watchdog_task is not None:
            self._watchdog_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watchdog_task
            self._watchdog_task = None
        if self._launched:
            DBOS.destroy(workflow_completion_timeout_sec=0)
            self._launched = False
        if self._watchdog is not None:
            # Whatever is still pending is resumed by the other workers right away. (Called
            # directly: DBOS shut down the thread pool that asyncio.to_thread would use.)
            self._watchdog.retire()
            self._watchdog = None
        workflows.unbind_runtime(self)
        self.engine.dispose()

    async def __aenter__(self) -> Runtime:
        await self.start()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.stop()
