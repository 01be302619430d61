"""The API restarted (gracefully, then killed) while clients submit: every 202 is processed."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import httpx

from ..conftest import EXAMPLES
from .cluster import Cluster, cluster_env, running_cluster

TRANSCRIPT = (EXAMPLES / "initech-escalation.txt").read_text()


async def keep_submitting(url: str, accepted: dict[str, str], stop: asyncio.Event, n0: int) -> None:
    """Post calls until ``stop``; remember every call a 202 (or 200) was given for."""
    n = n0
    async with httpx.AsyncClient(base_url=url, timeout=10) as http:
        while not stop.is_set():
            source_id = f"restart-{n}"
            n += 1
            try:
                response = await http.post(
                    "/v1/transcripts",
                    json={"transcript": TRANSCRIPT, "source_id": source_id, "title": source_id},
                )
            except httpx.HTTPError:
                await asyncio.sleep(0.05)  # the API is down: what was not answered is not ours
                continue
            if response.status_code in (200, 202):
                accepted[source_id] = response.json()["call_id"]
            else:
                assert response.status_code == 503, response.text
            await asyncio.sleep(0.3)  # a steady trickle: the point is the restarts, not volume


def restart(cluster: Cluster, how: signal.Signals) -> None:
    assert cluster.api is not None
    cluster.api.send_signal(how)
    cluster.api.wait(timeout=30)
    cluster.start_api()


async def test_restarting_the_api_under_load_loses_no_accepted_call(
    pg_url: str, tmp_path: Path
) -> None:
    env = cluster_env(database_url=pg_url, data_dir=tmp_path / "data")
    accepted: dict[str, str] = {}
    with running_cluster(env, tmp_path / "logs", workers=1) as cluster:
        stop = asyncio.Event()
        clients = [
            asyncio.create_task(keep_submitting(cluster.url, accepted, stop, 100_000 * i))
            for i in range(4)
        ]
        await asyncio.sleep(2)
        for how in (signal.SIGTERM, signal.SIGKILL):
            before = len(accepted)
            await asyncio.to_thread(restart, cluster, how)
            await asyncio.sleep(2)
            assert len(accepted) > before, f"the API accepts calls again after {how.name}"
        stop.set()
        await asyncio.gather(*clients)

        deadline = time.monotonic() + 180
        async with httpx.AsyncClient(base_url=cluster.url, timeout=30) as http:
            while True:
                page = (await http.get("/v1/calls", params={"limit": 1})).json()
                done = (
                    await http.get("/v1/calls", params={"status": "awaiting_approval", "limit": 1})
                ).json()
                if done["total"] >= len(accepted) or time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.5)
            statuses = {}
            for source_id, call_id in accepted.items():
                response = await http.get(f"/v1/calls/{call_id}")
                assert response.status_code == 200, f"{source_id} was accepted but is unknown"
                statuses[source_id] = response.json()["status"]

    assert len(accepted) > 30
    assert set(statuses.values()) == {"awaiting_approval"}, statuses
    assert page["total"] >= len(accepted)
