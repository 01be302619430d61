"""What routes share: the runtime dependency and the one error shape."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from pydantic import BaseModel

from cs_agent.runtime import Runtime


class ErrorBody(BaseModel):
    """Every error answer: what went wrong, and where when it is known."""

    error: str
    detail: str
    line: int | None = None


def api_error(status: int, error: str, detail: str, *, line: int | None = None) -> HTTPException:
    """An HTTPException whose body is an ``ErrorBody``."""
    body = ErrorBody(error=error, detail=detail, line=line).model_dump(exclude_none=True)
    return HTTPException(status_code=status, detail=body)


def get_runtime(request: Request) -> Runtime:
    """The runtime the app was created with."""
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
