"""The running process: the service context, with DBOS launched on it.

DBOS is one per process, so a process has one ``Runtime`` at a time; it binds itself as the
process's service context, which is how the workflows reach their adapters. The CLI, the API
server and the worker all start one the same way.
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
from cs_agent.bootstrap.adapters import build_adapters, log_choices
from cs_agent.config import Settings

# Imported for their @DBOS.workflow definitions: DBOS must know every workflow before launch.
from cs_agent.services import (  # noqa: F401
    context,
    draft_anyway,
    mailbox_drafts,
    process_call,
    promise_checks,
    promise_updates,
    queues,
    reminders,
    send_followup,
    source_ingest,
    source_polls,
    zoom_ingest,
)
from cs_agent.services.context import Adapters, ServiceContext
from cs_agent.services.recovery import Watchdog, new_executor_id
from storage.db import make_engine, migrate
from storage.files import private_dir, private_sqlite_file

log = logging.getLogger(__name__)


class Runtime(ServiceContext):
    """The service context of a process, plus its lifecycle: migrate, launch DBOS, take work."""

    def __init__(
        self, settings: Settings, *, adapters: Adapters | None = None, engine: Engine | None = None
    ) -> None:
        engine = engine or make_engine(settings.app_database_url)
        super().__init__(
            settings, engine=engine, adapters=adapters or build_adapters(settings, engine)
        )
        self._launched = False
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
        private_dir(settings.data_dir)
        # DBOS creates its SQLite file itself, with the umask's mode: create it private first.
        private_sqlite_file(settings.system_database_url)
        migrate(self.engine)
        context.bind(self)
        config: DBOSConfig = {
            "name": queues.APP_NAME,
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
            await asyncio.to_thread(self._watchdog.hold)  # alive before any work is taken
        DBOS.launch()
        self._launched = True
        await queues.register_queues(
            worker_concurrency=settings.worker_concurrency,
        )
        if run_workflows:
            await reminders.schedule_reminders(settings.remind_check_every)
            await promise_checks.schedule_promise_checks(settings.reconcile_every)
            if settings.places_mailbox_drafts:
                await mailbox_drafts.schedule_mailbox_reconcile(settings.remind_check_every)
            await source_polls.schedule_source_polls(self)
        if self._watchdog is not None:
            self._watchdog_task = asyncio.create_task(self._watchdog.run())
        log.info(
            "executor %s: %s",
            self.executor_id,
            "running workflows" if run_workflows else "API only",
        )
        log_choices(self.adapters)

    async def stop(self) -> None:
        """Finish storing accepted calls, shut DBOS down and release the database."""
        await self.close_intake()
        if self._watchdog_task is not None:
            self._watchdog_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watchdog_task
            self._watchdog_task = None
        if self._launched:
            DBOS.destroy(workflow_completion_timeout_sec=0)
            self._launched = False
        if self._watchdog is not None:
            # Ending the liveness session lets the other workers resume whatever is still
            # pending at their next check. (Called directly: DBOS shut down the thread pool
            # that asyncio.to_thread would use.)
            self._watchdog.release()
            self._watchdog = None
        context.unbind(self)
        self.engine.dispose()

    async def __aenter__(self) -> Runtime:
        await self.start()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.stop()
