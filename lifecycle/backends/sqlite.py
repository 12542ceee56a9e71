"""The SQLite backend: durable, embedded, on the standard library's ``sqlite3``.

WAL mode lets readers run beside the one writer; ``synchronous=NORMAL`` makes every
commit durable against a crash of the process (a power loss may lose the last
commits, never corrupt the file). Each thread (and each process after a fork) gets
its own connection; writers take the write lock at ``BEGIN IMMEDIATE`` and wait up to
``timeout`` seconds for it.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from lifecycle.backends.sql import EVENT_COLUMNS, SCHEMA_V2, Cursor, SqlBackend, schema_v1
from lifecycle.errors import InternalServerException, ValidationException

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        *schema_v1(
            serial="INTEGER PRIMARY KEY AUTOINCREMENT", blob="BLOB", without_rowid=" WITHOUT ROWID"
        ),
        "CREATE INDEX events_by_registration ON events (registration_id, id)",
    ),
    SCHEMA_V2,
)
"""Forward migrations: entry N brings the schema from version N to N + 1."""

_HINTS = {
    "locked": "another connection held the write lock for longer than the timeout",
    "readonly": "the database file or its directory is not writable",
    "read-only": "the database file or its directory is not writable",
    "full": "the disk (or the file system's quota) is full",
    "disk i/o": "the disk reported an I/O error",
    "unable to open": "the file cannot be opened (missing directory or no permission)",
}


class SqliteBackend(SqlBackend):
    """Registrations in a SQLite file (or ``":memory:"``), safe for threads and processes.

    Args:
        path: the database file; created with the schema if it does not exist, and
            migrated forward if it is older. ``":memory:"`` keeps a private database
            in this process.
        timeout: seconds a writer waits for the write lock before failing.

    Raises:
        ValidationException: the path is unusable or the file's schema is newer than
            this library.
        InternalServerException: SQLite failed (the message says why).
    """

    def __init__(self, path: str | os.PathLike[str], *, timeout: float = 10.0) -> None:
        if not isinstance(path, str | os.PathLike):
            raise ValidationException.for_field("path", "must be a file path or ':memory:'")
        self.path = str(path)
        self._timeout = timeout
        self._local = threading.local()
        if self.path == ":memory:":
            self._target = f"file:lifecycle-{uuid.uuid4().hex}?mode=memory&cache=shared"
            self._uri = True
            self._anchor = self._connect()  # a shared memory database lives while one is open
        else:
            if not Path(self.path).parent.is_dir():
                raise ValidationException.for_field(
                    "path", f"directory {Path(self.path).parent} does not exist"
                )
            self._target, self._uri = self.path, False
        self._migrate()

    def __repr__(self) -> str:
        return f"SqliteBackend({self.path!r})"

    # -- connections and transactions -------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(
                self._target,
                timeout=self._timeout,
                isolation_level=None,
                uri=self._uri,
                check_same_thread=True,
            )
            if not self._uri:
                conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
        except sqlite3.Error as exc:
            raise self._failure(exc) from exc
        return conn

    def _connection(self) -> sqlite3.Connection:
        local = self._local
        conn: sqlite3.Connection | None = getattr(local, "conn", None)
        if conn is None or local.pid != os.getpid():
            conn = local.conn = self._connect()
            local.pid = os.getpid()
        return conn

    def close(self) -> None:
        """Close this thread's connection (the next call opens a new one)."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            conn.close()

    @contextmanager
    def _transaction(self, write: bool) -> Iterator[Cursor]:
        with self._statement() as cur:
            conn = cur.connection
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield cur
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    # The rollback of a failed commit may fail too; nothing was written.
                    with contextlib.suppress(sqlite3.Error):
                        conn.execute("ROLLBACK")
                raise

    @contextmanager
    def _statement(self) -> Iterator[Cursor]:
        try:
            yield self._connection().cursor()
        except sqlite3.Error as exc:
            self.close()  # reconnect next time: the fault may be gone by then
            raise self._failure(exc) from exc

    def _failure(self, exc: sqlite3.Error) -> InternalServerException:
        text = str(exc)
        hint = next((h for k, h in _HINTS.items() if k in text.lower()), "")
        return InternalServerException(
            f"SQLite database {self.path}: {text}" + (f" ({hint})" if hint else "")
        )

    def _is_unique_violation(self, error: BaseException) -> bool:
        return isinstance(error, sqlite3.IntegrityError) and "UNIQUE" in str(error)

    def _log_statement(self, registration_id: str | None) -> str:
        only = "AND registration_id = ? " if registration_id is not None else ""
        return (
            f"SELECT 0, id, {', '.join(EVENT_COLUMNS)} FROM events "
            f"WHERE (0, id) > (?, ?) {only}ORDER BY id LIMIT ?"
        )

    # -- schema -----------------------------------------------------------------------

    def _migrate(self) -> None:
        with self._transaction(write=True) as cur:
            cur.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            current = cur.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] or 0
            if current > len(MIGRATIONS):
                raise ValidationException.for_field(
                    "path",
                    f"{self.path} has schema version {current}; this library knows up to "
                    f"{len(MIGRATIONS)}: upgrade lifecycle",
                )
            for version, statements in enumerate(MIGRATIONS[current:], start=current + 1):
                for statement in statements:
                    cur.execute(statement)
                cur.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))
            row = cur.execute("SELECT value FROM meta WHERE key = 'pagination_key'").fetchone()
            if row is None:
                key = secrets.token_bytes(32)
                cur.execute("INSERT INTO meta (key, value) VALUES ('pagination_key', ?)", (key,))
            else:
                key = bytes(row[0])
        self._pagination_key = key

    @property
    def schema_version(self) -> int:
        """The schema version of the database file."""
        with self._transaction(write=False) as cur:
            return int(cur.execute("SELECT MAX(version) FROM schema_version").fetchone()[0])
