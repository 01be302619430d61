"""Benchmark the web inbox's two heavy pages: the calls table and the page of a 3-hour call.

Fills a fresh SQLite database with 1,000 calls (each with a 3-hour transcript stored, a few
action items and a draft), then renders page 1 of the calls table and the page of one call
with 40 action items whose quotes are located in its ~3,000-utterance transcript. Prints the
page sizes and render times (best and median over several runs, ms, through the ASGI app
in-process, no network) and whether the targets are met.
Run: ``.venv/bin/python bench/inbox.py``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib.util
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

from cs_agent.api.app import create_app
from cs_agent.bootstrap.runtime import Runtime
from cs_agent.config import Settings
from cs_agent.core.transcripts import parse_transcript
from storage import repo
from storage.db import migrate, session_scope
from storage.models import ActionItemRow, CallRow, DraftRow

CALLS = 1_000
ITEMS = 40
RUNS = 15
TARGET_LIST_MS = 100.0
TARGET_CALL_MS = 500.0


def _generate_call() -> str:
    spec = importlib.util.spec_from_file_location(
        "bench_parse", Path(__file__).with_name("parse.py")
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_parse"] = module
    spec.loader.exec_module(module)
    text: str = module.generate_call("zoom")[0]
    return text


def _fill(runtime: Runtime) -> str:
    transcript = parse_transcript(_generate_call())
    stored = transcript.model_dump(mode="json")
    utterances = transcript.utterances
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    with session_scope(runtime.engine) as session:
        for n in range(CALLS):
            call_id = f"call-bench{n:05d}"
            session.add(
                CallRow(
                    id=call_id,
                    created_at=start + dt.timedelta(minutes=n),
                    source="bench",
                    request_hash=str(n),
                    title=f"Quarterly review {n}",
                    call_date=dt.date(2026, 1, 1),
                    customer_name=f"Customer {n}",
                    transcript_format="vtt",
                    transcript=stored,
                    word_count=transcript.word_count(),
                    status="awaiting_approval",
                    summary={"text": "A long call.", "sentiment": "neutral", "risks": []},
                    workflow_id=f"wf-{n}",
                )
            )
        session.flush()  # calls before the rows that refer to them
        for n in range(CALLS):
            call_id = f"call-bench{n:05d}"
            for position in range(3 if n else ITEMS):
                said = utterances[(position * 97) % len(utterances)]
                session.add(
                    ActionItemRow(
                        id=f"item-{n}-{position}",
                        call_id=call_id,
                        position=position,
                        title=f"Follow up {position}",
                        quote=" ".join(said.text.split()[:10]),
                        quote_time=said.start,
                        issue_tracker="local",
                        issue_id=f"task-{n}-{position}",
                        issue_identifier=f"LOCAL-{n * ITEMS + position}",
                    )
                )
            session.add(
                DraftRow(
                    id=f"draft-bench{n:05d}",
                    call_id=call_id,
                    subject="Recap",
                    body="Hi,\n\n- one\n- two\n\nThanks",
                    to=["someone@customer.example"],
                )
            )
        return "call-bench00000"


async def _time(client: httpx.AsyncClient, path: str) -> tuple[list[float], int]:
    times = []
    size = 0
    for _ in range(RUNS):
        began = time.perf_counter()
        response = await client.get(path)
        times.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, response.text[:500]
        size = len(response.content)
    return times, size


async def main() -> None:
    """Fill the database, then time both pages."""
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(_env_file=None, data_dir=Path(tmp))  # type: ignore[call-arg]
        runtime = Runtime(settings)
        migrate(runtime.engine)
        began = time.perf_counter()
        big_call = _fill(runtime)
        print(f"filled {CALLS:,} calls in {time.perf_counter() - began:.1f} s")
        with session_scope(runtime.engine) as session:
            utterances = len(
                (repo.get_call(session, call_id=big_call).transcript or {})["utterances"]
            )  # type: ignore[union-attr]
        app = create_app(settings, runtime=runtime)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            for label, path, target in (
                (f"calls page (page 1 of {CALLS:,} calls)", "/inbox/", TARGET_LIST_MS),
                (
                    f"call page ({utterances:,} utterances, {ITEMS} items)",
                    f"/inbox/calls/{big_call}",
                    TARGET_CALL_MS,
                ),
            ):
                times, size = await _time(client, path)
                best, median = min(times), statistics.median(times)
                print(f"== {label} ==")
                print(f"page size: {size:,} bytes")
                print(f"render time: best {best:.1f} ms, median {median:.1f} ms over {RUNS} runs")
                print(f"target < {target:.0f} ms: {'met' if median < target else 'NOT met'}")
        runtime.engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
