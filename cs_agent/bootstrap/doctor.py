"""``cs-agent doctor``: for each port, which adapter is configured and whether it works.

An adapter that can check itself implements ``check()`` (see ``SelfChecking``): a live call to
its service (who am I, does the team exist, which scopes were granted), returning one result
per thing it checked, each with the fix when it fails. Doctor adds the database, builds each
port's adapter on its own (a port whose settings are wrong is a failed row, not a crash), and
folds the results into one row a port.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.engine import Engine

from cs_agent.bootstrap.adapters import (
    choose_analyzer,
    choose_approvals,
    choose_mailer,
    choose_tracker,
)
from cs_agent.config import ConfigurationError, Settings
from cs_agent.core.ports import AdapterChoice, CheckResult, SelfChecking
from storage.db import migrate


class PortReport(BaseModel):
    """One row of doctor's table: a port, its adapter, and everything checked about it."""

    port: str
    adapter: str
    reason: str
    """Why this adapter was chosen (which setting turned it on)."""
    checks: list[CheckResult]

    @property
    def ok(self) -> bool:
        """True when every check passed."""
        return all(check.ok for check in self.checks)

    @property
    def fixes(self) -> list[str]:
        """What to do, one line per distinct fix of a failed check."""
        seen: list[str] = []
        for check in self.checks:
            if not check.ok and check.fix and check.fix not in seen:
                seen.append(check.fix)
        return seen


async def check_adapter(port: str, adapter: Any, choice: AdapterChoice | None) -> list[CheckResult]:
    """The live checks of one adapter, or (for one that cannot check itself) why it was chosen."""
    name = getattr(adapter, "name", type(adapter).__name__)
    if isinstance(adapter, SelfChecking):
        try:
            return await adapter.check()
        except Exception as error:  # a check must never take doctor down
            return [
                CheckResult(
                    port=port,
                    adapter=name,
                    ok=False,
                    detail=f"the check itself failed: {type(error).__name__}: {error}",
                    fix=f"check the settings of the {port} port; the message above says which",
                )
            ]
    return [
        CheckResult(
            port=port,
            adapter=name,
            ok=True,
            detail=choice.reason if choice else "nothing to check",
        )
    ]


def check_database(engine: Engine, settings: Settings) -> list[CheckResult]:
    """Can we reach the database, and is its schema current (migrating it if not)?"""
    kind = "postgresql" if settings.is_postgres else "sqlite"
    where = _database_location(engine)
    try:
        migrate(engine)
        with engine.connect() as conn:
            revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception as error:
        return [
            CheckResult(
                port="database",
                adapter=kind,
                ok=False,
                detail=f"{where}: {type(error).__name__}: {str(error).splitlines()[0]}",
                fix="check CS_AGENT_DATABASE_URL (host, port, database, user, password) and "
                "that the database server is running"
                if settings.is_postgres
                else f"check that {settings.data_dir} (CS_AGENT_DATA_DIR) is writable",
            )
        ]
    return [
        CheckResult(port="database", adapter=kind, ok=True, detail=f"{where}: schema at {revision}")
    ]


async def diagnose(settings: Settings, engine: Engine) -> list[PortReport]:
    """Every row of doctor's table: the database, then each port's adapter, checked live."""
    database = check_database(engine, settings)
    reports = [
        PortReport(
            port="database",
            adapter=database[0].adapter,
            reason=_database_location(engine),
            checks=database,
        )
    ]
    builders: dict[str, Callable[[], tuple[Any, AdapterChoice]]] = {
        "analyzer": lambda: choose_analyzer(settings),
        "tracker": lambda: choose_tracker(settings, engine),
        "approvals": lambda: choose_approvals(settings, engine),
        "mailer": lambda: choose_mailer(settings, engine),
    }
    for port, build in builders.items():
        try:
            adapter, choice = build()
        except ConfigurationError as error:
            failed = CheckResult(
                port=port,
                adapter="(not configured)",
                ok=False,
                detail=str(error),
                fix="fix the setting named above",
            )
            reports.append(
                PortReport(port=port, adapter=failed.adapter, reason="", checks=[failed])
            )
            continue
        checks = await check_adapter(port, adapter, choice)
        reports.append(
            PortReport(port=port, adapter=choice.adapter, reason=choice.reason, checks=checks)
        )
    return reports


def _database_location(engine: Engine) -> str:
    url = engine.url
    if url.get_backend_name() == "sqlite":
        return str(url.database)
    return url.render_as_string(hide_password=True).split("://", 1)[-1]
