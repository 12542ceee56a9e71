"""The PostgreSQL backend: many workers on many machines, one database.

Needs the ``postgres`` extra (``pip install 'lifecycle[postgres]'``: psycopg 3 and its
pool). Transactions run at READ COMMITTED: of two writers racing on one
registration, the loser gets ConflictException (the revision compare-and-set of its
UPDATE finds the winner's revision) and writes nothing, while writers to different
registrations never fail each other, though they share a row (an account's quota
usage, which each updates in place, in turn). Every read is one statement: one
snapshot, one round trip.

A connection the server dropped fails the call that finds it with
InternalServerException; the pool then discards every dead idle connection, so the
next call succeeds once the server is back.

Event ids come from a sequence, so two transactions can commit their events out of
id order. The log therefore orders events by (committing transaction, id) and shows a
reader only the events of transactions older than every transaction still running:
a cursor that resumes after the last position it saw misses nothing. A snapshot
(REPEATABLE READ, read-only) shows every event its transaction sees instead, so that
the log and the registrations agree. Leases are timed by the server's clock.

Opened read-only, it migrates nothing and its sessions refuse every write.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

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
from lifecycle.errors import (
    ConflictException,
    InternalServerException,
    ValidationException,
    one_line,
    outside_commit,
)
from lifecycle.validation import seconds

try:
    import psycopg
    import psycopg.conninfo
    from psycopg import errors as pg_errors
    from psycopg_pool import ConnectionPool
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise ImportError(
        "lifecycle.backends.postgres needs psycopg 3 and psycopg-pool: "
        "pip install 'lifecycle[postgres]'"
    ) from exc

_XMIN = "pg_snapshot_xmin(pg_current_snapshot())::text::bigint"

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        *schema_v1(
            serial="BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
            blob="BYTEA",
            # The committing transaction of each event: what the log is ordered by.
            event_columns=" txid BIGINT NOT NULL DEFAULT (pg_current_xact_id()::text::bigint),",
        ),
        "CREATE INDEX events_by_position ON events (txid, id)",
        "CREATE INDEX events_by_registration ON events (registration_id, txid, id)",
    ),
    SCHEMA_V2,
    SCHEMA_V3,
    schema_v4(),
    schema_v5(serial="BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY", blob="BYTEA"),
    schema_v6(serial="BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"),
    SCHEMA_V7,
)
"""Forward migrations: entry N brings the schema from version N to N + 1."""

_SCHEMA = re.compile(r"[a-z_][a-z0-9_]{0,62}")


class PostgresBackend(SqlBackend):
    """Registrations in a PostgreSQL schema, shared by any number of processes.

    Args:
        dsn: a libpq connection string or URI.
        schema: the schema to keep the tables in; created and migrated if needed.
        pool_size: the most connections this backend opens.
        application_name: how its connections appear in ``pg_stat_activity``.
        connect_timeout: seconds to wait for the server when opening (libpq counts
            whole seconds, at least 2); by default the ``dsn``'s own
            ``connect_timeout`` (or ``PGCONNECT_TIMEOUT``'s), else 5. A server that
            refuses the connection or has no such database fails at once, with no
            retries.
        read_only: use an existing schema without writing (for audits): nothing is
            migrated, and every write fails with InternalServerException.
        lock_timeout: seconds a statement waits for a row lock another transaction
            holds before it fails with InternalServerException (PostgreSQL's
            ``lock_timeout``, counted in milliseconds).

    Raises:
        ValidationException: a malformed argument (a ``dsn`` libpq cannot parse); a
            schema that is missing (when read-only), newer than this library, or older
            while read-only.
        InternalServerException: the server cannot be reached (the message says why,
            on one line).
    """

    paramstyle = "%s"
    _share_lock = " FOR SHARE"
    clock = "extract(epoch FROM clock_timestamp())::float8"

    def __init__(
        self,
        dsn: str,
        *,
        schema: str = "lifecycle",
        pool_size: int = 4,
        application_name: str = "lifecycle",
        connect_timeout: float | None = None,
        read_only: bool = False,
        lock_timeout: float = 10.0,
    ) -> None:
        if not isinstance(dsn, str):
            raise ValidationException.for_field("dsn", "must be a connection string")
        if not isinstance(schema, str) or not _SCHEMA.fullmatch(schema):
            raise ValidationException.for_field("schema", "must match [a-z_][a-z0-9_]*")
        if type(pool_size) is not int or pool_size < 1:
            raise ValidationException.for_field("pool_size", "must be a positive integer")
        if connect_timeout is None:
            connect_timeout = _own_connect_timeout(parse_dsn(dsn)) or 5.0
        elif type(connect_timeout) not in (int, float) or not connect_timeout > 0:
            raise ValidationException.for_field("connect_timeout", "must be a positive number")
        # In milliseconds, as the server counts it, up to its largest.
        lock_ms = min(max(1, round(seconds("lock_timeout", lock_timeout) * 1000)), 2**31 - 1)
        self.schema = schema
        self.read_only = read_only
        self._lock_timeout = lock_ms / 1000
        self._dsn = dsn
        kwargs: dict[str, Any] = {
            "options": f"-c search_path={schema} -c lock_timeout={lock_ms}",
            "autocommit": True,
            "application_name": application_name,
            "connect_timeout": max(1, int(connect_timeout)),
        }
        # One connection first: the pool would retry a refused one, logging each failure,
        # until the timeout.
        try:
            psycopg.connect(dsn, **kwargs).close()
        except psycopg.ProgrammingError as exc:
            raise ValidationException.for_field("dsn", _redacted(one_line(str(exc)))) from exc
        except psycopg.Error as exc:
            raise InternalServerException(
                f"PostgreSQL at {_redacted(dsn)}: {one_line(str(exc))}"
            ) from exc
        self._pool = ConnectionPool(
            dsn,
            min_size=1,
            max_size=pool_size,
            kwargs=kwargs,
            configure=self._configure,
            open=False,
        )
        try:
            self._pool.open(wait=True, timeout=connect_timeout)
        except Exception as exc:
            self._pool.close()
            raise InternalServerException(f"PostgreSQL at {_redacted(dsn)}: {exc}") from exc
        self._migrate()

    def __repr__(self) -> str:
        return f"PostgresBackend({_redacted(self._dsn)!r}, schema={self.schema!r})"

    def _configure(self, conn: psycopg.Connection[Any]) -> None:
        conn.isolation_level = psycopg.IsolationLevel.READ_COMMITTED
        if self.read_only:
            conn.execute("SET default_transaction_read_only = on")

    def close(self) -> None:
        """Close every connection of the pool."""
        self._pool.close()

    @contextmanager
    def _transaction(self, write: bool) -> Iterator[Cursor]:
        outside_commit("PostgresBackend")
        with (
            self._errors(),
            self._pool.connection() as conn,
            conn.transaction(),
            conn.cursor() as cur,
        ):
            yield cur

    @contextmanager
    def _snapshot(self) -> Iterator[Cursor]:
        with self._transaction(write=False) as cur:
            cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield cur

    @contextmanager
    def _statement(self) -> Iterator[Cursor]:
        outside_commit("PostgresBackend")
        with self._errors(), self._pool.connection() as conn, conn.cursor() as cur:
            yield cur

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except pg_errors.SerializationFailure as exc:
            raise ConflictException(
                "The registration was changed by another call at the same time; "
                "read it again and retry.",
                reason="RESOURCE_MODIFICATION_NOT_ALLOWED",
            ) from exc
        except pg_errors.LockNotAvailable as exc:  # SQLSTATE 55P03, before OperationalError
            raise InternalServerException(
                f"PostgreSQL ({self.schema}): waited {self._lock_timeout:g} s (lock_timeout) "
                "for a lock another transaction held all that time (a transactional "
                "subscriber waiting on another call?)"
            ) from exc
        except psycopg.OperationalError as exc:
            self._pool.check()  # drop the other connections the server has closed
            raise InternalServerException(
                f"PostgreSQL ({self.schema}): connection failed: {exc}".rstrip()
            ) from exc
        except psycopg.Error as exc:
            raise InternalServerException(
                f"PostgreSQL ({self.schema}): {type(exc).__name__}: {exc}".rstrip()
            ) from exc

    def _is_unique_violation(self, error: BaseException) -> bool:
        return isinstance(error, pg_errors.UniqueViolation)

    def _log_statement(self, registration_id: str | None, *, settled: bool) -> str:
        only = "AND registration_id = ? " if registration_id is not None else ""
        horizon = f"AND txid < {_XMIN} " if settled else ""
        return (
            f"SELECT txid, id, {', '.join(EVENT_COLUMNS)} FROM events "
            f"WHERE (txid, id) > (?, ?) {horizon}{only}ORDER BY txid, id LIMIT ?"
        )

    def _migrate(self) -> None:
        try:
            with self._pool.connection() as conn, conn.transaction():
                if self.read_only:
                    exists = conn.execute("SELECT to_regclass('schema_version')").fetchone()
                    if exists is None or exists[0] is None:
                        raise ValidationException.for_field(
                            "schema", f"no lifecycle schema {self.schema} in the database"
                        )
                else:
                    # One migrating process at a time, whoever gets here first, however
                    # long the migration takes.
                    conn.execute("SET LOCAL lock_timeout = 0")
                    conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (self.schema,))
                    conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"')
                    conn.execute(
                        "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"
                    )
                row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
                current = (row[0] if row else None) or 0
                check_schema_version(
                    current, len(MIGRATIONS), "schema", self.schema, read_only=self.read_only
                )
                for version, statements in enumerate(MIGRATIONS[current:], current + 1):
                    for statement in statements:
                        conn.execute(statement)
                    conn.execute("INSERT INTO schema_version VALUES (%s)", (version,))
                if not self.read_only:
                    conn.execute(
                        "INSERT INTO meta VALUES ('pagination_key', %s) ON CONFLICT DO NOTHING",
                        (secrets.token_bytes(32),),
                    )
                key = conn.execute("SELECT value FROM meta WHERE key = 'pagination_key'").fetchone()
        except psycopg.Error as exc:
            raise InternalServerException(f"PostgreSQL ({self.schema}): {exc}") from exc
        assert key is not None
        self._pagination_key = bytes(key[0])


def parse_dsn(dsn: str, field: str = "dsn") -> dict[str, Any]:
    """The parameters of ``dsn`` (a libpq connection string or URI), as libpq reads them.

    Raises:
        ValidationException: (field ``field``) libpq cannot parse ``dsn``, or its
            ``connect_timeout`` is not a whole number of seconds; the message shows no
            password.
    """
    try:
        params = psycopg.conninfo.conninfo_to_dict(dsn)
    except psycopg.ProgrammingError as exc:
        raise ValidationException.for_field(field, _redacted(one_line(str(exc)))) from None
    _own_connect_timeout(params, field)
    return params


def _own_connect_timeout(params: dict[str, Any], field: str = "dsn") -> int | None:
    """The seconds libpq waits by the DSN's ``connect_timeout``, else the environment's
    ``PGCONNECT_TIMEOUT``: at least 2; 0 or less means no limit, which we take as
    psycopg's default, 130. ``None`` if neither names one.

    Raises:
        ValidationException: (field ``field``) the value is not an integer.
    """
    name = "connect_timeout" if "connect_timeout" in params else "PGCONNECT_TIMEOUT"
    value = params.get(name, os.environ.get(name))
    if value is None:
        return None
    try:
        seconds = int(value)
    except ValueError:
        raise ValidationException.for_field(
            field, f"{name} must be a whole number of seconds, got {value!r}"
        ) from None
    return 130 if seconds <= 0 else max(2, seconds)


def _redacted(dsn: str) -> str:
    """``dsn`` without its password."""
    dsn = re.sub(r"password=\S+", "password=***", dsn)
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", dsn)
