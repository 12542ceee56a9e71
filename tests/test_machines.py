"""Every (event, state) pair of both machines, legal and illegal, for every combination
of the condition flags: the compiled lookup the service uses answers exactly what a real
``transitions`` trigger on the machine does.

The machines are the one place the legal moves are written; this test keeps the
service's fast path true to them. What the moves mean is tested through the API
(``tests/test_semantics.py``) and against the reference model (``tests/test_exhaustive.py``).
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from transitions import MachineError

from lifecycle.machines import (
    CONDITIONS,
    EVENTS,
    REGISTRATION,
    REGISTRATION_MACHINE,
    TERMINAL_VERSION_STATUSES,
    VERSION,
    VERSION_MACHINE,
)

REFUSED = "(refused)"
SAME = "(unchanged)"

ALL_EVENTS = [
    "create", "create_version", "submit", "discard", "begin_review", "require_authentication",
    "complete_authentication", "require_offline_review", "approve", "archive", "deny",
    "revoke", "complete_provisioning", "close", "delete", "put_field_value",
    "delete_field_value", "tag_resource", "untag_resource", "associate", "disassociate",
    "associate_on_approval",
]  # fmt: skip
FLAGS = list(CONDITIONS)

VERSION_STATES = ["new", "DRAFT", "SUBMITTED", "AWS_REVIEWING", "REVIEWING",
                  "REQUIRES_AUTHENTICATION", "REQUIRES_OFFLINE_REVIEW", "APPROVED",
                  "DISCARDED", "DENIED", "REVOKED", "ARCHIVED"]  # fmt: skip
REGISTRATION_STATES = ["new", "CREATED", "SUBMITTED", "AWS_REVIEWING", "REVIEWING",
                       "REQUIRES_AUTHENTICATION", "PROVISIONING", "COMPLETE",
                       "REQUIRES_UPDATES", "CLOSED", "DELETED"]  # fmt: skip


EXPECTED_ACTORS = {
    "create": "user", "create_version": "user", "submit": "user", "discard": "user",
    "delete": "user", "begin_review": "reviewer", "require_authentication": "reviewer",
    "complete_authentication": "reviewer", "require_offline_review": "reviewer",
    "approve": "reviewer", "deny": "reviewer", "revoke": "reviewer",
    "complete_provisioning": "reviewer", "close": "system", "archive": "system",
    "put_field_value": "user", "delete_field_value": "user", "tag_resource": "user",
    "untag_resource": "user", "associate": "user", "disassociate": "system",
    "associate_on_approval": "system",
}  # fmt: skip
EXPECTED_OPERATIONS = {
    "create": ("CreateRegistration",),
    "create_version": ("CreateRegistrationVersion",),
    "submit": ("SubmitRegistrationVersion",),
    "discard": ("DiscardRegistrationVersion",),
    "delete": ("DeleteRegistration",),
    "put_field_value": ("PutRegistrationFieldValue",),
    "delete_field_value": ("DeleteRegistrationFieldValue",),
    "tag_resource": ("TagResource",),
    "untag_resource": ("UntagResource",),
    "associate": ("CreateRegistrationAssociation", "RequestPhoneNumber"),
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
    pytest.param(compiled, machine, states, event, id=f"{compiled.name}-{event}")
    for compiled, machine, states in [
        (VERSION, VERSION_MACHINE, VERSION_STATES),
        (REGISTRATION, REGISTRATION_MACHINE, REGISTRATION_STATES),
    ]
    for event in ALL_EVENTS
]  # fmt: skip


@pytest.mark.parametrize(("compiled", "machine", "states", "event"), CASES)
def test_compiled_lookup_answers_as_transitions_does(
    compiled: Any, machine: Any, states: list[str], event: str
) -> None:
    for state in states:
        for flags in FLAG_COMBINATIONS:
            want = _triggered_outcome(machine, state, event, flags)
            assert _compiled_outcome(compiled, state, event, flags) == want, (state, flags)


def test_every_event_is_legal_somewhere_and_refused_somewhere() -> None:
    """A guard against a lookup and a trigger that agree because both see nothing."""
    for event in ALL_EVENTS:
        outcomes = {
            _triggered_outcome(m, state, event, flags)
            for m, states in [(VERSION_MACHINE, VERSION_STATES),
                              (REGISTRATION_MACHINE, REGISTRATION_STATES)]
            for state in states
            for flags in FLAG_COMBINATIONS
        }  # fmt: skip
        assert REFUSED in outcomes, event
        assert outcomes - {REFUSED, None}, event


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
