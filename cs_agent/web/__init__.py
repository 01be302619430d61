"""The web inbox: server-rendered pages to see every call and decide on its follow-up.

``cs_agent.app`` mounts it at ``INBOX_PATH``; links to it are built with ``inbox_call_url``.
This module stays import-light (no web framework) because settings and adapters use it.
"""

from __future__ import annotations

INBOX_PATH = "/inbox"


def inbox_call_url(public_url: str, call_id: str, *, anchor: str | None = "draft") -> str:
    """The absolute URL of a call's page in the web inbox (at its draft by default)."""
    url = f"{public_url.rstrip('/')}{INBOX_PATH}/calls/{call_id}"
    return f"{url}#{anchor}" if anchor else url
