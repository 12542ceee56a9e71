"""The state machines of the registration lifecycle.

This module is the only place where the legal moves are written. Everything else
(the service, the diagrams, the docs and the test harness) reads them from the
``transitions`` machines defined here: :data:`VERSION_MACHINE` for the status of
one registration version, :data:`REGISTRATION_MACHINE` for the status of the
registration, :data:`ATTACHMENT_MACHINE` for the status of a registration
attachment and :data:`PHONE_NUMBER_MACHINE` for the status of a phone number, each an
aggregate of its own.

The registration's two machines share one event vocabulary. A step of the lifecycle
is one event: every machine that defines the event must accept it from its current
state, and all of them move together (or nothing moves). A machine that does not define an event is
not part of that step (``close`` moves only the registration, ``archive`` only a
version).

Each machine is built once per process. Records are not attached to them as models;
instead :class:`CompiledMachine` reads each machine's transitions into a lookup
table once, and the service resolves moves against it. The conditions named on
transitions are evaluated exactly as ``transitions`` evaluates them (in definition
order, the first transition whose ``conditions`` all hold and ``unless`` all fail
wins), which ``tests/test_machines.py`` checks against real triggers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum
from typing import Any, Literal

import attrs
from transitions import Machine, Transition

from lifecycle.statuses import (
    Actor,
    AttachmentStatus,
    PhoneNumberStatus,
    RegistrationStatus,
    VersionStatus,
)

NEW = "new"
"""Pseudo-state of both machines before ``create``: the record does not exist yet."""

VersionTarget = Literal["new", "current", "approved"]
"""Which version an event of the version machine moves."""


class LifecycleTransition(Transition):
    """A ``transitions`` transition that also knows who fires it and what it records.

    Args beyond ``transitions.Transition``:
        actor: who fires it (:class:`~lifecycle.statuses.Actor`).
        operations: the AWS API operations that fire it (empty for reviewer and
            system events).
        stamps: the status-history fields it sets (version machine only).
        target: which version it moves (version machine only).
    """

    def __init__(
        self,
        source: str,
        dest: str | None,
        conditions: Any = None,
        unless: Any = None,
        before: Any = None,
        after: Any = None,
        prepare: Any = None,
        *,
        actor: Actor,
        operations: Sequence[str] = (),
        stamps: Sequence[str] = (),
        target: VersionTarget = "current",
    ) -> None:
        # dest None is transitions' internal transition; its stub types dest as str.
        super().__init__(source, dest, conditions, unless, before, after, prepare)  # type: ignore[arg-type]
        self.actor = Actor(actor)
        self.operations = tuple(operations)
        self.stamps = tuple(stamps)
        self.target = target


class LifecycleMachine(Machine):
    """A ``transitions.Machine`` whose transitions are :class:`LifecycleTransition`."""

    transition_cls = LifecycleTransition


_U, _R, _S = Actor.USER, Actor.REVIEWER, Actor.SYSTEM
_V = VersionStatus
_G = RegistrationStatus


def _states(*states: str) -> list[str]:
    # Plain strings: transitions treats Enum members (StrEnum included) as enum states.
    return [str(s) for s in states]


_VERSION_TRANSITIONS: list[dict[str, Any]] = [
    dict(trigger="create", source=NEW, dest=_V.DRAFT, actor=_U,
         operations=["CreateRegistration"], stamps=["draft"], target="new"),
    dict(trigger="create_version", source=NEW, dest=_V.DRAFT, actor=_U,
         operations=["CreateRegistrationVersion"], stamps=["draft"], target="new"),
    dict(trigger="submit", source=_V.DRAFT, dest=_V.AWS_REVIEWING, conditions="aws_review",
         actor=_U, operations=["SubmitRegistrationVersion"],
         stamps=["submitted", "aws_reviewing"]),
    dict(trigger="submit", source=_V.DRAFT, dest=_V.SUBMITTED, actor=_U,
         operations=["SubmitRegistrationVersion"], stamps=["submitted"]),
    dict(trigger="discard",
         source=_states(_V.DRAFT, _V.SUBMITTED, _V.AWS_REVIEWING, _V.REQUIRES_AUTHENTICATION),
         dest=_V.DISCARDED, actor=_U, operations=["DiscardRegistrationVersion"],
         stamps=["discarded"]),
    dict(trigger="begin_review", source=_states(_V.SUBMITTED, _V.AWS_REVIEWING),
         dest=_V.REVIEWING, actor=_R, stamps=["reviewing"]),
    dict(trigger="require_authentication", source=_V.REVIEWING,
         dest=_V.REQUIRES_AUTHENTICATION, actor=_R, stamps=["requires_authentication"]),
    dict(trigger="complete_authentication", source=_V.REQUIRES_AUTHENTICATION,
         dest=_V.REVIEWING, actor=_R, stamps=["reviewing"]),
    dict(trigger="require_offline_review", source=_V.REVIEWING,
         dest=_V.REQUIRES_OFFLINE_REVIEW, actor=_R),
    dict(trigger="approve", source=_states(_V.REVIEWING, _V.REQUIRES_OFFLINE_REVIEW),
         dest=_V.APPROVED, actor=_R, stamps=["approved"]),
    dict(trigger="archive", source=_V.APPROVED, dest=_V.ARCHIVED, actor=_S,
         stamps=["archived"], target="approved"),
    dict(trigger="deny",
         source=_states(_V.AWS_REVIEWING, _V.REVIEWING, _V.REQUIRES_AUTHENTICATION,
                        _V.REQUIRES_OFFLINE_REVIEW),
         dest=_V.DENIED, actor=_R, stamps=["denied"]),
    dict(trigger="revoke", source=_V.APPROVED, dest=_V.REVOKED, actor=_R,
         stamps=["revoked"], target="approved"),
    # The form's values change only while the current version is a DRAFT; an edit
    # moves no status.
    dict(trigger="put_field_value", source=_V.DRAFT, dest=None, actor=_U,
         operations=["PutRegistrationFieldValue"]),
    dict(trigger="delete_field_value", source=_V.DRAFT, dest=None, actor=_U,
         operations=["DeleteRegistrationFieldValue"]),
]  # fmt: skip

_DISCARDABLE_IN_REVIEW = _states(_G.SUBMITTED, _G.AWS_REVIEWING, _G.REQUIRES_AUTHENTICATION)
_TAGGABLE = _states(*(s for s in _G if s is not _G.DELETED))
_ASSOCIATED = _states(*(s for s in _G if s not in (_G.DELETED, _G.CLOSED)))
"""The statuses in which a registration may have identities."""

_REGISTRATION_TRANSITIONS: list[dict[str, Any]] = [
    dict(trigger="create", source=NEW, dest=_G.CREATED, actor=_U,
         operations=["CreateRegistration"]),
    dict(trigger="create_version", source=_states(_G.CREATED, _G.REQUIRES_UPDATES, _G.COMPLETE),
         dest=None, conditions="no_open_version", actor=_U,
         operations=["CreateRegistrationVersion"]),
    dict(trigger="submit", source=_states(_G.CREATED, _G.REQUIRES_UPDATES, _G.COMPLETE),
         dest=_G.AWS_REVIEWING, conditions="aws_review", actor=_U,
         operations=["SubmitRegistrationVersion"]),
    dict(trigger="submit", source=_states(_G.CREATED, _G.REQUIRES_UPDATES, _G.COMPLETE),
         dest=_G.SUBMITTED, actor=_U, operations=["SubmitRegistrationVersion"]),
    # A version discarded while in review returns the registration to where its
    # approved, denied or revoked versions left it.
    dict(trigger="discard", source=_DISCARDABLE_IN_REVIEW, dest=_G.COMPLETE,
         conditions="has_approved_version", actor=_U,
         operations=["DiscardRegistrationVersion"]),
    dict(trigger="discard", source=_DISCARDABLE_IN_REVIEW, dest=_G.REQUIRES_UPDATES,
         conditions="has_denied_or_revoked_version", actor=_U,
         operations=["DiscardRegistrationVersion"]),
    dict(trigger="discard", source=_DISCARDABLE_IN_REVIEW, dest=_G.CREATED, actor=_U,
         operations=["DiscardRegistrationVersion"]),
    dict(trigger="discard", source=_states(_G.CREATED, _G.REQUIRES_UPDATES, _G.COMPLETE),
         dest=None, actor=_U, operations=["DiscardRegistrationVersion"]),
    dict(trigger="begin_review", source=_states(_G.SUBMITTED, _G.AWS_REVIEWING),
         dest=_G.REVIEWING, actor=_R),
    dict(trigger="require_authentication", source=_G.REVIEWING,
         dest=_G.REQUIRES_AUTHENTICATION, actor=_R),
    dict(trigger="complete_authentication", source=_G.REQUIRES_AUTHENTICATION,
         dest=_G.REVIEWING, actor=_R),
    dict(trigger="require_offline_review", source=_G.REVIEWING, dest=None, actor=_R),
    dict(trigger="approve", source=_G.REVIEWING, dest=_G.COMPLETE,
         conditions="has_approved_version", actor=_R),
    dict(trigger="approve", source=_G.REVIEWING, dest=_G.PROVISIONING, actor=_R),
    dict(trigger="deny",
         source=_states(_G.AWS_REVIEWING, _G.REVIEWING, _G.REQUIRES_AUTHENTICATION),
         dest=_G.REQUIRES_UPDATES, actor=_R),
    dict(trigger="complete_provisioning", source=_G.PROVISIONING, dest=_G.COMPLETE, actor=_R),
    dict(trigger="revoke", source=_G.COMPLETE, dest=_G.REQUIRES_UPDATES, actor=_R),
    # The system closes a registration when its last identity is released (where its
    # type's disassociation behaviour says so). Closing leaves no version orphaned (a
    # DRAFT must be discarded first) and no identity on a CLOSED registration.
    dict(trigger="close", source=_G.COMPLETE, dest=_G.CLOSED, conditions="no_open_version",
         unless="has_identities", actor=_S),
    # Every status without a version in review or an identity being provisioned, and
    # not while identities are associated whose type's behaviour wants them released
    # first (DISASSOCIATE_ALL_ALLOWS_DELETE_REGISTRATION, ..._CLOSES_REGISTRATION).
    dict(trigger="delete",
         source=_states(_G.CREATED, _G.REQUIRES_UPDATES, _G.COMPLETE, _G.CLOSED),
         dest=_G.DELETED, unless="identities_block_delete", actor=_U,
         operations=["DeleteRegistration"]),
    # An association (a phone number, or a registration such as a campaign's brand)
    # moves no status. ASSOCIATE_AFTER_COMPLETE: only while COMPLETE; otherwise
    # (ASSOCIATE_BEFORE_SUBMIT) only while the current version is a DRAFT.
    dict(trigger="associate", source=_G.COMPLETE, dest=None,
         conditions="associates_after_complete", actor=_U,
         operations=["CreateRegistrationAssociation", "RequestPhoneNumber"]),
    dict(trigger="associate", source=_states(_G.CREATED, _G.REQUIRES_UPDATES, _G.COMPLETE),
         dest=None, unless=["associates_after_complete", "no_open_version"], actor=_U,
         operations=["CreateRegistrationAssociation", "RequestPhoneNumber"]),
    # ASSOCIATE_ON_APPROVAL: the first approval provisions the identity (a sender ID)
    # and associates it, in the approve's step.
    dict(trigger="associate_on_approval", source=_G.PROVISIONING, dest=None, actor=_S),
    # An identity leaves the registration when it is released (or the registration
    # deleted); a close may follow in the same step. A CLOSED registration has none.
    dict(trigger="disassociate", source=_ASSOCIATED, dest=None, actor=_S),
    # Tags change in every status but DELETED (a deleted registration is not found), and
    # a tag change moves no status.
    dict(trigger="tag_resource", source=_TAGGABLE, dest=None, actor=_U,
         operations=["TagResource"]),
    dict(trigger="untag_resource", source=_TAGGABLE, dest=None, actor=_U,
         operations=["UntagResource"]),
]  # fmt: skip


_A = AttachmentStatus

_ATTACHMENT_TRANSITIONS: list[dict[str, Any]] = [
    dict(trigger="create_attachment", source=NEW, dest=_A.UPLOAD_IN_PROGRESS, actor=_U,
         operations=["CreateRegistrationAttachment"]),
    # A body upload completes in the step that creates it; a URL upload when the
    # system has fetched it (a reviewer API call stands in for that).
    dict(trigger="complete_upload", source=_A.UPLOAD_IN_PROGRESS, dest=_A.UPLOAD_COMPLETE,
         actor=_S),
    dict(trigger="fail_upload", source=_A.UPLOAD_IN_PROGRESS, dest=_A.UPLOAD_FAILED, actor=_S),
    dict(trigger="delete_attachment",
         source=_states(_A.UPLOAD_IN_PROGRESS, _A.UPLOAD_COMPLETE, _A.UPLOAD_FAILED),
         dest=_A.DELETED, actor=_U, operations=["DeleteRegistrationAttachment"]),
    # Tags change on any attachment not DELETED; the status stays.
    dict(trigger="tag_resource",
         source=_states(_A.UPLOAD_IN_PROGRESS, _A.UPLOAD_COMPLETE, _A.UPLOAD_FAILED),
         dest=None, actor=_U, operations=["TagResource"]),
    dict(trigger="untag_resource",
         source=_states(_A.UPLOAD_IN_PROGRESS, _A.UPLOAD_COMPLETE, _A.UPLOAD_FAILED),
         dest=None, actor=_U, operations=["UntagResource"]),
]  # fmt: skip


_P = PhoneNumberStatus
_LIVE = _states(_P.PENDING, _P.ACTIVE)

_PHONE_NUMBER_TRANSITIONS: list[dict[str, Any]] = [
    # A number that may carry messages only once a registration is COMPLETE waits in
    # PENDING (a toll-free number, until its registration completes); others start
    # ACTIVE, as does one requested for a registration that is COMPLETE.
    dict(trigger="request_phone_number", source=NEW, dest=_P.PENDING,
         conditions="awaits_registration", unless="registration_complete", actor=_U,
         operations=["RequestPhoneNumber"]),
    dict(trigger="request_phone_number", source=NEW, dest=_P.ACTIVE, actor=_U,
         operations=["RequestPhoneNumber"]),
    dict(trigger="release_phone_number", source=_LIVE, dest=_P.DELETED,
         unless="deletion_protection_enabled", actor=_U, operations=["ReleasePhoneNumber"]),
    # Associated with a registration: a waiting (PENDING) number becomes ACTIVE if the
    # registration is COMPLETE, else in the step that completes it.
    dict(trigger="associate_phone_number", source=_P.PENDING, dest=_P.ACTIVE,
         conditions="registration_complete", actor=_U,
         operations=["CreateRegistrationAssociation"]),
    dict(trigger="associate_phone_number", source=_LIVE, dest=None, actor=_U,
         operations=["CreateRegistrationAssociation"]),
    dict(trigger="activate_phone_number", source=_P.PENDING, dest=_P.ACTIVE, actor=_S),
    # Its registration deleted (DELETE_REGISTRATION_DISASSOCIATES): the number stays.
    dict(trigger="disassociate_phone_number", source=_LIVE, dest=None, actor=_S),
    # Tags change on any number not DELETED; the status stays.
    dict(trigger="tag_resource", source=_LIVE, dest=None, actor=_U, operations=["TagResource"]),
    dict(trigger="untag_resource", source=_LIVE, dest=None, actor=_U,
         operations=["UntagResource"]),
]  # fmt: skip


def _build(name: str, states: Iterable[str], table: list[dict[str, Any]]) -> LifecycleMachine:
    return LifecycleMachine(
        model=None,
        name=name,
        states=[NEW, *_states(*states)],
        initial=NEW,
        transitions=[
            {k: (str(v) if isinstance(v, str) else v) for k, v in row.items()} for row in table
        ],
        auto_transitions=False,
    )


VERSION_MACHINE: LifecycleMachine = _build("version", VersionStatus, _VERSION_TRANSITIONS)
"""The registration version status machine."""

REGISTRATION_MACHINE: LifecycleMachine = _build(
    "registration", RegistrationStatus, _REGISTRATION_TRANSITIONS
)
"""The registration status machine."""

FOLLOW_UPS: Mapping[str, str] = {"approve": "archive"}
"""System events fired in the same atomic step as a reviewer event: approving a
version archives the version that was approved before it."""

NUMBER_FOLLOW_UPS: Mapping[str, str] = {
    str(RegistrationStatus.COMPLETE): "activate_phone_number",
    str(RegistrationStatus.DELETED): "disassociate_phone_number",
}
"""The phone number event fired, in the same atomic step, on each number associated
with a registration whose step brings it into a status (from another one): its
completion activates the numbers waiting for it (PENDING ones; the others take no
part), its deletion disassociates them (where its type's behaviour is
DELETE_REGISTRATION_DISASSOCIATES; otherwise the delete is refused while any are
associated)."""

ALSO_BY_REVIEWER: tuple[str, ...] = ("close",)
"""System events that the reviewer's API fires too, standing in for AWS doing them on
its own: AWS closes a registration when asked to (it is logged with actor system)."""

CLOSING_EVENT: str = "close"
"""The registration event the release of its last identity fires, in the same step,
where its type's disassociation behaviour is DISASSOCIATE_ALL_CLOSES_REGISTRATION."""


