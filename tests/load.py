"""Load and time limits for the concurrency tests.

:func:`within` turns a hang into a test failure. :class:`Writers` keeps a store busy
with writers in threads of this process and, for a durable store, in worker processes
(``python -m tests.workers churn``) until its block ends.
"""

from __future__ import annotations

import random
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from lifecycle import (
    ConflictException,
    LifecycleError,
    RegistrationService,
    ResourceNotFoundException,
)
from lifecycle.ports import Backend
from tests.conftest import new_id
from tests.workers import REVIEWER_OPS, USER_OPS, operate

ROOT = Path(__file__).resolve().parent.parent
T = TypeVar("T")


def within(seconds: float, fn: Callable[[], T]) -> T:
    """``fn()`` run in a daemon thread: its result, or the exception it raised.

    Fails the test if ``fn`` is still running after ``seconds``: it hangs (the
    thread is left behind).
    """
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append((True, fn()))
        except BaseException as exc:
            outcome.append((False, exc))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        raise AssertionError(f"still running after {seconds} s: it hangs")
    ok, value = outcome[0]
    if not ok:
        raise value
    return value  # type: ignore[no-any-return]


def spec_of(backend: Backend) -> str | None:
    """How a worker process opens ``backend`` (``tests.workers``), or ``None`` for a
    store that lives in this process only."""
    path = getattr(backend, "path", None)
    if path is not None:
        return None if path == ":memory:" else f"sqlite:{path}"
    schema = getattr(backend, "schema", None)
    return None if schema is None else f"postgres:{schema}"


def worker(module: str, *args: str) -> subprocess.Popen[str]:
    """``python -m MODULE ARGS`` from the repository root, its output piped."""
    return subprocess.Popen(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


class Writers:
    """Random legal and illegal calls (creations included) on ``backend`` by
    ``threads`` threads and, where the store is durable, ``processes`` worker
    processes, from entering the block until leaving it.

    Leaving it stops them and fails if a writer met an error other than the expected
    conflicts; :attr:`commits` counts the successful calls of the threads.
    """

    def __init__(self, backend: Backend, *, threads: int = 2, processes: int = 2) -> None:
        self.backend = backend
        self.commits = 0
        self._threads = threads
        self._processes = processes if spec_of(backend) is not None else 0
        self._stop = threading.Event()
        self._running: list[threading.Thread] = []
        self._procs: list[subprocess.Popen[str]] = []
        self._errors: list[BaseException] = []
        self._lock = threading.Lock()

    @staticmethod
    def seed(backend: Backend, count: int, *, filled: bool = False) -> list[str]:
        """Create ``count`` brand registrations (``filled``: their forms filled in, so
        that they can be submitted); their ids."""
        service = RegistrationService(backend)
        return [new_id(service, filled=filled) for _ in range(count)]

    def __enter__(self) -> Writers:
        ids = self.seed(self.backend, 10, filled=True)
        spec = spec_of(self.backend)
        for seed in range(self._processes):
            assert spec is not None
            proc = worker("tests.workers", "churn", spec, str(seed))
            self._procs.append(proc)
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        for seed in range(self._threads):
            thread = threading.Thread(target=self._write, args=(list(ids), seed), daemon=True)
            thread.start()
            self._running.append(thread)
        return self

    def _write(self, ids: list[str], seed: int) -> None:
        service = RegistrationService(self.backend)
        rng = random.Random(seed)
        while not self._stop.is_set():
            try:
                if rng.random() < 0.1:  # filled in, so that it can be submitted
                    ids.append(new_id(service))
                else:
                    operate(service, rng.choice(USER_OPS + REVIEWER_OPS), rng.choice(ids))
                with self._lock:
                    self.commits += 1
            except (ConflictException, ResourceNotFoundException):
                pass
            except LifecycleError as exc:
                self._errors.append(exc)
                return

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        for proc in self._procs:
            proc.kill()
            proc.wait(timeout=30)
        for thread in self._running:
            thread.join(30)
        if kind is None:
            assert self._errors == []
            assert self.commits > 0
