"""Benchmark the Linear path: schema build, document validation, and filing over HTTP.

Prints the time to build Linear's schema (once per process), to validate every operation cs-agent
sends, and to file issues through the adapter against the local Linear emulator (requests per
issue, ms per issue, issues per second with several in flight), plus peak memory of the
schema. Run: ``.venv/bin/python bench/linear.py``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import statistics
import sys
import time
import tracemalloc
import uuid
from pathlib import Path

from graphql import build_schema

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cs_agent.core.domain import ActionItem, Owner, Priority
from cs_agent.core.ports import CallContext
from integrations.linear.client import LinearClient, authorization
from integrations.linear.schema import (
    SCHEMA_FILE,
    linear_operations,
    linear_schema,
    schema_errors,
)
from integrations.linear.tracker import LinearTaskTracker
from tests.emulators.linear import API_KEY, LinearEmulator, seed

ISSUES = 60
IN_FLIGHT = 6


def item(n: int) -> ActionItem:
    return ActionItem(
        title=f"Follow up on item {n}: send the revised pricing proposal",
        description="Include the three-year option.",
        owner=Owner(name="Dana Reyes", email="dana@ours.example"),
        due_date=dt.date(2026, 11, 14),
        priority=Priority.MEDIUM,
        quote="I'll send over the revised pricing by Friday.",
        quote_time=754.0,
    )


async def file_issues(emulator: LinearEmulator) -> None:
    client = LinearClient(url=emulator.graphql_url, authorization=authorization(api_key=API_KEY))
    tracker = LinearTaskTracker(client, team_key="CS", label="customer-follow-up")
    call = CallContext(call_id="call-bench", customer_name="Acme Freight")
    await tracker.create_issue(item(0), issue_id=uuid.uuid4(), call=call)  # warm the caches
    before = len(emulator.calls())

    one_by_one = []
    for n in range(1, ISSUES + 1):
        start = time.perf_counter()
        await tracker.create_issue(item(n), issue_id=uuid.uuid4(), call=call)
        one_by_one.append((time.perf_counter() - start) * 1000)
    per_issue = (len(emulator.calls()) - before) / ISSUES

    gate = asyncio.Semaphore(IN_FLIGHT)

    async def one(n: int) -> None:
        async with gate:
            await tracker.create_issue(item(n), issue_id=uuid.uuid4(), call=call)

    start = time.perf_counter()
    await asyncio.gather(*(one(n) for n in range(ISSUES)))
    rate = ISSUES / (time.perf_counter() - start)

    search_ms = []
    for _ in range(10):
        start = time.perf_counter()
        await tracker.find_open_issues(query="revised pricing proposal", customer="Acme Freight")
        search_ms.append((time.perf_counter() - start) * 1000)

    print(f"requests per issue (warm caches): {per_issue:.1f}")
    print(
        f"create_issue, one at a time: median {statistics.median(one_by_one):.1f} ms, "
        f"p95 {sorted(one_by_one)[int(len(one_by_one) * 0.95) - 1]:.1f} ms"
    )
    print(f"create_issue, {IN_FLIGHT} in flight: {rate:.0f} issues/s")
    print(
        f"find_open_issues over {len(emulator.issues())} issues: median {statistics.median(search_ms):.1f} ms"
    )


def main() -> None:
    start = time.perf_counter()
    linear_schema()
    build_s = time.perf_counter() - start
    tracemalloc.start()  # a second, traced build: tracing slows it, so it is not the one timed
    build_schema(SCHEMA_FILE.read_text(encoding="utf-8"))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"schema build (once per process): {build_s:.2f} s, peak {peak / 2**20:.0f} MB")

    operations = linear_operations()
    start = time.perf_counter()
    for document in operations.values():
        assert not schema_errors(document)
    print(f"validate {len(operations)} operations: {(time.perf_counter() - start) * 1000:.1f} ms")

    emulator = LinearEmulator().start()
    seed(emulator, people=[("Dana Reyes", "dana@ours.example")])
    try:
        asyncio.run(file_issues(emulator))
    finally:
        emulator.stop()


if __name__ == "__main__":
    main()