@attrs.frozen
class TransitionSpec:
    """One transition of one machine, as public, introspectable data."""

    machine: str
    """``"version"`` or ``"registration"``."""
    event: str
    actor: Actor
    operations: tuple[str, ...]
    """AWS operations that fire it; empty for reviewer and system events."""
    source: str
    dest: Any
    """The new status (a member of the machine's status enum); ``None`` for an internal
    transition (the status stays)."""
    conditions: tuple[str, ...]
    """Names of conditions that must all hold."""
    unless: tuple[str, ...]
    """Names of conditions that must all fail."""
    stamps: tuple[str, ...]
    """Status-history fields set (version machine)."""
    target: VersionTarget
    """Which version moves (version machine)."""


@attrs.frozen
class EventSpec:
    """One event of the shared vocabulary, with the machines that define it."""

    name: str
    actor: Actor
    operations: tuple[str, ...]
    machines: tuple[str, ...]

    @property
    def fired_by(self) -> str:
        """How it is fired, as refusals name it: its API operation, or
        ``reviewer:<event>`` (``system:<event>``)."""
        return self.operations[0] if self.operations else f"{self.actor.value}:{self.name}"


def transition_specs(
    machine: LifecycleMachine, statuses: type[StrEnum]
) -> tuple[TransitionSpec, ...]:
    """Every transition of ``machine`` in definition order, read from the machine;
    destinations become members of ``statuses``."""
    specs = []
    for event in machine.events.values():
        for source, transitions in event.transitions.items():
            for t in map(_lifecycle_transition, transitions):
                specs.append(
                    TransitionSpec(
                        machine=machine.name.rstrip(": "),
                        event=event.name,
                        actor=t.actor,
                        operations=t.operations,
                        source=source,
                        dest=None if t.dest is None else statuses(t.dest),
                        conditions=tuple(str(c.func) for c in t.conditions if c.target),
                        unless=tuple(str(c.func) for c in t.conditions if not c.target),
                        stamps=t.stamps,
                        target=t.target,
                    )
                )
    return tuple(specs)


