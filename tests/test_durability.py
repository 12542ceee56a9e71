"""Durable backends under restarts, crashes, faults and many worker processes.

Every test runs on SQLite and on PostgreSQL (skipped with the reason when no server
is configured); the fault tests are specific to each.
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest

from lifecycle import (
    ConflictException,
    InternalServerException,
    RegistrationService,
    ValidationException,
    aggregate,
)
from lifecycle.audit import verify
from lifecycle.backends.sqlite import MIGRATIONS as SQLITE_MIGRATIONS
from lifecycle.backends.sqlite import SqliteBackend
from lifecycle.clock import ManualClock
from lifecycle.form import FieldValue
from lifecycle.ports import Backend, FormChange, NumberWrite, PhoneNumberQuery
from lifecycle.testing import invariants
from tests.conftest import (
    FILLED,
    POSTGRES_DSN,
    back_to_schema_3,
    back_to_schema_4,
    back_to_schema_5,
    back_to_schema_6,
    formless,
    new_id,
    postgres_factory,
)
from tests.workers import event_key, operate, worker_name

ROOT = Path(__file__).resolve().parent.parent
STRESS_SECONDS = float(os.environ.get("LIFECYCLE_STRESS_SECONDS", "20"))
SPECS = ["sqlite", "postgres"]


@pytest.fixture(params=SPECS)
def store(
    request: pytest.FixtureRequest, tmp_path: Path, postgres_schemas: list[str]
) -> Iterator[tuple[str, Callable[[], Backend]]]:
    """(spec for the workers, opener for this process) of a fresh durable store."""
    opened: list[Backend] = []
    if request.param == "sqlite":
        path = tmp_path / "lifecycle.db"
        spec, make = f"sqlite:{path}", lambda: SqliteBackend(path)
    else:
        factory = postgres_factory(postgres_schemas)
        backend = factory()
        opened.append(backend)
        spec, make = f"postgres:{backend.schema}", factory  # type: ignore[attr-defined]

    def tracked() -> Backend:
        backend = make()
        opened.append(backend)
        return backend

    yield spec, tracked
    for backend in opened:
        with contextlib.suppress(Exception):
            backend.close()  # type: ignore[attr-defined]


def worker(*args: str, **kwargs: Any) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.workers", *args],
        cwd=ROOT,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        **kwargs,
    )


def run_worker(*args: str) -> str:
    proc = worker(*args)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    return out


def assert_consistent(backend: Backend, service: RegistrationService) -> None:
    checked, _, problems = verify(backend)
    assert problems == []
    for registration in backend.registrations():
        invariants.check(service, registration.registration_id)
    assert checked == len(list(backend.registrations()))


# -- restart -------------------------------------------------------------------------

STEPS = [("create", 0), ("submit", 1), ("begin_review", 2), ("require_authentication", 3),
         ("complete_authentication", 4), ("approve", 5)]  # fmt: skip
T0 = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)


def test_restart_across_three_processes(store: tuple[str, Callable[[], Backend]]) -> None:
    spec, open_store = store
    timed = [f"{op}@{(T0 + timedelta(days=day)).isoformat()}" for op, day in STEPS]
    rid = run_worker("steps", spec, "-", *timed[:2]).strip()  # process 1: create, submit
    run_worker("steps", spec, rid, *timed[2:4])  # process 2: review, authentication
    run_worker("steps", spec, rid, *timed[4:])  # process 3: back to review, approve

    clock = ManualClock(T0)
    alone = RegistrationService(clock=clock)  # the same in one process, in memory
    same = new_id(alone)
    for op, day in STEPS[1:]:
        clock.set(T0 + timedelta(days=day))
        operate(alone, op, same)
    backend = open_store()
    durable = RegistrationService(backend)

    def without_ids(pair: tuple[dict[str, Any], list[Any]]) -> Any:
        reg, versions = pair
        return ({k: v for k, v in reg.items() if k not in ("RegistrationId", "RegistrationArn")},
                versions)  # fmt: skip

    assert without_ids(invariants.describe(durable, rid)) == without_ids(
        invariants.describe(alone, same)
    )
    assert invariants.describe(durable, rid)[0]["RegistrationStatus"] == "PROVISIONING"
    assert [e.event.event for e in backend.read_log(registration_id=rid)] == [
        "create", *["put_field_value"] * FILLED, *(op for op, _ in STEPS[1:])
    ]  # fmt: skip
    assert verify(backend)[2] == []


# -- crash ---------------------------------------------------------------------------


def _await_server_side_end(pid: int) -> None:
    """Wait until the server has finished what a killed worker sent it: a COMMIT that
    reached the server before the kill still commits, after the process is gone."""
    import psycopg

    deadline = time.monotonic() + 30
    with psycopg.connect(POSTGRES_DSN or "", autocommit=True) as conn:
        while conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s",
            (worker_name(pid),),
        ).fetchone() != (0,):
            assert time.monotonic() < deadline, "the killed worker's session did not end"
            time.sleep(0.02)


def test_sigkill_mid_transition_leaves_before_or_after(
    store: tuple[str, Callable[[], Backend]],
) -> None:
    spec, open_store = store
    backend = open_store()
    service = RegistrationService(backend)
    for _ in range(20):
        new_id(service)
    rng = random.Random(7)
    kills = 15
    for round_ in range(kills):
        proc = worker("churn", spec, str(round_))
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.05, 0.4))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        assert proc.returncode == -signal.SIGKILL
        if spec.startswith("postgres:"):
            _await_server_side_end(proc.pid)
        # A fresh view of the store after each crash: log and state agree.
        assert_consistent(open_store(), service)
    assert len(backend.read_log()) > 20 + kills  # the workers really moved things


# -- many workers ----------------------------------------------------------------------


def whole_log(backend: Backend) -> list[tuple[Any, ...]]:
    """The :func:`event_key` of every logged event, read page by page."""
    logged: list[tuple[Any, ...]] = []
    after = None
    while page := backend.read_log(after=after, limit=5000):
        logged += [tuple(event_key(e.event)) for e in page]
        after = page[-1].position
    return logged


def test_eight_workers_on_shared_registrations(
    store: tuple[str, Callable[[], Backend]], tmp_path: Path
) -> None:
    spec, open_store = store
    backend = open_store()
    service = RegistrationService(backend)
    for _ in range(200):
        new_id(service)
    setup = whole_log(backend)
    outs = [tmp_path / f"worker{i}.json" for i in range(8)]
    procs = [
        worker("hammer", spec, str(STRESS_SECONDS), str(seed), str(out))
        for seed, out in enumerate(outs)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=STRESS_SECONDS + 120)
        assert proc.returncode == 0, err
    reports = [json.loads(out.read_text()) for out in outs]
    seen = collections.Counter(tuple(k) for r in reports for k in r["events"])
    seen.update(setup)
    # Every success a worker saw is in the log exactly once, and nothing else is: a
    # refused call left no trace.
    assert collections.Counter(whole_log(backend)) == seen
    assert all(n == 1 for n in seen.values())
    totals = collections.Counter()
    for r in reports:
        totals.update(r["counts"])
    assert totals["ok"] > 100 and totals["conflict"] > 100
    assert_consistent(backend, service)


# -- faults: SQLite ----------------------------------------------------------------------


def test_sqlite_locked_database(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "locked.db"
    service = RegistrationService(SqliteBackend(path, timeout=0.2))
    rid = new_id(service)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    with pytest.raises(InternalServerException) as info:
        service.submit_registration_version(RegistrationId=rid)
    assert "locked" in info.value.message and str(path) in info.value.message
    holder.execute("ROLLBACK")
    holder.close()
    assert invariants.describe(service, rid)[0]["RegistrationStatus"] == "CREATED"
    service.submit_registration_version(RegistrationId=rid)
    assert verify(service.backend)[2] == []


@contextlib.contextmanager
def small_tmpfs(where: Path, size: str = "512k") -> Iterator[Path]:
    where.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"mounting a small tmpfs needs root: {done.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def test_sqlite_read_only_file_system(tmp_path: Path) -> None:
    with small_tmpfs(tmp_path / "fs", size="2m") as fs:  # room for the form's commits
        backend = SqliteBackend(fs / "lifecycle.db")
        service = RegistrationService(backend)
        rid = new_id(service)
        before = invariants.describe(service, rid)
        backend.close()  # a file system with files open for writing cannot go read-only
        subprocess.run(["mount", "-o", "remount,ro", str(fs)], check=True)
        try:
            with pytest.raises(InternalServerException) as info:
                service.submit_registration_version(RegistrationId=rid)
            assert str(fs) in info.value.message
            assert "not writable" in info.value.message or "cannot be opened" in info.value.message
        finally:
            subprocess.run(["mount", "-o", "remount,rw", str(fs)], check=True)
        assert invariants.describe(service, rid) == before
        service.submit_registration_version(RegistrationId=rid)
        assert verify(service.backend)[2] == []


def test_sqlite_full_disk(tmp_path: Path) -> None:
    with small_tmpfs(tmp_path / "fs", size="1m") as fs:
        backend = SqliteBackend(fs / "lifecycle.db")
        service = RegistrationService(backend)
        rid = new_id(service)
        filler = fs / "filler"
        with contextlib.suppress(OSError), open(filler, "wb", buffering=0) as f:
            while True:
                f.write(b"\0" * 4096)
        failure = None
        for _ in range(500):  # the WAL may have room for a few more commits
            log = backend.read_log()
            state = backend.get(service.account_id, service.region, rid)
            try:
                service.create_registration_version(RegistrationId=rid) if (
                    state and state.current_version.status.value == "DISCARDED"
                ) else service.discard_registration_version(RegistrationId=rid)
            except InternalServerException as exc:
                failure = exc
                break
        assert failure is not None, "the disk never filled up"
        assert "full" in failure.message
        assert backend.read_log() == log
        assert backend.get(service.account_id, service.region, rid) == state
        filler.unlink()
        service.create_registration(RegistrationType="US_TOLL_FREE_REGISTRATION")
        assert verify(backend)[2] == []


def test_sqlite_newer_schema_is_refused(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "future.db"
    SqliteBackend(path)
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO schema_version VALUES (99)")
    with pytest.raises(ValidationException, match="schema version 99"):
        SqliteBackend(path)


# -- faults: PostgreSQL ------------------------------------------------------------------


def test_postgres_dropped_connection(postgres_schemas: list[str]) -> None:
    factory = postgres_factory(postgres_schemas)  # skips without a server or the extra
    from lifecycle.backends.postgres import PostgresBackend

    schema = factory().schema  # type: ignore[attr-defined]
    name = f"lifecycle-{uuid.uuid4().hex[:8]}"
    backend = PostgresBackend(POSTGRES_DSN or "", schema=schema, application_name=name)
    service = RegistrationService(backend)
    rid = new_id(service)
    log = backend.read_log()
    import psycopg

    def drop_connections(events: Any) -> None:
        with psycopg.connect(POSTGRES_DSN or "", autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = %s",
                (name,),
            )

    unsubscribe = service.subscribe(drop_connections, transactional=True)
    with pytest.raises(InternalServerException) as info:
        service.submit_registration_version(RegistrationId=rid)
    assert "PostgreSQL" in info.value.message
    unsubscribe()
    assert backend.read_log() == log
    assert invariants.describe(service, rid)[0]["RegistrationStatus"] == "CREATED"
    service.submit_registration_version(RegistrationId=rid)
    assert verify(backend)[2] == []
    backend.close()


def test_postgres_unreachable_server_is_a_clear_error() -> None:
    pytest.importorskip("psycopg")
    from lifecycle.backends.postgres import PostgresBackend

    with pytest.raises(InternalServerException, match="PostgreSQL at"):
        PostgresBackend("host=127.0.0.1 port=1 connect_timeout=1 dbname=x", connect_timeout=2)


def test_concurrent_writers_one_wins(store: tuple[str, Callable[[], Backend]]) -> None:
    _, open_store = store
    first, second = RegistrationService(open_store()), RegistrationService(open_store())
    rid = new_id(first)
    stale = second.backend.get(second.account_id, second.region, rid)
    assert stale is not None
    first.submit_registration_version(RegistrationId=rid)
    step = aggregate.step(stale, "submit", datetime.now(UTC))
    with pytest.raises(ConflictException):
        second.backend.commit(
            step.registration,
            expected_revision=stale.revision,
            events=step.events,
            versions=step.written,
        )
    assert [e.event.event for e in first.backend.read_log(registration_id=rid)] == [
        "create", *["put_field_value"] * FILLED, "submit"
    ]  # fmt: skip


def test_sqlite_forward_migration_keeps_the_data(tmp_path: Path) -> None:
    """A schema-1 file (no ``latest_revoked_version``) is upgraded in place, the
    column filled from the versions: a discarded update after a revoke goes back to
    REQUIRES_UPDATES, as it did when the conditions scanned the versions."""
    path = tmp_path / "old.db"
    service = RegistrationService(SqliteBackend(path), registration_types=formless())
    rid = new_id(service)  # no values: the library of schema 1 knew no forms
    service.submit_registration_version(RegistrationId=rid)
    for action in ("begin_review", "approve", "complete_provisioning", "revoke"):
        getattr(service.reviewer, action)(rid)
    service.create_registration_version(RegistrationId=rid)
    service.submit_registration_version(RegistrationId=rid)
    before = invariants.describe(service, rid)
    with sqlite3.connect(path) as conn:  # back to schema 1
        back_to_schema_3(conn)
        conn.execute("ALTER TABLE registrations DROP COLUMN latest_revoked_version")
        conn.execute("DROP TABLE quota_usage")
        conn.execute("ALTER TABLE cursors DROP COLUMN holder")
        conn.execute("ALTER TABLE cursors DROP COLUMN lease_until")
        conn.execute("DELETE FROM schema_version WHERE version > 1")
    assert SqliteBackend(path).schema_version == len(SQLITE_MIGRATIONS)
    upgraded = RegistrationService(SqliteBackend(path))
    assert invariants.describe(upgraded, rid) == before
    stored = upgraded.backend.get(upgraded.account_id, upgraded.region, rid)
    assert stored is not None and stored.latest_revoked_version_number == 1
    assert (
        upgraded.backend.quota_usage(
            upgraded.account_id, upgraded.region, "REGISTRATIONS_PER_ACCOUNT", ""
        )
        == 1
    )
    upgraded.discard_registration_version(RegistrationId=rid)
    assert invariants.describe(upgraded, rid)[0]["RegistrationStatus"] == "REQUIRES_UPDATES"
    assert verify(upgraded.backend)[2] == []


@contextlib.contextmanager
def _raw(spec: str) -> Iterator[Any]:
    """A driver connection to the store of ``spec``, committed when the block ends."""
    kind, _, where = spec.partition(":")
    if kind == "sqlite":
        with contextlib.closing(sqlite3.connect(where)) as conn, conn:
            yield conn
    else:
        import psycopg

        with psycopg.connect(POSTGRES_DSN or "", options=f"-c search_path={where}") as conn:
            yield conn


def test_a_schema_3_store_upgrades_keeping_its_data(
    store: tuple[str, Callable[[], Backend]],
) -> None:
    """Schema 4 adds the field values and the events' detail: a store the library made
    before them opens as it was, its events without a detail, and takes values."""
    spec, make = store
    clock = ManualClock()
    service = RegistrationService(make(), clock=clock, registration_types=formless())
    rid = new_id(service, ClientToken="kept")  # no values: schema 3 held none
    service.submit_registration_version(RegistrationId=rid)
    service.reviewer.begin_review(rid)
    before, log = invariants.describe(service, rid), service.backend.read_log()
    service.backend.close()  # type: ignore[attr-defined]
    with _raw(spec) as conn:
        back_to_schema_3(conn)
    upgraded = RegistrationService(make(), clock=clock)
    with _raw(spec) as conn:
        assert conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] == len(
            SQLITE_MIGRATIONS
        )
    assert invariants.describe(upgraded, rid) == before
    assert upgraded.backend.read_log() == log
    assert all(e.event.detail is None for e in log)
    assert upgraded.backend.find_idempotency(upgraded.account_id, upgraded.region, "kept")
    assert verify(upgraded.backend)[2] == []
    stored = upgraded.backend.get(upgraded.account_id, upgraded.region, rid)
    assert stored is not None
    value = FieldValue("Acme")
    upgraded.backend.commit(
        attrs.evolve(stored, revision=stored.revision + 1),
        expected_revision=stored.revision,
        events=[log[-1].event._replace(event="put_field_value", detail={"FieldPath": "a"})],
        versions=(),
        form=FormChange(1, put={"a": value}),
    )
    assert upgraded.backend.field_values(upgraded.account_id, upgraded.region, rid, 1) == {
        "a": value
    }
    assert upgraded.backend.read_log()[-1].event.detail == {"FieldPath": "a"}


def test_a_schema_4_store_upgrades_keeping_its_values_and_takes_attachments(
    store: tuple[str, Callable[[], Backend]],
) -> None:
    """Schema 5 adds attachments, the attachment a value names and the events' resource
    type: a store made before them keeps its values and log, and takes attachments."""
    spec, make = store
    clock = ManualClock()
    service = RegistrationService(make(), clock=clock)
    rid = new_id(service)
    service.put_registration_field_value(
        RegistrationId=rid, FieldPath="companyInfo.companyName", TextValue="Acme"
    )
    service.put_registration_field_value(
        RegistrationId=rid, FieldPath="companyInfo.legalType", SelectChoices=["PRIVATE_PROFIT"]
    )
    before, log = invariants.describe(service, rid), service.backend.read_log()
    values = service.describe_registration_field_values(RegistrationId=rid)
    service.backend.close()  # type: ignore[attr-defined]
    with _raw(spec) as conn:
        back_to_schema_4(conn)
    upgraded = RegistrationService(make(), clock=clock)
    assert invariants.describe(upgraded, rid) == before
    assert upgraded.backend.read_log() == log
    again = upgraded.describe_registration_field_values(RegistrationId=rid)
    assert again["RegistrationFieldValues"] == values["RegistrationFieldValues"]
    assert verify(upgraded.backend)[2] == []
    other = upgraded.create_registration(RegistrationType="US_TOLL_FREE_REGISTRATION")
    png = b"\x89PNG\r\n\x1a\n" + bytes(16)
    made = upgraded.create_registration_attachment(AttachmentBody=png)
    upgraded.put_registration_field_value(
        RegistrationId=other["RegistrationId"],
        FieldPath="messagingUseCase.optInImage",
        RegistrationAttachmentId=made["RegistrationAttachmentId"],
    )
    with pytest.raises(ConflictException):
        upgraded.delete_registration_attachment(
            RegistrationAttachmentId=made["RegistrationAttachmentId"]
        )


def test_a_schema_4_store_upgrades_keeping_its_values(
    store: tuple[str, Callable[[], Backend]],
) -> None:
    """Schema 5 adds the reviewer's flags of the field values: a store the library made
    before them keeps its values, unflagged, and a deny flags them after the upgrade."""
    spec, make = store
    clock = ManualClock()
    service = RegistrationService(make(), clock=clock)
    rid = new_id(service)
    for path, text in (("companyInfo.companyName", "Acme"), ("companyInfo.taxId", "12")):
        service.put_registration_field_value(RegistrationId=rid, FieldPath=path, TextValue=text)
    service.submit_registration_version(RegistrationId=rid)
    service.reviewer.begin_review(rid)
    before = service.describe_registration_field_values(RegistrationId=rid)
    service.backend.close()  # type: ignore[attr-defined]
    with _raw(spec) as conn:
        back_to_schema_4(conn)
    upgraded = RegistrationService(make(), clock=clock)
    with _raw(spec) as conn:
        assert conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] == len(
            SQLITE_MIGRATIONS
        )
    values = before["RegistrationFieldValues"]
    assert (
        upgraded.describe_registration_field_values(RegistrationId=rid)["RegistrationFieldValues"]
        == values
    )
    flag = {"DeniedReason": "Not the EIN", "Feedback": "Enter the EIN."}
    upgraded.reviewer.deny(
        rid, [{"Reason": "R", "ShortDescription": "s"}], fields={"companyInfo.taxId": flag}
    )
    assert upgraded.describe_registration_field_values(RegistrationId=rid)[
        "RegistrationFieldValues"
    ] == [{**v, **flag} if v["FieldPath"] == "companyInfo.taxId" else v for v in values]
    assert verify(upgraded.backend)[2] == []


def _phone_number(service: RegistrationService, n: int, e164: str) -> Any:
    """The step that requests phone number ``n`` (``e164``) of the service's account."""
    from lifecycle import phone_numbers

    return phone_numbers.request(
        phone_number_id=f"phone-{n:032x}", account_id=service.account_id, region=service.region,
        phone_number=e164, iso_country_code="US", message_type="TRANSACTIONAL",
        number_capabilities=("SMS",), number_type="LONG_CODE",
        international_sending_enabled=False, deletion_protection_enabled=True, tags=(),
        now=service._now(),
    )  # fmt: skip


