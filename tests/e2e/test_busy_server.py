"""While the server analyses a 4.5 MB transcript, it still answers health checks and Slack.

The analysis (parsing and the offline analyzer's reading) runs off the event loop, so both
answers arrive before the analysis is done: the order is asserted, not a time.
"""

from __future__ import annotations

from pathlib import Path

import httpx

from integrations.slack.blocks import APPROVE

from ..emulators.slack import SlackEmulator
from ..slack_env import APPROVER, CHANNEL, post_signed, slack_env
from .busy_server import (
    EXAMPLE,
    large_transcript,
    running_server,
    server_env,
    status_of,
    submission,
    submit,
    wait_for_status,
)


async def test_health_and_a_slack_click_are_answered_while_a_large_call_is_analysed(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    with SlackEmulator(channels=(CHANNEL,)) as slack:
        env = server_env(data, **slack_env(slack))
        with running_server(env, tmp_path / "server.log") as url:
            async with httpx.AsyncClient(base_url=url, timeout=120) as client:
                # A small call first, so there is a real Approve button to click.
                small = await submit(client, submission(EXAMPLE.read_text(), 1))
                await wait_for_status(client, small, {"awaiting_approval"})
                (request,) = slack.top_level(CHANNEL)

                large = await submit(client, submission(large_transcript(), 2))
                await wait_for_status(client, large, {"analyzing"}, timeout=60)

                health = await client.get("/healthz")
                click = await post_signed(
                    client, slack.click(request, APPROVE, user=APPROVER, channel=CHANNEL)
                )
                # Asked after both answers came: the analysis was still going on.
                assert await status_of(client, large) == "analyzing"
                assert health.status_code == 200
                assert click.status_code == 200

                # Both calls then finish, and the click did its work: one email sent.
                await wait_for_status(client, large, {"awaiting_approval"}, timeout=300)
                await wait_for_status(client, small, {"completed"}, timeout=60)
    outbox = list((data / "outbox").glob("*.eml"))
    assert len(outbox) == 1
