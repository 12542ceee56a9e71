"""A hypothesis state machine that drives the lifecycle and checks it at every step."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any, ClassVar

from hypothesis import Phase, note
from hypothesis import settings as Settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)

from lifecycle import associations, phone_numbers
from lifecycle.associations import AFTER_COMPLETE
from lifecycle.catalogue import BUILT_IN_REGISTRATION_TYPES, Catalogue
from lifecycle.catalogue.definitions import ATTACHMENT
from lifecycle.clock import ManualClock
from lifecycle.errors import (
    ConflictException,
    ResourceNotFoundException,
    ServiceQuotaExceededException,
    ValidationException,
)
from lifecycle.events import TransitionEvent
from lifecycle.machines import ASSOCIATION_EVENTS, EVENTS, FOLLOW_UPS, MACHINES
from lifecycle.media import EXAMPLE_PNG
from lifecycle.models import Tag, registration_arn, resource_arn
from lifecycle.ports import Backend
from lifecycle.quotas import PHONE_NUMBERS_PER_ACCOUNT, TAGS_PER_RESOURCE
from lifecycle.service import RegistrationService
from lifecycle.statuses import Actor
from lifecycle.tags import TagChange
from lifecycle.testing import invariants, planner
from lifecycle.testing.coverage import TransitionCoverage
from lifecycle.testing.forms import example_values
from lifecycle.testing.planner import RELEASE, Key, Offer
from lifecycle.testing.reference import (
    CREATE,
    EDITABLE,
    HISTORY_KEY,
    REVIEWER_EVENTS,
    TERMINAL,
    USER_EVENTS,
    AssociationRule,
    Move,
    ReferenceRegistration,
    Values,
    form_problems,
    plan,
)
from lifecycle.testing.strategies import (
    denied_reasons,
    field_values,
    phone_number_kinds,
    registration_types,
    tags,
)
from lifecycle.validation import OPERATIONS as MEMBERS

MAX_EXAMPLES = 200
"""How many examples :func:`run_harness` runs by default."""
STATEFUL_STEP_COUNT = 30
"""How many steps each example of :func:`run_harness` takes at most, by default."""

Parameters = Callable[[ReferenceRegistration, bool], dict[str, Any]]
"""What a user call passes besides the registration's name (``RegistrationId``, or
``ResourceArn`` for the tag operations), from the registration's reference model and
the offer's ``aws_review``."""

USER_PARAMETERS: dict[str, Parameters | None] = {
    "submit": lambda model, aws_review: {"AwsReview": aws_review},
    # No legal move edits the form (the moves steer by statuses, which an edit keeps):
    # the edit_form rule draws a FieldPath (and a value) of the registration's form.
    "put_field_value": None,
    "delete_field_value": None,
    # What a legal move tags with; the tag and untag rules draw their own.
    "tag_resource": lambda model, aws_review: {"Tags": [{"Key": "Name", "Value": "harness"}]},
    "untag_resource": lambda model, aws_review: {"TagKeys": ["Name"]},
}
"""The user events whose call takes more than the registration's name, with what a
legal move passes; ``None`` for an event that is no legal move (only the rules that
pass a request of their own fire it)."""


def _only_the_registration(model: ReferenceRegistration, aws_review: bool) -> dict[str, Any]:
    return {}


def _call(event: str) -> tuple[str, str]:
    operation = EVENTS[event].operations[0]
    names = "ResourceArn" if "ResourceArn" in MEMBERS[operation] else "RegistrationId"
    return re.sub(r"(?<!^)(?=[A-Z])", "_", operation).lower(), names


USER_CALLS: dict[str, tuple[str, str]] = {event: _call(event) for event in USER_EVENTS}
"""The service method of each user event, and the parameter that names the
registration."""

MOVE_EVENTS: frozenset[str] = frozenset(
    event
    for event in (*USER_EVENTS, *REVIEWER_EVENTS, RELEASE)
    if USER_PARAMETERS.get(event, _only_the_registration) is not None
)
"""The events of legal moves (all the user's and reviewer's but the form edits, and the
release of a registration's number): the moves and goals of the harness's steering
are theirs only."""

_OFFERS = tuple(offer for offer in planner.OFFERS if offer[0] in MOVE_EVENTS)

_ENDINGS = frozenset(
    spec.event
    for machine in MACHINES
    for spec in machine.transitions
    if spec.actor is Actor.USER and spec.dest in machine.final_states()
)
"""User events that end a version or the registration (discard, delete)."""


_TAG_KEYS = st.sampled_from(["Name", "team", "env", "owner"])
"""Few keys, so that tag edits replace and remove tags the registration has."""

_KINDS = st.runner().flatmap(
    lambda machine: registration_types(machine.registration_kinds or BUILT_IN_REGISTRATION_TYPES)
)
"""A registration type of the running machine's ``registration_kinds``."""

_PICKS = st.lists(st.integers(0, 9), min_size=1, max_size=4)
"""How one ``legal_moves`` step chooses its moves (see ``legal_offer``)."""
_GOALS = st.deferred(
    lambda: st.sampled_from(sorted(k for k in planner.routes().distance if k[1] in MOVE_EVENTS))
)
"""Where a ``tour`` step goes: any transition a registration can take by legal moves
(computed on first use)."""


def association_rules(catalogue: Catalogue, registration_type: str) -> tuple[AssociationRule, ...]:
    """The reference's reading of what ``registration_type`` takes as associations."""
    rules = associations.supported(catalogue, registration_type)
    return tuple(
        AssociationRule(r.resource_type, r.iso_country_code, r.association_behavior,
                        r.disassociation_behavior, r.resource_type in catalogue)
        for r in rules
    )  # fmt: skip


