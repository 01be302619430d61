"""Files that hold customer data are private to the user running cs-agent.

The data folder (transcripts, the outbox, the SQLite databases, the Gmail token) is created
0700 and each SQLite database 0600 before SQLite opens it: SQLite gives its ``-wal`` and
``-shm`` files the database file's mode, so they are private too. A database left 0644 by an
earlier version is tightened when it is next opened.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """Create ``path`` (and its parents) as a folder only its owner can enter.

    A folder that already exists keeps its mode unless it is ours and open to others: a data
    folder the user shares on purpose (a mounted volume owned by someone else) is left alone.
    """
    if not path.exists():
        path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        # mkdir's mode is filtered by the umask; set it exactly.
        path.chmod(DIR_MODE)
    else:
        _tighten(path, DIR_MODE)
    return path


def private_sqlite_file(url: str) -> None:
    """Make the SQLite database of ``url`` (``sqlite:///path``) a private file, creating it empty.

    Does nothing for other databases and for an in-memory SQLite.
    """
    if not url.startswith("sqlite:///"):
        return
    name = url.removeprefix("sqlite:///")
    if not name or name == ":memory:":
        return
    path = Path(name)
    private_dir(path.parent)
    # O_CREAT with mode 0600: the file is never visible with a wider mode, even for a moment.
    fd = os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE)
    os.close(fd)
    for companion in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if companion.exists():
            _tighten(companion, FILE_MODE)


def _tighten(path: Path, mode: int) -> None:
    info = path.stat()
    if info.st_uid != os.getuid():
        return
    if stat.S_IMODE(info.st_mode) & ~mode:
        path.chmod(mode)
