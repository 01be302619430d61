"""A cs-agent process that approves a draft and sends it through Gmail, for a test to SIGKILL.

Run as ``python -m tests.e2e.gmail_send_process DRAFT_ID`` with the Gmail settings in the
environment. The Gmail emulator holds its answer to the send; the test kills this process
while it waits, exactly as a crash between "Gmail accepted the message" and "cs-agent recorded
it" would.
"""

from __future__ import annotations

import asyncio
import sys

from cs_agent.bootstrap.runtime import Runtime
from cs_agent.config import Settings
from cs_agent.services import approvals


async def main(draft_id: str) -> None:
    runtime = Runtime(Settings(_env_file=None))  # type: ignore[call-arg]
    await runtime.start()
    decision = await approvals.approve(runtime, draft_id=draft_id, actor="test:crashing")
    print(decision.workflow_id, flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
