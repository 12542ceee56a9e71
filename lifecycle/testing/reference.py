"""A reference model of the lifecycle that takes its moves from the machines.

The legal moves are written in one place, the ``transitions`` machines of
:mod:`lifecycle.machines`, and this model reads them there: it resolves every move by
triggering the real machine on a throwaway model, that is by ``transitions``' own
dispatch. The service resolves moves with :meth:`~lifecycle.machines.CompiledMachine.resolve`
instead, so comparing the service with this model checks that lookup table against
``transitions``.

Everything else is written here again, independently of :mod:`lifecycle.aggregate`:
a registration's versions are a plain list of statuses, the machines' conditions are
computed by name from that list, and the model decides which version an event moves,
fires the follow-up events, stamps and clamps the history, and derives what the
describe calls show. :class:`ReferenceRegistration` predicts, for any call, whether it
is legal and what every describe call shows afterwards, timestamps included.

One rule is stated here again instead of read from the machines: the form edits
(:data:`FORM_EDITS`) are legal only while the current version is DRAFT, and they move
no status. Comparing the service with this model checks the machines against it. The
tag edits (``machines.TAG_EDITS``) take their legality from the machines like every
other event; what they do to the tags is written here again.

The form is written here again too, from the catalogue's field definitions alone: each
version's values, copied into the next version, and the completeness rule of
SubmitRegistrationVersion (:func:`form_problems`), independently of
:mod:`lifecycle.form`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from transitions import Machine, MachineError

from lifecycle import statuses
from lifecycle.catalogue.definitions import (
    CONDITIONAL,
    DISALLOWED,
    OPTIONAL,
    REQUIRED,
    ConditionalRule,
    FieldCondition,
    RegistrationFieldDefinition,
)
from lifecycle.machines import (
    ALSO_BY_REVIEWER,
    ASSOCIATION_EVENTS,
    CONDITIONS,
    EVENTS,
    FOLLOW_UPS,
    NEW,
    REGISTRATION_MACHINE,
    TAG_EDITS,
    TERMINAL_VERSION_STATUSES,
    VERSION_MACHINE,
    VersionTarget,
    transition_specs,
)
from lifecycle.statuses import Actor, RegistrationStatus, VersionStatus

SAME = "(unchanged)"
"""A move's outcome: the status does not change (an internal transition)."""
REFUSED = "(refused)"
"""A move's outcome: the machine refuses the event from this status."""

OPEN = frozenset(map(str, statuses.OPEN_VERSION_STATUSES))
"""Version statuses of a version still being worked on."""
IN_REVIEW = frozenset(map(str, statuses.IN_REVIEW))
"""Version statuses of a submitted version waiting for a decision."""
TERMINAL = frozenset(map(str, TERMINAL_VERSION_STATUSES))
"""Version statuses that never change again."""

_VERSION_SPECS = transition_specs(VERSION_MACHINE, VersionStatus)
_REGISTRATION_SPECS = transition_specs(REGISTRATION_MACHINE, RegistrationStatus)

(CREATE,) = {spec.event for spec in _REGISTRATION_SPECS if spec.source == NEW}
"""The event that creates a registration."""
USER_EVENTS: tuple[str, ...] = tuple(
    name
    for name, spec in EVENTS.items()
    if spec.actor is Actor.USER and name != CREATE and name not in ASSOCIATION_EVENTS
)
"""The user's events on an existing registration, in the machines' order."""
REVIEWER_EVENTS: tuple[str, ...] = (
    *(name for name, spec in EVENTS.items() if spec.actor is Actor.REVIEWER),
    *ALSO_BY_REVIEWER,
)
"""The reviewer's events, in the machines' order, and the system's it fires too."""
ALL_EVENTS: tuple[str, ...] = tuple(EVENTS)
"""Every event of the vocabulary, system events (fired as follow-ups) included."""


