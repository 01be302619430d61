"""A real ``cs-agent serve`` (SQLite, workflows in the same process) kept busy by a large call.

Shared by the test that the server keeps answering while it analyses (``test_busy_server.py``)
and by ``bench/loop_latency.py``, which measures how fast it answers meanwhile.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = REPO_ROOT / "examples" / "initech-escalation.txt"
LARGE_BYTES = 4_500_000
"""Just under the default 5 MiB request limit once wrapped in JSON."""
SMALL_CALL_EMAIL = "nora@initech.example"


def large_transcript(target_bytes: int = LARGE_BYTES) -> str:
    """A plain-text transcript of about ``target_bytes``: the example call said over and over."""
    lines = [
        line.split("] ", 1)[1]
        for line in EXAMPLE.read_text(encoding="utf-8").splitlines()
        if "] " in line
    ]
    out: list[str] = []
    size = second = 0
    while size < target_bytes:
        second += 7
        hours, rest = divmod(second, 3600)
        line = f"[{hours:02d}:{rest // 60:02d}:{rest % 60:02d}] {lines[len(out) % len(lines)]}\n"
        out.append(line)
        size += len(line.encode("utf-8"))
    return "".join(out)


def submission(transcript: str, n: int) -> dict[str, Any]:
    """An intake body for ``transcript`` with a customer-side recipient, so it can be approved."""
    return {
        "transcript": transcript,
        "title": f"Escalation {n}",
        "call_date": "2026-10-08",
        "customer": {"name": "Initech", "domain": "initech.example"},
        "attendees": [
            {"name": "Nora Pham", "email": SMALL_CALL_EMAIL, "side": "customer"},
            {"name": "Elena Marsh", "email": "elena@brightwave.example", "side": "us"},
        ],
        "source_id": f"busy-{n}",
    }


def server_env(data_dir: Path, **settings: str) -> dict[str, str]:
    """A clean environment: embedded defaults in ``data_dir``, plus ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CS_AGENT_", "ANTHROPIC_"))}
    env.update(
        CS_AGENT_DATA_DIR=str(data_dir),
        CS_AGENT_COMPANY_NAME="Brightwave",
        CS_AGENT_DBOS_LOG_LEVEL="ERROR",
        PYTHONUNBUFFERED="1",
    )
    env.update(settings)
    return env


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_server(env: dict[str, str], log: Path) -> Iterator[str]:
    """``cs-agent serve`` on a free loopback port until the block ends; yields its URL."""
    port = free_port()
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "cs_agent", "serve", "--port", str(port), "--no-access-log"],
            cwd=REPO_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the server did not start:\n{log.read_text()[-3000:]}")
                try:
                    if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.1)
            yield url
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


async def submit(client: httpx.AsyncClient, body: dict[str, Any]) -> str:
    """POST a call; its id."""
    response = await client.post("/v1/transcripts", json=body)
    assert response.status_code == 202, response.text[:500]
    return str(response.json()["call_id"])


async def status_of(client: httpx.AsyncClient, call_id: str) -> str:
    """The call's status as the API shows it."""
    response = await client.get(f"/v1/calls/{call_id}")
    assert response.status_code == 200, response.text[:500]
    return str(response.json()["status"])


async def wait_for_status(
    client: httpx.AsyncClient, call_id: str, wanted: set[str], timeout: float = 120
) -> str:
    """Poll until the call is in one of ``wanted``; fails on ``failed`` or after ``timeout``."""
    deadline = time.monotonic() + timeout
    seen = ""
    while time.monotonic() < deadline:
        seen = await status_of(client, call_id)
        if seen in wanted:
            return seen
        assert seen != "failed", f"call {call_id} failed"
        await asyncio.sleep(0.02)
    raise AssertionError(f"call {call_id} is {seen!r}, not {wanted} after {timeout}s")
