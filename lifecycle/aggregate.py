"""One lifecycle step applied to a registration: both machines, all or nothing.

Pure domain logic: it takes a :class:`~lifecycle.models.Registration` snapshot and
returns the next snapshot with the events it produced, or raises
:class:`~lifecycle.errors.ConflictException` and produces nothing. It knows nothing
of storage; the service commits what it returns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

import attrs

from lifecycle.associations import SENDER_ID, Association
from lifecycle.errors import ConflictException, ValidationException
from lifecycle.events import TransitionEvent
from lifecycle.form import FLAG_MEMBERS, FieldValue, FormChange
from lifecycle.machines import (
    ASSOCIATION_EVENTS,
    EVENTS,
    FIELD_EDITS,
    FOLLOW_UPS,
    NEW,
    REGISTRATION,
    TAG_EDITS,
    VERSION,
    TransitionSpec,
)
from lifecycle.models import (
    DeniedReason,
    Registration,
    RegistrationVersion,
    Tag,
    VersionStatusHistory,
)
from lifecycle.statuses import (
    IN_REVIEW,
    OPEN_VERSION_STATUSES,
    Actor,
    VersionStatus,
)
from lifecycle.tags import TagChange

_REFUSAL_REASONS = {
    "create_version": "CREATE_REGISTRATION_VERSION_NOT_ALLOWED",
    "put_field_value": "EDIT_REGISTRATION_FIELD_VALUES_NOT_ALLOWED",
    "delete_field_value": "EDIT_REGISTRATION_FIELD_VALUES_NOT_ALLOWED",
    "submit": "SUBMIT_REGISTRATION_VERSION_NOT_ALLOWED",
    "discard": "DISCARD_REGISTRATION_VERSION_NOT_ALLOWED",
    "delete": "RESOURCE_DELETION_NOT_ALLOWED",
}


class Conditions:
    """The named conditions of the machines, read from a registration's derived
    numbers before a step (never from a scan of its versions), and from what the
    service knows of the step's request (AwsReview, the catalogue's association
    behaviours)."""

    __slots__ = ("associates_after_complete", "aws_review", "has_approved_version",
                 "has_denied_or_revoked_version", "has_identities", "identities_block_delete",
                 "no_open_version")  # fmt: skip

    def __init__(
        self,
        *,
        aws_review: bool = False,
        has_approved_version: bool = False,
        has_denied_or_revoked_version: bool = False,
        no_open_version: bool = False,
        has_identities: bool = False,
        associates_after_complete: bool = False,
        identities_block_delete: bool = False,
    ) -> None:
        self.aws_review = aws_review
        """Submit was called with ``AwsReview=True``."""
        self.has_approved_version = has_approved_version
        """Some version is APPROVED."""
        self.has_denied_or_revoked_version = has_denied_or_revoked_version
        """Some version is DENIED or REVOKED."""
        self.no_open_version = no_open_version
        """No version is DRAFT or in review."""
        self.has_identities = has_identities
        """Some origination identity is associated."""
        self.associates_after_complete = associates_after_complete
        """The association being made is ASSOCIATE_AFTER_COMPLETE."""
        self.identities_block_delete = identities_block_delete
        """Identities are associated that must be released before a delete."""

    @classmethod
    def of(
        cls, registration: Registration, aws_review: bool = False, **request: bool
    ) -> Conditions:
        """The conditions of ``registration``: only its current version can be open.
        ``request`` gives ``associates_after_complete`` and ``identities_block_delete``."""
        return cls(
            aws_review=aws_review,
            has_approved_version=registration.approved_version is not None,
            has_denied_or_revoked_version=_denied_or_revoked(registration),
            no_open_version=registration.current_version.status not in OPEN_VERSION_STATUSES,
            has_identities=registration.identities > 0,
            **request,
        )

    @staticmethod
    def key(
        registration: Registration,
        aws_review: bool = False,
        after_complete: bool = False,
        block_delete: bool = False,
    ) -> tuple[object, ...]:
        """What :meth:`of` reads, and the statuses the machines move from: for equal
        keys the machines answer an event alike, so a step remembers their answer.
        ``after_complete`` and ``block_delete`` are :meth:`of`'s
        ``associates_after_complete`` and ``identities_block_delete``."""
        approved = registration.approved_version
        return (aws_review, after_complete, block_delete, registration.status,
                registration.current_version.status,
                None if approved is None else approved.status,
                _denied_or_revoked(registration), registration.identities > 0)  # fmt: skip

    @classmethod
    def of_statuses(cls, statuses: Sequence[str], aws_review: bool = False) -> Conditions:
        """The conditions of a registration whose versions have ``statuses`` (and no
        association)."""
        return cls(
            aws_review=aws_review,
            has_approved_version=VersionStatus.APPROVED in statuses,
            has_denied_or_revoked_version=any(
                s in (VersionStatus.DENIED, VersionStatus.REVOKED) for s in statuses
            ),
            no_open_version=not any(s in OPEN_VERSION_STATUSES for s in statuses),
        )


class Step(NamedTuple):
    """The outcome of one lifecycle step."""

    registration: Registration
    """The registration after the step (revision advanced by one)."""
    events: tuple[TransitionEvent, ...]
    """One event per transition, in order (approve, then the archive it caused)."""
    version: RegistrationVersion | None
    """The version the step's own event moved, if any."""
    written: tuple[RegistrationVersion, ...]
    """Every version the step created or changed (what a backend must store)."""
    form: FormChange | None = None
    """What the step writes to the field values: a new version's copy of its
    predecessor's, or one edit of the current version's."""

    def version_dict(self) -> dict[str, Any]:
        """The response of the version operations, for the version this step moved."""
        if self.version is None:
            raise RuntimeError("this step moved no version")
        return self.registration.version_dict(self.version)


