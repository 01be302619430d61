"""The API's guard against browsers: DNS rebinding and cross-site requests on ``/v1/*``.

With no credentials configured the API is open to whoever can reach it, which ``cs-agent
serve`` only allows on a loopback address. That alone does not keep a web page out: a page
from a DNS-rebinding domain can reach 127.0.0.1, and any page can post a form there. So an open
API answers only local requests addressed by a loopback name (``403 not_local``), exactly as
the inbox does; and on every server, secured or not, a request a browser sent from another site
is refused (``403 cross_origin``). Programs send no ``Origin`` and are unaffected.

A pure ASGI middleware: it runs before routing and never touches the body.
"""

from __future__ import annotations

from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from cs_agent.api.deps import ErrorBody
from cs_agent.web.locality import cross_origin_problem, is_local_request, origin_of

GUARDED_PREFIX = "/v1/"


class BrowserGuard:
    """Refuses foreign ``Host`` names (when the API is open) and cross-site browser requests."""

    def __init__(self, app: ASGIApp, *, open_api: bool, public_url: str) -> None:
        self.app = app
        self.open_api = open_api
        self.allowed_origins = frozenset({origin_of(public_url)})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith(GUARDED_PREFIX):
            await self.app(scope, receive, send)
            return
        connection = HTTPConnection(scope)
        refusal = self._refusal(connection)
        if refusal is None:
            await self.app(scope, receive, send)
            return
        await refusal(scope, receive, send)

    def _refusal(self, connection: HTTPConnection) -> JSONResponse | None:
        if self.open_api and not is_local_request(connection):
            return _forbidden(
                "not_local",
                "this API has no credentials configured, so it answers only requests from this "
                "machine addressed to 127.0.0.1, ::1 or localhost (not "
                f"{connection.headers.get('host', '')[:100]!r}, and not through a proxy); set "
                "CS_AGENT_API_TOKEN or CS_AGENT_WEBHOOK_SECRET to serve others",
            )
        problem = cross_origin_problem(connection, also_allowed=self.allowed_origins)
        if problem is not None:
            return _forbidden(
                "cross_origin",
                f"a browser sent this request from another site ({problem}); the API does not "
                "answer other sites' pages: call it from a program",
            )
        return None


def _forbidden(code: str, detail: str) -> JSONResponse:
    body = ErrorBody(error=code, detail=detail).model_dump(exclude_none=True)
    return JSONResponse(status_code=403, content=body, headers={"Vary": "Origin"})
