"""Every error the app answers is an ``ErrorBody``: FastAPI's and Starlette's own ones too."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from cs_agent.api.deps import ErrorBody, api_error

_WHERE = {"query": "query parameter", "path": "path parameter", "header": "header", "body": "field"}


def install_error_handlers(app: FastAPI) -> None:
    """Answer HTTP errors, validation errors and crashes with an ``ErrorBody``."""
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _crash)


def describe_validation(
    errors: Sequence[Any], *, prefix: tuple[str | int, ...] = ()
) -> tuple[str, str | None]:
    """A message naming each invalid field (up to three), and the first field's dotted name."""
    parts: list[str] = []
    first_field: str | None = None
    for error in errors[:3]:
        loc = (*prefix, *error.get("loc", ()))
        where = ""
        if loc and loc[0] in _WHERE:
            where = _WHERE[str(loc[0])]
            loc = loc[1:]
        name = ".".join(str(part) for part in loc)
        if first_field is None and name:
            first_field = name
        message = str(error.get("msg", "is invalid"))
        if error.get("type") == "missing":
            message = "is required"
        elif error.get("type") == "extra_forbidden":
            message = "is not a field this endpoint knows (check the spelling)"
        label = f"{where or 'field'} {name}".strip() if name else "the body"
        parts.append(f"{label}: {message}")
    if len(errors) > 3:
        parts.append(f"and {len(errors) - 3} more")
    return "; ".join(parts) or "the request is invalid", first_field


def validation_error(error: ValidationError, *, prefix: tuple[str | int, ...] = ()) -> Exception:
    """A 422 ``invalid_request`` naming the field, from a pydantic ``ValidationError``."""
    detail, field = describe_validation(error.errors(include_url=False), prefix=prefix)
    return api_error(422, "invalid_request", detail, field=field)


async def _http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
    if isinstance(exc.detail, dict):
        body = exc.detail
    elif exc.status_code == 404:
        body = ErrorBody(
            error="not_found", detail="no such route; the API is described at /docs"
        ).model_dump(exclude_none=True)
    elif exc.status_code == 405:
        allowed = (exc.headers or {}).get("Allow", "")
        body = ErrorBody(
            error="method_not_allowed",
            detail=f"this route does not answer that method; it answers {allowed or 'others'}",
        ).model_dump(exclude_none=True)
    else:
        body = ErrorBody(error="error", detail=str(exc.detail)).model_dump(exclude_none=True)
    return JSONResponse(status_code=exc.status_code, content=body, headers=exc.headers)


async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
    detail, field = describe_validation(exc.errors())
    body = ErrorBody(error="invalid_request", detail=detail, field=field)
    return JSONResponse(status_code=422, content=body.model_dump(exclude_none=True))


async def _crash(_request: Request, _exc: Exception) -> JSONResponse:
    # Starlette re-raises the exception after this answer, so the server logs it.
    body = ErrorBody(
        error="internal_error",
        detail="the server failed to answer this request; it is logged. Retrying is safe: "
        "submissions are idempotent",
    )
    return JSONResponse(status_code=500, content=body.model_dump(exclude_none=True))