def create(
    *,
    registration_id: str,
    account_id: str,
    region: str,
    registration_type: str,
    tags: tuple[Tag, ...],
    now: datetime,
) -> Step:
    """A new registration with version 1 in DRAFT (the ``create`` event); the event's
    ``detail`` records the ``tags``, if any."""
    conditions = Conditions()
    v_spec = _resolved(VERSION.resolve(NEW, "create", conditions))
    r_spec = _resolved(REGISTRATION.resolve(NEW, "create", conditions))
    version = RegistrationVersion(
        1, v_spec.dest, VersionStatusHistory(**dict.fromkeys(v_spec.stamps, now))
    )
    status = r_spec.dest
    registration = Registration(
        registration_id=registration_id,
        account_id=account_id,
        region=region,
        registration_type=registration_type,
        status=status,
        current_version=version,
        created_timestamp=now,
        tags=tags,
    )
    event = TransitionEvent(
        account_id, region, registration_id, "create", Actor.USER,
        1, None, version.status, None, status, now,
        TagChange(put=tags).detail() if tags else None,
    )  # fmt: skip
    return Step(registration, (event,), version, (version,))


def step(
    registration: Registration,
    event: str,
    now: datetime,
    *,
    aws_review: bool = False,
    denied_reasons: Sequence[DeniedReason] = (),
    feedback: str | None = None,
    field: tuple[str, FieldValue | None] | None = None,
    tags: TagChange | None = None,
    flags: Mapping[str, tuple[str, str]] | None = None,
    association: Association | None = None,
    associates_after_complete: bool = False,
    identities_block_delete: bool = False,
) -> Step:
    """Apply ``event`` to ``registration`` and every machine that defines it.

    ``denied_reasons`` and ``feedback`` are recorded on the version the event moves.
    ``field`` is the edit of ``put_field_value`` (a path and its new value) or
    ``delete_field_value`` (a path and ``None``), ``tags`` the change of
    ``tag_resource`` or ``untag_resource``; ``flags`` are a ``deny``'s flags on the
    denied version's values (``(DeniedReason, Feedback)`` by field path);
    ``association`` what ``associate`` or ``disassociate`` makes or ends (an identity
    counts in ``identities``, a registration is ``associated_registration_id``). The
    event's ``detail`` records each. ``delete`` ends every association.
    ``associates_after_complete`` and ``identities_block_delete`` are the conditions
    the catalogue decides (see :class:`Conditions`).

    Raises:
        ValidationException: ``event`` is not an event of the lifecycle.
        ConflictException: a machine refuses the event from its current state; the
            message names the current statuses and what is legal from there.
    """
    if event not in EVENTS or event == "create":
        raise ValidationException.for_field(
            "event", f"must be one of {', '.join(e for e in EVENTS if e != 'create')}"
        )
    plan = _plan(registration, event, aws_review, associates_after_complete,
                 identities_block_delete)  # fmt: skip
    if plan is None:
        raise _refusal(registration, event, associates_after_complete)
    r_spec, v_spec, target = plan
    status_before = registration.status
    status = status_before if r_spec is None or r_spec.dest is None else r_spec.dest
    events: list[TransitionEvent] = []
    written: list[RegistrationVersion] = []
    actor = EVENTS[event].actor
    moved: RegistrationVersion | None = None
    form = None
    after_tags = registration.tags
    if v_spec is not None:
        when = now if target is None else _when(target, now)
        number = registration.current_version_number + 1 if target is None else None
        moved = _move(target, number, v_spec, when, tuple(denied_reasons), feedback)
        written.append(moved)
        form, detail = _form_change(registration, event, moved.version_number, field, flags)
        events.append(
            _event(registration, event, actor, moved.version_number,
                   None if target is None else target.status, moved.status,
                   status_before if r_spec else None, status if r_spec else None, when,
                   detail)
        )  # fmt: skip
    else:
        if event in ASSOCIATION_EVENTS:
            detail = _association_detail(event, association)
        else:
            after_tags, detail = _tag_change(registration, event, tags)
        events.append(
            _event(registration, event, actor, None, None, None,
                   status_before, status, _when(registration.current_version, now), detail)
        )  # fmt: skip
    follow_up = FOLLOW_UPS.get(event)
    previously_approved = None if follow_up is None else registration.approved_version
    if follow_up is not None and previously_approved is not None:
        conditions = Conditions.of(registration, aws_review)
        spec = _resolved(VERSION.resolve(previously_approved.status, follow_up, conditions))
        when = _when(previously_approved, now)
        done = _move(previously_approved, None, spec, when, (), None)
        written.append(done)
        events.append(
            _event(registration, follow_up, EVENTS[follow_up].actor, done.version_number,
                   previously_approved.status, done.status, None, None, when)
        )  # fmt: skip
    after = registration.with_versions(
        written, status=status, revision=registration.revision + 1, tags=after_tags
    )
    if association is not None or (event == "delete" and _associated(registration)):
        after = _associations_after(after, event, association)
    return Step(after, tuple(events), moved, tuple(written), form)


