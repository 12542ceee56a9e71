"""``lifecycle verify`` opens the database read-only.

It audits a copy on a read-only mount or in a directory it may not write to, writes
nothing (no migration, no WAL files), and says clearly when it cannot: a missing file,
or an older schema it may not migrate.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from lifecycle import InternalServerException, RegistrationService, ValidationException
from lifecycle.audit import verify
from lifecycle.backends import open_backend
from lifecycle.backends.sqlite import MIGRATIONS, SqliteBackend
from lifecycle.cli import main
from tests.conftest import FILLED, POSTGRES_DSN, new_id, postgres_factory

EVENTS = 3 * (1 + FILLED + 2)
"""The events of :func:`copy_of_a_database`'s three registrations: create, the form's
values, submit and begin_review."""
OK = f"3 registrations, {EVENTS} events replayed: OK\n"
"""What ``lifecycle verify`` prints of :func:`copy_of_a_database`."""


@contextmanager
def read_only(directory: Path) -> Iterator[Path]:
    """``directory`` made read-only for this process: a read-only bind mount for root
    (whom permissions do not stop), else no write permission on it and its files."""
    if os.geteuid() == 0:
        mounted = subprocess.run(
            f"mount --bind '{directory}' '{directory}' && mount -o remount,ro,bind '{directory}'",
            shell=True,
            capture_output=True,
            text=True,
        )
        if mounted.returncode != 0:
            pytest.skip(f"a read-only bind mount failed: {mounted.stderr.strip()}")
        try:
            yield directory
        finally:
            subprocess.run(["umount", "-l", str(directory)], check=True)
    else:
        for path in directory.iterdir():
            path.chmod(0o444)
        directory.chmod(0o555)
        try:
            yield directory
        finally:
            directory.chmod(0o755)


def copy_of_a_database(tmp_path: Path, registrations: int = 3) -> Path:
    """A SQLite database with some history, copied (its file only) into a directory
    of its own, as a backup is."""
    source = tmp_path / "live.db"
    service = RegistrationService(SqliteBackend(source))
    for _ in range(registrations):
        rid = new_id(service)
        service.submit_registration_version(RegistrationId=rid)
        service.reviewer.begin_review(rid)
    service.backend.close()  # type: ignore[attr-defined]
    copy = tmp_path / "backup" / "lifecycle.db"
    copy.parent.mkdir()
    shutil.copy(source, copy)
    return copy


def verify_command(db: Path | str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["verify", "--db", str(db)])
    out, err = capsys.readouterr()
    return code, out, err


def test_verify_audits_a_read_only_copy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    copy = copy_of_a_database(tmp_path)
    content = copy.read_bytes()
    with read_only(copy.parent):
        code, out, err = verify_command(copy, capsys)
    assert (code, err) == (0, "")
    assert out == OK
    assert [p.name for p in copy.parent.iterdir()] == ["lifecycle.db"]
    assert copy.read_bytes() == content


def as_a_non_root_user() -> list[str]:
    """The command prefix that runs a program as a user permissions stop: ``setpriv``
    to ``nobody`` for root, nothing for anyone else."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("running the CLI as a non-root user needs setpriv (util-linux)")
    return ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


