"""A cs-agent process that hangs inside a workflow step, for crash-recovery tests to SIGKILL.

Run as ``python -m tests.e2e.crashing_process TRANSCRIPT META MARKER HANG_AFTER``. It files
action items through the real local tracker; after ``HANG_AFTER`` issues it writes MARKER and
hangs, so the workflow is left half done, exactly as a crash would leave it.
"""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from pathlib import Path

from cs_agent.bootstrap.adapters import build_adapters
from cs_agent.bootstrap.runtime import Runtime
from cs_agent.config import Settings
from cs_agent.core.domain import ActionItem, CallMetadata, IssueRef
from cs_agent.core.ports import CallContext
from cs_agent.core.transcripts import parse_transcript
from cs_agent.services.intake import submit_call
from integrations.local import LocalTaskTracker
from storage.db import make_engine


class HangingTracker(LocalTaskTracker):
    """The local tracker, except that it stops answering after ``hang_after`` issues."""

    def __init__(self, inner: LocalTaskTracker, *, marker: Path, hang_after: int) -> None:
        self.__dict__.update(inner.__dict__)
        self._marker = marker
        self._hang_after = hang_after
        self._filed = 0

    async def create_issue(
        self, item: ActionItem, *, issue_id: uuid.UUID, call: CallContext
    ) -> IssueRef:
        ref = await super().create_issue(item, issue_id=issue_id, call=call)
        self._filed += 1
        if self._filed >= self._hang_after:
            self._marker.write_text(call.call_id)
            await asyncio.Event().wait()
        return ref


async def main(transcript: Path, meta: Path, marker: Path, hang_after: int) -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    engine = make_engine(settings.app_database_url)
    adapters = build_adapters(settings, engine)
    assert isinstance(adapters.tracker, LocalTaskTracker)
    adapters.tracker = HangingTracker(adapters.tracker, marker=marker, hang_after=hang_after)
    await submit_then_wait(Runtime(settings, adapters=adapters, engine=engine), transcript, meta)


async def submit_then_wait(runtime: Runtime, transcript: Path, meta: Path) -> None:
    """Start ``runtime``, submit the call, print its id, and wait to be killed."""
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
    asyncio.run(main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4])))
