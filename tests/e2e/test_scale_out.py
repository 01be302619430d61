"""Scale-out on PostgreSQL: one API process and two workers process 200 concurrent calls."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx

from integrations.linear.description import customer_of

from ..conftest import EXAMPLES
from ..emulators.linear import API_KEY, LinearEmulator
from ..emulators.slack import SlackEmulator
from ..slack_env import CHANNEL, slack_env
from .cluster import cluster_env, running_cluster

CALLS = 200
TRANSCRIPT = (EXAMPLES / "initech-escalation.txt").read_text()


def submission(n: int) -> dict[str, object]:
    # A customer of its own per call, so no call's items match another's open issues.
    return {
        "transcript": TRANSCRIPT,
        "title": f"Escalation {n}",
        "call_date": "2026-10-08",
        "customer": {"name": f"Customer {n:03d}", "domain": f"c{n:03d}.example"},
        "source_id": f"scale-{n}",
    }


async def post_once_delivered(http: httpx.AsyncClient, body: dict[str, object]) -> httpx.Response:
    """POST a submission, sending it again when the connection drops before the answer.

    A client of the real API does the same: the ``source_id`` makes the repeat land on the call
    the first attempt created, so a repeat never makes a second call (the test counts them).
    """
    for attempt in range(3):
        try:
            return await http.post("/v1/transcripts", json=body)
        except httpx.TransportError:
            if attempt == 2:
                raise
            await asyncio.sleep(0.5)
    raise AssertionError("unreachable")


async def submit_all(url: str, count: int, concurrency: int = 50) -> dict[int, str]:
    """Post ``count`` calls from ``concurrency`` clients; returns call ids by number."""
    ids: dict[int, str] = {}
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(count):
        queue.put_nowait(n)

    async def client(http: httpx.AsyncClient) -> None:
        while not queue.empty():
            n = queue.get_nowait()
            response = await post_once_delivered(http, submission(n))
            # 200 only when a dropped connection's first attempt had already made the call.
            assert response.status_code in (200, 202), response.text
            ids[n] = response.json()["call_id"]

    # One connection pool with a connection a client: as concurrent as 50 clients, without
    # building 50 TLS contexts in the process that also runs the emulators.
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as http:
        await asyncio.gather(*(client(http) for _ in range(concurrency)))
    return ids


async def wait_until_all_awaiting_approval(url: str, count: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        while time.monotonic() < deadline:
            page = (
                await http.get("/v1/calls", params={"status": "awaiting_approval", "limit": 1})
            ).json()
            failed = (await http.get("/v1/calls", params={"status": "failed", "limit": 5})).json()
            assert failed["total"] == 0, failed["calls"]
            if page["total"] == count:
                return
            await asyncio.sleep(0.5)
    raise AssertionError(f"only {page['total']} of {count} calls finished in {timeout}s")


async def test_one_api_two_workers_process_200_calls_each_side_effect_once(
    pg_url: str,
    tmp_path: Path,
    linear_emulator: LinearEmulator,
    slack: SlackEmulator,
) -> None:
    env = cluster_env(
        database_url=pg_url,
        data_dir=tmp_path / "data",
        linear_api_key=API_KEY,
        linear_api_url=linear_emulator.graphql_url,
        linear_team="CS",
    )
    env.update(slack_env(slack))
    with running_cluster(env, tmp_path / "logs", workers=2) as cluster:
        ids = await submit_all(cluster.url, CALLS)
        assert len(set(ids.values())) == CALLS
        await wait_until_all_awaiting_approval(cluster.url, CALLS, timeout=240)

        async with httpx.AsyncClient(base_url=cluster.url, timeout=30) as http:
            views = {
                n: (await http.get(f"/v1/calls/{call_id}")).json() for n, call_id in ids.items()
            }
        worker_logs = [(cluster.logs / f"worker-{i}.log").read_text() for i in range(2)]

    # Every call's items reached Linear exactly once, as that call's issues, and nothing else did.
    issues = {issue["id"]: issue for issue in linear_emulator.issues()}
    filed = [item["issue"]["id"] for view in views.values() for item in view["action_items"]]
    assert len(filed) == len(set(filed)) == len(issues)
    assert set(filed) == set(issues)
    for n, view in views.items():
        assert view["draft"]["status"] == "pending", f"call {n}"
        for item in view["action_items"]:
            issue = issues[item["issue"]["id"]]
            assert issue["title"] == item["title"]
            assert customer_of(issue["description"]) == f"Customer {n:03d}"
    # One approval message a call, each naming its own draft.
    messages = slack.top_level(CHANNEL)
    drafts = sorted(m["metadata"]["event_payload"]["draft_id"] for m in messages)
    assert drafts == sorted(view["draft"]["id"] for view in views.values())
    # Both workers took part: each analysed calls.
    assert all('"step": "analyze_call"' in log for log in worker_logs)
