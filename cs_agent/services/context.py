"""The small typed context every service and workflow step receives.

It carries the settings, the app database and one adapter per port, all typed by the ports in
``cs_agent.core.ports``: services never know which concrete adapter they talk to. The
composition root (``cs_agent.bootstrap``) builds it; entry points hand it to services.

DBOS workflows are module-level functions whose arguments are checkpointed, so a context
(which holds clients and an engine) cannot be one of them. The process binds its context here
when it starts; each workflow takes it once, with ``current()``, and passes it to its steps.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.engine import Engine

import cs_agent
from cs_agent.config import Settings
from cs_agent.core.ports import (
    AdapterChoice,
    Analyzer,
    ApprovalChannel,
    Mailer,
    TaskTracker,
    TranscriptDownloader,
)
from cs_agent.core.sources import TranscriptSource
from cs_agent.services.intake_writer import IntakeWriter
from cs_agent.services.queues import APP_NAME


@dataclass
class Adapters:
    """One adapter per port, plus why each was chosen."""

    analyzer: Analyzer
    tracker: TaskTracker
    approvals: ApprovalChannel
    mailer: Mailer
    zoom: TranscriptDownloader
    sources: dict[str, TranscriptSource] = field(default_factory=dict)
    """Transcript sources by name (``zoom``, ``gong``, ``google-meet``): those configured."""
    choices: list[AdapterChoice] = field(default_factory=list)


class ServiceContext:
    """Settings, the app database and the adapters: everything a use case needs."""

    def __init__(self, settings: Settings, *, engine: Engine, adapters: Adapters) -> None:
        self.settings = settings
        self.engine = engine
        self.adapters = adapters
        self._intake_writer: IntakeWriter | None = None

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

    async def close_intake(self) -> None:
        """Finish storing the calls accepted so far."""
        if self._intake_writer is not None:
            await self._intake_writer.aclose()
            self._intake_writer = None


_bound: ServiceContext | None = None


def bind(ctx: ServiceContext) -> None:
    """Make ``ctx`` the one the workflows of this process run with."""
    global _bound
    _bound = ctx


def unbind(ctx: ServiceContext) -> None:
    """Forget ``ctx`` (when its process stops), unless another has replaced it."""
    global _bound
    if _bound is ctx:
        _bound = None


def current() -> ServiceContext:
    """The context this process bound: how a workflow, resumed by DBOS, finds its adapters."""
    if _bound is None:
        raise RuntimeError("cs-agent is not started in this process (no service context bound)")
    return _bound