def _history_key(stamp: str) -> str:
    """The boto3 key of a history stamp: ``aws_reviewing`` -> ``AwsReviewingTimestamp``."""
    return "".join(part.capitalize() for part in stamp.split("_")) + "Timestamp"


HISTORY_KEY: Mapping[str, str] = {
    str(status): _history_key(status.lower())
    for status in VersionStatus
    if any(status.lower() in spec.stamps for spec in _VERSION_SPECS)
}
"""The history field that records entering each version status (statuses that
record none, such as REQUIRES_OFFLINE_REVIEW, are absent)."""

REFUSAL_REASONS: Mapping[str, str] = {
    "create_version": "CREATE_REGISTRATION_VERSION_NOT_ALLOWED",
    "submit": "SUBMIT_REGISTRATION_VERSION_NOT_ALLOWED",
    "discard": "DISCARD_REGISTRATION_VERSION_NOT_ALLOWED",
    "delete": "RESOURCE_DELETION_NOT_ALLOWED",
    "put_field_value": "EDIT_REGISTRATION_FIELD_VALUES_NOT_ALLOWED",
    "delete_field_value": "EDIT_REGISTRATION_FIELD_VALUES_NOT_ALLOWED",
}
"""The ConflictException Reason of each refused user event (API data, not moves)."""

FORM_EDITS: frozenset[str] = frozenset({"put_field_value", "delete_field_value"})
"""The events that edit the form of the current version (PutRegistrationFieldValue,
DeleteRegistrationFieldValue)."""
EDITABLE = "DRAFT"
"""The only version status whose form can be edited. AWS: the edit operations take no
VersionNumber, so they edit the current version, and a new version leaves its
predecessor read-only; an edit moves no status."""


def _unique(pairs: Sequence[tuple[Any, Any]], what: str) -> dict[Any, Any]:
    """``dict(pairs)``, refusing a key paired with two different values."""
    found: dict[Any, Any] = {}
    for key, value in pairs:
        if found.setdefault(key, value) != value:
            raise ValueError(f"the machines give {what} {key!r} both {found[key]!r} and {value!r}")
    return found


# The reference tells transitions apart by what they do: (event, source, destination).
_STAMPS: Mapping[tuple[str, str, str], tuple[str, ...]] = _unique(
    [((s.event, s.source, s.source if s.dest is None else str(s.dest)), s.stamps)
     for s in _VERSION_SPECS],
    "the version transition (event, source, destination)",
)  # fmt: skip
_TARGET: Mapping[str, VersionTarget] = _unique(
    [(s.event, s.target) for s in _VERSION_SPECS], "the version event"
)


# -- conditions, computed by name from the version statuses ----------------------------

_CONDITIONS: Mapping[str, Callable[[Sequence[str], bool], bool]] = {
    "aws_review": lambda versions, aws_review: aws_review,
    "has_approved_version": lambda versions, _: "APPROVED" in versions,
    "has_denied_or_revoked_version": lambda versions, _: bool({"DENIED", "REVOKED"} & {*versions}),
    "no_open_version": lambda versions, _: not OPEN.intersection(versions),
    # A registration's associations, not its versions, decide these: plan's ``extra``.
    "has_identities": lambda versions, _: False,
    "associates_after_complete": lambda versions, _: False,
    "identities_block_delete": lambda versions, _: False,
}


class UnknownConditionError(LookupError):
    """The machines name a condition the reference model does not know how to compute."""


def condition(name: str, versions: Sequence[str], aws_review: bool = False) -> bool:
    """The value of the machines' condition ``name`` for a registration whose versions
    have the statuses ``versions``, on a call with ``AwsReview=aws_review``.

    Raises:
        UnknownConditionError: the reference does not know ``name``.
    """
    try:
        compute = _CONDITIONS[name]
    except KeyError:
        raise UnknownConditionError(
            f"the machines use the condition {name!r}, which the reference model cannot "
            "compute: add it to lifecycle.testing.reference._CONDITIONS"
        ) from None
    return compute(versions, aws_review)


