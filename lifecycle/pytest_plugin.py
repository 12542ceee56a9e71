"""The pytest plugin of lifecycle (entry point ``pytest11``): fixtures for testing
workflow code against the lifecycle.

It imports nothing heavy at load time, so it does no harm where the ``test`` extra
is not installed; the fixtures import :mod:`lifecycle.testing` when used.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

from lifecycle.clock import ManualClock
from lifecycle.service import RegistrationService

if TYPE_CHECKING:
    from lifecycle.ports import Backend
    from lifecycle.testing import LifecycleStateMachine, TransitionCoverage


@pytest.fixture
def lifecycle_clock() -> ManualClock:
    """A clock that moves only when told (``advance``, ``set``)."""
    return ManualClock()


@pytest.fixture
def lifecycle_service(lifecycle_clock: ManualClock) -> RegistrationService:
    """A service on a new in-memory backend, on ``lifecycle_clock``."""
    return RegistrationService(clock=lifecycle_clock)


@pytest.fixture
def lifecycle_harness() -> Callable[..., TransitionCoverage]:
    """Runs the state machine harness: ``lifecycle_harness(backend_factory=None,
    machine=LifecycleStateMachine, settings=None)``; returns the coverage reached."""
    from lifecycle.testing import run_harness

    def run(
        backend_factory: Callable[[], Backend] | None = None,
        machine: type[LifecycleStateMachine] | None = None,
        **kwargs: Any,
    ) -> TransitionCoverage:
        from lifecycle.testing import LifecycleStateMachine

        return run_harness(backend_factory, machine=machine or LifecycleStateMachine, **kwargs)

    return run