Expected = tuple[type[Exception], str | None] | None
"""What the reference predicts of a call: ``None`` (it succeeds), or the exception it
raises and its Reason (``None``: any)."""


class LifecycleStateMachine(RuleBasedStateMachine):
    """Drives a :class:`~lifecycle.RegistrationService` through user and reviewer
    operations, legal and illegal, and after every step checks it against the
    :class:`~lifecycle.testing.reference.ReferenceRegistration` model and the
    reference's eleven invariants.

    Subclass it to add rules that call your own workflow code on ``self.service``
    with registrations drawn from the ``registrations`` bundle. Every transition your
    code commits is checked against the reference as well. Set ``backend_factory`` to
    run on another backend; each example uses an account of its own, so one store can
    serve every example.

    Hypothesis plays the reviewer and the user: besides attempts of every operation,
    legal or not, it makes legal moves. ``legal_moves`` steps steer a registration
    toward the transitions that the example has not exercised yet (``exercised``),
    and ``tour`` steps follow a shortest route to a transition hypothesis chose. The
    steering reads nothing but the example's own steps, so a failing example replays
    and shrinks exactly, and a seed always finds the same one. ``coverage`` (shared by
    every example of the class) adds up what all examples exercised, for reporting
    only: it never steers.

    The user edits the forms too (``edit_form``), required values included, and a
    legal move fills in what a form lacks before it submits: a workflow that submits
    a form the harness may have edited must fill it in again, or handle the refusal
    of an incomplete one. The forms are those of the service's catalogue
    (``self.service.registration_types``), whichever it is.
    """

    registrations = Bundle("registrations")
    phone_numbers = Bundle("phone_numbers")
    backend_factory: ClassVar[Callable[[], Backend] | None] = None
    coverage: ClassVar[TransitionCoverage] = TransitionCoverage()
    max_registrations: ClassVar[int] = 3
    max_phone_numbers: ClassVar[int] = 4
    registration_kinds: ClassVar[Sequence[str] | None] = None
    """The registration types the harness creates; ``None``: every built-in type (a
    brand workflow's subclass may keep to brands, so that every step is one of theirs)."""

    def __init__(self) -> None:
        super().__init__()
        factory = type(self).backend_factory
        self.clock = ManualClock()
        self.service = RegistrationService(
            None if factory is None else factory(),
            clock=self.clock,
            account_id=f"{secrets.randbelow(10**12):012d}",  # never steers: only names
        )
        self.reference: dict[str, ReferenceRegistration] = {}
        self.terminal: dict[tuple[str, int], dict[str, Any]] = {}
        self.sealed: dict[tuple[str, int], Values] = {}
        """The values of each version seen in a status other than DRAFT."""
        self.deleted: set[str] = set()
        self.exercised = TransitionCoverage()
        """The transitions this example exercised."""
        self._aims: dict[str, Key | None] = {}
        self._pending_reasons: list[dict[str, str]] | None = None
        self._pending_request: dict[str, Any] | None = None
        self._pending_type: str | None = None
        self._examples: dict[str, dict[str, dict[str, Any]]] = {}
        self._attachment_id: str | None = None
        self.numbers: dict[str, dict[str, Any]] = {}
        """Each phone number requested (by the harness or your code), as the reference
        rules predict it: its ``Status``, ``DeletionProtectionEnabled``, ``Tags`` (by
        key) and ``Arn``."""
        self.service.subscribe(self._follow, transactional=True)
        self.service.subscribe(self.exercised.record)
        self.service.subscribe(type(self).coverage.record)

    # -- the reference follows every committed event --------------------------------

    def _follow(self, event: TransitionEvent) -> None:
        """Apply each committed event to the reference; fail if the machines forbid it."""
        if event.resource_type == phone_numbers.RESOURCE_TYPE:
            self._follow_number(event)
            return
        if event.event in FOLLOW_UPS.values() or event.resource_type != "registration":
            # The reference fires follow-ups with the event that causes them; an
            # attachment (the opt-in image a form names) is no registration.
            return
        now = self.clock.now()
        if event.event == CREATE:
            kind = self._pending_type
            if kind is None:  # created by other code: read the type and tags back
                created = ReferenceRegistration(now, "UNKNOWN")
                created.tags = None
            else:
                catalogue = self.service.registration_types
                created = ReferenceRegistration(
                    now, kind, catalogue.fields(kind), association_rules(catalogue, kind)
                )
            self.reference[event.registration_id] = created
            return
        model = self.reference.get(event.registration_id)
        assert model is not None, f"{event.event} on a registration the harness never saw"
        if event.event in ASSOCIATION_EVENTS:
            self._follow_association(model, event)
            return
        reasons = self._pending_reasons if event.event == "deny" else None
        # AwsReview is not in the event: take the value that explains it.
        aws_review = _explains(model.moves(event.event, True), event)
        problems = model.problems() if event.event == "submit" else []
        applied = model.apply(event.event, now, aws_review=aws_review, reasons=reasons,
                              request=self._pending_request)  # fmt: skip
        assert applied, (
            f"the library committed {event.event} from {event.registration_from}/"
            f"{event.version_from}, which "
            + (f"an incomplete form forbids: {problems}" if problems else "the machines forbid")
        )

    def _follow_association(self, model: ReferenceRegistration, event: TransitionEvent) -> None:
        """Apply a committed association or disassociation: the rule of the
        registration's type must take the resource, the machines allow the move."""
        detail, rid = dict(event.detail or {}), event.registration_id
        identity = "PhoneNumber" in detail
        if event.event == "associate_on_approval":
            # The approved (current) version's sender ID, provisioned by its first approval.
            assert model.provisions() and model.sender is None, f"{rid} provisioned {detail}"
            values = model.values[-1]
            named = None if values is None else next(
                (v.get("TextValue") for p, v in values.items() if p.endswith(".senderId")), None
            )  # fmt: skip
            assert values is None or named == detail.get("ResourceId"), (named, detail)
            assert model.apply("associate_on_approval", self.clock.now()), f"{rid}: {detail}"
            model.identities += 1
            model.sender = detail["ResourceId"]
            return
        if event.event == "disassociate":
            assert identity and model.identities > 0, f"{rid} disassociated {detail}"
            assert model.apply("disassociate", self.clock.now()), f"disassociate of {rid}"
            model.identities -= 1
            return
        rule = model.rule(str(detail.get("ResourceType")))
        unknown = model.registration_type == "UNKNOWN"  # created by other code
        assert rule is not None or unknown, f"{rid} associated with {detail}, not in its rules"
        after_complete = rule is not None and rule.association_behavior == AFTER_COMPLETE
        applied = model.apply("associate", self.clock.now(), after_complete=after_complete)
        if unknown and not applied:
            applied = model.apply("associate", self.clock.now(), after_complete=True)
        assert applied, f"{rid} associated from {model.status}/{model.versions[-1]}"
        if identity:
            model.identities += 1
        else:
            assert model.linked is None or model.linked.status == "DELETED", (
                f"{rid} associated with a second registration"
            )
            model.linked = self.reference[detail["ResourceId"]]

    def _follow_number(self, event: TransitionEvent) -> None:
        """Apply a phone number's committed event to its reference, by the rules: a
        TOLL_FREE number waits in PENDING until its registration is COMPLETE, any other
        is ACTIVE; a protected number is never released; a DELETED one never moves
        again; a number has one registration at most."""
        number_id, detail = event.registration_id, dict(event.detail or {})
        if event.event == "request_phone_number":
            assert number_id not in self.numbers, f"{number_id} requested twice"
            registration = detail.get("RegistrationId")
            waits = detail.get("NumberType") == "TOLL_FREE" and not self._complete(registration)
            expected = "PENDING" if waits else "ACTIVE"
            assert event.registration_to == expected, (
                f"{number_id} ({detail.get('NumberType')}) requested {event.registration_to}"
            )
            self.numbers[number_id] = {
                "Status": expected,
                "DeletionProtectionEnabled": detail.get("DeletionProtectionEnabled") is True,
                "Tags": {t["Key"]: t["Value"] for t in detail.get("Tags", ())},
                "Arn": resource_arn(event.region, event.account_id,
                                    phone_numbers.RESOURCE_TYPE, number_id),
                "Registration": registration,
                "NumberType": detail.get("NumberType"),
                "IsoCountryCode": detail.get("IsoCountryCode"),
            }  # fmt: skip
            return
        model = self.numbers.get(number_id)
        assert model is not None, f"{event.event} on a number the harness never saw"
        assert model["Status"] != "DELETED", f"{event.event} of the DELETED {number_id}"
        if event.event == "release_phone_number":
            assert not model["DeletionProtectionEnabled"], f"protected {number_id} released"
            model["Status"], model["Registration"] = "DELETED", None
        elif event.event == "associate_phone_number":
            assert model["Registration"] is None, f"{number_id} associated twice"
            model["Registration"] = detail["RegistrationId"]
            if model["Status"] == "PENDING" and self._complete(model["Registration"]):
                model["Status"] = "ACTIVE"
            assert event.registration_to == model["Status"], f"{number_id}: {event}"
        elif event.event == "activate_phone_number":
            assert model["Status"] == "PENDING" and self._complete(model["Registration"]), (
                f"{number_id} activated: {model}"
            )
            model["Status"] = "ACTIVE"
        elif event.event == "disassociate_phone_number":
            registration = self.reference[model["Registration"]]
            assert registration.status == "DELETED", f"{number_id} left {registration.status}"
            model["Registration"] = None
        else:  # a tag edit
            now = tuple(Tag(k, v) for k, v in model["Tags"].items())
            after = TagChange.of_detail(detail).applied_to(now)
            model["Tags"] = {tag.key: tag.value for tag in after}

    def _complete(self, rid: str | None) -> bool:
        """Whether the registration ``rid`` is COMPLETE by the reference."""
        return rid is not None and self.reference[rid].status == "COMPLETE"

    # -- rules -----------------------------------------------------------------------

    @initialize(target=registrations, kind=_KINDS)
    def initial_registration(self, kind: str) -> str:
        """CreateRegistration, first in every example: hypothesis runs each example with
        a random subset of the rules, and without a registration most do nothing."""
        return self._create(kind)

    @precondition(lambda self: len(self.reference) < self.max_registrations)
    @rule(target=registrations, kind=_KINDS)
    def create(self, kind: str) -> str:
        """CreateRegistration."""
        return self._create(kind)

    def _create(self, kind: str) -> str:
        """CreateRegistration, then the form and the associations completed (so that it
        can be submitted)."""
        self._pending_type = kind
        try:
            rid = str(self.service.create_registration(RegistrationType=kind)["RegistrationId"])
        finally:
            self._pending_type = None  # creates by other code: read the type back
        self.complete_form(rid)
        self.complete_associations(rid)
        return rid

    @rule(minutes=st.integers(-600, 6000))
    def tick(self, minutes: int) -> None:
        """Time passes (or the clock goes back)."""
        self.clock.advance(timedelta(minutes=minutes))

    @rule(
        rid=registrations,
        offer=st.sampled_from([o for o in _OFFERS if o[0] not in ("deny", RELEASE)]),
    )
    def call(self, rid: str, offer: Offer) -> None:
        """A user or reviewer event other than deny, legal or not: ``(event, aws_review)``."""
        self.attempt(rid, offer[0], aws_review=offer[1])

    @rule(rid=registrations, reasons=denied_reasons(max_size=1))
    def deny(self, rid: str, reasons: list[dict[str, str]]) -> None:
        """The reviewer denies, with generated reasons."""
        self.attempt(rid, "deny", reasons=reasons)

    @rule(rid=registrations, request=tags(min_size=1, max_size=3, keys=_TAG_KEYS))
    def tag(self, rid: str, request: list[dict[str, str]]) -> None:
        """TagResource with generated tags."""
        self.attempt(rid, "tag_resource", request={"Tags": request})

    @rule(rid=registrations, keys=st.lists(_TAG_KEYS, min_size=1, max_size=3))
    def untag(self, rid: str, keys: list[str]) -> None:
        """UntagResource of generated keys (those the registration lacks are ignored)."""
        self.attempt(rid, "untag_resource", request={"TagKeys": keys})

    # -- phone numbers: requested, tagged and released, each against the reference rules
    # (a TOLL_FREE number waits in PENDING, any other is ACTIVE; a protected number is
    # never released; a released one is DELETED for good)

    @precondition(lambda self: len(self.numbers) < self.max_phone_numbers)
    @rule(target=phone_numbers, kind=phone_number_kinds(), protected=st.booleans(),
          request=tags(max_size=2, keys=_TAG_KEYS),
          registration=st.one_of(st.none(), registrations))  # fmt: skip
    def request_number(
        self,
        kind: dict[str, str],
        protected: bool,
        request: list[dict[str, str]],
        registration: str | None,
    ) -> Any:
        """RequestPhoneNumber of a drawn country and type, for a registration or not:
        refused only as the association rules say."""
        return self._request(kind["IsoCountryCode"], kind["NumberType"], protected, request,
                             registration)  # fmt: skip

    def _request(
        self,
        country: str,
        number_type: str,
        protected: bool,
        request: list[dict[str, str]],
        registration: str | None,
    ) -> Any:
        expected = None
        if registration is not None:
            number = {"NumberType": number_type, "IsoCountryCode": country, "Status": "ACTIVE",
                      "Registration": None}  # fmt: skip
            expected = self._expected_association(registration, number)
        extra: dict[str, Any] = {} if registration is None else {"RegistrationId": registration}
        made = self._expect(expected, lambda: self.service.request_phone_number(
            IsoCountryCode=country, NumberType=number_type, MessageType="TRANSACTIONAL",
            NumberCapabilities=["SMS"], DeletionProtectionEnabled=protected, Tags=request,
            **extra,
        ))  # fmt: skip
        return multiple() if made is None else str(made["PhoneNumberId"])

    @rule(number=phone_numbers)
    def release_number(self, number: str) -> None:
        """ReleasePhoneNumber, whatever the number's status: refused only as the rules
        say (the reference follows a release that is committed); the release of a
        registration's last number closes it exactly when the rules say."""
        model = self.numbers[number]
        registration = self.reference.get(model["Registration"] or "")
        closes = False
        if registration is not None and registration.closes():
            after = registration.copy()
            after.identities -= 1
            closes = after.identities == 0 and after.allows("close")
        try:
            self.service.release_phone_number(PhoneNumberId=number)
        except ResourceNotFoundException:
            assert model["Status"] == "DELETED", f"release of live {number}: not found"
        except ConflictException as exc:
            assert model["DeletionProtectionEnabled"], f"release of {number} refused: {exc}"
            assert exc.reason == "DELETION_PROTECTION_ENABLED"
        else:
            if registration is not None:
                assert (registration.status == "CLOSED") == closes, (
                    f"releasing {number} left its registration {registration.status}"
                )

    @rule(pick=st.integers(0, 9))
    def release_associated(self, pick: int) -> None:
        """ReleasePhoneNumber of a number associated with a registration, if any."""
        held = [n for n, model in self.numbers.items() if model["Registration"] is not None]
        if held:
            self.release_number(held[pick % len(held)])

    @rule(rid=registrations, number=phone_numbers)
    def associate_number(self, rid: str, number: str) -> None:
        """CreateRegistrationAssociation of a phone number, whatever their statuses:
        refused only as the association rules and the machines say."""
        expected = self._expected_association(rid, self.numbers[number])
        self._expect(expected, lambda: self.service.create_registration_association(
            RegistrationId=rid, ResourceId=number))  # fmt: skip

    @rule(rid=registrations, other=registrations)
    def associate_registration(self, rid: str, other: str) -> None:
        """CreateRegistrationAssociation of a registration (a brand), whatever their
        statuses: refused only as the association rules and the machines say."""
        expected = self._expected_association(rid, None, self.reference[other])
        self._expect(expected, lambda: self.service.create_registration_association(
            RegistrationId=rid, ResourceId=other))  # fmt: skip

    def _expected_association(
        self,
        rid: str,
        number: dict[str, Any] | None,
        other: ReferenceRegistration | None = None,
    ) -> Expected:
        """What associating the ``number`` (its reference) or the registration
        ``other`` with ``rid`` does, in the order the rules are checked; ``(Exception,
        None)`` where the reference cannot tell (a type other code created)."""
        model = self.reference[rid]
        if model.status == "DELETED" or (other or model).status == "DELETED":
            return ResourceNotFoundException, None
        if "UNKNOWN" in (model.registration_type, (other or model).registration_type):
            return Exception, None
        if number is not None:
            if number["Status"] == "DELETED":
                return ResourceNotFoundException, None
            if number["Registration"] is not None:
                same = number["Registration"] == rid
                return ConflictException, (
                    "RESOURCE_ALREADY_ASSOCIATED" if same
                    else "PHONE_NUMBER_ASSOCIATED_TO_REGISTRATION"
                )  # fmt: skip
        if other is model:
            return ValidationException, "INVALID_REGISTRATION_ASSOCIATION"
        kind = number["NumberType"] if number is not None else (other or model).registration_type
        rule = model.rule(kind)
        if rule is None:
            return ValidationException, "INVALID_REGISTRATION_ASSOCIATION"
        if number is not None and rule.iso_country_code not in (None, number["IsoCountryCode"]):
            return ConflictException, "PHONE_NUMBER_NOT_IN_REGISTRATION_REGION"
        if number is None and model.linked is not None and model.linked.status != "DELETED":
            return ConflictException, "RESOURCE_ALREADY_ASSOCIATED"  # a DELETED one is replaced
        after_complete = rule.association_behavior == AFTER_COMPLETE
        if model.moves("associate", after_complete=after_complete) is None:
            return ConflictException, model.refusal_reason("associate", after_complete)
        return None

    def _expect(self, expected: Expected, call: Callable[[], dict[str, Any]]) -> Any:
        """Make ``call`` and check its outcome is ``expected``; its answer, if any."""
        try:
            answer = call()
        except (ConflictException, ValidationException, ResourceNotFoundException) as refused:
            assert expected is not None, f"refused, the reference allows it: {refused}"
            kind, reason = expected
            assert isinstance(refused, kind), f"{refused!r}, the reference expects {kind}"
            assert reason is None or refused.reason == reason, (refused.reason, reason)
            return None
        assert expected is None or expected[0] is Exception, (
            f"accepted, the reference expects {expected}: {answer}"
        )
        return answer

    def complete_associations(self, rid: str) -> None:
        """Make the associations a submit of ``rid`` needs: link a registration of the
        type it takes (a COMPLETE one if there is), request a number of the type it
        takes for it."""
        model = self.reference[rid]
        for kind in model.unassociated():
            rule = model.rule(kind)
            assert rule is not None
            if not rule.registration:
                self._request(rule.iso_country_code or "US", kind, False, [], rid)
                continue
            live = [(other.status != "COMPLETE", other_id)
                    for other_id, other in self.reference.items()
                    if other.registration_type == kind and other.status != "DELETED"]  # fmt: skip
            if live and model.linked is None:
                self.associate_registration(rid, min(live)[1])

    @rule(number=phone_numbers, request=tags(min_size=1, max_size=2, keys=_TAG_KEYS))
    def tag_number(self, number: str, request: list[dict[str, str]]) -> None:
        """TagResource of a phone number, whatever its status."""
        model = self.numbers[number]
        try:
            self.service.tag_resource(ResourceArn=model["Arn"], Tags=request)
        except ResourceNotFoundException:
            assert model["Status"] == "DELETED", f"tags of live {number}: not found"

    @rule(rid=registrations, data=st.data())
    def edit_form(self, rid: str, data: st.DataObject) -> None:
        """A form edit, whatever the current version's status: PutRegistrationFieldValue
        of a value drawn for a TEXT or SELECT field of the registration's form, or
        DeleteRegistrationFieldValue of a field that has a value, or of any field (which
        may have none). Then, if drawn, SubmitRegistrationVersion of the form as it is (a
        legal move completes it first), so that an incomplete one meets the check."""
        # One rule, not three: every rule more makes the deep states rarer.
        model = self.reference[rid]
        paths = [field.field_path for field in model.fields]
        if bool(paths) and data.draw(st.booleans(), "delete"):
            present = [path for path in paths if path in (model.values[-1] or {})]
            drawn = st.sampled_from(paths)
            path = data.draw(st.sampled_from(present) | drawn if present else drawn, "path")
            self.attempt(rid, "delete_field_value", request={"FieldPath": path})
        elif any(field.field_type != ATTACHMENT for field in model.fields):
            values = field_values(model.registration_type, self.service.registration_types)
            self.attempt(rid, "put_field_value", request=data.draw(values, "value"))
        if data.draw(st.booleans(), "then submit"):
            self.attempt(rid, "submit")

    def complete_form(self, rid: str) -> None:
        """Make the form of the current version complete, if it is a DRAFT: put an
        example value on each field it requires and misses, delete each value it
        disallows, until the reference finds no problem left (or no example fits)."""
        model = self.reference[rid]
        for _ in range(len(model.fields)):
            problems = model.problems()
            if not problems:
                return
            for path in problems:
                if path in (model.values[-1] or {}):
                    self.attempt(rid, "delete_field_value", request={"FieldPath": path})
                elif (example := self._example(model.registration_type, path)) is not None:
                    self.attempt(rid, "put_field_value", request=example)

    def _example(self, kind: str, path: str) -> dict[str, Any] | None:
        """A valid PutRegistrationFieldValue request for the field ``path`` of ``kind``
        (:func:`~lifecycle.testing.forms.example_values`; an ATTACHMENT field's names
        an :data:`~lifecycle.media.EXAMPLE_PNG` uploaded once); ``None`` if there is
        none."""
        if kind not in self._examples:
            values = example_values(self.service.registration_types, kind, "")
            self._examples[kind] = {value["FieldPath"]: value for value in values}
        example = self._examples[kind].get(path)
        if example is not None and "RegistrationAttachmentId" in example:
            if self._attachment_id is None:
                upload = self.service.create_registration_attachment(AttachmentBody=EXAMPLE_PNG)
                self._attachment_id = upload["RegistrationAttachmentId"]
            example = {**example, "RegistrationAttachmentId": self._attachment_id}
        return example

    @rule(rid=registrations, picks=_PICKS)
    def legal_moves(self, rid: str, picks: list[int]) -> None:
        """One move the reference allows per entry of ``picks``, each chosen by its pick
        (see :meth:`legal_offer`). The report names each move in a comment above the
        step."""
        for pick in picks:
            offer = self.legal_offer(rid, pick)
            if offer is None:
                return
            self._move(rid, offer)

    @rule(rid=registrations, picks=_PICKS)
    def more_legal_moves(self, rid: str, picks: list[int]) -> None:
        """The same as ``legal_moves``. A second rule weights the walk toward legal
        moves, and hypothesis leaves each rule out of some examples on its own."""
        self.legal_moves(rid, picks)

    @rule(rid=registrations, goal=_GOALS)
    def tour(self, rid: str, goal: Key) -> None:
        """The moves of a shortest route to the transition ``goal``, up to the move that
        takes it, if the registration can reach it. The report names each move in a
        comment above the step."""
        routes = planner.routes()
        for _ in range(len(routes.moves)):  # no shortest route is longer
            model = self.reference[rid]
            here = planner.shape(model.status, model.versions)
            offers = [o for o in routes.toward(here, [goal]) if _can(model, o)]
            if not offers:
                return
            taken = _planned(model, offers[0]) or ()
            self._move(rid, offers[0])
            if goal in (move.key for move in taken):
                return

    def legal_offer(self, rid: str, pick: int) -> Offer | None:
        """A move the reference allows ``rid`` now, or ``None``. For ``pick`` 0 to 2 it
        starts a shortest route to the nearest transition this example has not
        exercised yet; for 3 to 7 to a far one (``pick`` 3 the farthest, 4 the second
        farthest, ...), kept as the registration's aim until exercised; otherwise, or
        when nothing is left to exercise, it is any legal move, one that ends the
        version or the registration only for ``pick`` 9."""
        model = self.reference[rid]
        pool: list[Offer] = []
        if pick < 8:
            routes = planner.routes()
            wanted = [key for key in routes.distance
                      if key[1] in MOVE_EVENTS and not self.exercised.covers(*key)]  # fmt: skip
            here = planner.shape(model.status, model.versions)
            if pick >= 3:
                aim = self._aims.get(rid)
                if aim not in wanted or not routes.toward(here, [aim]):
                    aim = self._aims[rid] = routes.far(here, wanted, rank=pick - 3)
                wanted = [] if aim is None else [aim]
            pool = [o for o in routes.toward(here, wanted) if _can(model, o)]
        if not pool:
            legal = [offer for offer in _OFFERS if _can(model, offer)]
            pool = [offer for offer in legal if offer[0] not in _ENDINGS]
            pool = legal if pick == 9 or not pool else pool
        return pool[pick % len(pool)] if pool else None

    def _move(self, rid: str, offer: Offer) -> None:
        """Make a legal move, named in a comment above the step in the report; a submit
        completes the form first."""
        model = self.reference[rid]
        event, aws_review = offer
        note(f"# {event}{' (AwsReview)' if aws_review else ''} from "
             f"{model.status}/{model.versions[-1]}")  # fmt: skip
        if event == RELEASE:
            held = [n for n, number in self.numbers.items() if number["Registration"] == rid
                    and not number["DeletionProtectionEnabled"]]  # fmt: skip
            if held:
                self.release_number(held[0])
            return
        if event == "submit":
            self.complete_form(rid)
            self.complete_associations(rid)
        self.attempt(rid, event, aws_review=aws_review)

    def attempt(
        self,
        rid: str,
        event: str,
        *,
        aws_review: bool = False,
        reasons: list[dict[str, str]] | None = None,
        request: dict[str, Any] | None = None,
    ) -> None:
        """Fire ``event`` on ``rid`` and check legality and the refusal against the
        reference (what a refused call left behind is checked by the invariants).

        ``request`` replaces the user call's parameters of :data:`USER_PARAMETERS`
        (the form edits take none there: they need it)."""
        model = self.reference[rid]
        deleted = model.status == "DELETED"
        legal = model.allows(event, aws_review)
        # The service checks a submit's associations before its form.
        unassociated = model.unassociated() if event == "submit" else []
        problems = model.problems() if event == "submit" and not unassociated else []
        expected_reason = model.refusal_reason(event)
        if request is None:
            parameters = USER_PARAMETERS.get(event, _only_the_registration)
            if parameters is None:
                raise ValueError(f"{event} needs its request: see USER_PARAMETERS")
            request = parameters(model, aws_review)
        after = model.tags_after(event, request) if event == "tag_resource" else None
        too_many = after is not None and len(after) > self.service.quotas.limits[TAGS_PER_RESOURCE]
        try:
            self._fire(rid, event, reasons or _DENIAL, request)
        except ResourceNotFoundException:
            assert deleted, f"{event}: ResourceNotFound on a {model.status} registration"
        except ConflictException as refused:
            assert not legal and not problems and not unassociated, (
                f"{event} refused from {model.status}, the reference allows it"
                + (f" or refuses its form: {problems}" if problems else "")
                + (f" or misses {unassociated}" if unassociated else "")
            )
            if event in USER_EVENTS:
                assert refused.reason == expected_reason, (event, refused.reason)
        except ValidationException as refused:
            # An incomplete form at submit, or a put that a conditional rule's limits refuse.
            named = [field["Name"] for field in refused.fields]
            if unassociated:
                assert refused.reason == "INVALID_REGISTRATION_ASSOCIATION", refused.reason
                assert all(kind in str(refused) for kind in unassociated), (unassociated, refused)
            elif problems:
                assert refused.reason == "FIELD_VALIDATION_FAILED", refused.reason
                assert named == problems, f"submit refused naming {named}, not {problems}"
            else:
                assert event == "put_field_value" and model.limits_vary(request["FieldPath"]), (
                    f"{event} refused from {model.status}/{model.versions[-1]}: {refused}"
                )
        except ServiceQuotaExceededException as refused:
            assert too_many and refused.reason == TAGS_PER_RESOURCE, (event, refused.reason)
        else:
            assert not problems, f"{event} accepted, the form is incomplete: {problems}"
            assert not unassociated, f"{event} accepted without its {unassociated}"
            assert legal, f"{event} accepted from {model.status}, the reference forbids it"
            assert not too_many, f"{event} left {rid} with more tags than {TAGS_PER_RESOURCE}"

    def _fire(
        self, rid: str, event: str, reasons: list[dict[str, str]], request: dict[str, Any]
    ) -> None:
        service = self.service
        if event in USER_CALLS:
            method, names = USER_CALLS[event]
            name = rid
            if names == "ResourceArn":
                name = registration_arn(service.region, service.account_id, rid)
            self._pending_request = request
            try:
                getattr(service, method)(**{names: name}, **request)
            finally:
                self._pending_request = None
        elif event == "deny":
            self._pending_reasons = reasons
            try:
                service.reviewer.deny(rid, reasons)
            finally:
                self._pending_reasons = None
        elif event in REVIEWER_EVENTS:
            getattr(service.reviewer, event)(rid)
        else:
            raise ValueError(f"the harness does not fire {event!r}: see USER_PARAMETERS")

    # -- invariants ------------------------------------------------------------------

    def _check_phone_numbers(self) -> None:
        """Every number shows what the reference predicts; no two live numbers hold one
        E.164 number; PHONE_NUMBERS_PER_ACCOUNT counts the live ones."""
        shown = {
            n["PhoneNumberId"]: n
            for n in self.service.get_paginator("describe_phone_numbers")
            .paginate()
            .build_full_result()["PhoneNumbers"]
        }
        assert set(shown) == set(self.numbers)
        for number_id, model in self.numbers.items():
            number = shown[number_id]
            assert (number["Status"], number["DeletionProtectionEnabled"]) == (
                model["Status"], model["DeletionProtectionEnabled"],
            ), f"{number_id}: {number}"  # fmt: skip
            tags = self.service.list_tags_for_resource(ResourceArn=model["Arn"])["Tags"]
            assert tags == [{"Key": k, "Value": v} for k, v in model["Tags"].items()]
        for number_id, model in self.numbers.items():
            assert shown[number_id].get("RegistrationId") == model["Registration"], number_id
        live = [n["PhoneNumber"] for n in shown.values() if n["Status"] != "DELETED"]
        assert len(live) == len(set(live)), f"one number held twice: {sorted(live)}"
        used = self.service.backend.quota_usage(
            self.service.account_id, self.service.region, PHONE_NUMBERS_PER_ACCOUNT, ""
        )
        assert used == len(live)

    def _check_associations(self, rid: str, model: ReferenceRegistration) -> None:
        """What ``rid`` is associated with is what the reference says; no identity on
        a DELETED registration, none on a CLOSED one; no number waits (PENDING) on a
        COMPLETE registration, and one that waits for a registration is ACTIVE only
        on one that has been COMPLETE."""
        numbers = [n for n, number in self.numbers.items() if number["Registration"] == rid]
        expected = [(n, self.numbers[n]["NumberType"]) for n in numbers]
        if model.sender is not None:
            expected.insert(0, (model.sender, "SENDER_ID"))
        if model.linked is not None:
            linked = next(k for k, v in self.reference.items() if v is model.linked)
            expected.insert(0, (linked, model.linked.registration_type))
        if model.provisions() and model.status in ("PROVISIONING", "COMPLETE"):
            assert model.sender is not None, f"{rid} approved without its sender ID"
        pages = self.service.get_paginator("list_registration_associations").paginate(
            RegistrationId=rid
        )
        shown = pages.build_full_result()["RegistrationAssociations"]
        assert [(a["ResourceId"], a["ResourceType"]) for a in shown] == expected, rid
        assert model.identities == len(numbers) + (model.sender is not None), (
            rid, model.identities, numbers, model.sender
        )  # fmt: skip
        if model.status in ("DELETED", "CLOSED"):
            assert not numbers, f"{model.status} {rid} has numbers {numbers}"
        for number in numbers:
            status = self.numbers[number]["Status"]
            assert not (status == "PENDING" and model.status == "COMPLETE"), number
            waits = self.numbers[number]["NumberType"] == "TOLL_FREE"
            assert not (waits and status == "ACTIVE") or model.ever_complete, number

    @invariant()
    def matches_reference_and_invariants(self) -> None:
        """All eleven invariants, and the full describe output, tags and field values
        equal the reference; so do the phone numbers and the associations."""
        self._check_phone_numbers()
        for rid, model in self.reference.items():
            # 1, 2, 3, 4 and 7
            registration, versions = invariants.check(self.service, rid)
            forms = [invariants.field_values(self.service, rid, v["VersionNumber"])
                     for v in versions]  # fmt: skip
            arn = registration["RegistrationArn"]
            tags = self.service.list_tags_for_resource(ResourceArn=arn)["Tags"]
            # Payload the harness did not choose (your code's creates, denials, tag and
            # form edits) is read back; every status and timestamp is predicted.
            if model.registration_type == "UNKNOWN":
                catalogue = self.service.registration_types
                model.registration_type = registration["RegistrationType"]
                model.fields = catalogue.fields(model.registration_type)
                model.rules = association_rules(catalogue, model.registration_type)
            self._check_associations(rid, model)
            for n, version in enumerate(versions[: len(model.denied)]):
                if model.denied[n] is None:
                    model.denied[n] = version.get("DeniedReasons", [])
                if model.values[n] is None:
                    model.values[n] = forms[n]
            if model.tags is None:
                model.tags = {tag["Key"]: tag["Value"] for tag in tags}
            # 6. the coupling, and everything else shown: exactly the reference
            assert (registration, versions) == model.describe(rid, arn)
            assert tags == model.tag_list()
            # 10. so are the values, which the reference copies into each new version
            for n, values in enumerate(forms, 1):
                assert values == model.values[n - 1], (
                    f"version {n} of {rid} holds {values}, the reference {model.values[n - 1]}"
                )
            for version, values in zip(versions, forms, strict=True):
                # 5. a terminal version never changes again
                ident = (rid, version["VersionNumber"])
                if ident in self.terminal:
                    assert version == self.terminal[ident]
                elif version["RegistrationVersionStatus"] in TERMINAL:
                    self.terminal[ident] = version
                # 9. a version's values change only while it is a DRAFT
                if ident in self.sealed:
                    assert values == self.sealed[ident], f"version {ident[1]} of {rid} changed"
                elif version["RegistrationVersionStatus"] != EDITABLE:
                    self.sealed[ident] = values
                    # 11. a version was submitted with a complete form (and keeps it: 9)
                    if HISTORY_KEY["SUBMITTED"] in version["RegistrationVersionStatusHistory"]:
                        problems = form_problems(model.fields, values)
                        number = ident[1]
                        assert not problems, (
                            f"{rid} submitted version {number} incomplete: {problems}"
                        )
            # 8. DELETED is terminal
            if rid in self.deleted:
                assert registration["RegistrationStatus"] == "DELETED"
            elif registration["RegistrationStatus"] == "DELETED":
                self.deleted.add(rid)