def test_a_schema_5_store_upgrades_keeping_its_data_and_takes_phone_numbers(
    store: tuple[str, Callable[[], Backend]],
) -> None:
    """Schema 6 adds the phone numbers: a store made before them keeps its
    registrations, values, attachments, tokens and log, and takes numbers, one holder
    per E.164 number."""
    spec, make = store
    clock = ManualClock()
    service = RegistrationService(make(), clock=clock)
    rid = new_id(service, ClientToken="kept")
    png = b"\x89PNG\r\n\x1a\n" + bytes(16)
    made = service.create_registration_attachment(AttachmentBody=png)
    aid = made["RegistrationAttachmentId"]
    before, log = invariants.describe(service, rid), service.backend.read_log()
    values = service.describe_registration_field_values(RegistrationId=rid)
    attachment = service.backend.get_attachment(service.account_id, service.region, aid)
    service.backend.close()  # type: ignore[attr-defined]
    with _raw(spec) as conn:
        back_to_schema_5(conn)
        assert conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] == 5
    upgraded = RegistrationService(make(), clock=clock)
    with _raw(spec) as conn:
        assert conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] == len(
            SQLITE_MIGRATIONS
        )
    backend = upgraded.backend
    assert invariants.describe(upgraded, rid) == before
    assert backend.read_log() == log
    again = upgraded.describe_registration_field_values(RegistrationId=rid)
    assert again["RegistrationFieldValues"] == values["RegistrationFieldValues"]
    assert backend.get_attachment(upgraded.account_id, upgraded.region, aid) == attachment
    assert backend.attachment_body(upgraded.account_id, upgraded.region, aid) == png
    assert backend.find_idempotency(upgraded.account_id, upgraded.region, "kept")
    assert list(backend.phone_numbers()) == []
    assert verify(backend)[2] == []
    step = _phone_number(upgraded, 1, "+12015550142")
    number = backend.commit_phone_number(
        step.phone_number, expected_revision=None, events=step.events
    )
    assert backend.get_phone_number(upgraded.account_id, upgraded.region, number.phone_number_id)
    assert backend.read_log()[-1].event == step.events[0]
    twin = _phone_number(upgraded, 2, number.phone_number)
    with pytest.raises(ConflictException):
        backend.commit_phone_number(twin.phone_number, expected_revision=None, events=twin.events)


