"""An httplib2-shaped transport on httpx, for google-api-python-client and google-auth (Gmail,
Google Meet, Workspace Events).

google-api-python-client calls ``http.request(uri, method, body=, headers=)`` and expects an
``(httplib2.Response, bytes)`` pair. Its default, ``httplib2.Http``, does not suit a mailer:

- it is not thread-safe, and our calls run in worker threads (``asyncio.to_thread``);
- when a server closes the connection before answering, ``httplib2`` sends the request again
  by itself (``Http._conn_request`` retries on ``BadStatusLine`` "regardless of the number of
  RETRIES set"). For ``messages.send`` that silent second request is a second email.

``httpx.Client`` is thread-safe, never retries on its own and has real connect/read timeouts.
Every retry is ours (``integrations.errors.with_retries``), and each is preceded by a look-up
of the message, so an unknown outcome is never resolved by sending blindly.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httplib2
import httpx


class HttpxHttp:
    """Just enough of ``httplib2.Http`` for googleapiclient and google-auth, over ``httpx``."""

    def __init__(self, client: httpx.Client) -> None:
        self._client = client
        # googleapiclient and google_auth_httplib2 read or set these on an Http.
        self.timeout = client.timeout.read
        self.redirect_codes = frozenset({300, 301, 302, 303, 307})
        self.follow_redirects = False
        self.connections: dict[str, Any] = {}

    def request(
        self,
        uri: str,
        method: str = "GET",
        body: str | bytes | None = None,
        headers: Mapping[str, str] | None = None,
        redirections: int = 0,
        connection_type: Any = None,
        **_: Any,
    ) -> tuple[httplib2.Response, bytes]:
        """Send one request, once. Network failures raise ``httpx.TransportError``."""
        # googleapiclient counts Content-Length in characters; let httpx count the bytes.
        sent_headers = {k: v for k, v in (headers or {}).items() if k.lower() != "content-length"}
        response = self._client.request(method, uri, content=body, headers=sent_headers)
        info: dict[str, str] = {}
        for key, value in response.headers.multi_items():
            key = key.lower()
            info[key] = f"{info[key]}, {value}" if key in info else value
        # httpx has already decoded any gzip body; the header would make a reader decode again.
        info.pop("content-encoding", None)
        info["status"] = str(response.status_code)
        result = httplib2.Response(info)
        result.reason = response.reason_phrase
        return result, response.content

    def close(self) -> None:
        """Close the pooled connections."""
        self._client.close()
