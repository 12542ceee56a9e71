"""The event log as audit trail: replay it through the machines, compare with the store.

:func:`verify` replays every registration's committed events from the start, reading
the log and the registrations from one snapshot of the store. Each event must be a
move the machines allow from the replayed state, with their conditions evaluated on
that state. The replayed statuses, status-history timestamps and field values of
every version (with the flags a deny set on them), and the registration's tags, must
then equal the stored registration's. Each attachment's and phone number's events are
replayed through its own machine likewise, and its status and tags compared. Anything
else is reported as a :class:`Discrepancy`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import attrs

from lifecycle.aggregate import Conditions
from lifecycle.associations import SENDER_ID, Association
from lifecycle.attachments import RESOURCE_TYPE as ATTACHMENT_TYPE
from lifecycle.errors import ValidationException
from lifecycle.events import TransitionEvent
from lifecycle.form import FLAG_MEMBERS
from lifecycle.machines import (
    ASSOCIATION_EVENTS,
    ATTACHMENT,
    ATTACHMENT_EVENTS,
    EVENTS,
    FIELD_EDITS,
    NEW,
    PHONE_NUMBER,
    PHONE_NUMBER_EVENTS,
    REGISTRATION,
    TAG_EDITS,
    VERSION,
    CompiledMachine,
)
from lifecycle.models import HISTORY_KEYS, Registration, RegistrationVersion, Tag
from lifecycle.phone_numbers import ASSOCIATED, REGISTRATION_AFTER, PhoneNumber
from lifecycle.phone_numbers import RESOURCE_TYPE as PHONE_NUMBER_TYPE
from lifecycle.phone_numbers import Conditions as NumberConditions
from lifecycle.ports import Backend, Snapshot, all_versions
from lifecycle.tags import TagChange


@attrs.frozen
class Discrepancy:
    """Something the log and the store disagree on, for one registration, attachment
    or phone number."""

    registration_id: str
    """The registration's id (or the attachment's, or the phone number's)."""
    problem: str


@attrs.define
class _Replayed:
    status: str = NEW
    versions: list[str] = attrs.Factory(list)
    history: list[dict[str, datetime]] = attrs.Factory(list)
    values: list[dict[str, dict[str, Any]]] = attrs.Factory(list)
    """Per version, its field values as DescribeRegistrationFieldValues shows them
    (flags included), by field path."""
    tags: tuple[Tag, ...] = ()
    conditions: object = None
    """What a phone number's machine conditions read, as its request recorded them."""
    facts: dict[str, Any] = attrs.Factory(dict)
    """What a phone number's request recorded of it (:data:`NUMBER_FACTS`)."""
    identities: int = 0
    """A registration's associated identities."""
    linked: str | None = None
    """The registration a registration, or a phone number, is associated with."""
    sender: str | None = None
    """A registration's sender ID."""
    events: int = 0


def _move(
    machine: CompiledMachine,
    state: str,
    event: TransitionEvent,
    to: str | None,
    ctx: object,
) -> str | None:
    """The problem with ``event`` moving ``machine`` from ``state`` to ``to``, if any."""
    spec = machine.resolve(state, event.event, ctx)
    if spec is None:
        return f"{event.event} is not allowed from {machine.name} status {state}"
    landed = state if spec.dest is None else spec.dest
    if landed != to:
        return f"{event.event} from {state} leads to {landed}, the log says {to}"
    return None


