"""Which credential the bundled ``claude`` CLI will authenticate to the model API with."""

from __future__ import annotations

from collections.abc import Mapping

from cs_agent.config import Settings
from cs_agent.core.ports import CheckResult

# Other ways the bundled CLI can authenticate besides ANTHROPIC_API_KEY.
CREDENTIAL_VARIABLES = (
    "ANTHROPIC_AUTH_TOKEN",
    "CLAUDE_CODE_OAUTH_TOKEN",
    "CLAUDE_CODE_USE_BEDROCK",
    "CLAUDE_CODE_USE_VERTEX",
    "CLAUDE_CODE_USE_FOUNDRY",
)


def model_credentials(settings: Settings, environ: Mapping[str, str]) -> str | None:
    """Which model credential is configured (its variable's name), or None."""
    if settings.anthropic_api_key is not None and settings.anthropic_api_key.get_secret_value():
        return "ANTHROPIC_API_KEY"
    for name in CREDENTIAL_VARIABLES:
        if environ.get(name):
            return name
    return None


def credential_check(
    settings: Settings, environ: Mapping[str, str], *, adapter: str
) -> CheckResult:
    """The doctor's first analyzer check: is a model credential configured at all?"""
    credential = model_credentials(settings, environ)
    return CheckResult(
        port="analyzer",
        adapter=adapter,
        ok=credential is not None,
        detail=f"credentials from {credential}"
        if credential
        else "no ANTHROPIC_API_KEY (the CLI may still have a login of its own)",
        fix=None if credential else "set ANTHROPIC_API_KEY",
    )