_MACHINES: Mapping[str, Machine] = {
    "version": VERSION_MACHINE,
    "registration": REGISTRATION_MACHINE,
}


def _held(versions: Sequence[str], aws_review: bool) -> frozenset[str]:
    """The names of the machines' conditions that hold."""
    return frozenset(name for name in CONDITIONS if condition(name, versions, aws_review))


# -- moves, by triggering the machines ----------------------------------------------------


class _Model:
    """What ``transitions`` is triggered on: a state and the conditions' values."""

    def __init__(self, attribute: str, state: str, conditions: Mapping[str, bool]) -> None:
        self.__dict__.update(conditions)
        setattr(self, attribute, state)


@functools.cache
def _dispatch(machine_name: str, event: str, state: str, conditions: frozenset[str]) -> str | None:
    """Where triggering ``event`` takes the machine from ``state`` when exactly the
    conditions in ``conditions`` hold: a status, :data:`SAME`, :data:`REFUSED`, or
    ``None`` if the machine has no such event."""
    machine = _MACHINES[machine_name]
    if event not in machine.events:
        return None
    attribute = machine.model_attribute
    model = _Model(attribute, state, {name: name in conditions for name in CONDITIONS})
    try:
        fired = machine.events[event].trigger(model)
    except MachineError:
        return REFUSED
    if not fired:
        return REFUSED
    after = str(getattr(model, attribute))
    return SAME if after == state else after


class Move(NamedTuple):
    """One machine's transition within a step."""

    machine: str
    """``"version"`` or ``"registration"``."""
    event: str
    source: str
    """The status it leaves (``"new"`` for a version the step creates)."""
    dest: str
    """The status it enters (``source`` again for an internal transition)."""
    position: int | None
    """The position of the version it moves (``None`` for the registration)."""

    @property
    def key(self) -> tuple[str, str, str, str]:
        """``(machine, event, source, dest)``, as :class:`TransitionCoverage` counts it."""
        return (self.machine, self.event, self.source, self.dest)


def _moves(
    status: str, versions: tuple[str, ...], event: str, held: frozenset[str], approved: int | None
) -> list[Move] | None:
    """The moves of every machine that defines ``event``; ``None`` if one refuses."""
    moves = []
    registration = _dispatch("registration", event, status, held)
    if registration == REFUSED:
        return None
    if registration is not None:
        moves.append(Move("registration", event, status,
                          status if registration == SAME else registration, None))  # fmt: skip
    target = _TARGET.get(event)
    if target is not None:
        if target == "new":
            index: int | None = len(versions)
        elif target == "approved":
            index = approved
        else:
            index = len(versions) - 1 if versions else None
        if index is None:
            return None
        source = NEW if index == len(versions) else versions[index]
        dest = _dispatch("version", event, source, held)
        if dest is None or dest == REFUSED:
            return None
        moves.append(Move("version", event, source, source if dest == SAME else dest, index))
    return moves


@functools.lru_cache(maxsize=1 << 16)
def plan(
    status: str,
    versions: tuple[str, ...],
    event: str,
    aws_review: bool = False,
    extra: frozenset[str] = frozenset(),
) -> tuple[Move, ...] | None:
    """The moves ``event`` makes for a registration in ``status`` whose versions have
    the statuses ``versions`` and whose associations make the conditions ``extra``
    hold (see :meth:`ReferenceRegistration.extra`), its follow-up events included;
    ``None`` if it is refused.

    The event moves the version its version transitions target (a new one, the
    current one or the approved one). A follow-up event (``FOLLOW_UPS``) moves the
    version that was approved before the step, if there was one.
    """
    if event in FORM_EDITS:
        return _form_edit(versions, event)
    held = _held(versions, aws_review) | extra
    approved = versions.index("APPROVED") if "APPROVED" in versions else None
    moves = _moves(status, versions, event, held, approved)
    if moves is None:
        return None
    follow_up = FOLLOW_UPS.get(event)
    if follow_up is not None and approved is not None:
        after = next((m.dest for m in moves if m.machine == "registration"), status)
        more = _moves(after, versions, follow_up, held, approved)
        if more is None:
            return None
        moves += more
    return tuple(moves)


