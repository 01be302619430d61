"""Throughput of the whole pipeline: calls per minute, peak memory, and where the CPU goes.

Runs real deployments against local emulators (the model answers at once from a script, as
do Linear and Slack): one API process plus 1, 2 and 4 ``cs-agent worker`` processes on
PostgreSQL, and one ``cs-agent serve`` process on SQLite. Each call is analysed by the Claude
agent, so every call starts the bundled ``claude`` CLI. For each setup it prints:

- calls per minute, from the first submission until every call awaits approval;
- peak RSS of the largest cs-agent process (the ``claude`` processes are short-lived and
  counted separately);
- mean CPU seconds per call in our own processes (API and workers) and in the ``claude``
  CLI processes they started (the kernel's children-time of each worker).

A warm-up batch runs first, so one-time costs (imports, building Linear's schema) are not
counted against the measured calls.

Run: ``.venv/bin/python bench/throughput.py [--calls 24]`` (PostgreSQL on 127.0.0.1:5432).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.e2e.cluster import cluster_env, running_cluster
from tests.emulators.anthropic import AnthropicEmulator
from tests.emulators.linear import API_KEY, LinearEmulator, seed
from tests.emulators.scripted_calls import example, extraction_turns
from tests.emulators.slack import SlackEmulator
from tests.slack_env import slack_emulator, slack_env

PG_ADMIN = os.environ.get("CS_AGENT_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Result:
    setup: str
    calls: int
    seconds: float
    peak_rss_mb: float
    ours_cpu_per_call: float
    cli_cpu_per_call: float

    @property
    def per_minute(self) -> float:
        return self.calls / self.seconds * 60


def cpu_seconds(pid: int) -> tuple[float, float]:
    """(own CPU, CPU of reaped children) of a process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    utime, stime, cutime, cstime = (int(fields[i]) for i in (11, 12, 13, 14))
    return (utime + stime) / CLOCK_TICKS, (cutime + cstime) / CLOCK_TICKS


