"""Reading calls: one call's status, and the list of calls."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from cs_agent.api.deps import ErrorBody, RuntimeDep, api_error
from cs_agent.views import CallView, load_call_view
from storage import repo
from storage.db import session_scope

router = APIRouter(prefix="/v1/calls", tags=["calls"])


class CallPage(BaseModel):
    """One page of calls, newest first."""

    calls: list[CallView]
    total: int
    limit: int
    offset: int


@router.get("/{call_id}", response_model=CallView, responses={404: {"model": ErrorBody}})
async def get_call(call_id: str, runtime: RuntimeDep) -> CallView:
    """A call: status, summary, action items with their issues, the draft, the cost."""
    view = load_call_view(runtime, call_id)
    if view is None:
        raise api_error(404, "not_found", f"no call {call_id}")
    return view


@router.get("", response_model=CallPage)
async def list_calls(
    runtime: RuntimeDep,
    status: Annotated[str | None, Query(description="Only calls in this status.")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> CallPage:
    """Calls, newest first."""
    with session_scope(runtime.engine) as session:
        rows = repo.list_calls(session, status=status, limit=limit, offset=offset)
        total = repo.count_calls(session, status=status)
    views = [v for v in (load_call_view(runtime, row.id) for row in rows) if v is not None]
    return CallPage(calls=views, total=total, limit=limit, offset=offset)
