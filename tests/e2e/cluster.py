"""A real deployment in miniature: one API process and N worker processes on PostgreSQL.

Each process is ``python -m cs_agent serve --api-only`` or ``python -m cs_agent worker``,
configured only through the environment, exactly as a user would run them. Used by the
scale-out and crash tests and by ``bench/throughput.py``.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

REPO_ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Cluster:
    """The processes of one deployment and how to reach its API."""

    env: dict[str, str]
    logs: Path
    api_port: int = field(default_factory=free_port)
    api: subprocess.Popen[bytes] | None = None
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def url(self) -> str:
        """The API's base URL."""
        return f"http://127.0.0.1:{self.api_port}"

    def _spawn(
        self, name: str, *args: str, extra_env: dict[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        log = (self.logs / f"{name}.log").open("ab")
        return subprocess.Popen(
            [sys.executable, "-m", "cs_agent", *args],
            cwd=REPO_ROOT,
            env={**self.env, **(extra_env or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def start_api(self, timeout: float = 60, *, workflows: bool = False) -> None:
        """Start the server (API only, unless ``workflows``) and wait until it answers."""
        mode = "--workflows" if workflows else "--api-only"
        self.api = self._spawn(
            "api", "serve", mode, "--host", "127.0.0.1", "--port", str(self.api_port)
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.api.poll() is not None:
                raise RuntimeError(f"API exited: {self.log('api')}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"API did not come up: {self.log('api')}")

    def stop_api(self) -> None:
        """Stop the API (SIGTERM, as an orchestrator would)."""
        if self.api is not None:
            self.api.send_signal(signal.SIGTERM)
            self.api.wait(timeout=30)
            self.api = None

    def start_worker(self, extra_env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        """Start one more worker process."""
        worker = self._spawn(f"worker-{len(self.workers)}", "worker", extra_env=extra_env)
        self.workers.append(worker)
        return worker

    def log(self, name: str) -> str:
        """What a process printed so far (its last 4,000 characters)."""
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def stop(self) -> None:
        """Stop everything still running."""
        procs = [p for p in [self.api, *self.workers] if p is not None]
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def cluster_env(*, database_url: str, data_dir: Path, **settings: str) -> dict[str, str]:
    """The environment of every process: the database, the data dir, and integration settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CS_AGENT_")}
    env.update(
        {
            "CS_AGENT_DATABASE_URL": database_url,
            "CS_AGENT_DATA_DIR": str(data_dir),
            "CS_AGENT_WORKER_HEARTBEAT_SECONDS": "0.5",
            "CS_AGENT_WORKER_TIMEOUT_SECONDS": "3",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update({f"CS_AGENT_{key.upper()}": value for key, value in settings.items()})
    return env


@contextmanager
def running_cluster(
    env: dict[str, str],
    logs: Path,
    *,
    workers: int,
    api: bool = True,
    api_runs_workflows: bool = False,
) -> Iterator[Cluster]:
    """A cluster with an API (optional) and ``workers`` worker processes, stopped afterwards."""
    logs.mkdir(parents=True, exist_ok=True)
    cluster = Cluster(env=env, logs=logs)
    try:
        if api:
            cluster.start_api(workflows=api_runs_workflows)
        for _ in range(workers):
            cluster.start_worker()
        yield cluster
    finally:
        cluster.stop()
