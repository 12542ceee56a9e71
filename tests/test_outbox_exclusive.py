"""Outbox consumers of one name are exclusive, on every backend.

Two consumers of one name, in threads and (SQLite, PostgreSQL) in processes, while
writers commit: every event is delivered once, in log order, and the cursor never
moves backwards. A consumer that hangs or is killed mid-batch keeps its lease until
it expires; then another takes over and delivers again only the event that was in
flight. The hung one, when it wakes, gets a ConflictException that names the cursor.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from lifecycle import ConflictException, TransitionEvent, ValidationException
from lifecycle.backends.sqlite import MIGRATIONS, SqliteBackend
from lifecycle.outbox import Outbox
from lifecycle.ports import Backend, LogPosition
from tests.conftest import BackendFactory, back_to_schema_3
from tests.load import Writers, spec_of, worker

SECONDS = 1.5
LEASE = 1.5


def log_events(backend: Backend) -> list[TransitionEvent]:
    events: list[TransitionEvent] = []
    after = None
    while page := backend.read_log(after=after):
        events += [logged.event for logged in page]
        after = page[-1].position
    return events


class CursorWatch:
    """Every position the cursor ``name`` is seen at, polled in a thread until
    :meth:`stop`."""

    def __init__(self, backend: Backend, name: str) -> None:
        self.seen: list[LogPosition] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, args=(backend, name), daemon=True)
        self._thread.start()

    def _poll(self, backend: Backend, name: str) -> None:
        while not self._stop.is_set():
            position = backend.get_cursor(name)
            if position is not None and (not self.seen or self.seen[-1] != position):
                self.seen.append(position)
            self._stop.wait(0.002)

    def stop(self) -> list[LogPosition]:
        self._stop.set()
        self._thread.join(10)
        return self.seen


def consume(outbox: Outbox, delivered: list[TransitionEvent], seconds: float) -> None:
    def send(event: TransitionEvent) -> None:
        delivered.append(event)
        time.sleep(0)  # the side effect lets other threads run, as I/O does

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if outbox.process(send) == 0:
            time.sleep(0.002)
    outbox.release()


def test_two_consumers_in_threads_deliver_each_event_once_in_order(
    make_backend: BackendFactory,
) -> None:
    backend = make_backend()
    delivered: list[TransitionEvent] = []
    watch = CursorWatch(backend, "mailer")
    errors: list[BaseException] = []

    def run(outbox: Outbox) -> None:
        try:
            consume(outbox, delivered, SECONDS)
        except BaseException as exc:
            errors.append(exc)

    with Writers(backend, threads=1, processes=0):
        threads = [
            threading.Thread(target=run, args=(Outbox(make_backend(), "mailer", batch=5),))
            for _ in range(2)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
            assert not thread.is_alive(), "a consumer hangs"
    Outbox(backend, "mailer").drain(delivered.append)
    seen = watch.stop()
    assert errors == []
    log = log_events(backend)
    assert len(delivered) == len(log), f"{len(delivered) - len(log)} duplicates"
    assert delivered == log
    assert seen == sorted(seen), "the cursor moved backwards"


def test_threads_sharing_one_outbox_deliver_each_event_once_in_order(
    make_backend: BackendFactory,
) -> None:
    """One Outbox object is a consumer per thread: the threads do not share its lease."""
    backend = make_backend()
    Writers.seed(backend, 20)
    outbox = Outbox(backend, "mailer", batch=3)
    delivered: list[TransitionEvent] = []
    errors: list[BaseException] = []

    def send(event: TransitionEvent) -> None:
        delivered.append(event)
        time.sleep(0)  # the side effect lets other threads run, as I/O does

    def run() -> None:
        try:
            while outbox.pending():
                if outbox.process(send) == 0:
                    time.sleep(0.002)
            outbox.release()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, daemon=True) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
        assert not thread.is_alive(), "a consumer hangs"
    assert errors == []
    log = log_events(backend)
    assert len(delivered) == len(log), f"{len(delivered) - len(log)} duplicates"
    assert delivered == log


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX only")
def test_a_forked_child_is_another_holder(tmp_path: Path) -> None:
    """An Outbox inherited across fork() is another consumer in the child: it waits for
    the parent's lease instead of delivering the parent's events again."""
    backend = SqliteBackend(tmp_path / "lifecycle.db")
    Writers.seed(backend, 4)
    outbox = Outbox(backend, "mailer", batch=2)
    assert outbox.process(lambda event: None) == 2  # the parent holds the lease now
    cursor = backend.get_cursor("mailer")
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe
        try:
            handled = outbox.process(lambda event: None)
            os.write(write, json.dumps({"holder": outbox.holder, "handled": handled}).encode())
        except BaseException as exc:
            os.write(write, json.dumps({"error": repr(exc)}).encode())
        finally:
            os._exit(0)
    os.close(write)
    deadline = time.monotonic() + 30
    while os.waitpid(pid, os.WNOHANG) == (0, 0):
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            pytest.fail("the forked child hangs")
        time.sleep(0.01)
    with os.fdopen(read, "rb") as pipe:
        report = json.loads(pipe.read())
    assert report == {"holder": report.get("holder"), "handled": 0}
    assert report["holder"] != outbox.holder
    assert backend.get_cursor("mailer") == cursor


def read_deliveries(*outs: Path) -> list[dict[str, Any]]:
    """What consumer processes delivered, in the order they delivered it."""
    lines = [
        json.loads(line) for out in outs if out.exists() for line in out.read_text().splitlines()
    ]
    return [line["event"] for line in sorted(lines, key=lambda line: line["t"])]


@pytest.mark.parametrize(
    "make_backend", ["sqlite", "postgres"], indirect=True
)  # shared by processes
def test_two_consumer_processes_deliver_each_event_once_in_order(
    make_backend: BackendFactory, tmp_path: Path
) -> None:
    backend = make_backend()
    spec = spec_of(backend)
    assert spec is not None
    outs = [tmp_path / f"consumer{i}.jsonl" for i in range(2)]
    watch = CursorWatch(backend, "mailer")
    with Writers(backend, threads=1, processes=1):
        procs = [
            worker("tests.outbox_consumer", spec, "mailer", str(out), str(SECONDS)) for out in outs
        ]
        for proc in procs:
            _, err = proc.communicate(timeout=60)
            assert proc.returncode == 0, err
    delivered = read_deliveries(*outs)
    Outbox(backend, "mailer").drain(lambda event: delivered.append(event.to_dict()))
    seen = watch.stop()
    log = [event.to_dict() for event in log_events(backend)]
    assert len(delivered) == len(log), f"{len(delivered) - len(log)} duplicates"
    assert delivered == log
    assert seen == sorted(seen), "the cursor moved backwards"


def test_a_hung_holder_keeps_the_lease_until_it_expires(make_backend: BackendFactory) -> None:
    backend = make_backend()
    Writers.seed(backend, 10)
    log = log_events(backend)
    stuck = threading.Event()
    first: list[TransitionEvent] = []

    def hangs_on_the_third(event: TransitionEvent) -> None:
        first.append(event)
        if len(first) == 3:
            stuck.set()
            wake.wait(30)

    wake = threading.Event()
    holder = Outbox(make_backend(), "mailer", batch=5, lease=LEASE)
    outcome: list[BaseException] = []
    hung = threading.Thread(target=lambda: _record(outcome, holder.process, hangs_on_the_third))
    hung.start()
    assert stuck.wait(10)
    taken = time.monotonic()
    second: list[TransitionEvent] = []
    other = Outbox(make_backend(), "mailer", batch=5, lease=LEASE)
    assert other.process(second.append) == 0  # the hung holder's lease still runs
    while other.process(second.append) == 0:
        assert time.monotonic() - taken < LEASE + 10, "the lease never expired"
        time.sleep(0.01)
    other.drain(second.append)
    # Only the event in flight is delivered twice.
    assert first + second[1:] == log and second[0] == first[-1]
    wake.set()
    hung.join(10)
    (lost,) = outcome
    assert isinstance(lost, ConflictException)
    assert (lost.resource_type, lost.resource_id) == ("cursor", "mailer")
    assert "mailer" in lost.message and "Registration" not in lost.message
    assert backend.get_cursor("mailer") == backend.read_log()[-1].position


def _record(outcome: list[BaseException], fn: Any, *args: Any) -> None:
    try:
        fn(*args)
    except BaseException as exc:
        outcome.append(exc)


@pytest.mark.parametrize(
    "make_backend", ["sqlite", "postgres"], indirect=True
)  # shared by processes
def test_a_killed_holder_process_loses_its_lease(
    make_backend: BackendFactory, tmp_path: Path
) -> None:
    backend = make_backend()
    spec = spec_of(backend)
    assert spec is not None
    Writers.seed(backend, 10)
    log = [event.to_dict() for event in log_events(backend)]
    out = tmp_path / "killed.jsonl"
    proc = worker("tests.outbox_consumer", spec, "mailer", str(out), "60",
                  "--lease", str(LEASE), "--hang-at", "7")  # fmt: skip
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    assert proc.stdout.readline().strip() == "hung"  # in its second batch of five
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    killed = time.monotonic()
    first = read_deliveries(out)
    assert len(first) == 7
    second: list[dict[str, Any]] = []
    other = Outbox(backend, "mailer", batch=5, lease=LEASE)
    while other.process(lambda event: second.append(event.to_dict())) == 0:
        assert time.monotonic() - killed < LEASE + 10, "the lease never expired"
        time.sleep(0.01)
    other.drain(lambda event: second.append(event.to_dict()))
    assert first + second[1:] == log and second[0] == first[-1]


@pytest.mark.parametrize(
    ("options", "field"),
    [({"lease": 0}, "lease"), ({"lease": "30"}, "lease"), ({"lease": float("nan")}, "lease"),
     ({"batch": 0}, "batch"), ({"name": ""}, "name"), ({"name": 5}, "name"),
     ({"name": "mail\x00er"}, "name"), ({"name": "mail\ud800er"}, "name"),
     ({"name": "m" * 256}, "name")],
)  # fmt: skip
def test_outbox_arguments_are_validated(options: dict[str, Any], field: str) -> None:
    from lifecycle import InMemoryBackend

    arguments: dict[str, Any] = {"name": "mailer", **options}
    with pytest.raises(ValidationException) as info:
        Outbox(InMemoryBackend(), **arguments)
    assert info.value.fields[0]["Name"] == field


def test_any_other_name_up_to_255_characters_is_a_cursor_of_its_own(
    make_backend: BackendFactory,
) -> None:
    backend = make_backend()
    Writers.seed(backend, 2)
    names = ["m" * 255, "odd 'name\"; -- \u2603\t", "\U0001f4e8"]
    for name in names:
        assert Outbox(backend, name, batch=1).drain(lambda event: None) == 2
        assert backend.get_cursor(name) == backend.read_log()[-1].position


def test_a_cursor_of_schema_2_keeps_its_position(tmp_path: Path) -> None:
    """Schema 3 adds the lease to the cursors: an upgraded cursor is free to take, where
    it stood."""
    import sqlite3

    path = tmp_path / "old.db"
    backend = SqliteBackend(path)
    Writers.seed(backend, 3)
    Outbox(backend, "mailer", batch=2).process(lambda event: None)
    position = backend.get_cursor("mailer")
    backend.close()
    with sqlite3.connect(path) as conn:  # back to schema 2
        back_to_schema_3(conn)
        conn.execute("ALTER TABLE cursors DROP COLUMN holder")
        conn.execute("ALTER TABLE cursors DROP COLUMN lease_until")
        conn.execute("DELETE FROM schema_version WHERE version > 2")
    conn.close()
    upgraded = SqliteBackend(path)
    assert upgraded.schema_version == len(MIGRATIONS)
    assert upgraded.get_cursor("mailer") == position
    delivered: list[TransitionEvent] = []
    assert Outbox(upgraded, "mailer").drain(delivered.append) == 1
    assert delivered == log_events(upgraded)[2:]