def replay_one(state: _Replayed, event: TransitionEvent) -> str | None:
    """Apply one logged event to ``state``; the problem if the machines refuse it."""
    if event.event == "anomaly":
        return None  # a divergence the AWS backend observed and reported: nothing moved
    if event.event not in EVENTS:
        return f"unknown event {event.event!r}"
    ctx = Conditions.of_statuses(state.versions, aws_review=event.version_to == "AWS_REVIEWING")
    ctx.has_identities = state.identities > 0
    if REGISTRATION.defines(event.event):
        if event.registration_from != (None if state.status == NEW else state.status):
            return (
                f"{event.event} says the registration was {event.registration_from}, "
                f"the replay has {state.status}"
            )
        problem = _move(REGISTRATION, state.status, event, event.registration_to, ctx)
        if problem and event.event == "associate":
            # The log does not say the association's behaviour (the catalogue does):
            # either is legal.
            ctx.associates_after_complete = True
            problem = _move(REGISTRATION, state.status, event, event.registration_to, ctx)
        if problem:
            return problem
        problem = _associations(state, event)
        if problem:
            return problem
    if VERSION.defines(event.event):
        target = VERSION.target_of(event.event)
        n = event.version_number
        if target == "new":
            expected_number: int | None = len(state.versions) + 1
        elif target == "approved":
            expected_number = (
                state.versions.index("APPROVED") + 1 if "APPROVED" in state.versions else None
            )
        else:
            expected_number = len(state.versions)
        if n is None or n != expected_number:
            return f"{event.event} moved version {n}, the replay expects {expected_number}"
        before = NEW if target == "new" else state.versions[n - 1]
        if event.version_from != (None if before == NEW else before):
            return (
                f"{event.event} says version {n} was {event.version_from}, the replay has {before}"
            )
        problem = _move(VERSION, before, event, event.version_to, ctx)
        if problem:
            return problem
        spec = VERSION.resolve(before, event.event, ctx)
        assert spec is not None and event.version_to is not None
        if target == "new":
            state.versions.append(event.version_to)
            state.history.append({})
            state.values.append(_unflagged(state.values[-1]) if state.values else {})
        else:
            state.versions[n - 1] = event.version_to
        problem = _edit(state.values[n - 1], event)
        if problem:
            return problem
        for field in spec.stamps:
            state.history[n - 1][field] = event.timestamp
    if REGISTRATION.defines(event.event) and event.registration_to is not None:
        state.status = event.registration_to
    problem = _retag(state, event)
    if problem:
        return problem
    state.events += 1
    return None


def _associations(state: _Replayed, event: TransitionEvent) -> str | None:
    """Apply what an association event or a delete does to a registration's replayed
    associations."""
    if event.event == "delete":
        state.identities, state.linked, state.sender = 0, None, None
    if event.event not in ASSOCIATION_EVENTS:
        return None
    try:
        association = Association.from_dict(event.detail or {})
    except (KeyError, TypeError):
        return f"{event.event} records no association: {event.detail!r}"
    ends = event.event == "disassociate"
    if association.identity:
        state.identities += -1 if ends else 1
        if state.identities < 0:
            return f"{event.event} of {association.resource_id}: no identity is associated"
        if association.resource_type == SENDER_ID:
            state.sender = None if ends else association.resource_id
    else:
        state.linked = None if ends else association.resource_id
    return None


def _retag(state: _Replayed, event: TransitionEvent) -> str | None:
    """Apply the tags a create or a tag edit records to the replayed ``state``."""
    creates = event.event in ("create", "create_attachment", "request_phone_number")
    if event.event not in TAG_EDITS and not (
        creates
        and event.detail
        and ("Tags" in event.detail or event.event != "request_phone_number")
    ):
        return None
    if not event.detail:
        return f"{event.event} carries no tag change"
    try:
        state.tags = TagChange.of_detail(event.detail).applied_to(state.tags)
    except (ValidationException, ValueError) as exc:
        return f"{event.event} records a malformed tag change: {exc}"
    return None


_OWN_RESOURCES: Mapping[str, tuple[str, CompiledMachine, Mapping[str, Any]]] = {
    ATTACHMENT_TYPE: ("attachment", ATTACHMENT, ATTACHMENT_EVENTS),
    PHONE_NUMBER_TYPE: ("phone number", PHONE_NUMBER, PHONE_NUMBER_EVENTS),
}
"""The aggregates of their own that the log holds events of, by resource type: what
each is called, its machine and its events."""


NUMBER_FACTS: tuple[str, ...] = (
    "PhoneNumber", "IsoCountryCode", "MessageType", "NumberCapabilities", "NumberType",
    "InternationalSendingEnabled", "DeletionProtectionEnabled",
)  # fmt: skip
"""What a phone number's request event records of it and no later event changes."""


def _number_facts(number: PhoneNumber) -> dict[str, Any]:
    shown = number.to_dict()
    return {key: shown[key] for key in NUMBER_FACTS}


