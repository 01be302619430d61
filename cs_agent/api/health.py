"""Liveness and readiness for orchestrators."""

from __future__ import annotations

import asyncio

from dbos import DBOS
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text

from cs_agent.api.deps import RuntimeDep

router = APIRouter(tags=["health"])

READY_TIMEOUT_SECONDS = 3.0


class Readiness(BaseModel):
    """Whether this process can take work, and what is wrong if not."""

    status: str
    checks: dict[str, str]


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up (liveness: restart it if this stops answering)."""
    return {"status": "ok"}


@router.get("/readyz", response_model=Readiness, responses={503: {"model": Readiness}})
async def readyz(runtime: RuntimeDep) -> JSONResponse:
    """The database and the workflow queue answer (readiness: send traffic only when 200)."""
    checks: dict[str, str] = {}

    def database() -> None:
        with runtime.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    for name, probe in (
        ("database", asyncio.to_thread(database)),
        ("queue", DBOS.list_queued_workflows_async(limit=1)),
    ):
        try:
            await asyncio.wait_for(probe, READY_TIMEOUT_SECONDS)
            checks[name] = "ok"
        except Exception as error:  # any failure means "not ready", with the reason shown
            checks[name] = f"{type(error).__name__}: {error}"[:300]
    ready = all(value == "ok" for value in checks.values())
    body = Readiness(status="ready" if ready else "not ready", checks=checks)
    return JSONResponse(status_code=200 if ready else 503, content=body.model_dump())
