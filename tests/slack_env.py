"""What the Slack tests share: settings pointed at the emulator, and the Slack side of a click."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from cs_agent.bootstrap.runtime import Runtime
from cs_agent.config import Settings
from cs_agent.core.domain import (
    ActionItem,
    ApprovalRequest,
    CallMetadata,
    CallSummary,
    Customer,
    DraftStatus,
    FollowUpDraft,
    IssueRef,
)
from cs_agent.core.transcripts import parse_transcript
from cs_agent.services import queues
from cs_agent.services.intake import submit_call
from storage import repo
from storage.db import session_scope

from .conftest import EXAMPLES
from .emulators.slack import SlackEmulator, signed_request

SIGNING_SECRET = "test-signing-secret-0123456789abcdef"
CHANNEL = "C0APPROVALS"
APPROVER = "U0APPROVER1"
GROUP = "S0APPROVERS"
GROUP_MEMBER = "U0GROUPIE"
OUTSIDER = "U0OUTSIDER"
OWNER = "U0DANA"


def slack_emulator() -> SlackEmulator:
    """An emulator with our channel, the account owner's email, and the approver group."""
    return SlackEmulator(
        channels=(CHANNEL, "C0ACME"),
        users={"dana.reyes@brightwave.example": OWNER},
        usergroups={GROUP: [GROUP_MEMBER]},
    )


def slack_settings(data_dir: Path, slack: SlackEmulator, **overrides: Any) -> Settings:
    """Settings with Slack approvals on, talking to ``slack``."""
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "slack_bot_token": slack.bot_token,
        "slack_signing_secret": SIGNING_SECRET,
        "slack_api_url": slack.api_url,
        "slack_channel": CHANNEL,
        "slack_approvers": [APPROVER],
        "slack_approver_group": GROUP,
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def slack_env(slack: SlackEmulator) -> dict[str, str]:
    """The environment of a cs-agent process with Slack approvals through ``slack``."""
    return {
        "CS_AGENT_SLACK_BOT_TOKEN": slack.bot_token,
        "CS_AGENT_SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "CS_AGENT_SLACK_API_URL": slack.api_url,
        "CS_AGENT_SLACK_CHANNEL": CHANNEL,
        "CS_AGENT_SLACK_APPROVERS": APPROVER,
    }


async def process_example(runtime: Runtime, name: str = "acme-renewal") -> tuple[str, str]:
    """Run an example call through ``process_call``. Returns (call id, draft id)."""
    path = next(
        p for p in EXAMPLES.glob(f"{name}.*") if ".meta" not in p.name and ".expected" not in p.name
    )
    meta = CallMetadata.model_validate(json.loads((EXAMPLES / f"{name}.meta.json").read_text()))
    submission = await submit_call(
        runtime, transcript=parse_transcript(path.read_bytes()), metadata=meta, source="test"
    )
    draft_id = await queues.wait_for(submission.workflow_id, timeout=60)
    return submission.call_id, str(draft_id)


async def post_signed(
    client: httpx.AsyncClient,
    payload: dict[str, Any],
    *,
    secret: str = SIGNING_SECRET,
    timestamp: int | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """POST an interaction to ``/slack/events`` the way Slack does."""
    body, signed = signed_request(payload, secret, timestamp=timestamp)
    return await client.post("/slack/events", content=body, headers={**signed, **(headers or {})})


async def eventually(check: Callable[[], Any], *, timeout: float = 20.0) -> Any:
    """Poll ``check`` until it returns something truthy (work continues after Slack's ack)."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s: {check}")
        await asyncio.sleep(0.05)


def audit_actions(runtime: Runtime, call_id: str) -> list[tuple[str, str]]:
    """(actor, action) of a call's audit log, oldest first."""
    with session_scope(runtime.engine) as session:
        return [(e.actor, e.action) for e in repo.list_audit(session, call_id=call_id)]


def draft_row(runtime: Runtime, draft_id: str) -> Any:
    """The stored draft."""
    with session_scope(runtime.engine) as session:
        return repo.get_draft(session, draft_id=draft_id)


def actions_of(message: dict[str, Any]) -> list[str]:
    """The action ids of a message's buttons."""
    return [
        element["action_id"]
        for block in message.get("blocks", [])
        if block.get("type") == "actions"
        for element in block["elements"]
    ]


def texts_of(message: dict[str, Any]) -> str:
    """Every text of a message's blocks, joined (for asserting what a person reads)."""
    parts: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                parts.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(message.get("blocks", []))
    return "\n".join(parts)


def a_request(
    *, items: int = 3, body: str = "Hi,\n\nThanks for the call.\n", **draft: object
) -> ApprovalRequest:
    values: dict[str, object] = {
        "id": "draft-1",
        "call_id": "call-1",
        "version": 1,
        "status": DraftStatus.PENDING,
        "subject": "Next steps",
        "body": body,
        "to": ["priya@acmefreight.example"],
        "cc": [],
        **draft,
    }
    return ApprovalRequest(
        draft=FollowUpDraft.model_validate(values),
        call_id="call-1",
        call_title="Renewal <!channel>",
        call_date=dt.date(2026, 11, 10),
        customer=Customer(name="Acme & Sons", domain="acme.example"),
        summary=CallSummary(text="Went well. " * 500, risks=["<@U0EVIL> pricing"]),
        action_items=[ActionItem(title=f"Task {n} " + "x" * 250, quote="q") for n in range(items)],
        issues=[
            IssueRef(
                tracker="linear",
                id=str(n),
                identifier=f"CS-{n}",
                title="t",
                url=f"https://l.example/CS-{n}",
                existing=n == 0,
            )
            for n in range(items)
        ],
        analyzer="claude",
    )
