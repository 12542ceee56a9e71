"""The pytest plugin of lifecycle (entry point ``pytest11``): fixtures for testing
workflow code against the lifecycle, and the session's harness coverage in the
terminal summary.

It imports nothing heavy at load time, so it does no harm where the ``test`` extra
is not installed; the fixtures import :mod:`lifecycle.testing` when used.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import pytest

from lifecycle.clock import ManualClock
from lifecycle.service import RegistrationService

if TYPE_CHECKING:
    from hypothesis import settings as Settings

    from lifecycle.aws.mock import Mock
    from lifecycle.ports import Backend
    from lifecycle.testing import LifecycleStateMachine, TransitionCoverage

_SESSION_COVERAGE: pytest.StashKey[TransitionCoverage] = pytest.StashKey()


@pytest.fixture
def lifecycle_clock() -> ManualClock:
    """A clock that moves only when told (``advance``, ``set``)."""
    return ManualClock()


@pytest.fixture
def lifecycle_service(lifecycle_clock: ManualClock) -> RegistrationService:
    """A service on a new in-memory backend, on ``lifecycle_clock``."""
    return RegistrationService(clock=lifecycle_clock)


@pytest.fixture
def lifecycle_aws() -> Iterator[Mock]:
    """:func:`lifecycle.aws.mock` for the test: every ``pinpoint-sms-voice-v2`` client
    of the process is answered by the library (needs the ``aws`` extra)."""
    from lifecycle.aws import mock

    with mock() as active:
        yield active


@pytest.fixture
def lifecycle_harness(request: pytest.FixtureRequest) -> Callable[..., TransitionCoverage]:
    """Runs the state machine harness: ``lifecycle_harness(backend_factory=None,
    machine=LifecycleStateMachine, settings=None)``, as
    :func:`lifecycle.testing.run_harness` (by default 200 examples of at most 30
    steps); returns the coverage the run reached. The terminal summary reports what
    all runs of the session exercised together."""
    from lifecycle.testing import LifecycleStateMachine, TransitionCoverage, run_harness

    session = request.config.stash.setdefault(_SESSION_COVERAGE, TransitionCoverage())

    def run(
        backend_factory: Callable[[], Backend] | None = None,
        machine: type[LifecycleStateMachine] = LifecycleStateMachine,
        settings: Settings | None = None,
    ) -> TransitionCoverage:
        coverage = TransitionCoverage()
        try:
            return run_harness(backend_factory, machine=machine, settings=settings,
                               coverage=coverage)  # fmt: skip
        finally:
            session.update(coverage)

    return run


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    """After a session that ran the harness: the transitions all its runs exercised."""
    coverage = config.stash.get(_SESSION_COVERAGE, None)
    if coverage is not None:
        terminalreporter.write_sep("-", "lifecycle harness coverage (this session)")
        terminalreporter.write_line(coverage.report())
