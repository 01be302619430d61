"""A cs-agent process with Slack approvals that submits a call and then waits, for SIGKILL.

Run as ``python -m tests.e2e.slack_posting_process TRANSCRIPT META`` with the Slack settings in
the environment. The test makes the emulator sit on its answer to ``chat.postMessage``, so the
process is killed after Slack has the message and before the process has recorded it.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from cs_agent.bootstrap.runtime import Runtime
from cs_agent.config import Settings

from .crashing_process import submit_then_wait


async def main(transcript: Path, meta: Path) -> None:
    await submit_then_wait(Runtime(Settings(_env_file=None)), transcript, meta)  # type: ignore[call-arg]


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), Path(sys.argv[2])))
