"""Settings → concrete adapters. The only module that knows which adapter serves which port.

Each port gets its real adapter when its credentials are configured and its local adapter
otherwise; the choice and the reason are logged at start-up and shown by ``cs-agent doctor``.
One function a port, so adding an integration touches one place.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine

from cs_agent.agent import ClaudeAnalyzer, model_credentials
from cs_agent.config import Settings
from cs_agent.ports import AdapterChoice, Analyzer, ApprovalChannel, Mailer, TaskTracker
from cs_agent.rules import RulesAnalyzer
from integrations.local import LocalApprovalChannel, LocalTaskTracker, OutboxMailer

log = logging.getLogger(__name__)


@dataclass
class Adapters:
    """One adapter per port, plus why each was chosen."""

    analyzer: Analyzer
    tracker: TaskTracker
    approvals: ApprovalChannel
    mailer: Mailer
    choices: list[AdapterChoice] = field(default_factory=list)


def build_adapters(settings: Settings, engine: Engine) -> Adapters:
    """Pick an adapter for every port from ``settings``."""
    analyzer, analyzer_choice = choose_analyzer(settings)
    tracker, tracker_choice = choose_tracker(settings, engine)
    approvals, approvals_choice = choose_approvals(settings)
    mailer, mailer_choice = choose_mailer(settings)
    return Adapters(
        analyzer=analyzer,
        tracker=tracker,
        approvals=approvals,
        mailer=mailer,
        choices=[analyzer_choice, tracker_choice, approvals_choice, mailer_choice],
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
    return rules, AdapterChoice(
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
    """Linear when a key is set, else the local task list."""
    return LocalTaskTracker(engine, public_url=settings.public_url), AdapterChoice(
        port="tracker",
        adapter="local",
        reason="no CS_AGENT_LINEAR_API_KEY: action items go to the local task list",
        local=True,
    )


def choose_approvals(settings: Settings) -> tuple[ApprovalChannel, AdapterChoice]:
    """Slack when a bot token and signing secret are set, else local approvals."""
    return LocalApprovalChannel(public_url=settings.public_url), AdapterChoice(
        port="approvals",
        adapter="local",
        reason="no Slack credentials: approve with `cs-agent drafts approve ID`",
        local=True,
    )


def choose_mailer(settings: Settings) -> tuple[Mailer, AdapterChoice]:
    """Gmail when credentials are set, else the .eml outbox."""
    return OutboxMailer(settings.outbox_dir), AdapterChoice(
        port="mailer",
        adapter="outbox",
        reason=f"no Gmail credentials: emails are written to {settings.outbox_dir}",
        local=True,
    )


def log_choices(adapters: Adapters) -> None:
    """Say at start-up which adapter each port uses."""
    for choice in adapters.choices:
        log.info("%s: %s (%s)", choice.port, choice.adapter, choice.reason)
