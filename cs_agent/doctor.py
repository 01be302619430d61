"""``cs-agent doctor``: for each port, which adapter is configured and whether it works.

An adapter that can check itself implements ``check()`` (see ``SelfChecking``): a live call to
its service (who am I, does the team exist, which scopes were granted), returning one result
per thing it checked, each with the fix when it fails.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from pydantic import BaseModel

from cs_agent.wiring import Adapters


class CheckResult(BaseModel):
    """One thing doctor checked."""

    port: str
    adapter: str
    ok: bool
    detail: str
    fix: str | None = None


@runtime_checkable
class SelfChecking(Protocol):
    """An adapter that can verify its own configuration against its service."""

    name: str

    async def check(self) -> list[CheckResult]:
        """Live checks; never raises for a failed check, returns it with ``ok=False``."""
        ...


async def run_checks(adapters: Adapters) -> list[CheckResult]:
    """Check every port's adapter."""
    results: list[CheckResult] = []
    ports = {
        "analyzer": adapters.analyzer,
        "tracker": adapters.tracker,
        "approvals": adapters.approvals,
        "mailer": adapters.mailer,
    }
    choices = {choice.port: choice for choice in adapters.choices}
    for port, adapter in ports.items():
        if isinstance(adapter, SelfChecking):
            try:
                results.extend(await adapter.check())
            except Exception as error:  # a check must never take doctor down
                results.append(
                    CheckResult(
                        port=port,
                        adapter=adapter.name,
                        ok=False,
                        detail=f"the check itself failed: {type(error).__name__}: {error}",
                    )
                )
            continue
        choice = choices.get(port)
        results.append(
            CheckResult(
                port=port,
                adapter=getattr(adapter, "name", type(adapter).__name__),
                ok=True,
                detail=choice.reason if choice else "nothing to check",
            )
        )
    return results
