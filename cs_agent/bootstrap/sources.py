"""Settings → the transcript sources: Zoom always (its events carry their own token), Gong and
Google Meet when their settings are there."""

from __future__ import annotations

from cs_agent.config import ConfigurationError, Settings
from cs_agent.core.ports import AdapterChoice
from cs_agent.core.sources import EventSubscriptions, TranscriptSource
from integrations.gong import GongSource
from integrations.google_meet.auth import MeetIdentity, load_meet_credentials
from integrations.google_meet.source import MeetSource
from integrations.google_meet.subscriptions import MeetSubscriptions
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
    if settings.meet_credentials is not None:
        identity = meet_identity(settings)
        sources["google-meet"] = MeetSource(
            identity,
            meet_api_url=settings.meet_api_url,
            calendar_api_url=settings.google_calendar_api_url,
            max_bytes=settings.max_transcript_bytes,
        )
        choices.append(
            AdapterChoice(
                port="source:google-meet",
                adapter="google-meet",
                reason=f"CS_AGENT_MEET_CREDENTIALS is set: {identity.kind} "
                + (f"acting as {identity.user}" if identity.user else "token file"),
            )
        )
    return sources, choices


def meet_identity(settings: Settings) -> MeetIdentity:
    """The Meet credentials. Raises ``ConfigurationError`` when they are missing or unusable."""
    if settings.meet_credentials is None:
        raise ConfigurationError(
            "Google Meet is not configured: set CS_AGENT_MEET_CREDENTIALS (see docs/google-meet.md)"
        )
    return load_meet_credentials(
        settings.meet_credentials, user=settings.meet_user, token_url=settings.google_token_url
    )


def build_meet_subscriptions(settings: Settings) -> EventSubscriptions:
    """The Workspace Events subscriptions of Meet's transcripts, for ``sources meet subscribe``."""
    return MeetSubscriptions(meet_identity(settings), api_url=settings.workspace_events_api_url)
