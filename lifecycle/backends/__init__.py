"""Adapters of the :class:`~lifecycle.ports.Backend` port, and how the CLI opens one."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

from lifecycle.backends.memory import InMemoryBackend
from lifecycle.errors import ValidationException
from lifecycle.ports import Backend

__all__ = ["InMemoryBackend", "check_database", "default_database_path", "open_backend"]

_POSTGRES_SCHEMES = ("postgresql://", "postgres://")
_URL_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
_FORMS = "give a SQLite file path, ':memory:' or a postgresql:// URL"


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


def check_database(db: str) -> str:
    """``db`` if it has the form of a ``--db`` value :func:`open_backend` accepts.

    Raises:
        ValidationException: ``db`` (field ``db``) is not a string, is empty, holds a
            NUL character, is a URL of another scheme than ``postgresql://`` or
            ``postgres://`` or one libpq cannot parse, or names a directory.
    """
    if not isinstance(db, str):
        raise ValidationException.for_field("db", f"must be a string; {_FORMS}")
    if not db.strip():
        raise ValidationException.for_field("db", f"must not be empty; {_FORMS}")
    if "\0" in db:
        raise ValidationException.for_field("db", "must not contain a NUL character")
    if db.startswith(_POSTGRES_SCHEMES):
        try:
            from lifecycle.backends.postgres import parse_dsn
        except ImportError:  # open_backend says which extra to install
            return db
        parse_dsn(db, field="db")
        return db
    if scheme := _URL_SCHEME.match(db):
        raise ValidationException.for_field(
            "db", f"unsupported database URL {scheme.group()}; {_FORMS}"
        )
    if Path(db).is_dir():
        raise ValidationException.for_field("db", f"{db} is a directory; {_FORMS}")
    return db


def open_backend(db: str | None, *, read_only: bool = False) -> Backend:
    """The backend named by a ``--db`` value.

    ``None`` means the default SQLite file (its directory is created); ``:memory:`` a
    private in-process SQLite database; ``postgresql://...`` (or ``postgres://``) a
    PostgreSQL database (needs the ``postgres`` extra); any other path a SQLite file.
    ``read_only`` opens an existing database without writing anything to it.

    Raises:
        ValidationException: ``db`` is not one of these (see :func:`check_database`).
    """
    from lifecycle.backends.sqlite import SqliteBackend

    if db is None:
        path = default_database_path()
        if not read_only:
            path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteBackend(path, read_only=read_only)
    if check_database(db).startswith(_POSTGRES_SCHEMES):
        from lifecycle.backends.postgres import PostgresBackend

        return PostgresBackend(db, read_only=read_only)
    return SqliteBackend(db, read_only=read_only)
