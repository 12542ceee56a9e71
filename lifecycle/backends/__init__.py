"""Adapters of the :class:`~lifecycle.ports.Backend` port, and how the CLI opens one."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from lifecycle.backends.memory import InMemoryBackend
from lifecycle.ports import Backend

__all__ = ["InMemoryBackend", "default_database_path", "open_backend"]


def default_database_path() -> Path:
    """Where the CLI keeps its database unless told otherwise: ``lifecycle.db`` in the
    user's data directory (``$XDG_DATA_HOME/lifecycle``, ``~/.local/share/lifecycle``;
    ``~/Library/Application Support/lifecycle`` on macOS; ``%LOCALAPPDATA%\\lifecycle``
    on Windows)."""
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "lifecycle" / "lifecycle.db"


def open_backend(db: str | None) -> Backend:
    """The backend named by a ``--db`` value.

    ``None`` means the default SQLite file (its directory is created); ``:memory:`` a
    private in-process SQLite database; ``postgresql://...`` (or ``postgres://``) a
    PostgreSQL database (needs the ``postgres`` extra); anything else a SQLite file.
    """
    from lifecycle.backends.sqlite import SqliteBackend

    if db is None:
        path = default_database_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteBackend(path)
    if db.startswith(("postgresql://", "postgres://")):
        from lifecycle.backends.postgres import PostgresBackend

        return PostgresBackend(db)
    return SqliteBackend(db)
