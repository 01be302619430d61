"""Assembling the inbox: a FastAPI sub-application mounted under ``INBOX_PATH``.

It has its own session middleware (the cookie is scoped to the inbox's path), its own
HTML error pages, and strict security headers: scripts and styles come only from
``static/``, and no page may be framed.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from cs_agent.bootstrap.runtime import Runtime
from cs_agent.config import Settings
from cs_agent.core.ids import INBOX_PATH
from cs_agent.web import decisions, followups, pages, promise_pages, signin, upload
from cs_agent.web.auth import (
    LoopbackOnly,
    SignInLimiter,
    current_person,
    session_cookie_options,
    session_secret,
)
from cs_agent.web.deps import NeedsSignIn
from cs_agent.web.render import STATIC_DIR, make_environment, path_for, render

log = logging.getLogger(__name__)

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def create_web_app(settings: Settings, runtime: Runtime) -> FastAPI:
    """The inbox application. ``settings`` decide sign-in and roles; ``runtime`` does the work."""
    web = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    web.state.settings = settings
    web.state.runtime = runtime
    web.state.templates = make_environment()
    web.state.limiter = SignInLimiter()
    web.state.session_key = session_secret(settings)
    web.add_middleware(
        SessionMiddleware,
        secret_key=web.state.session_key,
        path=INBOX_PATH,
        **session_cookie_options(settings),
    )

    @web.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if response.media_type == "text/html" or "text/html" in response.headers.get(
            "content-type", ""
        ):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @web.exception_handler(NeedsSignIn)
    async def _sign_in_first(request: Request, exc: NeedsSignIn) -> Response:
        return RedirectResponse(
            path_for(request, "signin", query={"next": exc.next_path}), status_code=303
        )

    @web.exception_handler(LoopbackOnly)
    async def _loopback_only(request: Request, _exc: LoopbackOnly) -> Response:
        return render(
            request,
            "error.html",
            person=None,
            status_code=403,
            title="Only on this machine",
            message="No sign-in is configured, so this inbox answers only requests from the "
            "machine it runs on, addressed to 127.0.0.1 or localhost. To open it to others, set "
            "CS_AGENT_WEB_USERS or CS_AGENT_WEB_ADMIN_TOKEN and restart.",
        )

    @web.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        try:
            person = current_person(request, settings)
        except LoopbackOnly:
            person = None
        titles = {400: "Bad request", 403: "Not allowed", 404: "Not found", 405: "Not allowed"}
        return render(
            request,
            "error.html",
            person=person,
            status_code=exc.status_code,
            headers=exc.headers,
            title=titles.get(exc.status_code, "Something went wrong"),
            message=str(exc.detail),
        )

    web.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    web.include_router(signin.router)
    web.include_router(pages.router)
    web.include_router(decisions.router)
    web.include_router(followups.router)
    web.include_router(upload.router)
    web.include_router(promise_pages.router)
    return web


def mount_inbox(app: FastAPI, settings: Settings, runtime: Runtime) -> None:
    """Serve the inbox under ``INBOX_PATH`` and send ``/`` there."""
    app.mount(INBOX_PATH, create_web_app(settings, runtime), name="inbox")

    @app.get("/", include_in_schema=False)
    async def _home() -> RedirectResponse:
        return RedirectResponse(f"{INBOX_PATH}/", status_code=307)

    log.info("web inbox: %s%s/", settings.public_url.rstrip("/"), INBOX_PATH)
    if not settings.web_sign_in_configured:
        log.warning(
            "web inbox: no sign-in configured (CS_AGENT_WEB_USERS / CS_AGENT_WEB_ADMIN_TOKEN); "
            "it answers only requests from this machine"
        )