def peak_rss_mb(pid: int) -> float:
    """The process's high-water mark of resident memory (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def fresh_database() -> str:
    name = f"cs_agent_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{PG_ADMIN.rsplit('/', 1)[0]}/{name}"


def drop_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


TRANSCRIPT = (Path(__file__).resolve().parents[1] / "examples" / "acme-renewal.vtt").read_text()


async def submit_and_wait(
    cluster_url: str, model: AnthropicEmulator, calls: int, *, first: int = 0
) -> float:
    """Submit ``calls`` copies of the 30-minute example (each its own call); seconds to finish.

    Numbering starts at ``first``, so a warm-up batch and the measured one do not collide.
    """
    call = example("acme-renewal")
    text = TRANSCRIPT
    meta = call.metadata.model_dump(mode="json")
    started = time.monotonic()
    async with httpx.AsyncClient(base_url=cluster_url, timeout=60) as http:

        async def one(n: int) -> None:
            # The model's script for this call is found by the call's title in the prompt;
            # fixed-width numbers, so no title is a prefix of another ("#1" of "#10").
            title = f"Acme Freight renewal call #{n:04d}"
            model.script(extraction_turns(call), marker=title)
            body = {**meta, "title": title, "source_id": f"bench-{n}", "transcript": text}
            body["customer"] = {"name": f"Acme Freight {n}", "domain": "acmefreight.example"}
            response = await http.post("/v1/transcripts", json=body)
            response.raise_for_status()

        await asyncio.gather(*(one(n) for n in range(first, first + calls)))
        target = first + calls
        while True:
            page = (
                await http.get("/v1/calls", params={"status": "awaiting_approval", "limit": 1})
            ).json()
            failed = (await http.get("/v1/calls", params={"status": "failed", "limit": 1})).json()
            if failed["total"]:
                raise RuntimeError(f"a call failed: {failed['calls'][0]['failure_reason']}")
            if page["total"] == target:
                return time.monotonic() - started
            await asyncio.sleep(0.2)


def cpu_totals(processes: list[int]) -> tuple[float, float]:
    """Summed (own, children) CPU seconds of ``processes``."""
    times = [cpu_seconds(pid) for pid in processes]
    return sum(t[0] for t in times), sum(t[1] for t in times)


def measure(
    setup: str,
    processes: list[int],
    seconds: float,
    calls: int,
    before: tuple[float, float],
) -> Result:
    ours_now, cli_now = cpu_totals(processes)
    ours, cli = ours_now - before[0], cli_now - before[1]
    return Result(
        setup=setup,
        calls=calls,
        seconds=seconds,
        peak_rss_mb=max(peak_rss_mb(pid) for pid in processes),
        ours_cpu_per_call=ours / calls,
        cli_cpu_per_call=cli / calls,
    )


def run_setup(
    setup: str,
    *,
    workers: int,
    postgres: bool,
    calls: int,
    model: AnthropicEmulator,
    linear: LinearEmulator,
    slack: SlackEmulator,
) -> Result:
    # Each setup numbers its calls from 0 again: forget the last setup's scripts, issues and
    # messages, so no leftover turn answers a new conversation.
    model.reset()
    linear.reset()
    seed(linear, team="CS")
    with tempfile.TemporaryDirectory() as tmp:
        database = fresh_database() if postgres else f"sqlite:///{tmp}/data/cs-agent.db"
        env = cluster_env(
            database_url=database,
            data_dir=Path(tmp) / "data",
            analyzer="claude",
            linear_api_key=API_KEY,
            linear_api_url=linear.graphql_url,
            linear_team="CS",
            worker_concurrency="4",
            # The production defaults: the tests' quick death detection (3 s) would take a
            # worker starved of CPU by a dozen CLI processes for dead, and run its work twice.
            worker_heartbeat_seconds="5",
            worker_timeout_seconds="30",
        )
        env.update(slack_env(slack))
        if not postgres:
            del env["CS_AGENT_DATABASE_URL"]  # the default: SQLite in the data directory
        env.update(
            {
                "ANTHROPIC_API_KEY": "sk-ant-bench",
                "ANTHROPIC_BASE_URL": model.url,
                "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
                "CLAUDE_CONFIG_DIR": str(Path(tmp) / "claude-config"),
            }
        )
        try:
            with running_cluster(
                env, Path(tmp) / "logs", workers=workers, api_runs_workflows=not postgres
            ) as cluster:
                pids = [p.pid for p in [cluster.api, *cluster.workers] if p is not None]
                # Warm-up: every process loads what it loads once (Linear's schema, the CLI).
                asyncio.run(submit_and_wait(cluster.url, model, max(workers, 1) * 2))
                before = cpu_totals(pids)
                seconds = asyncio.run(
                    submit_and_wait(cluster.url, model, calls, first=max(workers, 1) * 2)
                )
                return measure(setup, pids, seconds, calls, before)
        finally:
            if postgres:
                drop_database(database)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=24, help="calls per setup")
    args = parser.parse_args()
    setups = [
        ("PostgreSQL, API + 1 worker", 1, True),
        ("PostgreSQL, API + 2 workers", 2, True),
        ("PostgreSQL, API + 4 workers", 4, True),
        ("SQLite, one process", 0, False),
    ]
    model, linear, slack = (
        AnthropicEmulator().start(),
        LinearEmulator().start(),
        slack_emulator().start(),
    )
    results = []
    try:
        for name, workers, postgres in setups:
            results.append(
                run_setup(
                    name,
                    workers=workers,
                    postgres=postgres,
                    calls=args.calls,
                    model=model,
                    linear=linear,
                    slack=slack,
                )
            )
            print(f"  done: {name}", flush=True)
    finally:
        for emulator in (model, linear, slack):
            emulator.stop()
    print(
        f"\ncs-agent throughput ({args.calls} calls a setup, 30-minute call, 8 items, Claude agent)"
    )
    print(f"machine: {os.cpu_count()} CPUs\n")
    header = f"{'setup':30} {'calls/min':>10} {'peak RSS MB':>12} {'CPU s/call ours':>16} {'CPU s/call claude CLI':>22}"
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r.setup:30} {r.per_minute:10.1f} {r.peak_rss_mb:12.0f} "
            f"{r.ours_cpu_per_call:16.2f} {r.cli_cpu_per_call:22.2f}"
        )
    print(
        "\nCPU 'ours' is API + worker processes; 'claude CLI' is the CPU of the CLI processes the "
        "workers started (kernel children time). Peak RSS is the largest cs-agent process."
    )


if __name__ == "__main__":
    main()
