"""Hostile transcripts and metadata through a real server to the Slack emulator.

The emulator checks Block Kit's limits as Slack does; these calls would once hang the server
(a cut with no room left looped for ever) or ping a whole channel from a call title.
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from ..emulators.slack import SlackEmulator
from ..slack_env import CHANNEL, slack_env
from .busy_server import running_server, server_env, submission, submit, wait_for_status

PADDING = "&<> " * 120
RISK_LINES = [
    "we are considering cancelling",
    "the renewal is at risk",
    "we are looking at other vendors",
    "there is a budget freeze",
    "the outage hurt us",
    "our team is frustrated",
    "I will have to escalate",
]
HOSTILE_TITLE = "Acme <!channel> <https://evil.example|Open> <@U0EVIL> <#C0EVIL> &amp;"
# Slack's control sequences: a special mention, a user or channel mention, a link.
CONTROL = re.compile(r"<(?:!|@|#|https?:)")


def risky_transcript() -> str:
    lines = ["[00:00:01] Elena Marsh: Thanks for joining, Nora."]
    for n, risk in enumerate(RISK_LINES, start=1):
        lines.append(f"[00:0{n}:00] Nora Pham: {PADDING} {risk}.")
    lines.append("[00:09:00] Elena Marsh: I'll send the incident report by Friday.")
    return "\n".join(lines) + "\n"


def mrkdwn_texts(message: dict[str, object]) -> list[str]:
    """The message's top-level text and every mrkdwn text of its blocks."""
    texts = [str(message.get("text", ""))]

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn" and isinstance(node.get("text"), str):
                texts.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(message.get("blocks", []))
    return texts


async def test_risks_full_of_escapes_are_posted_within_limits_and_the_server_answers(
    tmp_path: Path,
) -> None:
    with SlackEmulator(channels=(CHANNEL,)) as slack:
        env = server_env(tmp_path / "data", **slack_env(slack))
        with running_server(env, tmp_path / "server.log") as url:
            async with httpx.AsyncClient(base_url=url, timeout=60) as client:
                call_id = await submit(client, submission(risky_transcript(), 1))
                await wait_for_status(client, call_id, {"awaiting_approval"}, timeout=90)
                assert (await client.get("/healthz")).status_code == 200
                risks = (await client.get(f"/v1/calls/{call_id}")).json()["summary"]["risks"]
        (message,) = slack.top_level(CHANNEL)
    # The risks were quoted into the summary, so the budget really was under pressure.
    assert len(risks) >= len(RISK_LINES)
    texts = mrkdwn_texts(message)
    assert any("&amp;" in text and "&lt;" in text for text in texts), texts
    assert not any("&<" in text or "<>" in text for text in texts)
    assert all(len(block.get("text", {}).get("text", "")) <= 3000 for block in message["blocks"])


async def test_a_hostile_call_title_reaches_slack_escaped(tmp_path: Path) -> None:
    body = submission("[00:00:01] Elena Marsh: I'll send the notes by Friday.\n", 2)
    body["title"] = HOSTILE_TITLE
    body["customer"] = {"name": "Acme <!here>", "domain": "acme.example"}
    with SlackEmulator(channels=(CHANNEL,)) as slack:
        env = server_env(tmp_path / "data", **slack_env(slack))
        with running_server(env, tmp_path / "server.log") as url:
            async with httpx.AsyncClient(base_url=url, timeout=60) as client:
                call_id = await submit(client, body)
                await wait_for_status(client, call_id, {"awaiting_approval"}, timeout=90)
        (message,) = slack.top_level(CHANNEL)
    texts = mrkdwn_texts(message)
    assert any("&lt;!channel&gt;" in text for text in texts), texts
    for text in texts:
        # Our own links (the call page, tracker issues) are the only control sequences.
        for match in re.finditer(r"<([^>]*)>", text):
            inner = match.group(1)
            ours = inner.startswith(("http://127.0.0.1", "https://")) and "evil" not in inner
            assert ours or not CONTROL.match("<" + inner), text