def _form_edit(versions: tuple[str, ...], event: str) -> tuple[Move, ...] | None:
    """The moves of a form edit by the reference's own rule, not the machines': the
    current version stays :data:`EDITABLE`; refused from any other status."""
    if not versions or versions[-1] != EDITABLE:
        return None
    return (Move("version", event, EDITABLE, EDITABLE, len(versions) - 1),)


def settle(
    status: str, versions: tuple[str, ...], moves: Sequence[Move]
) -> tuple[str, tuple[str, ...]]:
    """The registration status and version statuses after ``moves``."""
    after = list(versions)
    for move in moves:
        if move.machine == "registration":
            status = move.dest
        elif move.position == len(after):
            after.append(move.dest)
        else:
            assert move.position is not None
            after[move.position] = move.dest
    return status, tuple(after)


# -- the form, from the catalogue's field definitions ----------------------------------

Values = dict[str, dict[str, Any]]
"""A version's field values by path, each as PutRegistrationFieldValue gives it
without the path: ``{"TextValue": ...}``, ``{"SelectChoices": [...]}`` or
``{"RegistrationAttachmentId": ...}``."""


def form_problems(
    fields: Sequence[RegistrationFieldDefinition], values: Mapping[str, Mapping[str, Any]]
) -> list[str]:
    """The field paths for which SubmitRegistrationVersion refuses a form of ``fields``
    holding ``values``, in form order: each one the form requires (REQUIRED, or
    CONDITIONAL resolving to REQUIRED) that has no value, and each one it disallows
    that has one."""
    return [
        field.field_path
        for field in fields
        if _requirement(field, values)[0]
        == (DISALLOWED if field.field_path in values else REQUIRED)
    ]


def _requirement(
    field: RegistrationFieldDefinition, values: Mapping[str, Mapping[str, Any]]
) -> tuple[str, ConditionalRule | None]:
    """What ``field`` requires given ``values``, and the conditional rule that decided
    (the first whose conditions all hold; without one, the default behavior). A
    CONDITIONAL field without a ConditionalBehavior is OPTIONAL."""
    behavior = field.conditional_behavior
    if field.field_requirement != CONDITIONAL:
        return field.field_requirement, None
    if behavior is None:
        return OPTIONAL, None
    for rule in behavior.rules:
        if all(_holds(condition, values) for condition in rule.conditions):
            return rule.rule_behavior, rule
    return behavior.default_behavior, None


def _holds(condition: FieldCondition, values: Mapping[str, Mapping[str, Any]]) -> bool:
    """Whether ``condition`` holds for ``values``. EQUALS and IN: the field has a value
    one of whose items (its text, a choice, its attachment id) is a condition value;
    NOT_EQUALS and NOT_IN: not so; HAS_VALUE and NO_VALUE: presence. No other operator
    ever holds."""
    value = values.get(condition.depends_on_field_path)
    if condition.operator in ("HAS_VALUE", "NO_VALUE"):
        return (value is None) == (condition.operator == "NO_VALUE")
    matches = value is not None and not _items(value).isdisjoint(condition.values or ())
    return {"EQUALS": matches, "IN": matches, "NOT_EQUALS": not matches,
            "NOT_IN": not matches}.get(condition.operator, False)  # fmt: skip


def _items(value: Mapping[str, Any]) -> set[str]:
    """What a condition compares of a value: its text, its choices or its attachment id."""
    (given,) = value.values()
    return set(given) if isinstance(given, list | tuple) else {given}


