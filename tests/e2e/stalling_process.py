"""A cs-agent worker that pauses inside the analysis, for liveness tests to SIGSTOP.

Run as ``python -m tests.e2e.stalling_process TRANSCRIPT META MARKER LEDGER``. Every analysis
(by this process, or by any runtime whose analyzer is wrapped in ``CountingAnalyzer``) appends
its call id to LEDGER, which is how a test counts what was analysed (and paid for). This
process's analyzer writes MARKER and then takes a moment before it answers, so the test can
stop it mid-analysis; once resumed, it finishes the call.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from cs_agent.bootstrap.adapters import build_adapters
from cs_agent.bootstrap.runtime import Runtime
from cs_agent.config import Settings
from cs_agent.core.domain import CallAnalysis, CallMetadata, Transcript
from cs_agent.core.ports import Analyzer, TaskTracker
from storage.db import make_engine

from .crashing_process import submit_then_wait


class CountingAnalyzer:
    """An analyzer that records each analysis in ``ledger``, then (optionally) pauses."""

    def __init__(
        self, inner: Analyzer, *, ledger: Path, marker: Path | None = None, pause: float = 0
    ) -> None:
        self.name = inner.name
        self._inner = inner
        self._ledger = ledger
        self._marker = marker
        self._pause = pause

    async def analyze(
        self, transcript: Transcript, metadata: CallMetadata, *, tracker: TaskTracker
    ) -> CallAnalysis:
        """Record the analysis, signal the marker, pause, then analyse as the inner one does."""
        with self._ledger.open("a") as ledger:
            ledger.write(f"{metadata.title or 'untitled'}\n")
        if self._marker is not None:
            self._marker.write_text("analysing")
        await asyncio.sleep(self._pause)
        return await self._inner.analyze(transcript, metadata, tracker=tracker)


async def main(transcript: Path, meta: Path, marker: Path, ledger: Path) -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    engine = make_engine(settings.app_database_url)
    adapters = build_adapters(settings, engine)
    adapters.analyzer = CountingAnalyzer(adapters.analyzer, ledger=ledger, marker=marker, pause=1)
    await submit_then_wait(Runtime(settings, adapters=adapters, engine=engine), transcript, meta)


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4])))
