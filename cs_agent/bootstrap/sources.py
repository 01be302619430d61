"""Settings → the transcript sources: Zoom always (its events carry their own token), Gong and
Google Meet when their settings are there."""

from __future__ import annotations

from cs_agent.config import Settings
from cs_agent.core.ports import AdapterChoice
from cs_agent.core.sources import TranscriptSource
from integrations.gong import GongSource
from integrations.zoom import ZoomDownloader, ZoomSource


def build_sources(
    settings: Settings, zoom: ZoomDownloader
) -> tuple[dict[str, TranscriptSource], list[AdapterChoice]]:
    """One adapter a configured source, by name, and why each is there."""
    sources: dict[str, TranscriptSource] = {"zoom": ZoomSource(zoom)}
    choices: list[AdapterChoice] = []
    if settings.gong_configured:
        assert settings.gong_access_key and settings.gong_access_key_secret
        sources["gong"] = GongSource(
            api_url=settings.gong_api_url,
            access_key=settings.gong_access_key,
            access_key_secret=settings.gong_access_key_secret.get_secret_value(),
            max_bytes=settings.max_transcript_bytes,
        )
        choices.append(
            AdapterChoice(
                port="source:gong",
                adapter="gong",
                reason=f"CS_AGENT_GONG_ACCESS_KEY is set: calls from {settings.gong_api_url}",
            )
        )
    return sources, choices