def replay_resource(state: _Replayed, event: TransitionEvent) -> str | None:
    """Apply one logged event of an attachment or a phone number to ``state``; the
    problem if its machine refuses it."""
    kind, machine, known = _OWN_RESOURCES[event.resource_type]
    if event.event not in known:
        return f"unknown {kind} event {event.event!r}"
    if event.registration_from != (None if state.status == NEW else state.status):
        return (
            f"{event.event} says the {kind} was {event.registration_from}, the replay "
            f"has {state.status}"
        )
    if event.event == "request_phone_number":
        # What the phone number machine's conditions read, as the request recorded it.
        detail = event.detail or {}
        state.conditions = NumberConditions(
            str(detail.get("NumberType")), detail.get("DeletionProtectionEnabled") is True
        )
        state.facts = {key: detail.get(key) for key in NUMBER_FACTS}
        state.linked = detail.get("RegistrationId")
    elif event.event in REGISTRATION_AFTER:
        after = REGISTRATION_AFTER[event.event]
        state.linked = (event.detail or {}).get("RegistrationId") if after == ASSOCIATED else after
    problem = _move(machine, state.status, event, event.registration_to, state.conditions)
    if problem and isinstance(state.conditions, NumberConditions):
        # The log does not say whether the registration was COMPLETE: either is legal.
        completed = state.conditions.completed()
        problem = _move(machine, state.status, event, event.registration_to, completed)
    if problem:
        return problem
    problem = _retag(state, event)
    if problem:
        return problem
    state.status = str(event.registration_to)
    state.events += 1
    return None


