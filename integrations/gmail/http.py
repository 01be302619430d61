"""The httplib2-shaped transport on httpx the Gmail client uses (shared with other Google APIs:
see ``integrations.google_http``)."""

from __future__ import annotations

from integrations.google_http import HttpxHttp

__all__ = ["HttpxHttp"]