def _lifecycle_transition(transition: Transition) -> LifecycleTransition:
    assert isinstance(transition, LifecycleTransition)
    return transition


class CompiledMachine:
    """A machine's transitions as a lookup table, built once from the machine.

    ``resolve`` answers what ``machine.events[event].trigger(model)`` would do for a
    model in ``state`` whose condition attributes are those of ``context``, without
    the per-call cost of ``transitions``' event dispatch.
    """

    def __init__(self, machine: LifecycleMachine, statuses: type[StrEnum]) -> None:
        self.machine = machine
        self.statuses = statuses
        self.transitions = transition_specs(machine, statuses)
        self.name = self.transitions[0].machine
        self.states: tuple[str, ...] = tuple(machine.states)
        table: dict[tuple[str, str], list[TransitionSpec]] = {}
        for spec in self.transitions:
            table.setdefault((spec.source, spec.event), []).append(spec)
        self._table = {key: tuple(specs) for key, specs in table.items()}
        self.events: frozenset[str] = frozenset(spec.event for spec in self.transitions)
        self._targets = {spec.event: spec.target for spec in self.transitions}

    def defines(self, event: str) -> bool:
        """Whether this machine takes part in ``event``."""
        return event in self.events

    def resolve(self, state: str, event: str, context: object) -> TransitionSpec | None:
        """The transition ``event`` takes from ``state``, or ``None`` if it is refused.

        ``context`` provides the named conditions as attributes (bools or properties).
        """
        # Plain loops rather than all()/any() over generators: this is every step's path.
        for spec in self._table.get((state, event), ()):
            for condition in spec.conditions:
                if not getattr(context, condition):
                    break
            else:
                for unless in spec.unless:
                    if getattr(context, unless):
                        break
                else:
                    return spec
        return None

    def target_of(self, event: str) -> VersionTarget:
        """Which version ``event`` moves (meaningful for the version machine)."""
        return self._targets[event]

    def candidates(self, state: str, event: str) -> tuple[TransitionSpec, ...]:
        """All transitions of ``event`` from ``state``, whatever their conditions."""
        return self._table.get((state, event), ())

    def final_states(self) -> frozenset[str]:
        """States with no way out: terminal."""
        sources = {spec.source for spec in self.transitions if spec.dest != spec.source}
        return frozenset(s for s in self.states if s not in sources)


