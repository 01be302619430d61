"""Benchmark transcript intake: signed 30-minute transcripts posted to the real server.

Starts ``cs-agent serve --api-only`` (uvicorn, one process, SQLite in a temporary data
directory, the workflows enqueued but not executed: no worker runs them) and, for comparison,
a bare FastAPI endpoint that only reads the body, served by uvicorn in the same way. Then
posts ``--requests`` signed copies of ``examples/acme-renewal.vtt`` (each with its own
source id) from ``--clients`` concurrent keep-alive connections on loopback, and prints
requests/s, p50/p99 latency and the server's CPU time a request for each, their ratio, and a
loss count: every 202 must have its call row and its queued ``process_call`` workflow.

Run: ``.venv/bin/python bench/intake.py`` (``--help`` for the knobs).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

ROOT = Path(__file__).resolve().parent.parent
TRANSCRIPT = ROOT / "examples" / "acme-renewal.vtt"
METADATA = ROOT / "examples" / "acme-renewal.meta.json"
SECRET = b"bench-webhook-secret"
TARGET_P99_MS = 50.0
TARGET_RATIO = 0.5


@dataclass
class Result:
    """What one load run measured."""

    name: str
    requests: int
    seconds: float
    latencies: list[float]
    statuses: dict[int, int]
    cpu_seconds: float
    bodies: list[bytes] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


# --- the bare endpoint -------------------------------------------------------------------------


def serve_bare(port: int) -> None:
    """A FastAPI app whose one route reads the body and answers 202: the floor to compare with."""
    app = FastAPI()

    @app.post("/bare")
    async def bare(request: Request) -> JSONResponse:
        body = await request.body()
        return JSONResponse({"received": len(body)}, status_code=202)

    uvicorn.run(app, host="127.0.0.1", port=port, log_config=None, access_log=False)


# --- servers -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start(command: list[str], env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {proc.stderr.read().decode() if proc.stderr else ''}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"server on port {port} did not start")


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- the load ----------------------------------------------------------------------------------


def signed_requests(path: str, count: int, run: str) -> list[bytes]:
    """``count`` HTTP/1.1 requests, each a signed JSON body with its own source id."""
    from cs_agent.core.signatures import SignedRequest, signature_header

    text = TRANSCRIPT.read_text(encoding="utf-8")
    metadata = json.loads(METADATA.read_text(encoding="utf-8"))
    requests = []
    for i in range(count):
        body = json.dumps(
            {**metadata, "transcript": text, "source_id": f"bench-{run}-{i}"}
        ).encode()
        signature = signature_header(
            SECRET, int(time.time()), SignedRequest("POST", path, "", body)
        )
        head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nX-CS-Agent-Signature: {signature}\r\n\r\n"
        )
        requests.append(head.encode() + body)
    return requests


async def _client(
    port: int,
    requests: list[bytes],
    latencies: list[float],
    statuses: dict[int, int],
    bodies: list[bytes],
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for request in requests:
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            body = await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            status = int(head[9:12])
            statuses[status] = statuses.get(status, 0) + 1
            bodies.append(body)
    finally:
        writer.close()


async def load(name: str, port: int, pid: int, requests: list[bytes], clients: int) -> Result:
    """Send ``requests`` over ``clients`` concurrent connections; measure."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    bodies: list[bytes] = []
    cpu_before = cpu_seconds(pid)
    started = time.perf_counter()
    await asyncio.gather(
        *(_client(port, requests[k::clients], latencies, statuses, bodies) for k in range(clients))
    )
    seconds = time.perf_counter() - started
    cpu = cpu_seconds(pid) - cpu_before
    return Result(name, len(requests), seconds, latencies, statuses, cpu, bodies)


# --- the loss check ----------------------------------------------------------------------------


def count_losses(data_dir: Path, call_ids: list[str]) -> tuple[int, int]:
    """(calls without a row, calls without a queued workflow) among ``call_ids``."""
    app = sqlite3.connect(f"file:{data_dir / 'cs-agent.db'}?mode=ro", uri=True)
    system = sqlite3.connect(f"file:{data_dir / 'workflows.db'}?mode=ro", uri=True)
    try:
        rows = {row[0] for row in app.execute("SELECT id FROM calls")}
        queued = {
            row[0]
            for row in system.execute(
                "SELECT workflow_uuid FROM workflow_status "
                "WHERE name = 'process_call' AND queue_name = 'cs-agent-calls' "
                "AND status = 'ENQUEUED'"
            )
        }
    finally:
        app.close()
        system.close()
    missing_rows = sum(1 for call_id in call_ids if call_id not in rows)
    missing_workflows = sum(1 for call_id in call_ids if f"process-call:{call_id}" not in queued)
    return missing_rows, missing_workflows


