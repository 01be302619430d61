"""Doctor's rows for the transcript sources: one a configured source (Zoom, Gong, Google Meet),
each with its credentials checked live and how its calls arrive (webhook, poll)."""

from __future__ import annotations

from cryptography.hazmat.primitives.serialization import load_pem_public_key
from sqlalchemy.engine import Engine

from cs_agent.bootstrap.doctor import PortReport, check_adapter, diagnose
from cs_agent.bootstrap.sources import build_sources
from cs_agent.config import ConfigurationError, Settings
from cs_agent.core.gong import public_key_pem
from cs_agent.core.ports import CheckResult
from integrations.zoom import ZoomDownloader


def _result(port: str, adapter: str, ok: bool, detail: str, fix: str | None = None) -> CheckResult:
    return CheckResult(port=port, adapter=adapter, ok=ok, detail=detail, fix=fix)


def _gong_arrival(settings: Settings) -> list[CheckResult]:
    port = "source:gong"
    results = []
    if settings.gong_webhook_public_key:
        try:
            load_pem_public_key(public_key_pem(settings.gong_webhook_public_key).encode())
        except ValueError as error:
            results.append(
                _result(
                    port,
                    "gong",
                    False,
                    f"CS_AGENT_GONG_WEBHOOK_PUBLIC_KEY is not a public key ({error})",
                    'copy the key from the automation rule\'s "Show public key"',
                )
            )
        else:
            results.append(_result(port, "gong", True, "POST /webhooks/gong checks signed JWTs"))
    if settings.gong_webhook_secret is not None:
        results.append(_result(port, "gong", True, "POST /webhooks/gong accepts the URL token"))
    if not results:
        results.append(
            _result(
                port,
                "gong",
                True,
                "no webhook verification set: calls arrive by `cs-agent sources gong poll` only",
            )
        )
    return results


def _meet_arrival(settings: Settings) -> list[CheckResult]:
    port = "source:google-meet"
    results = []
    if settings.google_push_audience:
        if settings.google_push_service_account:
            results.append(
                _result(
                    port,
                    "google-meet",
                    True,
                    f"POST /webhooks/google-meet checks push tokens for {settings.google_push_audience}",
                )
            )
        else:
            results.append(
                _result(
                    port,
                    "google-meet",
                    False,
                    "CS_AGENT_GOOGLE_PUSH_AUDIENCE is set but CS_AGENT_GOOGLE_PUSH_SERVICE_ACCOUNT "
                    "is not: every push is refused",
                    "set CS_AGENT_GOOGLE_PUSH_SERVICE_ACCOUNT to the push subscription's service "
                    "account email",
                )
            )
    if settings.meet_poll is not None:
        results.append(
            _result(
                port,
                "google-meet",
                True,
                f"workers poll conference records every {settings.meet_poll}",
            )
        )
    if not results:
        results.append(
            _result(
                port,
                "google-meet",
                True,
                "no push audience and no poll: calls arrive by `cs-agent sources meet poll` only",
            )
        )
    return results


async def source_reports(settings: Settings) -> list[PortReport]:
    """A row a configured source: Zoom (its webhook secret), Gong and Google Meet (checked live)."""
    reports: list[PortReport] = []
    if settings.zoom_secret_token is not None:
        reports.append(
            PortReport(
                port="source:zoom",
                adapter="zoom",
                reason="CS_AGENT_ZOOM_SECRET_TOKEN is set",
                checks=[
                    _result(
                        "source:zoom",
                        "zoom",
                        True,
                        "POST /webhooks/zoom verifies Zoom's signatures; downloads use each event's token",
                    )
                ],
            )
        )
    if not (settings.gong_configured or settings.meet_credentials is not None):
        return reports
    zoom = ZoomDownloader(api_url=settings.zoom_api_url, max_bytes=settings.max_transcript_bytes)
    try:
        sources, choices = build_sources(settings, zoom)
    except ConfigurationError as error:
        failed = _result(
            "source:google-meet",
            "(not configured)",
            False,
            str(error),
            "fix the setting named above",
        )
        return [
            *reports,
            PortReport(port=failed.port, adapter=failed.adapter, reason="", checks=[failed]),
        ]
    for choice in choices:
        name = choice.port.removeprefix("source:")
        checks = await check_adapter(choice.port, sources[name], choice)
        checks += _gong_arrival(settings) if name == "gong" else _meet_arrival(settings)
        reports.append(
            PortReport(
                port=choice.port, adapter=choice.adapter, reason=choice.reason, checks=checks
            )
        )
    return reports


async def diagnose_all(settings: Settings, engine: Engine) -> list[PortReport]:
    """Doctor's rows: the database and each port (``diagnose``), then each configured source."""
    return [*await diagnose(settings, engine), *await source_reports(settings)]
