"""Engine and sessions for the app database, and running its migrations.

SQLite (the default) gets WAL mode and a busy timeout so the API, the workflows and a CLI
command can share the file; PostgreSQL gets a pooled engine.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

from .files import private_sqlite_file

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

# One lock per process: two runtimes in one process (tests) must not migrate at once.
_migrate_lock = threading.Lock()


def make_engine(url: str) -> Engine:
    """An engine for ``url`` with the settings each database needs."""
    if url.startswith("sqlite"):
        private_sqlite_file(url)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def alembic_config(engine: Engine) -> Config:
    """An Alembic config pointing at our migrations and at ``engine``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration.

    On PostgreSQL an advisory lock serialises workers that start at the same moment.
    """
    with _migrate_lock:
        config = alembic_config(engine)
        if engine.dialect.name == "postgresql":
            with engine.connect() as conn:
                conn.execute(text("SELECT pg_advisory_lock(742315)"))
                try:
                    command.upgrade(config, "head")
                finally:
                    conn.execute(text("SELECT pg_advisory_unlock(742315)"))
                    conn.commit()
        else:
            command.upgrade(config, "head")