def then(first: Step, second: Step) -> Step:
    """``first`` followed by ``second`` (a step of its registration) as one step: one
    commit, one revision."""
    revision = first.registration.revision
    return Step(
        attrs.evolve(second.registration, revision=revision),
        first.events + second.events,
        first.version,
        first.written + second.written,
        first.form,
    )


def restate(step: Step, stored: Registration) -> Step:
    """``step`` as a backend stored it: its registration (id and timestamps may be
    another system's), its events and version renamed to match."""
    events = tuple(e._replace(registration_id=stored.registration_id) for e in step.events)
    current = stored.current_version

    def as_stored(version: RegistrationVersion) -> RegistrationVersion:
        return current if version.version_number == current.version_number else version

    version = None if step.version is None else as_stored(step.version)
    return Step(stored, events, version, tuple(map(as_stored, step.written)), step.form)


def legal_events(registration: Registration) -> list[str]:
    """The events (other than system ones) that a step would accept now."""
    legal = []
    for name, spec in EVENTS.items():
        if spec.actor is Actor.SYSTEM or name == "create":
            continue
        for aws_review in (False, True) if name == "submit" else (False,):
            if _plan(registration, name, aws_review) is not None:
                legal.append(name)
                break
    return legal


def describe_event(name: str) -> str:
    """How a user fires ``name``: its API operation, or ``reviewer:<event>``."""
    return EVENTS[name].fired_by


