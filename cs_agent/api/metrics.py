"""``GET /metrics``: Prometheus's text format (see ``cs_agent.metrics`` for what is in it)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import Response

from cs_agent.services.metrics import CONTENT_TYPE, exposition

router = APIRouter(tags=["health"])


@router.get("/metrics", response_class=Response)
async def metrics(request: Request) -> Response:
    """This process's metrics and the business numbers from the database."""
    # The database's numbers take a few aggregate queries: off the event loop.
    body = await asyncio.to_thread(exposition, request.app.state.metrics_registry)
    return Response(content=body, media_type=CONTENT_TYPE)
