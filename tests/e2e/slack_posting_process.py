"""A cs-agent process with Slack approvals that submits a call and then waits, for SIGKILL.

Run as ``python -m tests.e2e.slack_posting_process TRANSCRIPT META`` with the Slack settings in
the environment. The test makes the emulator sit on its answer to ``chat.postMessage``, so the
process is killed after Slack has the message and before the process has recorded it.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from cs_agent.config import Settings
from cs_agent.domain import CallMetadata
from cs_agent.intake import submit_call
from cs_agent.runtime import Runtime
from cs_agent.transcripts import parse_transcript


async def main(transcript: Path, meta: Path) -> None:
    runtime = Runtime(Settings(_env_file=None))  # type: ignore[call-arg]
    await runtime.start()
    submission = await submit_call(
        runtime,
        transcript=parse_transcript(transcript.read_bytes()),
        metadata=CallMetadata.model_validate(json.loads(meta.read_text())),
        source="test",
    )
    print(submission.call_id, flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), Path(sys.argv[2])))
