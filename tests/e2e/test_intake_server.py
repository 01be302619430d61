"""Intake through a real server process: a 202 survives a kill; uploads over the limit are cut
off on the wire; ``cs-agent serve`` will not listen publicly with intake open."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from cs_agent.api.app import create_app
from cs_agent.bootstrap.runtime import Runtime
from cs_agent.config import Settings
from cs_agent.core import ids
from cs_agent.services import queues
from cs_agent.services.views import load_call_view

from ..conftest import EXAMPLES, REPO_ROOT
from .intake_helpers import LIMIT, TOKEN, bearer, live_server

VTT = (EXAMPLES / "acme-renewal.vtt").read_text(encoding="utf-8")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def serve(*args: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "cs_agent", "serve", *args],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def wait_for_port(proc: subprocess.Popen[bytes], port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(proc.stderr.read().decode() if proc.stderr else "exited")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise AssertionError("the server did not start")


async def test_an_accepted_call_survives_killing_the_server(settings: Settings) -> None:
    port = free_port()
    env = {**os.environ, "CS_AGENT_API_TOKEN": TOKEN}
    proc = serve("--api-only", "--port", str(port), env=env)
    try:
        wait_for_port(proc, port)
        response = httpx.post(
            f"http://127.0.0.1:{port}/v1/transcripts",
            json={"transcript": VTT, "source_id": "kill-me"},
            headers=bearer(),
            timeout=30,
        )
    finally:
        proc.kill()  # SIGKILL right after the answer: no shutdown, no flushing
        proc.wait(timeout=10)
    assert response.status_code == 202, response.text
    call_id = response.json()["call_id"]

    runtime = Runtime(settings)
    await runtime.start()  # a new process with workers: it finds the queued workflow
    try:
        await queues.wait_for(ids.process_call_workflow_id(call_id), timeout=60)
        view = load_call_view(runtime, call_id)
        assert view is not None
        assert view.status == "awaiting_approval"
        assert view.words > 4000  # counted when the workflow parsed the stored text
        assert view.draft is not None
    finally:
        await runtime.stop()


@pytest.fixture
def live_url(settings: Settings) -> Iterator[str]:
    secured = settings.model_copy(
        update={"api_token": SecretStr(TOKEN), "max_transcript_bytes": LIMIT}
    )
    with live_server(create_app(secured, run_workflows=False)) as url:
        yield url


def test_a_chunked_upload_over_the_limit_gets_413_on_the_wire(live_url: str) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(200):  # 12.8 MB offered, with no Content-Length
            yield b"x" * 65536

    with httpx.Client(timeout=30) as client:
        response = client.post(
            f"{live_url}/v1/transcripts",
            content=chunks(),
            headers={**bearer(), "content-type": "application/json"},
        )
    assert response.status_code == 413
    assert response.json()["error"] == "too_large"
    # The app stopped reading at the limit (see test_intake.py); the server drains the rest
    # of the upload without keeping it, so the client still gets this answer.


def test_a_declared_oversize_upload_gets_413_on_the_wire(live_url: str) -> None:
    with httpx.Client(timeout=30) as client:
        response = client.post(
            f"{live_url}/v1/transcripts",
            content=b"x" * (LIMIT + 1),
            headers={**bearer(), "content-type": "application/json"},
        )
    assert response.status_code == 413
    assert f"{LIMIT + 1} bytes" in response.json()["detail"]


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.10", "::"])  # noqa: S104
def test_serve_refuses_a_public_address_with_intake_open(
    isolated_environment: Path, host: str
) -> None:
    proc = serve("--host", host, "--port", "9", env=dict(os.environ))
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 2
    message = " ".join(stderr.decode().split())
    assert f"refusing to listen on {host}" in message
    assert "CS_AGENT_WEBHOOK_SECRET" in message


def test_serve_on_loopback_with_intake_open_says_so(isolated_environment: Path) -> None:
    port = free_port()
    proc = serve("--port", str(port), "--api-only", env=dict(os.environ))
    try:
        wait_for_port(proc, port)
    finally:
        proc.terminate()
        _, stderr = proc.communicate(timeout=30)
    assert "intake is OPEN" in " ".join(stderr.decode().split())