def _planned(model: ReferenceRegistration, offer: Offer) -> tuple[Move, ...] | None:
    """The moves ``offer`` makes now by the machines alone, whatever the form (a legal
    move completes the form before it submits)."""
    return plan(model.status, tuple(model.versions), *offer)


def _can(model: ReferenceRegistration, offer: Offer) -> bool:
    """Whether ``offer`` is a legal move now (a release needs a number to release)."""
    if offer[0] == RELEASE and not model.identities:
        return False
    return offer[0] in MOVE_EVENTS and _planned(model, offer) is not None


_DENIAL = [{"Reason": "BRAND_INFO_MISMATCH", "ShortDescription": "The brand does not match."}]


def _explains(moves: tuple[Move, ...] | None, event: TransitionEvent) -> bool:
    """Whether ``moves`` end where the committed ``event`` says its machines went."""
    if moves is None:
        return False
    dests = {m.machine: m.dest for m in moves if m.event == event.event}
    return (dests.get("version"), dests.get("registration")) == (
        event.version_to,
        event.registration_to,
    )


def harness_settings(**changes: Any) -> Settings:
    """The hypothesis settings :func:`run_harness` uses by default, with ``changes``
    (any argument of ``hypothesis.settings``): :data:`MAX_EXAMPLES` examples of at
    most :data:`STATEFUL_STEP_COUNT` steps, no deadline, and no explain phase, whose
    tracing of every line makes a shrink several times slower. The rest comes from
    the current hypothesis profile."""
    defaults: dict[str, Any] = {
        "max_examples": MAX_EXAMPLES,
        "stateful_step_count": STATEFUL_STEP_COUNT,
        "deadline": None,
        "phases": [phase for phase in Phase if phase is not Phase.explain],
    }
    return Settings(**(defaults | changes))


