"""What ``cs-agent doctor`` checks of Slack: the token, its scopes, the channel, the approvers."""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

from cs_agent.core.errors import ExternalError, Unauthorized
from cs_agent.core.ports import CheckResult
from integrations.slack.api import call_slack
from integrations.slack.config import SlackConfig
from integrations.slack.people import SlackPeople

REQUIRED_SCOPES = ("chat:write",)
RECOMMENDED_SCOPES = {
    "channels:history": (
        "finding an approval request or a reminder again after a crash (public channels)"
    ),
    "groups:history": "the same in private channels",
    "users:read.email": "mentioning the account owner by email",
}


async def check_slack(
    client: AsyncWebClient, config: SlackConfig, people: SlackPeople, *, adapter: str
) -> list[CheckResult]:
    """Token, scopes, channel and approvers, checked against Slack (never raises)."""

    def result(ok: bool, detail: str, fix: str | None = None) -> CheckResult:
        return CheckResult(port="approvals", adapter=adapter, ok=ok, detail=detail, fix=fix)

    try:
        auth = await call_slack("auth.test", client.auth_test)
    except Unauthorized as error:
        return [result(False, str(error), "check CS_AGENT_SLACK_BOT_TOKEN (xoxb-…)")]
    except ExternalError as error:
        return [
            result(
                False,
                str(error),
                "check that this host reaches Slack (CS_AGENT_SLACK_API_URL, proxies)",
            )
        ]
    results = [result(True, f"bot {auth.get('user')} in workspace {auth.get('team')}")]
    granted = {s.strip() for s in str(auth.headers.get("x-oauth-scopes", "")).split(",")}
    granted.discard("")
    needed = [*REQUIRED_SCOPES, *RECOMMENDED_SCOPES]
    if config.approver_group:
        needed.append("usergroups:read")
    results.append(
        result(
            True,
            f"scopes granted: {', '.join(sorted(granted)) or 'none'}; needed: {', '.join(needed)}",
        )
    )
    missing = [s for s in REQUIRED_SCOPES if s not in granted]
    if missing:
        results.append(
            result(
                False,
                "missing scopes: " + ", ".join(missing),
                "add them under OAuth & Permissions (or from slack-app-manifest.yml) and "
                "reinstall the app",
            )
        )
    for scope, why in RECOMMENDED_SCOPES.items():
        if scope not in granted:
            results.append(
                result(
                    False,
                    f"missing scope {scope} ({why})",
                    "add it under OAuth & Permissions and reinstall the app",
                )
            )
    mapped = len(config.customer_channels)
    if config.default_channel or mapped:
        where = config.default_channel or "no default channel"
        results.append(result(True, f"requests go to {where}; {mapped} customers mapped"))
    else:
        results.append(
            result(False, "no channel configured", "set CS_AGENT_SLACK_CHANNEL to a channel ID")
        )
    if not (config.approvers or config.approver_group):
        results.append(
            result(
                False,
                "nobody may approve",
                "set CS_AGENT_SLACK_APPROVERS (user IDs) or CS_AGENT_SLACK_APPROVER_GROUP",
            )
        )
    if config.approver_group:
        try:
            members = await people.group_members(fresh=True)
            results.append(result(True, f"approver group has {len(members)} members"))
        except ExternalError as error:
            results.append(result(False, str(error), "add the usergroups:read scope"))
    return results