@pytest.mark.parametrize("command", ["verify", "events"])
def test_a_non_root_user_reads_a_copy_in_a_directory_it_may_not_write_to(
    command: str,
) -> None:
    """SQLite refuses such a user's ``mode=ro`` probe with SQLITE_READONLY_DIRECTORY
    (it cannot create the ``-shm`` index there), not SQLITE_CANTOPEN as for root on a
    read-only mount: either way the copy is read as immutable."""
    prefix = as_a_non_root_user()
    # Not under pytest's tmp_path: only its owner may enter that.
    with tempfile.TemporaryDirectory() as top:
        Path(top).chmod(0o755)
        copy = copy_of_a_database(Path(top))
        content = copy.read_bytes()
        with sqlite3.connect(f"{copy.as_uri()}?immutable=1", uri=True) as conn:
            (registration,) = conn.execute("SELECT registration_id FROM registrations").fetchone()
        conn.close()
        arguments = ["--registration", registration] if command == "events" else []
        copy.chmod(0o444)
        copy.parent.chmod(0o555)
        try:
            run = subprocess.run(
                [*prefix, sys.executable, "-m", "lifecycle", command, "--db", str(copy),
                 *arguments],
                cwd=top, capture_output=True, text=True, timeout=60,
            )  # fmt: skip
        finally:
            copy.parent.chmod(0o755)
        assert (run.returncode, run.stderr) == (0, "")
        if command == "verify":
            assert run.stdout == OK
        else:
            assert [line.split()[2] for line in run.stdout.splitlines()] == [
                "create", *["put_field_value"] * FILLED, "submit", "begin_review"
            ]  # fmt: skip
        assert [p.name for p in copy.parent.iterdir()] == ["lifecycle.db"]
        assert copy.read_bytes() == content


def test_verify_writes_nothing_to_a_writable_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = copy_of_a_database(tmp_path)
    content = copy.read_bytes()
    assert verify_command(copy, capsys)[:2] == (0, OK)
    assert copy.read_bytes() == content


def test_a_read_only_database_of_an_older_schema_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = copy_of_a_database(tmp_path)
    with sqlite3.connect(copy) as conn:  # as the previous schema version left it
        conn.execute("DELETE FROM schema_version WHERE version = ?", (len(MIGRATIONS),))
    conn.close()
    content = copy.read_bytes()
    with read_only(copy.parent):
        code, out, err = verify_command(copy, capsys)
    assert (code, out) == (1, "")
    assert err.count("\n") == 1 and "Traceback" not in err
    assert f"schema version {len(MIGRATIONS) - 1}" in err and "read-only" in err
    assert copy.read_bytes() == content  # not migrated, although the file is writable
    with pytest.raises(ValidationException, match="read-only"):
        SqliteBackend(copy, read_only=True)


def test_verify_of_a_missing_file_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "typo.db"
    code, out, err = verify_command(missing, capsys)
    assert (code, out) == (1, "")
    assert err.count("\n") == 1 and str(missing) in err and "no database" in err
    assert not missing.exists()


def test_a_read_only_backend_refuses_writes(tmp_path: Path) -> None:
    copy = copy_of_a_database(tmp_path)
    backend = open_backend(str(copy), read_only=True)
    service = RegistrationService(backend)
    rid = next(backend.registrations()).registration_id
    with pytest.raises(InternalServerException, match=r"read-only|readonly"):
        service.reviewer.approve(rid)
    assert verify(backend)[:2] == (3, EVENTS)


def test_a_read_only_postgres_backend_migrates_nothing(postgres_schemas: list[str]) -> None:
    factory = postgres_factory(postgres_schemas)
    from lifecycle.backends.postgres import PostgresBackend

    writer = factory()
    service = RegistrationService(writer)
    rid = new_id(service)
    schema = writer.schema  # type: ignore[attr-defined]
    reader = PostgresBackend(POSTGRES_DSN or "", schema=schema, read_only=True)
    try:
        assert verify(reader) == (1, 1 + FILLED, [])
        with pytest.raises(InternalServerException, match="read-only"):
            RegistrationService(reader).submit_registration_version(RegistrationId=rid)
        with pytest.raises(ValidationException, match="no lifecycle schema"):
            PostgresBackend(POSTGRES_DSN or "", schema=f"{schema}_absent", read_only=True)
    finally:
        reader.close()
    with writer._pool.connection() as conn:  # type: ignore[attr-defined]
        absent = conn.execute(
            "SELECT count(*) FROM pg_namespace WHERE nspname = %s", (f"{schema}_absent",)
        ).fetchone()
    assert absent == (0,)
