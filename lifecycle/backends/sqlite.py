"""The SQLite backend: durable, embedded, on the standard library's ``sqlite3``.

WAL mode lets readers run beside the one writer; ``synchronous=NORMAL`` makes every
commit durable against a crash of the process (a power loss may lose the last
commits, never corrupt the file). Each thread (and each process after a fork) gets
its own connection; writers take the write lock at ``BEGIN IMMEDIATE`` and wait up to
``timeout`` seconds for it.

Opened read-only (``mode=ro``), it writes nothing at all: no migration, no WAL switch.
A database in a place this process cannot write to (a read-only mount, a directory
without write permission) is read as immutable when its WAL holds nothing, as SQLite
cannot keep its shared-memory index beside it.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from lifecycle.backends.sql import (
    EVENT_COLUMNS,
    SCHEMA_V2,
    SCHEMA_V3,
    SCHEMA_V7,
    Cursor,
    SqlBackend,
    check_schema_version,
    schema_v1,
    schema_v4,
    schema_v5,
    schema_v6,
)
from lifecycle.errors import InternalServerException, ValidationException, outside_commit
from lifecycle.validation import seconds

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        *schema_v1(
            serial="INTEGER PRIMARY KEY AUTOINCREMENT", blob="BLOB", without_rowid=" WITHOUT ROWID"
        ),
        "CREATE INDEX events_by_registration ON events (registration_id, id)",
    ),
    SCHEMA_V2,
    SCHEMA_V3,
    schema_v4(without_rowid=" WITHOUT ROWID"),
    schema_v5(serial="INTEGER PRIMARY KEY AUTOINCREMENT", blob="BLOB"),
    schema_v6(serial="INTEGER PRIMARY KEY AUTOINCREMENT"),
    SCHEMA_V7,
)
"""Forward migrations: entry N brings the schema from version N to N + 1."""

# What SQLite says when it cannot open a WAL database read-only because it may not
# create (or write) the -shm index beside it: CANTOPEN on a read-only mount (and for
# root), READONLY_DIRECTORY in a directory this user may not write to, and the other
# read-only codes of a -shm it may not use.
_CANNOT_WRITE_HERE = frozenset({
    sqlite3.SQLITE_CANTOPEN,
    sqlite3.SQLITE_READONLY_DIRECTORY,
    sqlite3.SQLITE_READONLY_CANTINIT,
    sqlite3.SQLITE_READONLY_CANTLOCK,
    sqlite3.SQLITE_READONLY_RECOVERY,
})  # fmt: skip

_HINTS = {
    "locked": "another connection held the write lock for longer than the timeout (a "
    "transactional subscriber waiting on another call?)",
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
        read_only: open an existing file without writing to it (for audits); every
            write fails with InternalServerException. A ``":memory:"`` database is new
            and private, so it is always writable.

    Raises:
        ValidationException: the path is unusable, or the file's schema is newer than
            this library, or older while read-only (it cannot be migrated then), or
            ``timeout`` is not a positive, finite number.
        InternalServerException: SQLite failed (the message says why).
    """

    clock = "((julianday('now') - 2440587.5) * 86400.0)"

    def __init__(
        self, path: str | os.PathLike[str], *, timeout: float = 10.0, read_only: bool = False
    ) -> None:
        if not isinstance(path, str | os.PathLike):
            raise ValidationException.for_field("path", "must be a file path or ':memory:'")
        self.path = str(path)
        self.read_only = read_only and self.path != ":memory:"
        self._timeout = seconds("timeout", timeout)
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
            if self.read_only:
                self._target, self._uri = self._read_only_target(), True
        self._migrate()

    def __repr__(self) -> str:
        return f"SqliteBackend({self.path!r})"

    def _read_only_target(self) -> str:
        """The URI that opens the file read-only: ``mode=ro``, and immutable where
        SQLite cannot create the shared-memory index beside a WAL database."""
        if not Path(self.path).is_file():
            raise ValidationException.for_field("path", f"no database file at {self.path}")
        uri = f"{Path(self.path).absolute().as_uri()}?mode=ro"
        try:
            with contextlib.closing(sqlite3.connect(uri, uri=True)) as probe:
                probe.execute("PRAGMA schema_version")
        except sqlite3.Error as exc:
            if exc.sqlite_errorcode not in _CANNOT_WRITE_HERE:
                raise self._failure(exc) from exc
            wal = Path(f"{self.path}-wal")
            if wal.exists() and wal.stat().st_size > 0:
                raise ValidationException.for_field(
                    "path",
                    f"{self.path} cannot be read read-only here: its write-ahead log {wal} "
                    "holds commits not yet in the file, and SQLite cannot create its "
                    f"{self.path}-shm index in that directory; copy the -shm file with it, "
                    "or open the database writable once",
                ) from None
            return f"{uri}&immutable=1"  # the file holds every commit, and we cannot write here
        return uri

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
        outside_commit("SqliteBackend")  # it would close the connection the commit runs on
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

    def _snapshot(self) -> AbstractContextManager[Cursor]:
        # A read transaction reads one WAL snapshot from its first statement to its end.
        return self._transaction(write=False)

    def _is_unique_violation(self, error: BaseException) -> bool:
        return isinstance(error, sqlite3.IntegrityError) and "UNIQUE" in str(error)

    def _log_statement(self, registration_id: str | None, *, settled: bool) -> str:
        # Commits are serialised: every event the reader sees is settled.
        only = "AND registration_id = ? " if registration_id is not None else ""
        return (
            f"SELECT 0, id, {', '.join(EVENT_COLUMNS)} FROM events "
            f"WHERE (0, id) > (?, ?) {only}ORDER BY id LIMIT ?"
        )

    # -- schema -----------------------------------------------------------------------

    def _migrate(self) -> None:
        with self._transaction(write=not self.read_only) as cur:
            if not self.read_only:
                cur.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            elif not cur.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
            ).fetchone():
                raise ValidationException.for_field(
                    "path", f"{self.path} is not a lifecycle database"
                )
            current = cur.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] or 0
            check_schema_version(
                current, len(MIGRATIONS), "path", self.path, read_only=self.read_only
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