def run_harness(
    backend_factory: Callable[[], Backend] | None = None,
    *,
    machine: type[LifecycleStateMachine] = LifecycleStateMachine,
    settings: Settings | None = None,
    coverage: TransitionCoverage | None = None,
) -> TransitionCoverage:
    """Run ``machine`` as a hypothesis test on stores from ``backend_factory`` (default:
    a new in-memory store per example).

    Args:
        settings: hypothesis settings (default: :func:`harness_settings`, 200 examples
            of at most 30 steps).
        coverage: where to add up the transitions exercised (default: a new one).

    Returns:
        The coverage the run reached (``coverage`` when given).

    Raises:
        The first failure hypothesis finds, shrunk: an ``AssertionError`` from the
        harness's checks, or whatever your rules raised.
    """
    coverage = TransitionCoverage() if coverage is None else coverage
    configured = type(machine.__name__, (machine,), {
        "backend_factory": staticmethod(backend_factory) if backend_factory else None,
        "coverage": coverage,
    })  # fmt: skip
    run_state_machine_as_test(configured, settings=settings or harness_settings())
    return coverage


__all__ = [
    "MAX_EXAMPLES",
    "STATEFUL_STEP_COUNT",
    "LifecycleStateMachine",
    "harness_settings",
    "run_harness",
]
