"""Fixtures the adapter tests share: an app database and a real SMTP server with TLS."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from storage.db import make_engine, migrate

from ...emulators.smtp import SmtpTestServer


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'app.db'}")
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[SmtpTestServer]:
    server = SmtpTestServer(tmp_path / "smtp").start()
    yield server
    server.stop()
