"""The HTTP app: ``create_app(settings)`` assembles the routers; the work happens elsewhere."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

import cs_agent
from cs_agent.api import calls, health, intake, linear, metrics, zoom
from cs_agent.api.auth import Authenticator
from cs_agent.api.deps import error_responses
from cs_agent.api.docs import mount_docs
from cs_agent.api.errors import install_error_handlers
from cs_agent.api.guard import BrowserGuard
from cs_agent.api.openapi import document_models
from cs_agent.api.source_webhooks import include_source_webhooks
from cs_agent.api.url_text import NulInUrlGuard
from cs_agent.bootstrap.runtime import Runtime
from cs_agent.config import Settings
from cs_agent.services.metrics import database_registry
from cs_agent.slack_app import slack_endpoint
from cs_agent.web.app import mount_inbox

log = logging.getLogger(__name__)


def create_app(
    settings: Settings, *, runtime: Runtime | None = None, run_workflows: bool = True
) -> FastAPI:
    """The FastAPI app. Starts its own runtime unless one is given (tests, embedding).

    ``run_workflows=False`` makes an API-only process: it accepts calls and enqueues their
    workflows, and ``cs-agent worker`` processes run them.
    """
    owns_runtime = runtime is None
    rt = runtime or Runtime(settings)
    authenticator = Authenticator(settings)
    slack = slack_endpoint(rt)  # None unless approvals go to Slack

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if owns_runtime:
            await rt.start(run_workflows=run_workflows)
        if authenticator.is_open:
            log.warning(
                "intake is OPEN: no CS_AGENT_WEBHOOK_SECRET or CS_AGENT_API_TOKEN is set, so "
                "anyone who can reach this server may submit transcripts and read calls "
                "(fine for local development on a loopback address)"
            )
        if slack is not None:
            await slack.start()
        try:
            yield
        finally:
            if slack is not None:
                await slack.stop()
            if owns_runtime:
                await rt.stop()

    app = FastAPI(
        title="cs-agent",
        version=cs_agent.__version__,
        summary="Call transcripts in; action items filed and follow-ups drafted for approval.",
        lifespan=lifespan,
        # Any route: a NUL in the URL is a 400 (NulInUrlGuard), an unexpected error a 500.
        responses=error_responses(400, 500),
        docs_url=None,
        redoc_url=None,
    )
    app.state.runtime = rt
    app.state.metrics_registry = database_registry(rt.engine)
    app.state.authenticator = authenticator
    install_error_handlers(app)
    app.add_middleware(BrowserGuard, open_api=authenticator.is_open, public_url=settings.public_url)
    app.add_middleware(NulInUrlGuard)

    mount_docs(app)
    app.include_router(intake.router)
    app.include_router(calls.router)
    app.include_router(zoom.router)
    include_source_webhooks(app, settings)
    app.include_router(health.router)
    app.include_router(metrics.router)
    mount_inbox(app, settings, rt)
    if slack is not None and slack.router is not None:
        app.include_router(slack.router)
    if settings.linear_webhook_secret is not None:
        app.include_router(linear.router)
    document_models(app, intake.OPENAPI_MODELS + zoom.OPENAPI_MODELS)
    return app
