"""``verify`` under load: one consistent snapshot, on every backend.

Writers in threads (and, for SQLite and PostgreSQL, in other processes) keep committing
while ``verify`` runs again and again, through a read-only backend as the command
opens it: a healthy store must never show a mismatch.
"""

from __future__ import annotations

import time

from lifecycle.audit import verify
from lifecycle.backends.sqlite import SqliteBackend
from lifecycle.ports import Backend
from tests.conftest import POSTGRES_DSN, BackendFactory
from tests.load import Writers

SECONDS = 2.0


def read_only(backend: Backend) -> Backend:
    """``backend``'s store, opened read-only (the in-memory one has no such mode)."""
    if isinstance(backend, SqliteBackend):
        return SqliteBackend(backend.path, read_only=True)
    schema = getattr(backend, "schema", None)
    if schema is None:
        return backend
    from lifecycle.backends.postgres import PostgresBackend

    return PostgresBackend(POSTGRES_DSN or "", schema=schema, read_only=True)


def test_verify_sees_no_mismatch_while_writers_commit(make_backend: BackendFactory) -> None:
    backend = make_backend()
    runs = 0
    with Writers(backend):
        reader = read_only(backend)
        deadline = time.monotonic() + SECONDS
        while runs < 3 or time.monotonic() < deadline:
            checked, replayed, problems = verify(reader)
            assert problems == [], f"run {runs + 1}: {problems[:3]}"
            assert checked >= 10 and replayed >= checked
            runs += 1
        getattr(reader, "close", lambda: None)()
    assert verify(backend)[2] == []
