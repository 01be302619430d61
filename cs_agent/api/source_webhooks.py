"""Which transcript sources' webhooks this server answers: each only when its settings are there,
so an unconfigured source has no route at all (404), not a route that refuses."""

from __future__ import annotations

from fastapi import FastAPI

from cs_agent.api import gong, google_meet
from cs_agent.config import Settings


def include_source_webhooks(app: FastAPI, settings: Settings) -> None:
    """Mount ``/webhooks/gong`` and ``/webhooks/google-meet`` where configured."""
    if settings.gong_webhook_configured:
        app.include_router(gong.router)
    if settings.google_push_audience:
        app.include_router(google_meet.router)