VERSION: CompiledMachine = CompiledMachine(VERSION_MACHINE, VersionStatus)
"""The compiled version machine."""
REGISTRATION: CompiledMachine = CompiledMachine(REGISTRATION_MACHINE, RegistrationStatus)
"""The compiled registration machine."""
MACHINES: tuple[CompiledMachine, ...] = (VERSION, REGISTRATION)
"""The machines of a registration, which move together in one step."""

ATTACHMENT_MACHINE: LifecycleMachine = _build(
    "attachment", AttachmentStatus, _ATTACHMENT_TRANSITIONS
)
"""The registration attachment status machine."""
ATTACHMENT: CompiledMachine = CompiledMachine(ATTACHMENT_MACHINE, AttachmentStatus)
"""The compiled attachment machine."""


# Only the statuses a move reaches: an association here is one atomic step, so the
# model's ASSOCIATING and DISASSOCIATING (AWS's asynchronous provisioning) never are.
PHONE_NUMBER_MACHINE: LifecycleMachine = _build(
    "phone_number", (_P.PENDING, _P.ACTIVE, _P.DELETED), _PHONE_NUMBER_TRANSITIONS
)
"""The phone number status machine."""
PHONE_NUMBER: CompiledMachine = CompiledMachine(PHONE_NUMBER_MACHINE, PhoneNumberStatus)
"""The compiled phone number machine."""


