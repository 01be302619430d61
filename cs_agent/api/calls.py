"""Reading calls: one call's status, and the list of calls, a page at a time."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from cs_agent.api.auth import require_caller
from cs_agent.api.deps import RuntimeDep, api_error, error_responses
from cs_agent.api.openapi import SECURED
from cs_agent.core.domain import CallStatus
from cs_agent.services.views import CallView, load_call_view
from storage import repo
from storage.db import session_scope

router = APIRouter(
    prefix="/v1/calls",
    tags=["calls"],
    dependencies=[Depends(require_caller)],
    responses=error_responses(401),
)
SECURITY = {"security": SECURED}


class CallPage(BaseModel):
    """One page of calls, newest first."""

    calls: list[CallView]
    total: int = Field(description="How many calls match, on every page together.")
    limit: int
    offset: int
    next: str | None = Field(description="The next page's URL, or null on the last page.")


# Plain functions: FastAPI runs them in its thread pool, so their database reads do not hold
# up the event loop that is accepting transcripts.


@router.get(
    "/{call_id}",
    response_model=CallView,
    responses=error_responses(404, 422),
    openapi_extra=SECURITY,
)
def get_call(call_id: str, runtime: RuntimeDep) -> CallView:
    """A call: status, summary, action items with their issues, the draft, the cost."""
    view = load_call_view(runtime, call_id)
    if view is None:
        raise api_error(404, "not_found", f"no call {call_id}")
    return view


@router.get("", response_model=CallPage, responses=error_responses(422), openapi_extra=SECURITY)
def list_calls(
    runtime: RuntimeDep,
    status: Annotated[CallStatus | None, Query(description="Only calls in this status.")] = None,
    limit: Annotated[int, Query(ge=1, le=200, description="Calls a page.")] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000, description="Calls to skip.")] = 0,
) -> CallPage:
    """Calls, newest first, a page at a time; ``next`` links the following page."""
    with session_scope(runtime.engine) as session:
        rows = repo.list_calls(session, status=status, limit=limit, offset=offset)
        total = repo.count_calls(session, status=status)
    views = [v for v in (load_call_view(runtime, row.id) for row in rows) if v is not None]
    following = None
    if offset + len(rows) < total:
        query: dict[str, str | int] = {"limit": limit, "offset": offset + limit}
        if status is not None:
            query["status"] = status.value
        following = f"/v1/calls?{urlencode(query)}"
    return CallPage(calls=views, total=total, limit=limit, offset=offset, next=following)