class AssociationRule(NamedTuple):
    """What a registration type takes, as the reference reads its catalogue's
    ``SupportedAssociations``."""

    resource_type: str
    iso_country_code: str | None
    association_behavior: str
    disassociation_behavior: str
    registration: bool
    """The resource is a registration (else a phone number)."""


class ReferenceRegistration:
    """What one registration should look like after the calls applied to it.

    ``versions`` holds each version's status; ``history`` each version's timestamps
    by boto3 key; ``denied`` each version's denied reasons; ``values`` each version's
    field values; ``tags`` its tags. ``fields`` is the form of its type (none: a
    formless type), ``rules`` what it takes as associations; ``identities`` counts its
    associated phone numbers, ``linked`` is the registration it is associated with.
    """

    def __init__(
        self,
        created: datetime,
        registration_type: str,
        fields: Sequence[RegistrationFieldDefinition] = (),
        rules: Sequence[AssociationRule] = (),
    ) -> None:
        self.registration_type = registration_type
        self.fields = tuple(fields)
        self.rules = tuple(rules)
        self.identities = 0
        self.linked: ReferenceRegistration | None = None
        self.sender: str | None = None
        """The sender ID its approval provisioned (ASSOCIATE_ON_APPROVAL)."""
        self.ever_complete = False
        """Whether it has been COMPLETE."""
        self.created = created
        self.status = NEW
        self.versions: list[str] = []
        self.history: list[dict[str, datetime]] = []
        self.denied: list[list[dict[str, str]] | None] = []
        """Per version: its denied reasons; ``None`` while unknown (denied by code
        outside the harness)."""
        self.values: list[Values | None] = []
        """Per version: its field values (a new version starts with its predecessor's);
        ``None`` while unknown (edited by code outside the harness)."""
        self.tags: dict[str, str] | None = {}
        """The tags by key, in the order the keys were first set; ``None`` while
        unknown (set by code outside the harness)."""
        if not self.apply(CREATE, created):
            raise RuntimeError(f"the machines refuse {CREATE!r} from {NEW!r}")

    def copy(self) -> ReferenceRegistration:
        """An independent copy."""
        twin = ReferenceRegistration.__new__(ReferenceRegistration)
        twin.registration_type, twin.fields, twin.created, twin.status = (
            self.registration_type, self.fields, self.created, self.status,
        )  # fmt: skip
        twin.rules, twin.identities, twin.linked, twin.sender, twin.ever_complete = (
            self.rules, self.identities, self.linked, self.sender, self.ever_complete,
        )  # fmt: skip
        twin.versions = list(self.versions)
        twin.history = [dict(h) for h in self.history]
        twin.denied = [None if d is None else list(d) for d in self.denied]
        twin.values = [None if v is None else dict(v) for v in self.values]
        twin.tags = None if self.tags is None else dict(self.tags)
        return twin

    def extra(self, after_complete: bool = False) -> frozenset[str]:
        """The conditions its associations make hold: ``has_identities`` while a number
        is associated, ``identities_block_delete`` while one is whose rule is not
        DELETE_REGISTRATION_DISASSOCIATES; ``associates_after_complete`` for an
        association whose rule is ASSOCIATE_AFTER_COMPLETE (``after_complete``)."""
        held = set()
        if self.identities:
            held.add("has_identities")
            if any(not r.registration and r.disassociation_behavior !=
                   "DELETE_REGISTRATION_DISASSOCIATES" for r in self.rules):  # fmt: skip
                held.add("identities_block_delete")
        if after_complete:
            held.add("associates_after_complete")
        return frozenset(held)

    def moves(
        self, event: str, aws_review: bool = False, after_complete: bool = False
    ) -> tuple[Move, ...] | None:
        """The transitions ``event`` would take now (see :func:`plan`); ``None`` if it
        is refused, by the machines or, for a submit, by the form (:meth:`problems`) or
        a missing association (:meth:`unassociated`)."""
        if event == "submit" and (self.problems() or self.unassociated()):
            return None
        extra = self.extra(after_complete)
        return plan(self.status, tuple(self.versions), event, aws_review, extra)

    def allows(self, event: str, aws_review: bool = False) -> bool:
        """Whether ``event`` is legal now."""
        return self.moves(event, aws_review) is not None

    def unassociated(self) -> list[str]:
        """The ASSOCIATE_BEFORE_SUBMIT resources a submit of the current DRAFT lacks:
        a COMPLETE registration of a rule's type (a choice of the library), a number."""
        if not self.versions or self.versions[-1] != VersionStatus.DRAFT:
            return []
        return [
            rule.resource_type
            for rule in self.rules
            if rule.association_behavior == "ASSOCIATE_BEFORE_SUBMIT"
            and not (
                self.linked is not None
                and self.linked.registration_type == rule.resource_type
                and self.linked.status == RegistrationStatus.COMPLETE
                if rule.registration
                else self.identities
            )
        ]

    def rule(self, resource_type: str) -> AssociationRule | None:
        """Its rule for associating a resource of ``resource_type``, if a user may."""
        return next(
            (r for r in self.rules if r.resource_type == resource_type
             and r.association_behavior != "ASSOCIATE_ON_APPROVAL"), None,
        )  # fmt: skip

    def provisions(self) -> bool:
        """Whether its approval provisions a sender ID (an ASSOCIATE_ON_APPROVAL rule)."""
        return any(
            r.resource_type == "SENDER_ID" and r.association_behavior == "ASSOCIATE_ON_APPROVAL"
            for r in self.rules
        )

    def closes(self) -> bool:
        """Whether releasing its last number closes it (a rule says so)."""
        return any(
            not r.registration and r.disassociation_behavior ==
            "DISASSOCIATE_ALL_CLOSES_REGISTRATION" for r in self.rules
        )  # fmt: skip

    def apply(
        self,
        event: str,
        now: datetime,
        *,
        aws_review: bool = False,
        reasons: list[dict[str, str]] | None = None,
        request: Mapping[str, Any] | None = None,
        after_complete: bool = False,
    ) -> bool:
        """Apply ``event`` at ``now`` if the machines allow it; whether they did.

        ``reasons`` are what a denial records, ``request`` the call of a tag edit
        (``Tags`` or ``TagKeys``) or of a form edit (``FieldPath``, and the value of a
        put); ``None``: unknown, read back later. ``after_complete``: an association's
        rule is ASSOCIATE_AFTER_COMPLETE. A delete ends every association (the other
        association events change them through their caller).
        """
        moves = self.moves(event, aws_review, after_complete)
        if moves is None:
            return False
        if event == "delete":
            self.identities, self.linked, self.sender = 0, None, None
        if event in TAG_EDITS:
            self.tags = None if request is None else self.tags_after(event, request)
        if event in FORM_EDITS:
            self.values[-1] = None if request is None else self._values_after(event, request)
        for move in moves:
            if move.machine == "registration":
                self.status = move.dest
                continue
            assert move.position is not None
            if move.position == len(self.versions):
                previous = self.values[-1] if self.values else {}
                self.versions.append(move.dest)
                self.history.append({})
                self.denied.append([])
                self.values.append(None if previous is None else dict(previous))
            self.versions[move.position] = move.dest
            self._stamp(move.position, _STAMPS[(move.event, move.source, move.dest)], now)
            if move.dest == "DENIED":
                self.denied[move.position] = None if reasons is None else list(reasons)
        self.ever_complete = self.ever_complete or self.status == RegistrationStatus.COMPLETE
        return True

    def _stamp(self, index: int, stamps: Sequence[str], now: datetime) -> None:
        history = self.history[index]
        when = max([now, *history.values()])  # a version's history never goes back
        for stamp in stamps:
            history[_history_key(stamp)] = when

    def tags_after(self, event: str, request: Mapping[str, Any]) -> dict[str, str] | None:
        """The tags after the tag edit ``event`` with ``request``: a key set again keeps
        its place, a new one goes last, a removed one that is absent changes nothing
        (``None`` while the tags are unknown)."""
        if self.tags is None:
            return None
        tags = dict(self.tags)
        if event == "untag_resource":
            for key in request["TagKeys"]:
                tags.pop(key, None)
        else:
            tags.update((tag["Key"], tag["Value"]) for tag in request["Tags"])
        return tags

    def _values_after(self, event: str, request: Mapping[str, Any]) -> Values | None:
        """The current version's values after the form edit ``event`` with ``request``
        (``None`` while they are unknown)."""
        if self.values[-1] is None:
            return None
        values = dict(self.values[-1])
        path = request["FieldPath"]
        if event == "delete_field_value":
            values.pop(path, None)
        else:
            values[path] = {k: v for k, v in request.items() if k != "FieldPath"}
        return values

    def problems(self) -> list[str]:
        """The field paths a submit names when it refuses the current version's form
        for being incomplete (see :func:`form_problems`); none unless that version is a
        DRAFT whose values are known."""
        if not self.versions or self.versions[-1] != VersionStatus.DRAFT:
            return []
        values = self.values[-1]
        return [] if values is None else form_problems(self.fields, values)

    def limits_vary(self, path: str) -> bool:
        """Whether a conditional rule's ConditionalValidation may now replace the own
        limits of the field at ``path`` (so that a put within them may be refused)."""
        field = next(f for f in self.fields if f.field_path == path)
        values = self.values[-1]
        rule = None if values is None else _requirement(field, values)[1]
        return values is None or (rule is not None and rule.conditional_validation is not None)

    def tag_list(self) -> list[dict[str, str]] | None:
        """What ``list_tags_for_resource`` shows as ``Tags`` (``None`` while unknown)."""
        if self.tags is None:
            return None
        return [{"Key": key, "Value": value} for key, value in self.tags.items()]

    def refusal_reason(self, event: str, after_complete: bool = False) -> str | None:
        """The ConflictException Reason the reference gives for a refused ``event``
        (``after_complete``: an ASSOCIATE_AFTER_COMPLETE association's)."""
        if event == "associate" and after_complete:
            return "REGISTRATION_NOT_COMPLETE"
        if event in ("submit", "associate") and self.versions[-1] in IN_REVIEW:
            return "REGISTRATION_ALREADY_SUBMITTED"
        return REFUSAL_REASONS.get(event)

    def describe(self, registration_id: str, arn: str) -> tuple[dict[str, Any], list[Any]]:
        """What ``describe_registrations`` and ``describe_registration_versions`` show."""
        registration: dict[str, Any] = {
            "RegistrationArn": arn,
            "RegistrationId": registration_id,
            "RegistrationType": self.registration_type,
            "RegistrationStatus": self.status,
            "CurrentVersionNumber": len(self.versions),
        }
        if "APPROVED" in self.versions:
            registration["ApprovedVersionNumber"] = self.versions.index("APPROVED") + 1
        denied = [n for n, v in enumerate(self.versions, 1) if v == "DENIED"]
        if denied:
            registration["LatestDeniedVersionNumber"] = max(denied)
        registration["CreatedTimestamp"] = self.created
        versions = []
        order = {key: n for n, key in enumerate(HISTORY_KEY.values())}
        for n, (status, history, reasons) in enumerate(
            zip(self.versions, self.history, self.denied, strict=True), 1
        ):
            version: dict[str, Any] = {
                "VersionNumber": n,
                "RegistrationVersionStatus": status,
                "RegistrationVersionStatusHistory": {
                    k: history[k] for k in sorted(history, key=lambda k: order.get(k, len(order)))
                },
            }
            if reasons:
                version["DeniedReasons"] = reasons
            versions.append(version)
        return registration, versions