def _plan(
    registration: Registration,
    event: str,
    aws_review: bool,
    after_complete: bool = False,
    block_delete: bool = False,
) -> tuple[TransitionSpec | None, TransitionSpec | None, RegistrationVersion | None] | None:
    """The transition of each machine for ``event`` and the version it moves, or
    ``None`` if a machine refuses."""
    key = (event, Conditions.key(registration, aws_review, after_complete, block_delete))
    specs = _PLANS.get(key, _UNKNOWN)
    if specs is _UNKNOWN:
        conditions = Conditions.of(
            registration, aws_review, associates_after_complete=after_complete,
            identities_block_delete=block_delete,
        )  # fmt: skip
        specs = _PLANS[key] = _resolve_plan(registration, event, conditions)
    if specs is None:
        return None
    r_spec, v_spec, target_kind = specs
    if target_kind == "current":
        return r_spec, v_spec, registration.current_version
    return r_spec, v_spec, registration.approved_version if target_kind == "approved" else None


_PlanSpecs = tuple[TransitionSpec | None, TransitionSpec | None, str | None]
_UNKNOWN: Any = object()
_PLANS: dict[tuple[object, ...], _PlanSpecs | None] = {}
"""The machines' answers by event and :meth:`Conditions.key`: a cache."""


def _resolve_plan(
    registration: Registration, event: str, conditions: Conditions
) -> _PlanSpecs | None:
    """Ask the machines: each one's transition for ``event`` and which version the
    version machine's moves (``None`` when it takes no part, or makes a new one)."""
    r_spec = v_spec = target_kind = None
    if REGISTRATION.defines(event):
        r_spec = REGISTRATION.resolve(registration.status, event, conditions)
        if r_spec is None:
            return None
    if VERSION.defines(event):
        target_kind = VERSION.target_of(event)
        if target_kind == "new":
            state = NEW
            target_kind = None
        else:
            target = (
                registration.approved_version
                if target_kind == "approved"
                else registration.current_version
            )
            if target is None:
                return None
            state = target.status
        v_spec = VERSION.resolve(state, event, conditions)
        if v_spec is None:
            return None
    return r_spec, v_spec, target_kind


def _move(
    target: RegistrationVersion | None,
    number: int | None,
    spec: TransitionSpec,
    when: datetime,
    denied_reasons: tuple[DeniedReason, ...],
    feedback: str | None,
) -> RegistrationVersion:
    """``target`` (``None``: a new version numbered ``number``) moved along ``spec`` at
    ``when`` (already clamped)."""
    if target is None:
        assert number is not None
        return RegistrationVersion(
            number, spec.dest, VersionStatusHistory(**dict.fromkeys(spec.stamps, when))
        )
    return RegistrationVersion(
        target.version_number,
        target.status if spec.dest is None else spec.dest,  # None: an internal transition
        target.history.stamped(spec.stamps, when),
        denied_reasons or target.denied_reasons,
        target.feedback if feedback is None else feedback,
    )


def _when(version: RegistrationVersion, now: datetime) -> datetime:
    """``now``, clamped so that a version's history never goes backwards."""
    latest = version.history.latest()
    return now if now >= latest else latest


def _event(
    registration: Registration,
    event: str,
    actor: Actor,
    version_number: int | None,
    version_from: str | None,
    version_to: str | None,
    registration_from: str | None,
    registration_to: str | None,
    when: datetime,
    detail: Mapping[str, Any] | None = None,
) -> TransitionEvent:
    return TransitionEvent(
        registration.account_id, registration.region, registration.registration_id,
        event, actor, version_number, version_from, version_to,
        registration_from, registration_to, when, detail,
    )  # fmt: skip


