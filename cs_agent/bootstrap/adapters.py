"""Settings → concrete adapters. The only module that knows which adapter serves which port.

Each port gets its real adapter when its credentials are configured and its local adapter
otherwise; the choice and the reason are logged at start-up and shown by ``cs-agent doctor``.
One function a port, so adding an integration touches one place.
"""

from __future__ import annotations

import logging
import os

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.engine import Engine

from cs_agent.analyzers.claude.agent import ClaudeAnalyzer, model_credentials
from cs_agent.analyzers.no_followup import NoFollowUpRule
from cs_agent.analyzers.rules import RulesAnalyzer
from cs_agent.bootstrap.sources import build_sources
from cs_agent.config import ConfigurationError, Settings
from cs_agent.core.ports import AdapterChoice, Analyzer, ApprovalChannel, Mailer, TaskTracker
from cs_agent.services.approval_requests import approval_request_from
from cs_agent.services.context import Adapters
from integrations.local import LocalApprovalChannel, LocalTaskTracker, OutboxMailer
from integrations.slack.channel import SlackApprovalChannel, SlackConfig
from integrations.zoom import ZoomDownloader

log = logging.getLogger(__name__)


def build_adapters(settings: Settings, engine: Engine) -> Adapters:
    """Pick an adapter for every port from ``settings``."""
    analyzer, analyzer_choice = choose_analyzer(settings)
    tracker, tracker_choice = choose_tracker(settings, engine)
    approvals, approvals_choice = choose_approvals(settings, engine)
    mailer, mailer_choice = choose_mailer(settings, engine)
    zoom = ZoomDownloader(api_url=settings.zoom_api_url, max_bytes=settings.max_transcript_bytes)
    sources, source_choices = build_sources(settings, zoom)
    return Adapters(
        analyzer=analyzer,
        tracker=tracker,
        approvals=approvals,
        mailer=mailer,
        zoom=zoom,
        sources=sources,
        choices=[analyzer_choice, tracker_choice, approvals_choice, mailer_choice, *source_choices],
    )


def choose_analyzer(settings: Settings) -> tuple[Analyzer, AdapterChoice]:
    """The Claude agent when model credentials exist (or it is forced), else the offline rules."""
    credential = model_credentials(settings, os.environ)
    if settings.analyzer == "claude" or (settings.analyzer == "auto" and credential):
        why = f"{credential} is set" if credential else "CS_AGENT_ANALYZER=claude"
        return ClaudeAnalyzer(settings), AdapterChoice(
            port="analyzer",
            adapter="claude",
            reason=f"{why}: the Claude agent, model {settings.model}",
        )
    rules = RulesAnalyzer(company_name=settings.company_name, sender_name=settings.sender_name)
    forced = settings.analyzer == "rules"
    return NoFollowUpRule(rules), AdapterChoice(
        port="analyzer",
        adapter="offline-rules",
        reason="OFFLINE ANALYZER: cue-phrase rules, not a model. "
        + (
            "CS_AGENT_ANALYZER=rules is set."
            if forced
            else "Set ANTHROPIC_API_KEY to use the Claude agent."
        ),
        local=True,
    )


def choose_tracker(settings: Settings, engine: Engine) -> tuple[TaskTracker, AdapterChoice]:
    """Linear when an API key or OAuth token is set, else the local task list."""
    oauth_token = (
        settings.linear_oauth_token.get_secret_value() if settings.linear_oauth_token else None
    )
    api_key = settings.linear_api_key.get_secret_value() if settings.linear_api_key else None
    if oauth_token or api_key:
        # Imported here: gql and aiohttp load only when Linear is configured.
        from integrations.linear.client import LinearClient, authorization
        from integrations.linear.tracker import LinearTaskTracker

        client = LinearClient(
            url=settings.linear_api_url,
            authorization=authorization(api_key=api_key, oauth_token=oauth_token),
            timeout=settings.linear_timeout_seconds,
        )
        tracker = LinearTaskTracker(
            client,
            team_key=settings.linear_team,
            label=settings.linear_label,
            assignees=settings.linear_assignees,
        )
        credential = "CS_AGENT_LINEAR_OAUTH_TOKEN" if oauth_token else "CS_AGENT_LINEAR_API_KEY"
        team = settings.linear_team or "the key's only team"
        return tracker, AdapterChoice(
            port="tracker",
            adapter="linear",
            reason=f"{credential} is set: action items become Linear issues in {team}",
        )
    return LocalTaskTracker(engine, public_url=settings.public_url), AdapterChoice(
        port="tracker",
        adapter="local",
        reason="no CS_AGENT_LINEAR_API_KEY: action items go to the local task list",
        local=True,
    )


