"""``/docs`` works offline: Swagger UI's page refers only to this server, which serves its assets."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest

from cs_agent.api.app import create_app
from cs_agent.bootstrap.runtime import Runtime

from .intake_helpers import aclient


@pytest.fixture
async def client(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    async for c in aclient(create_app(runtime.settings, runtime=runtime)):
        yield c


async def test_docs_reference_only_local_urls_and_they_are_served(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/docs")
    assert page.status_code == 200
    urls = re.findall(r"""(?:src|href)=['"]([^'"]+)['"]|url:\s*['"]([^'"]+)['"]""", page.text)
    found = [a or b for a, b in urls]
    assert found, page.text
    assert not re.search(r"https?://", page.text), page.text
    for url in found:
        assert url.startswith("/"), url
        asset = await client.get(url)
        assert asset.status_code == 200, url
    assert any(url.endswith("swagger-ui-bundle.js") for url in found)
    assert (await client.get("/redoc")).status_code == 404
