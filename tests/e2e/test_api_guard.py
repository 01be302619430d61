"""The API against browsers and proxies, through a real uvicorn server: a foreign ``Host`` on an
open API (DNS rebinding), a cross-site form, and forwarded headers believed only from
``CS_AGENT_TRUSTED_PROXIES``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from cs_agent.api.app import create_app
from cs_agent.cli.serve import proxy_options
from cs_agent.config import Settings

from ..conftest import EXAMPLES
from ..web.conftest import PASSWORDS, with_sign_in
from .intake_helpers import TOKEN, bearer, live_server

VTT = (EXAMPLES / "acme-renewal.vtt").read_text(encoding="utf-8")


@contextmanager
def served(settings: Settings) -> Iterator[str]:
    """``create_app(settings)`` under uvicorn, with the proxy options ``cs-agent serve`` uses."""
    with live_server(create_app(settings), **proxy_options(settings)) as url:
        yield url


def calls_stored(url: str) -> int:
    total: int = httpx.get(f"{url}/v1/calls").json()["total"]
    return total


def test_an_open_api_refuses_a_foreign_host(settings: Settings) -> None:
    with served(settings) as url:
        port = url.rsplit(":", 1)[1]
        rebound = httpx.get(f"{url}/v1/calls", headers={"Host": f"rebind.evil.example:{port}"})
        assert rebound.status_code == 403
        assert rebound.json()["error"] == "not_local"
        post = httpx.post(
            f"{url}/v1/transcripts",
            json={"transcript": VTT},
            headers={"Host": f"rebind.evil.example:{port}"},
        )
        assert post.status_code == 403
        for name in (f"127.0.0.1:{port}", f"localhost:{port}"):
            assert httpx.get(f"{url}/v1/calls", headers={"Host": name}).status_code == 200
        assert calls_stored(url) == 0


@pytest.mark.parametrize(
    "browser",
    [
        {"Origin": "http://evil.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
    ],
    ids=["foreign-origin", "null-origin", "sec-fetch-cross-site"],
)
def test_a_cross_site_form_post_is_refused(settings: Settings, browser: dict[str, str]) -> None:
    with served(settings) as url:
        # What a page elsewhere can make a browser send without asking: a multipart form.
        refused = httpx.post(
            f"{url}/v1/transcripts", files={"file": ("call.vtt", VTT.encode())}, headers=browser
        )
        assert refused.status_code == 403, refused.text
        assert refused.json()["error"] == "cross_origin"
        assert calls_stored(url) == 0
        # The same form from the server's own page, or from a program, is taken.
        own = httpx.post(
            f"{url}/v1/transcripts",
            files={"file": ("call.vtt", VTT.encode())},
            headers={"Origin": url, "Sec-Fetch-Site": "same-origin"},
        )
        assert own.status_code == 202, own.text
        assert calls_stored(url) == 1


def test_a_secured_api_serves_its_public_name_but_refuses_cross_site_browsers(
    settings: Settings,
) -> None:
    secured = settings.model_copy(update={"api_token": SecretStr(TOKEN)})
    with served(secured) as url:
        public = httpx.get(f"{url}/v1/calls", headers={**bearer(), "Host": "cs.example.com"})
        assert public.status_code == 200
        cross = httpx.get(f"{url}/v1/calls", headers={**bearer(), "Origin": "https://evil.example"})
        assert cross.status_code == 403 and cross.json()["error"] == "cross_origin"


def test_forwarded_headers_from_this_host_are_not_believed_by_default(settings: Settings) -> None:
    with served(settings) as url:
        proxied = httpx.get(f"{url}/v1/calls", headers={"X-Forwarded-For": "127.0.0.1"})
        # A request that came through a proxy is never local, whatever it claims.
        assert proxied.status_code == 403 and proxied.json()["error"] == "not_local"
        inbox = httpx.get(f"{url}/inbox/", headers={"X-Forwarded-For": "127.0.0.1"})
        assert inbox.status_code == 403
        assert httpx.get(f"{url}/inbox/").status_code == 200


def _sign_in(client: httpx.Client, forwarded_for: str, password: str) -> int:
    page = client.get("/inbox/signin", headers={"X-Forwarded-For": forwarded_for})
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    response = client.post(
        "/inbox/signin",
        data={"method": "password", "name": "dana", "password": password, "csrf_token": token},
        headers={"X-Forwarded-For": forwarded_for},
    )
    return response.status_code


def _throttled_after_rotating(settings: Settings) -> tuple[list[int], Any]:
    with served(settings) as url, httpx.Client(base_url=url) as client:
        codes = [_sign_in(client, f"198.51.100.{i}", "guess") for i in range(6)]
        return codes, _sign_in(client, "198.51.100.99", PASSWORDS["dana"])


def test_rotating_x_forwarded_for_does_not_dodge_the_sign_in_throttle(settings: Settings) -> None:
    codes, right = _throttled_after_rotating(with_sign_in(settings))
    assert codes[:5] == [401] * 5
    assert codes[5] == 429  # one client (the peer), whatever the header says
    assert right == 429


def test_a_trusted_proxy_names_the_real_client(settings: Settings) -> None:
    trusting = with_sign_in(settings, trusted_proxies=["127.0.0.0/8"])
    codes, right = _throttled_after_rotating(trusting)
    # Behind a trusted proxy each forwarded address is its own client.
    assert codes == [401] * 6
    assert right == 303
    no_sign_in = settings.model_copy(update={"trusted_proxies": ["127.0.0.0/8"]})
    with served(no_sign_in) as url:
        # A same-host proxy forwarding anyone: even "from 127.0.0.1", never the local user.
        for claimed in ("127.0.0.1", "203.0.113.5"):
            headers = {"X-Forwarded-For": claimed, "Host": "127.0.0.1"}
            assert httpx.get(f"{url}/inbox/", headers=headers).status_code == 403
            assert httpx.get(f"{url}/v1/calls", headers=headers).status_code == 403


def test_trusted_proxies_must_be_addresses(settings: Settings) -> None:
    with pytest.raises(ValueError, match="not an IP address or network"):
        Settings(_env_file=None, trusted_proxies="10.0.0.1,proxy.internal")  # type: ignore[call-arg]
    parsed = Settings(_env_file=None, trusted_proxies="10.0.0.1, 10.1.0.0/16")  # type: ignore[call-arg]
    assert proxy_options(parsed) == {
        "proxy_headers": True,
        "forwarded_allow_ips": "10.0.0.1,10.1.0.0/16",
    }
    assert proxy_options(settings)["proxy_headers"] is False