# --- main --------------------------------------------------------------------------------------


def report(result: Result) -> None:
    statuses = ", ".join(f"{code}: {n}" for code, n in sorted(result.statuses.items()))
    print(
        f"{result.name:<22} {result.rate:8.0f} req/s   p50 {result.percentile(0.50):6.1f} ms   "
        f"p99 {result.percentile(0.99):6.1f} ms   max {max(result.latencies) * 1000:6.1f} ms   "
        f"server CPU {result.cpu_seconds / result.requests * 1000:5.2f} ms/req   [{statuses}]"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--bare-server", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare_server:
        serve_bare(args.bare_server)
        return 0

    words = len(TRANSCRIPT.read_text(encoding="utf-8").split())
    print(
        f"intake benchmark: {args.requests} signed POST /v1/transcripts of {TRANSCRIPT.name} "
        f"({TRANSCRIPT.stat().st_size / 1024:.0f} KiB, ~{words} words, a 30-minute call), "
        f"{args.clients} concurrent clients, loopback; workflows enqueued, not executed"
    )
    with tempfile.TemporaryDirectory(prefix="cs-agent-bench-") as tmp:
        data_dir = Path(tmp)
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("CS_AGENT_", "ANTHROPIC_"))
        }
        env.update(
            CS_AGENT_DATA_DIR=str(data_dir),
            CS_AGENT_WEBHOOK_SECRET=SECRET.decode(),
            CS_AGENT_ANALYZER="rules",
        )
        bare_port, real_port = free_port(), free_port()
        bare = start([sys.executable, __file__, "--bare-server", str(bare_port)], env, bare_port)
        try:
            warm = signed_requests("/bare", 100, "warm")
            asyncio.run(load("warm-up", bare_port, bare.pid, warm, 10))
            bare_result = asyncio.run(
                load(
                    "bare endpoint",
                    bare_port,
                    bare.pid,
                    signed_requests("/bare", args.requests, "bare"),
                    args.clients,
                )
            )
        finally:
            stop(bare)
        server_cmd = [
            str(Path(sys.executable).with_name("cs-agent")),
            "serve",
            "--api-only",
            "--no-access-log",
            "--port",
            str(real_port),
        ]
        server = start(server_cmd, env, real_port)
        try:
            warm = signed_requests("/v1/transcripts", 100, "warm")
            warm_result = asyncio.run(load("warm-up", real_port, server.pid, warm, 10))
            result = asyncio.run(
                load(
                    "POST /v1/transcripts",
                    real_port,
                    server.pid,
                    signed_requests("/v1/transcripts", args.requests, "run"),
                    args.clients,
                )
            )
        finally:
            stop(server)

        accepted = [
            json.loads(body)["call_id"]
            for r in (warm_result, result)
            for body in r.bodies
            if b'"call_id"' in body
        ]
        missing_rows, missing_workflows = count_losses(data_dir, accepted)

    report(bare_result)
    report(result)
    ratio = result.rate / bare_result.rate
    errors = sum(n for code, n in result.statuses.items() if code != 202)
    loss = missing_rows + missing_workflows
    print(
        f"throughput ratio (intake / bare): {ratio:.2f}   "
        f"accepted: {len(accepted)}   errors (non-202): {errors}   "
        f"loss: {loss} ({missing_rows} without a call row, {missing_workflows} without a queued "
        "workflow)"
    )
    cpu_bare = bare_result.cpu_seconds / bare_result.requests * 1000
    cpu_intake = result.cpu_seconds / result.requests * 1000
    print(
        f"server CPU a request: intake {cpu_intake:.2f} ms, bare {cpu_bare:.2f} ms "
        f"(CPU-bound capacity ratio {cpu_bare / cpu_intake:.2f}; unlike req/s, this does not "
        "depend on what else the machine is running)"
    )
    p99 = result.percentile(0.99)
    checks = [
        (f"p99 {p99:.1f} ms < {TARGET_P99_MS:.0f} ms", p99 < TARGET_P99_MS),
        (f"throughput ratio {ratio:.2f} >= {TARGET_RATIO}", ratio >= TARGET_RATIO),
        (f"loss {loss} == 0", loss == 0),
    ]
    for label, ok in checks:
        print(f"  {'met' if ok else 'MISSED'}: {label}")
    median = statistics.median(result.latencies) * 1000
    print(f"(intake median {median:.1f} ms; server CPU excludes the load generator)")
    return 0 if loss == 0 and errors == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
