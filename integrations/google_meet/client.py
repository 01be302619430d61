"""The Meet, Calendar and Workspace Events clients, built from the discovery documents that ship
with google-api-python-client (no network to build), and Google's errors in our taxonomy."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import httpx
from google.auth.exceptions import RefreshError
from google.auth.exceptions import TransportError as GoogleTransportError
from google_auth_httplib2 import AuthorizedHttp
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from cs_agent.core.errors import (
    ExternalError,
    RateLimited,
    RejectedInput,
    Unauthorized,
    Unavailable,
    parse_retry_after,
)
from integrations.google_http import HttpxHttp
from integrations.google_meet.auth import SCOPES, SETTING

SYSTEM = "google-meet"
T = TypeVar("T")


def build_service(
    name: str, version: str, credentials: Any, *, api_url: str, timeout: float
) -> Any:
    """A client for ``name`` ``version`` from the shipped discovery document, sending to ``api_url``."""
    transport = HttpxHttp(httpx.Client(timeout=httpx.Timeout(timeout, connect=min(timeout, 10))))
    return build(
        name,
        version,
        http=AuthorizedHttp(credentials, http=transport),
        static_discovery=True,
        cache_discovery=False,
        client_options={"api_endpoint": api_url if api_url.endswith("/") else api_url + "/"},
    )


def call_google(operation: Callable[[], T], *, what: str, fix: str) -> T:
    """Run a blocking Google API call, its failures in the error taxonomy."""
    try:
        return operation()
    except HttpError as error:
        raise translate(error, what=what, fix=fix) from None
    except RefreshError as error:
        raise Unauthorized(
            SYSTEM, f"Google refused the credentials in {SETTING} ({error.args[0]}): {fix}"
        ) from None
    except (httpx.TransportError, GoogleTransportError, OSError) as error:
        raise Unavailable(SYSTEM, f"{what} failed: {error!r}") from None


def translate(error: HttpError, *, what: str, fix: str) -> ExternalError:
    """A Google API error as one of the taxonomy's kinds."""
    status = int(error.resp.status)
    detail = error._get_reason() if hasattr(error, "_get_reason") else str(error)
    if status in (401, 403):
        return Unauthorized(
            SYSTEM,
            f"Google refused {what} (HTTP {status}: {detail}); {SETTING} needs the scopes "
            f"{', '.join(SCOPES)}: {fix}",
        )
    if status == 429:
        return RateLimited(
            SYSTEM,
            f"Google is rate-limiting {what}",
            retry_after=parse_retry_after(error.resp.get("retry-after")),
        )
    if status >= 500:
        return Unavailable(SYSTEM, f"Google answered HTTP {status} to {what}")
    return RejectedInput(SYSTEM, f"Google answered HTTP {status} to {what}: {detail}")