def test_a_schema_6_store_upgrades_keeping_its_data_and_takes_associations(
    store: tuple[str, Callable[[], Backend]],
) -> None:
    """Schema 7 adds the associations: a store made before them keeps its
    registrations, phone numbers and log, none of them associated (no identities, no
    associated registration, no registration of a number), and takes associations."""
    spec, make = store
    clock = ManualClock()
    service = RegistrationService(make(), clock=clock)
    rid = new_id(service, ClientToken="kept")
    step = _phone_number(service, 1, "+12015550160")
    number = service.backend.commit_phone_number(
        step.phone_number, expected_revision=None, events=step.events
    )
    before, log = invariants.describe(service, rid), service.backend.read_log()
    service.backend.close()  # type: ignore[attr-defined]
    with _raw(spec) as conn:
        back_to_schema_6(conn)
        assert conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] == 6
    upgraded = RegistrationService(make(), clock=clock)
    with _raw(spec) as conn:
        assert conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] == len(
            SQLITE_MIGRATIONS
        )
    backend, account, region = upgraded.backend, upgraded.account_id, upgraded.region
    assert invariants.describe(upgraded, rid) == before
    assert backend.read_log() == log
    assert backend.find_idempotency(account, region, "kept")
    stored = backend.get(account, region, rid)
    assert stored is not None
    assert (stored.identities, stored.associated_registration_id, stored.sender_id) == (
        0, None, None
    )  # fmt: skip
    assert backend.get_phone_number(account, region, number.phone_number_id) == number
    assert number.registration_id is None
    assert verify(backend)[2] == []
    joined = attrs.evolve(number, registration_id=rid, revision=number.revision + 1)
    changed = attrs.evolve(
        stored, identities=1, associated_registration_id="registration-" + "b" * 32,
        revision=stored.revision + 1,
    )  # fmt: skip
    backend.commit(
        changed, expected_revision=stored.revision, events=(), versions=(),
        numbers=[NumberWrite(joined, number.revision)],
    )  # fmt: skip
    assert backend.get(account, region, rid) == changed
    query = PhoneNumberQuery(account, region, registration_id=rid)
    assert backend.query_phone_numbers(query).items == (joined,)