def _form_change(
    registration: Registration,
    event: str,
    version_number: int,
    field: tuple[str, FieldValue | None] | None,
    flags: Mapping[str, tuple[str, str]] | None,
) -> tuple[FormChange | None, dict[str, Any] | None]:
    """What ``event`` writes to the field values of version ``version_number``, and
    the detail its log event records."""
    if event == "create_version":
        return FormChange(version_number, copy_from=registration.current_version_number), None
    if flags:
        if event != "deny":
            raise ValidationException.for_field("flags", f"{event} flags no field; deny does")
        detail = {path: dict(zip(FLAG_MEMBERS, flag, strict=True)) for path, flag in flags.items()}
        return FormChange(version_number, flags=dict(flags)), {"Fields": detail}
    if event not in FIELD_EDITS:
        return None, None
    if field is None or (field[1] is None) != (event == "delete_field_value"):
        raise ValidationException.for_field("field", f"{event} needs its field edit")
    path, value = field
    if value is None:
        return FormChange(version_number, delete=frozenset({path})), {"FieldPath": path}
    return FormChange(version_number, put={path: value}), {"FieldPath": path, **value.to_dict()}


def _tag_change(
    registration: Registration, event: str, tags: TagChange | None
) -> tuple[tuple[Tag, ...], dict[str, Any] | None]:
    """The registration's tags after ``event``, and the detail its log event records."""
    if event not in TAG_EDITS:
        return registration.tags, None
    if tags is None or not (tags.remove if event == "untag_resource" else tags.put):
        raise ValidationException.for_field("tags", f"{event} needs its tag change")
    return tags.applied_to(registration.tags), tags.detail()


def _association_detail(event: str, association: Association | None) -> dict[str, Any]:
    if association is None:
        raise ValidationException.for_field("association", f"{event} needs its association")
    return association.to_dict()


def _associated(registration: Registration) -> bool:
    return registration.identities > 0 or registration.associated_registration_id is not None


def _associations_after(
    registration: Registration, event: str, association: Association | None
) -> Registration:
    """``registration`` once ``event`` made or ended ``association`` (``delete``: all)."""
    if event == "delete":
        return attrs.evolve(
            registration, identities=0, associated_registration_id=None, sender_id=None
        )
    assert association is not None  # _association_detail refused it
    ends = event == "disassociate"
    if association.resource_type == SENDER_ID:
        return attrs.evolve(registration, identities=registration.identities + (-1 if ends else 1),
                            sender_id=None if ends else association.resource_id)  # fmt: skip
    if association.identity:
        return attrs.evolve(registration, identities=registration.identities + (-1 if ends else 1))
    return attrs.evolve(
        registration, associated_registration_id=None if ends else association.resource_id
    )


def _denied_or_revoked(registration: Registration) -> bool:
    return (
        registration.latest_denied_version_number is not None
        or registration.latest_revoked_version_number is not None
    )


def _resolved(spec: TransitionSpec | None) -> TransitionSpec:
    if spec is None:  # pragma: no cover - the machine definitions guarantee it
        raise RuntimeError("the machines refused a step they must accept")
    return spec


def _refusal(
    registration: Registration, event: str, associates_after_complete: bool = False
) -> ConflictException:
    current = registration.current_version
    reason = _REFUSAL_REASONS.get(event)
    if event == "associate" and associates_after_complete:
        reason = "REGISTRATION_NOT_COMPLETE"
    elif event in ("submit", "associate") and current.status in IN_REVIEW:
        reason = "REGISTRATION_ALREADY_SUBMITTED"
    # Tags change in every status but DELETED: naming them tells nothing; nor does an
    # association, which depends on the resource.
    legal = (
        ", ".join(
            describe_event(e)
            for e in legal_events(registration)
            if e not in TAG_EDITS and e != "associate"
        )
        or "nothing"
    )
    return ConflictException(
        f"{describe_event(event)} is not allowed for registration "
        f"{registration.registration_id}: its status is {registration.status.value} and its "
        f"current version {current.version_number} is {current.status.value}. "
        f"Allowed from here: {legal}.",
        reason=reason,
        resource_type="registration",
        resource_id=registration.registration_id,
    )