def _events(machines: tuple[CompiledMachine, ...]) -> dict[str, EventSpec]:
    events: dict[str, EventSpec] = {}
    for machine in machines:
        for spec in machine.transitions:
            known = events.get(spec.event)
            if known is None:
                events[spec.event] = EventSpec(spec.event, spec.actor, spec.operations, ())
            elif (known.actor, known.operations) != (spec.actor, spec.operations):
                raise RuntimeError(f"event {spec.event!r} has inconsistent actor or operations")
    return {
        name: attrs.evolve(e, machines=tuple(m.name for m in machines if m.defines(name)))
        for name, e in events.items()
    }


EVENTS: Mapping[str, EventSpec] = _events(MACHINES)
"""Every event of a registration's lifecycle by name, with its actor, operations and
machines."""

ATTACHMENT_EVENTS: Mapping[str, EventSpec] = _events((ATTACHMENT,))
"""Every event of an attachment's lifecycle by name (the tag edits share their names
with the registration's: a logged event's ``resource_type`` says whose it is)."""

PHONE_NUMBER_EVENTS: Mapping[str, EventSpec] = _events((PHONE_NUMBER,))
"""Every event of a phone number's lifecycle by name."""

TERMINAL_VERSION_STATUSES: frozenset[VersionStatus] = frozenset(
    VersionStatus(s) for s in VERSION.final_states()
)
"""Version statuses that never change again."""

CONDITIONS: tuple[str, ...] = tuple(
    sorted({c for m in MACHINES for s in m.transitions for c in (*s.conditions, *s.unless)})
)
"""Every condition name the machines use."""

FIELD_EDITS: frozenset[str] = frozenset({"put_field_value", "delete_field_value"})
"""The events that edit the field values of a DRAFT; each carries its edit."""

ASSOCIATION_EVENTS: frozenset[str] = frozenset(
    {"associate", "associate_on_approval", "disassociate"}
)
"""The events that make or end an association of a registration; each carries it."""

TAG_EDITS: frozenset[str] = frozenset({"tag_resource", "untag_resource"})
"""The events that change a registration's tags; each carries its change."""

INTERNAL_EVENTS: frozenset[str] = frozenset(
    name
    for name in EVENTS
    if all(s.dest is None for m in MACHINES for s in m.transitions if s.event == name)
)
"""Events that move no status in any machine (the form and tag edits): no change of
statuses is explained by them."""
