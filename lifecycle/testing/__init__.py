"""The test harness: strategies, a state machine and a reference model of the lifecycle.

Needs the ``test`` extra (``pip install 'lifecycle[test]'``: hypothesis and pytest).
Teams test their registration workflow code with it: hypothesis chooses the
reviewer's answers, and the harness checks every step against a reference model
(its moves read from the machines, everything else written again) and the eleven
invariants. The pytest plugin (registered by the
package, in :mod:`lifecycle.pytest_plugin`) adds the fixtures ``lifecycle_service``,
``lifecycle_clock`` and ``lifecycle_harness``.
"""

try:
    import hypothesis  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise ImportError("lifecycle.testing needs hypothesis: pip install 'lifecycle[test]'") from exc

from lifecycle.testing.coverage import TransitionCoverage
from lifecycle.testing.machine import (
    MAX_EXAMPLES,
    STATEFUL_STEP_COUNT,
    LifecycleStateMachine,
    harness_settings,
    run_harness,
)
from lifecycle.testing.reference import ReferenceRegistration

__all__ = [
    "MAX_EXAMPLES",
    "STATEFUL_STEP_COUNT",
    "LifecycleStateMachine",
    "ReferenceRegistration",
    "TransitionCoverage",
    "harness_settings",
    "run_harness",
]
