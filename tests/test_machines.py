"""Every (event, state) pair of both machines, legal and illegal, against the tables of
``lifecycle.testing.reference``: written by hand from the reference semantics, never
read from the machines.

Each pair is checked for every combination of the condition flags, three ways: the
compiled lookup the service uses, and a real ``transitions`` trigger on the machine.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from transitions import MachineError

from lifecycle.machines import (
    EVENTS,
    REGISTRATION,
    REGISTRATION_MACHINE,
    TERMINAL_VERSION_STATUSES,
    VERSION,
    VERSION_MACHINE,
)
from lifecycle.testing.reference import REFUSED, SAME, registration_table, version_table

ALL_EVENTS = [
    "create", "create_version", "submit", "discard", "begin_review", "require_authentication",
    "complete_authentication", "require_offline_review", "approve", "archive", "deny",
    "revoke", "complete_provisioning", "close", "delete",
]  # fmt: skip
FLAGS = ["aws_review", "has_approved_version", "has_denied_or_revoked_version", "no_open_version"]

VERSION_STATES = ["new", "DRAFT", "SUBMITTED", "AWS_REVIEWING", "REVIEWING",
                  "REQUIRES_AUTHENTICATION", "REQUIRES_OFFLINE_REVIEW", "APPROVED",
                  "DISCARDED", "DENIED", "REVOKED", "ARCHIVED"]  # fmt: skip
REGISTRATION_STATES = ["new", "CREATED", "SUBMITTED", "AWS_REVIEWING", "REVIEWING",
                       "REQUIRES_AUTHENTICATION", "PROVISIONING", "COMPLETE",
                       "REQUIRES_UPDATES", "CLOSED", "DELETED"]  # fmt: skip
version_expected = version_table
registration_expected = registration_table


EXPECTED_ACTORS = {
    "create": "user", "create_version": "user", "submit": "user", "discard": "user",
    "delete": "user", "begin_review": "reviewer", "require_authentication": "reviewer",
    "complete_authentication": "reviewer", "require_offline_review": "reviewer",
    "approve": "reviewer", "deny": "reviewer", "revoke": "reviewer",
    "complete_provisioning": "reviewer", "close": "reviewer", "archive": "system",
}  # fmt: skip
EXPECTED_OPERATIONS = {
    "create": ("CreateRegistration",),
    "create_version": ("CreateRegistrationVersion",),
    "submit": ("SubmitRegistrationVersion",),
    "discard": ("DiscardRegistrationVersion",),
    "delete": ("DeleteRegistration",),
}

FLAG_COMBINATIONS = [
    dict(zip(FLAGS, values, strict=True))
    for values in itertools.product([False, True], repeat=len(FLAGS))
]


class Model:
    """A plain object the real ``transitions`` machine is triggered on."""

    def __init__(self, state: str, flags: dict[str, bool]) -> None:
        self.state = state
        for name, value in flags.items():
            setattr(self, name, value)


def _compiled_outcome(machine: Any, state: str, event: str, flags: dict[str, bool]) -> str | None:
    if not machine.defines(event):
        return None
    spec = machine.resolve(state, event, Model(state, flags))
    if spec is None:
        return REFUSED
    return SAME if spec.dest is None else str(spec.dest)


def _triggered_outcome(machine: Any, state: str, event: str, flags: dict[str, bool]) -> str | None:
    if event not in machine.events:
        return None
    model = Model(state, flags)
    try:
        moved = machine.events[event].trigger(model)
    except MachineError:
        return REFUSED
    if not moved:
        return REFUSED
    # No transition of either machine leads back to its own source, so an
    # unchanged state means an internal transition.
    return SAME if model.state == state else model.state


CASES = [
    pytest.param(name, compiled, machine, expected, states, event,
                 id=f"{name}-{event}")
    for name, compiled, machine, expected, states in [
        ("version", VERSION, VERSION_MACHINE, version_expected, VERSION_STATES),
        ("registration", REGISTRATION, REGISTRATION_MACHINE, registration_expected,
         REGISTRATION_STATES),
    ]
    for event in ALL_EVENTS
]  # fmt: skip


@pytest.mark.parametrize(("name", "compiled", "machine", "expected", "states", "event"), CASES)
def test_every_state_and_flag_combination(
    name: str, compiled: Any, machine: Any, expected: Any, states: list[str], event: str
) -> None:
    for state in states:
        for flags in FLAG_COMBINATIONS:
            want = expected(event, state, flags)
            assert _compiled_outcome(compiled, state, event, flags) == want, (state, flags)
            assert _triggered_outcome(machine, state, event, flags) == want, (state, flags)


def test_machines_have_exactly_the_reference_states() -> None:
    assert sorted(VERSION_MACHINE.states) == sorted(VERSION_STATES)
    assert sorted(REGISTRATION_MACHINE.states) == sorted(REGISTRATION_STATES)


def test_event_vocabulary_actors_and_operations() -> None:
    assert sorted(EVENTS) == sorted(ALL_EVENTS)
    for name, spec in EVENTS.items():
        assert spec.actor.value == EXPECTED_ACTORS[name], name
        assert spec.operations == EXPECTED_OPERATIONS.get(name, ()), name


def test_terminal_states() -> None:
    assert {s.value for s in TERMINAL_VERSION_STATUSES} == {
        "DISCARDED", "DENIED", "REVOKED", "ARCHIVED"
    }  # fmt: skip
    assert REGISTRATION.final_states() == {"DELETED"}


def test_history_stamps_per_transition() -> None:
    stamps = {(s.event, s.dest): s.stamps for s in VERSION.transitions}
    assert stamps[("submit", "AWS_REVIEWING")] == ("submitted", "aws_reviewing")
    assert stamps[("submit", "SUBMITTED")] == ("submitted",)
    assert stamps[("complete_authentication", "REVIEWING")] == ("reviewing",)
    assert stamps[("require_offline_review", "REQUIRES_OFFLINE_REVIEW")] == ()
    assert {s.target for s in VERSION.transitions if s.event in ("revoke", "archive")} == {
        "approved"
    }
