"""Is a request local, and did a browser send it from another site?

Shared by the inbox and the API. A request is *local* when it came straight from this machine
(a loopback peer, no proxy in between) and addressed the server by a loopback name. The name
check is what defeats DNS rebinding: a page on ``rebind.evil.example`` that resolves to
127.0.0.1 still sends ``Host: rebind.evil.example``. A request carrying forwarding headers came
through a proxy, so it is never local, whatever its peer address: behind a same-host proxy every
peer is 127.0.0.1.

*Cross-origin* is a browser telling us the page that made the request belongs to another site:
an ``Origin`` whose host is not the one addressed, or ``Sec-Fetch-Site: cross-site``. Programs
send neither, so refusing these stops a web page from posting forms to a server on this machine
without bothering curl or a webhook.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from starlette.requests import HTTPConnection

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})
FORWARDING_HEADERS = ("forwarded", "x-forwarded-for", "x-real-ip", "x-forwarded-host")


def is_loopback_address(host: str) -> bool:
    """True for an IP address on this machine (127.0.0.0/8, ::1)."""
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def host_name(host_header: str) -> str:
    """The name in a ``Host`` header, lower case, without the port or IPv6 brackets."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    if host.count(":") == 1:
        return host.partition(":")[0]
    return host


def is_loopback_host(host_header: str) -> bool:
    """True when a ``Host`` header names this machine (localhost, 127.0.0.1, [::1])."""
    host = host_name(host_header)
    return host in LOOPBACK_NAMES or is_loopback_address(host)


def came_through_proxy(connection: HTTPConnection) -> bool:
    """True when the request carries forwarding headers: a proxy (or someone) sent it on."""
    headers = connection.headers
    return any(name in headers for name in FORWARDING_HEADERS)


def is_local_request(connection: HTTPConnection) -> bool:
    """From this machine, with no proxy between, addressed to a loopback name."""
    client = connection.client
    return (
        client is not None
        and not came_through_proxy(connection)
        and is_loopback_address(client.host)
        and is_loopback_host(connection.headers.get("host", ""))
    )


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of ``url``, lower case: what a browser sends as ``Origin``."""
    parts = urlsplit(url.strip())
    return f"{parts.scheme}://{parts.netloc}".lower()


def cross_origin_problem(
    connection: HTTPConnection, *, also_allowed: frozenset[str] = frozenset()
) -> str | None:
    """Why a browser's request came from another site, or None when it did not (or no browser).

    The page's ``Origin`` must be the host addressed, or one of ``also_allowed`` (origins like
    ``https://cs.example.com``: the public URL, for a proxy that rewrites ``Host``).
    """
    headers = connection.headers
    if headers.get("sec-fetch-site", "").strip().lower() == "cross-site":
        return "Sec-Fetch-Site says cross-site"
    origin = headers.get("origin")
    if origin is None:
        return None
    if origin.strip().lower() == "null":
        return "Origin is null (a sandboxed page or a redirect)"
    parts = urlsplit(origin.strip())
    host = headers.get("host", "")
    if origin_of(origin) in also_allowed:
        return None
    if not parts.netloc or parts.netloc.lower() != host.strip().lower():
        return f"Origin {origin[:100]!r} is not this server ({host[:100]!r})"
    return None