def choose_approvals(settings: Settings, engine: Engine) -> tuple[ApprovalChannel, AdapterChoice]:
    """Slack when a bot token and signing secret (or Socket Mode's app token) are set,
    else local approvals."""
    missing = slack_missing(settings)
    if missing is None:
        token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else ""
        channel = SlackApprovalChannel(
            AsyncWebClient(token=token, base_url=settings.slack_api_url),
            config=SlackConfig(
                default_channel=settings.slack_channel,
                customer_channels=dict(settings.slack_customer_channels),
                approvers=frozenset(settings.slack_approvers),
                approver_group=settings.slack_approver_group,
                account_owners=dict(settings.slack_account_owners),
                public_url=settings.public_url,
            ),
            load_request=lambda draft_id: approval_request_from(engine, draft_id),
        )
        where = settings.slack_channel or "the customers' channels"
        how = "Socket Mode" if settings.slack_socket_mode else "POST /slack/events"
        return channel, AdapterChoice(
            port="approvals",
            adapter="slack",
            reason=f"requests go to {where}; clicks arrive over {how}",
        )
    return LocalApprovalChannel(public_url=settings.public_url), AdapterChoice(
        port="approvals",
        adapter="local",
        reason=f"{missing}: approve with `cs-agent drafts approve ID`",
        local=True,
    )


def slack_missing(settings: Settings) -> str | None:
    """Why Slack approvals are off (None when they are on)."""
    if settings.slack_bot_token is None:
        return "no CS_AGENT_SLACK_BOT_TOKEN"
    if settings.slack_socket_mode:
        if settings.slack_app_token is None:
            return "Socket Mode needs CS_AGENT_SLACK_APP_TOKEN (xapp-…)"
        return None
    if settings.slack_signing_secret is None:
        return "no CS_AGENT_SLACK_SIGNING_SECRET (needed to verify Slack's requests)"
    return None


def choose_mailer(settings: Settings, engine: Engine) -> tuple[Mailer, AdapterChoice]:
    """Gmail when its credentials are set, else SMTP when its URL is set, else the .eml outbox.

    Configured-but-broken credentials raise ``ConfigurationError`` rather than falling back:
    a follow-up silently written to a local folder instead of sent would be worse than a
    process that refuses to start.
    """
    # The Google client and smtplib are imported only when configured: they cost start-up time.
    if settings.gmail_credentials is not None:
        from integrations.gmail.auth import DRAFT_SCOPES, SCOPES, load_credentials
        from integrations.gmail.mailer import GmailMailer, build_gmail_service

        sender = settings.gmail_sender
        if not sender:
            raise ConfigurationError(
                "CS_AGENT_GMAIL_SENDER is not set: name the mailbox follow-ups are sent from "
                "(the user a service account acts as, or the account of the token file)"
            )
        identity = load_credentials(
            settings.gmail_credentials,
            sender=sender,
            token_url=settings.google_token_url,
            scopes=DRAFT_SCOPES if settings.places_mailbox_drafts else SCOPES,
        )
        service = build_gmail_service(
            identity.credentials,
            api_url=settings.gmail_api_url,
            timeout=settings.gmail_timeout_seconds,
        )
        return GmailMailer(service, identity=identity), AdapterChoice(
            port="mailer", adapter="gmail", reason=f"Gmail API as {sender}: {identity.describe()}"
        )
    if settings.smtp_url is not None:
        from integrations.smtp import SmtpMailer, SmtpServer, tls_context

        server = SmtpServer.from_url(settings.smtp_url.get_secret_value())
        ca_file = str(settings.smtp_ca_file) if settings.smtp_ca_file else None
        try:
            context = tls_context(ca_file)
        except OSError as error:
            raise ConfigurationError(f"CS_AGENT_SMTP_CA_FILE={ca_file}: {error}") from None
        mailer = SmtpMailer(
            server,
            engine=engine,
            sender=settings.sender_email,
            tls_context=context,
            timeout=settings.smtp_timeout_seconds,
        )
        return mailer, AdapterChoice(
            port="mailer",
            adapter="smtp",
            reason=f"SMTP via {server.describe()} as {settings.sender_email}",
        )
    return OutboxMailer(settings.outbox_dir), AdapterChoice(
        port="mailer",
        adapter="outbox",
        reason=f"no Gmail credentials or SMTP URL: emails are written to {settings.outbox_dir}",
        local=True,
    )


def log_choices(adapters: Adapters) -> None:
    """Say at start-up which adapter each port uses."""
    for choice in adapters.choices:
        log.info("%s: %s (%s)", choice.port, choice.adapter, choice.reason)