def test_the_held_e164_index_refuses_what_the_read_did_not_see(
    store: tuple[str, Callable[[], Backend]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two requests of one E.164 number that both read no holder (a race on
    PostgreSQL): the partial unique index refuses the second, as the holder's read
    would have; a number DELETED holds nothing."""
    from lifecycle import phone_numbers
    from lifecycle.backends.sql import SqlBackend

    _, make = store
    service = RegistrationService(make(), clock=ManualClock())
    backend = service.backend
    first = _phone_number(service, 1, "+12015550150")
    backend.commit_phone_number(first.phone_number, expected_revision=None, events=first.events)
    monkeypatch.setattr(SqlBackend, "_check_holder", lambda *args: None)
    log = backend.read_log()
    second = _phone_number(service, 2, "+12015550150")
    with pytest.raises(ConflictException) as info:
        backend.commit_phone_number(
            second.phone_number, expected_revision=None, events=second.events
        )
    assert info.value.reason == "RESOURCE_ALREADY_EXISTS"
    assert "+12015550150 is held by another phone number" in info.value.message
    assert backend.read_log() == log
    unprotected = attrs.evolve(first.phone_number, deletion_protection_enabled=False, revision=2)
    backend.commit_phone_number(unprotected, expected_revision=1, events=())
    released = phone_numbers.step(unprotected, "release_phone_number", service._now())
    backend.commit_phone_number(released.phone_number, expected_revision=2, events=released.events)
    backend.commit_phone_number(second.phone_number, expected_revision=None, events=second.events)
    assert [n.status for n in backend.phone_numbers()] == ["DELETED", "ACTIVE"]
