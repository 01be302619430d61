"""Refuse a URL holding a NUL (``%00``) before any route reads it.

A NUL decoded from the path (``/inbox/calls/call-%00``) or a query parameter would reach a
database lookup, which PostgreSQL answers with an error (a 500), and no id, page or filter
the app knows holds one. A pure ASGI middleware: one check for every route, before routing.
"""

from __future__ import annotations

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from cs_agent.api.deps import ErrorBody


class NulInUrlGuard:
    """Answers ``400 invalid_request`` for a path or query string that holds a NUL."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and _has_nul(scope):
            body = ErrorBody(
                error="invalid_request",
                detail="the URL holds a NUL character (%00), which no id, page or filter has; "
                "remove it",
            )
            response = JSONResponse(status_code=400, content=body.model_dump(exclude_none=True))
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _has_nul(scope: Scope) -> bool:
    query = bytes(scope.get("query_string", b"")).lower()
    return "\x00" in str(scope.get("path", "")) or b"%00" in query or b"\x00" in query