def _unflagged(values: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """``values`` as a new version copies them: without the reviewer's flags."""
    return {
        path: {k: v for k, v in value.items() if k not in FLAG_MEMBERS}
        for path, value in values.items()
    }


def _edit(values: dict[str, dict[str, Any]], event: TransitionEvent) -> str | None:
    """Apply a field edit's or a deny's detail to one version's replayed ``values``."""
    if event.event == "deny":
        return _flag(values, event)
    if event.event not in FIELD_EDITS:
        return None
    detail = dict(event.detail or {})
    path = detail.pop("FieldPath", None)
    if not isinstance(path, str):
        return f"{event.event} names no FieldPath"
    if event.event == "delete_field_value":
        values.pop(path, None)
    elif not detail:
        return f"{event.event} of {path} carries no value"
    else:
        values[path] = detail
    return None


def _flag(values: dict[str, dict[str, Any]], event: TransitionEvent) -> str | None:
    """Apply the flags of a deny's ``Fields`` detail to the denied version's ``values``."""
    fields = (event.detail or {}).get("Fields", {})
    if not isinstance(fields, Mapping):
        return f"deny's Fields is not a dictionary: {fields!r}"
    for path, flag in fields.items():
        if path not in values:
            return f"deny flags {path}, which has no value in the replay"
        if not isinstance(flag, Mapping) or set(flag) != set(FLAG_MEMBERS):
            return f"deny's flag of {path} is not {' and '.join(FLAG_MEMBERS)}: {flag!r}"
        values[path] = {**values[path], **flag}
    return None


_DERIVED = (
    "current_version",
    "approved_version",
    "latest_denied_version_number",
    "latest_revoked_version_number",
    "created_timestamp",
)


def _compare(
    snapshot: Snapshot,
    registration: Registration,
    versions: list[RegistrationVersion],
    state: _Replayed,
) -> str | None:
    if state.events == 0:
        return "no events in the log"
    if registration.status != state.status:
        return f"stored status {registration.status}, replayed {state.status}"
    stored = [v.status for v in versions]
    if stored != state.versions:
        return f"stored versions {stored}, replayed {state.versions}"
    if registration.tags != state.tags:
        return f"stored tags {_shown(registration.tags)}, replayed {_shown(state.tags)}"
    stored_links = (
        registration.identities,
        registration.associated_registration_id,
        registration.sender_id,
    )
    if stored_links != (state.identities, state.linked, state.sender):
        return (
            f"stored associations (identities, registration, sender ID) {stored_links}, "
            f"replayed {(state.identities, state.linked, state.sender)}"
        )
    for version, replayed in zip(versions, state.history, strict=True):
        for field in HISTORY_KEYS:
            if getattr(version.history, field) != replayed.get(field):
                return (
                    f"version {version.version_number} {HISTORY_KEYS[field]}: stored "
                    f"{getattr(version.history, field)}, replayed {replayed.get(field)}"
                )
    for version, replayed_values in zip(versions, state.values, strict=True):
        stored_values = {
            path: value.to_dict(flag=True)
            for path, value in snapshot.field_values(
                registration.account_id, registration.region, registration.registration_id,
                version.version_number,
            ).items()
        }  # fmt: skip
        if stored_values != replayed_values:
            return (
                f"version {version.version_number} field values: stored {stored_values}, "
                f"replayed {replayed_values}"
            )
    # The derived numbers decide what the machines allow next: they must follow from
    # the versions.
    derived = Registration.from_versions(
        versions,
        registration_id=registration.registration_id,
        account_id=registration.account_id,
        region=registration.region,
        registration_type=registration.registration_type,
        status=registration.status,
    )
    for name in _DERIVED:
        if getattr(registration, name) != getattr(derived, name):
            return (
                f"stored {name} {getattr(registration, name)!r}, the versions give "
                f"{getattr(derived, name)!r}"
            )
    return None


def _shown(tags: tuple[Tag, ...]) -> list[dict[str, str]]:
    return [t.to_dict() for t in tags]


def verify(backend: Backend, batch: int = 1000) -> tuple[int, int, list[Discrepancy]]:
    """Replay the whole log of ``backend`` and compare it with the stored registrations,
    all read from one snapshot: commits made meanwhile are not seen.

    Returns:
        (registrations checked, events replayed, discrepancies); attachments and
        phone numbers are checked too, but not counted.
    """
    with backend.snapshot() as snapshot:
        return _verify(snapshot, batch)


def _verify(snapshot: Snapshot, batch: int) -> tuple[int, int, list[Discrepancy]]:
    states: dict[str, _Replayed] = {}
    owned: dict[str, _Replayed] = {}  # attachments' and phone numbers' replays, by id
    broken: dict[str, str] = {}
    events = 0
    after = None
    while True:
        page = snapshot.read_log(after=after, limit=batch)
        for logged in page:
            event = logged.event
            events += 1
            if event.registration_id in broken:
                continue
            if event.resource_type in _OWN_RESOURCES:
                problem = replay_resource(owned.setdefault(event.resource_id, _Replayed()), event)
            else:
                problem = replay_one(states.setdefault(event.registration_id, _Replayed()), event)
            if problem:
                broken[event.registration_id] = f"log position {logged.position}: {problem}"
        if len(page) < batch:
            break
        after = page[-1].position
    checked = 0
    found = [Discrepancy(rid, problem) for rid, problem in broken.items()]
    for registration in snapshot.registrations():
        checked += 1
        rid = registration.registration_id
        state = states.pop(rid, _Replayed())
        if rid not in broken:
            problem = _compare(snapshot, registration, all_versions(snapshot, registration), state)
            if problem:
                found.append(Discrepancy(rid, problem))
    for rid in states:
        if rid not in broken:
            found.append(Discrepancy(rid, "events in the log, but no stored registration"))
    stored: list[tuple[str, str, str, tuple[Tag, ...], dict[str, Any], str | None]] = [
        ("attachment", a.attachment_id, a.status, a.tags, {}, None) for a in snapshot.attachments()
    ]
    stored += [
        ("phone number", n.phone_number_id, n.status, n.tags, _number_facts(n), n.registration_id)
        for n in snapshot.phone_numbers()
    ]
    for kind, rid, status, tags, facts, linked in stored:
        state = owned.pop(rid, _Replayed())
        if rid in broken:
            continue
        if state.status != status:
            found.append(
                Discrepancy(rid, f"stored {kind} status {status}, replayed {state.status}")
            )
        elif state.tags != tags:
            problem = f"stored tags {_shown(tags)}, replayed {_shown(state.tags)}"
            found.append(Discrepancy(rid, problem))
        elif state.facts != facts:
            differ = ", ".join(
                f"{key} {facts.get(key)!r} (logged {state.facts.get(key)!r})"
                for key in NUMBER_FACTS
                if facts.get(key) != state.facts.get(key)
            )
            found.append(Discrepancy(rid, f"stored {kind} differs from its request: {differ}"))
        elif state.linked != linked:
            found.append(Discrepancy(rid, f"stored registration {linked}, replayed {state.linked}"))
    for rid in owned:
        if rid not in broken:
            found.append(
                Discrepancy(rid, "events in the log, but no stored attachment or phone number")
            )
    return checked, events, found


def timeline(events: Iterable[TransitionEvent]) -> list[str]:
    """Readable lines, one per event: its time, actor, name, moves and detail (as JSON:
    a field edit's value, a tag change)."""
    lines = []
    for e in events:
        version = (
            f"version {e.version_number}: {e.version_from or 'new'} -> {e.version_to}"
            if e.version_number is not None
            else ""
        )
        kind = (
            _OWN_RESOURCES[e.resource_type][0]
            if e.resource_type in _OWN_RESOURCES
            else "registration"
        )
        registration = (
            f"{kind}: {e.registration_from or 'new'} -> {e.registration_to}"
            if e.registration_to is not None
            else ""
        )
        moves = "; ".join(m for m in (registration, version) if m)
        detail = "" if e.detail is None else "  " + json.dumps(dict(e.detail), ensure_ascii=False)
        lines.append(f"{e.timestamp.isoformat()}  {e.actor.value:<8} {e.event:<24} {moves}{detail}")
    return lines
