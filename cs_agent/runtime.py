"""The running process: settings, the app database, the adapters, and DBOS launched on them.

DBOS is one per process, so a process has one ``Runtime`` at a time; the workflows find it
through ``cs_agent.workflows.current_runtime()``. The CLI, the API server and the worker all
start one the same way.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from dbos import DBOS, DBOSConfig
from sqlalchemy.engine import Engine

import cs_agent
from cs_agent import workflows
from cs_agent.config import Settings
from cs_agent.intake_writer import IntakeWriter
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
        executor_id = os.environ.get("CS_AGENT_EXECUTOR_ID")
        if executor_id:
            config["executor_id"] = executor_id
        DBOS(config=config)
        if not run_workflows:
            DBOS.listen_queues([])
        DBOS.launch()
        self._launched = True
        await workflows.register_queues(
            worker_concurrency=settings.worker_concurrency,
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
        if self._launched:
            DBOS.destroy(workflow_completion_timeout_sec=0)
            self._launched = False
        workflows.unbind_runtime(self)
        self.engine.dispose()

    async def __aenter__(self) -> Runtime:
        await self.start()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.stop()
