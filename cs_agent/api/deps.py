"""What routes share: the runtime dependency and the one error shape."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from pydantic import BaseModel, Field

from cs_agent.bootstrap.runtime import Runtime


class ErrorBody(BaseModel):
    """Every error answer: what went wrong, and where when it is known."""

    error: str = Field(description="A stable code, e.g. `bad_signature` or `too_large`.")
    detail: str = Field(description="What went wrong and what to do about it, for a person.")
    line: int | None = Field(
        default=None,
        description="The transcript line at fault, for a transcript that does not parse.",
    )
    field: str | None = Field(
        default=None, description="The request field at fault, e.g. `customer.name` or `limit`."
    )


def api_error(
    status: int,
    error: str,
    detail: str,
    *,
    line: int | None = None,
    field: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> HTTPException:
    """An HTTPException whose body is an ``ErrorBody``."""
    body = ErrorBody(error=error, detail=detail, line=line, field=field).model_dump(
        exclude_none=True
    )
    return HTTPException(status_code=status, detail=body, headers=dict(headers or {}) or None)


def storage_unavailable(error: Exception) -> HTTPException:
    """A 503 for a database that failed to store a request: nothing was accepted; retry."""
    return api_error(
        503,
        "storage_unavailable",
        f"the request could not be stored ({type(error).__name__}); nothing was accepted. "
        "Retry in a few seconds: retries are safe",
        headers={"Retry-After": "5"},
    )


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries declaring ``ErrorBody`` for each status."""
    return {
        status: {"model": ErrorBody, "description": _REASONS.get(status, "Error")}
        for status in statuses
    }


_REASONS = {
    400: "The request is malformed (bad JSON, bad encoding, bad header, a NUL in the URL).",
    401: "Missing or wrong credentials: a signature or a bearer token.",
    403: "Not enabled here, another Host on an open API (`not_local`), or a cross-site browser "
    "request (`cross_origin`).",
    404: "No such resource.",
    409: "The idempotency key or source id was used for a different transcript.",
    413: "The body is larger than the limit.",
    415: "The content type is not one this endpoint reads.",
    422: "A field is invalid, or the transcript does not parse (the line is named).",
    500: "Something went wrong on the server.",
    503: "The server cannot store the request right now; retry.",
}


async def get_runtime(request: Request) -> Runtime:
    """The runtime the app was created with.

    A coroutine, so FastAPI calls it on the event loop rather than through its thread pool.
    """
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
