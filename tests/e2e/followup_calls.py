"""Calls for the follow-up policy tests: an internal sync (only our side on it and speaking)."""

from __future__ import annotations

import json
from typing import Any

from cs_agent.core.domain import CallMetadata

from ..conftest import EXAMPLES

INTERNAL_VTT = (
    b"WEBVTT\n\n"
    b"00:00:01.000 --> 00:00:06.000\n"
    b"<v Dana Reyes>Marcus, I'll send the updated renewal plan to the team by Friday.\n\n"
    b"00:00:07.000 --> 00:00:12.000\n"
    b"<v Marcus Oyelaran>Great. I will update the forecast sheet tomorrow.\n"
)


def internal_meta() -> dict[str, Any]:
    """The Acme renewal's metadata with only our two people on the call."""
    meta = json.loads((EXAMPLES / "acme-renewal.meta.json").read_text())
    meta["attendees"] = [a for a in meta["attendees"] if a["side"] == "us"]
    meta["title"] = "Acme renewal prep (internal)"
    meta["source_id"] = "internal-sync"
    return meta


def internal_call() -> tuple[bytes, CallMetadata]:
    """The internal sync's transcript and metadata."""
    return INTERNAL_VTT, CallMetadata.model_validate(internal_meta())
