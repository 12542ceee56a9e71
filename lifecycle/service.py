"""The service: the AWS-shaped API that workflow code calls.

:class:`RegistrationService` offers the user operations of ``pinpoint-sms-voice-v2``
with boto3's method names, keyword-only PascalCase parameters and response
dictionaries. :class:`Reviewer` (``service.reviewer``) offers what AWS, the carriers
and The Campaign Registry do. Both validate, load the registration from the backend,
apply one step of the machines, and commit the result with its events; subscribers
receive the events for side effects.
"""

from __future__ import annotations

import logging
import re
import secrets
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from lifecycle import aggregate, errors, pagination
from lifecycle.backends.memory import InMemoryBackend
from lifecycle.catalogue import Catalogue
from lifecycle.errors import (
    AccessDeniedException,
    ConflictException,
    ReentrantCallError,
    ResourceNotFoundException,
    ValidationException,
    inside_commit,
)
from lifecycle.events import TransitionEvent
from lifecycle.machines import FOLLOW_UPS, MACHINES, VERSION
from lifecycle.models import DeniedReason, Registration, Tag, partition_of
from lifecycle.pagination import Paginator, TokenCodec, query_fingerprint
from lifecycle.ports import Backend, IdempotencyRecord, QuotaCharge, RegistrationQuery, VersionQuery
from lifecycle.quotas import Quotas
from lifecycle.statuses import RegistrationStatus
from lifecycle.validation import MISSING, REGISTRATION_ID, reject_unknown, string, validate

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
"""Returns the current time as a timezone-aware datetime."""

Subscriber = Callable[[TransitionEvent], None]
"""Receives each committed transition event."""

DEFAULT_MAX_RESULTS = 100
"""Page size of the describe calls when ``MaxResults`` is not given."""

_ACCOUNT = re.compile(r"\d{12}")
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d{1,2}")


def utc_now() -> datetime:
    """The current time in UTC: the default clock."""
    return datetime.now(UTC)


def _new_registration_id() -> str:
    return "registration-" + secrets.token_hex(16)


class RegistrationService:
    """The registration API of one AWS account and region.

    Args:
        backend: where registrations live; ``None`` means a new
            :class:`~lifecycle.backends.memory.InMemoryBackend`.
        clock: returns an aware datetime; ``None`` means :func:`utc_now`.
        account_id: the 12-digit account the registrations belong to.
        region: the AWS region, e.g. ``us-east-1``.
        registration_types: a :class:`~lifecycle.catalogue.Catalogue`, or names to
            accept in addition to the built-in types; ``None`` means the built-in types.
        quotas: limits by the model's quota names (``REGISTRATIONS_PER_ACCOUNT``,
            ``REGISTRATION_VERSIONS_CREATED_PER_DAY``), overriding the generous
            :data:`~lifecycle.quotas.DEFAULT_QUOTAS`. A call over a limit raises
            ServiceQuotaExceededException with the quota as Reason.

    Raises:
        ValidationException: an argument is malformed (named in the message).
    """

    exceptions = errors.EXCEPTIONS
    """The library's errors by AWS code, as boto3's ``client.exceptions``."""

    def __init__(
        self,
        backend: Backend | None = None,
        clock: Clock | None = None,
        account_id: str = "123456789012",
        region: str = "us-east-1",
        registration_types: Catalogue | Iterable[str] | None = None,
        quotas: Mapping[str, int] | None = None,
    ) -> None:
        if type(account_id) is not str or not _ACCOUNT.fullmatch(account_id):
            raise ValidationException.for_field("account_id", "must be 12 digits")
        if type(region) is not str or not _REGION.fullmatch(region):
            raise ValidationException.for_field("region", "must be an AWS region like us-east-1")
        if backend is not None and (isinstance(backend, type) or not isinstance(backend, Backend)):
            got = type(backend).__name__
            if isinstance(backend, type):
                got = f"the class {backend.__name__}"
            raise ValidationException.for_field(
                "backend",
                f"must be an object implementing lifecycle.ports.Backend, got {got}; use "
                "InMemoryBackend(), or lifecycle.backends.open_backend(path or URL)",
            )
        if clock is not None and not callable(clock):
            raise ValidationException.for_field("clock", "must be callable")
        if registration_types is None or isinstance(registration_types, Catalogue):
            self.registration_types = (
                Catalogue() if registration_types is None else registration_types
            )
        elif isinstance(registration_types, str) or not isinstance(registration_types, Iterable):
            raise ValidationException.for_field(
                "registration_types", "must be a Catalogue or an iterable of type names"
            )
        else:
            self.registration_types = Catalogue(registration_types)
        self.quotas = Quotas(quotas)
        """The limits this service enforces."""
        self.backend: Backend = InMemoryBackend() if backend is None else backend
        self.clock: Clock = utc_now if clock is None else clock
        self.account_id = account_id
        self.region = region
        self.reviewer = Reviewer(self)
        """The reviewer's operations on this service's registrations."""
        self._codec = TokenCodec(self.backend.pagination_key)
        self._subscribers: list[Subscriber] = []
        self._transactional: list[Subscriber] = []
        self._subscribers_lock = threading.Lock()

    # -- subscribers -------------------------------------------------------------

    def subscribe(
        self, subscriber: Subscriber, *, transactional: bool = False
    ) -> Callable[[], None]:
        """Deliver every committed transition event to ``subscriber``.

        A transactional subscriber runs inside the commit: if it raises, nothing is
        committed and the call raises its exception. It must not call a service: such
        a call raises :class:`~lifecycle.errors.ReentrantCallError` at once. Any other
        subscriber runs after the commit (and may call services); its exceptions are
        logged and do not undo the call.

        Returns:
            A function that unsubscribes it.
        """
        if not callable(subscriber):
            raise ValidationException.for_field("subscriber", "must be callable")
        target = self._transactional if transactional else self._subscribers
        with self._subscribers_lock:
            target.append(subscriber)

        def unsubscribe() -> None:
            with self._subscribers_lock:
                if subscriber in target:
                    target.remove(subscriber)

        return unsubscribe

    # -- user operations ---------------------------------------------------------

    @errors.operation
    def create_registration(
        self,
        *,
        RegistrationType: str = MISSING,
        Tags: Sequence[Mapping[str, str]] = MISSING,
        ClientToken: str = MISSING,
        **unknown: Any,
    ) -> dict[str, Any]:
        """Create a registration of ``RegistrationType`` with version 1 in DRAFT.

        With a ``ClientToken`` already used in this account and region, returns the
        registration that token created (same parameters) or raises
        ConflictException ``RESOURCE_ALREADY_EXISTS`` (different parameters).
        """
        params = validate(
            "CreateRegistration",
            {"RegistrationType": RegistrationType, "Tags": Tags, "ClientToken": ClientToken,
             **unknown},
        )  # fmt: skip
        registration_type = self.registration_types.canonical(params["RegistrationType"])
        tags = tuple(Tag(t["Key"], t["Value"]) for t in params.get("Tags", ()))
        token = params.get("ClientToken")
        fingerprint = query_fingerprint(registration_type, tags)
        if token is not None:
            replay = self._replay(token, fingerprint)
            if replay is not None:
                return replay
        now = self._now()
        step = aggregate.create(
            registration_id=_new_registration_id(),
            account_id=self.account_id,
            region=self.region,
            registration_type=registration_type,
            tags=tags,
            now=now,
        )
        record = None
        if token is not None:
            record = IdempotencyRecord(
                self.account_id, self.region, token, fingerprint, step.registration.registration_id
            )
        try:
            step = self._commit(step, None, record, self.quotas.charges("create", now))
        except ConflictException:
            # Another call claimed the same token first: answer as that call did.
            replay = self._replay(token, fingerprint) if token is not None else None
            if replay is None:
                raise
            return replay
        return step.registration.to_create_dict()

    @errors.operation
    def create_registration_version(
        self, *, RegistrationId: str = MISSING, **unknown: Any
    ) -> dict[str, Any]:
        """Create the next version (DRAFT) of a registration; the previous one is read-only."""
        params = validate(
            "CreateRegistrationVersion", {"RegistrationId": RegistrationId, **unknown}
        )
        return self._step(params["RegistrationId"], "create_version").version_dict()

    @errors.operation
    def submit_registration_version(
        self, *, RegistrationId: str = MISSING, AwsReview: bool = MISSING, **unknown: Any
    ) -> dict[str, Any]:
        """Submit the current (DRAFT) version for review; ``AwsReview=True`` asks AWS
        to review it before it goes to the carriers (status AWS_REVIEWING)."""
        params = validate(
            "SubmitRegistrationVersion",
            {"RegistrationId": RegistrationId, "AwsReview": AwsReview, **unknown},
        )
        aws_review = params.get("AwsReview", False)
        step = self._step(params["RegistrationId"], "submit", aws_review=aws_review)
        response = step.version_dict()
        response["AwsReview"] = aws_review
        return response

    @errors.operation
    def discard_registration_version(
        self, *, RegistrationId: str = MISSING, **unknown: Any
    ) -> dict[str, Any]:
        """Discard the current version (DRAFT or SUBMITTED)."""
        params = validate(
            "DiscardRegistrationVersion", {"RegistrationId": RegistrationId, **unknown}
        )
        return self._step(params["RegistrationId"], "discard").version_dict()

    @errors.operation
    def delete_registration(
        self, *, RegistrationId: str = MISSING, **unknown: Any
    ) -> dict[str, Any]:
        """Delete a registration (CREATED, REQUIRES_UPDATES or CLOSED); it stays
        visible to the describe calls with status DELETED."""
        params = validate("DeleteRegistration", {"RegistrationId": RegistrationId, **unknown})
        return self._step(params["RegistrationId"], "delete").registration.to_dict()

    @errors.operation
    def describe_registrations(
        self,
        *,
        RegistrationIds: Sequence[str] = MISSING,
        Filters: Sequence[Mapping[str, Any]] = MISSING,
        NextToken: str = MISSING,
        MaxResults: int = MISSING,
        **unknown: Any,
    ) -> dict[str, Any]:
        """One page of this account's registrations, in creation order.

        Filters with different names are ANDed; the values of one filter are ORed.
        """
        params = validate(
            "DescribeRegistrations",
            {"RegistrationIds": RegistrationIds, "Filters": Filters, "NextToken": NextToken,
             "MaxResults": MaxResults, **unknown},
        )  # fmt: skip
        ids = None
        if "RegistrationIds" in params:
            ids = frozenset(
                self._load(value, f"RegistrationIds[{i}]").registration_id
                for i, value in enumerate(params["RegistrationIds"])
            )
        filters = _filter_sets(params.get("Filters", ()))
        types = filters.get("registration-type")
        statuses = filters.get("registration-status")
        scope = [
            "DescribeRegistrations",
            self.account_id,
            self.region,
            query_fingerprint(sorted(ids or ()), ids is None, _sorted(types), _sorted(statuses)),
        ]
        page = self.backend.query_registrations(
            RegistrationQuery(
                self.account_id,
                self.region,
                ids,
                types,
                statuses,
                self._after(params, scope),
                params.get("MaxResults", DEFAULT_MAX_RESULTS),
            )
        )
        response: dict[str, Any] = {"Registrations": [r.to_dict() for r in page.items]}
        if page.next_position is not None:
            response["NextToken"] = self._codec.encode(scope, page.next_position)
        return response

    @errors.operation
    def describe_registration_versions(
        self,
        *,
        RegistrationId: str = MISSING,
        VersionNumbers: Sequence[int] = MISSING,
        Filters: Sequence[Mapping[str, Any]] = MISSING,
        NextToken: str = MISSING,
        MaxResults: int = MISSING,
        **unknown: Any,
    ) -> dict[str, Any]:
        """One page of a registration's versions, in version-number order."""
        params = validate(
            "DescribeRegistrationVersions",
            {"RegistrationId": RegistrationId, "VersionNumbers": VersionNumbers,
             "Filters": Filters, "NextToken": NextToken, "MaxResults": MaxResults, **unknown},
        )  # fmt: skip
        registration = self._load(params["RegistrationId"], "RegistrationId")
        numbers = None
        if "VersionNumbers" in params:
            for i, number in enumerate(params["VersionNumbers"]):
                if number > registration.current_version_number:
                    raise ValidationException.for_field(
                        f"VersionNumbers[{i}]",
                        f"registration {registration.registration_id} has no version {number}",
                        reason="UNKNOWN_REGISTRATION_VERSION",
                    )
            numbers = frozenset(params["VersionNumbers"])
        statuses = _filter_sets(params.get("Filters", ())).get("registration-version-status")
        scope = [
            "DescribeRegistrationVersions",
            self.account_id,
            self.region,
            query_fingerprint(registration.registration_id, _sorted(numbers), _sorted(statuses)),
        ]
        page = self.backend.query_versions(
            VersionQuery(
                self.account_id,
                self.region,
                registration.registration_id,
                numbers,
                statuses,
                self._after(params, scope),
                params.get("MaxResults", DEFAULT_MAX_RESULTS),
            )
        )
        response: dict[str, Any] = {
            "RegistrationArn": registration.arn,
            "RegistrationId": registration.registration_id,
            "RegistrationVersions": [v.to_dict() for v in page.items],
        }
        if page.next_position is not None:
            response["NextToken"] = self._codec.encode(scope, page.next_position)
        return response

    def get_paginator(self, operation_name: str) -> Paginator:
        """A paginator for ``describe_registrations`` or ``describe_registration_versions``
        (method names, as boto3's ``get_paginator`` takes them).

        Raises:
            OperationNotPageableError: no paginator by that name (a ValidationException).
        """
        return pagination.get_paginator(self, operation_name)

    def can_paginate(self, operation_name: str) -> bool:
        """Whether :meth:`get_paginator` has a paginator for ``operation_name``."""
        return pagination.can_paginate(operation_name)

    # -- internals ---------------------------------------------------------------

    def _now(self) -> datetime:
        now = self.clock()
        if type(now) is datetime and now.tzinfo is UTC:
            return now
        if not isinstance(now, datetime) or now.utcoffset() is None:
            raise ValidationException.for_field(
                "clock", f"must return a timezone-aware datetime, returned {now!r}"
            )
        return now.astimezone(UTC)

    def _resolve(self, value: str, field: str) -> str:
        """The registration id named by ``value`` (an id, or an ARN of this account)."""
        if not value.startswith("arn:"):
            return value
        parts = value.split(":", 5)
        if (
            len(parts) != 6
            or parts[2] != "sms-voice"
            or not parts[5].startswith("registration/")
            or parts[1] != partition_of(parts[3])
        ):
            raise ValidationException.for_field(
                field,
                "is not a registration ARN (arn:aws:sms-voice:REGION:ACCOUNT:registration/ID)",
                reason="INVALID_ARN",
            )
        if parts[4] != self.account_id or parts[3] != self.region:
            raise AccessDeniedException(
                f"{field} {value} belongs to account {parts[4]} in {parts[3]}; this service "
                f"is account {self.account_id} in {self.region}."
            )
        return parts[5][len("registration/") :]

    def _load(self, value: str, field: str) -> Registration:
        """The registration named by ``value``; DELETED ones included."""
        registration_id = self._resolve(value, field)
        registration = self.backend.get(self.account_id, self.region, registration_id)
        if registration is None:
            raise ResourceNotFoundException(
                f"Registration {value} not found.",
                resource_type="registration",
                resource_id=value,
            )
        return registration

    def _step(
        self,
        value: str,
        event: str,
        *,
        aws_review: bool = False,
        denied_reasons: Sequence[DeniedReason] = (),
        feedback: str | None = None,
    ) -> aggregate.Step:
        """Load, apply ``event``, commit; the registration must not be DELETED."""
        registration = self._load(value, "RegistrationId")
        if registration.status is RegistrationStatus.DELETED:
            raise ResourceNotFoundException(
                f"Registration {value} is deleted.",
                resource_type="registration",
                resource_id=value,
            )
        now = self._now()
        step = aggregate.step(
            registration,
            event,
            now,
            aws_review=aws_review,
            denied_reasons=denied_reasons,
            feedback=feedback,
        )
        return self._commit(step, registration.revision, None, self.quotas.charges(event, now))

    def _commit(
        self,
        step: aggregate.Step,
        expected_revision: int | None,
        idempotency: IdempotencyRecord | None,
        quotas: Sequence[QuotaCharge],
    ) -> aggregate.Step:
        """Commit ``step`` with the quota usage it ``quotas``; returns it as the backend
        stored it."""
        transactional = self._transactional
        stored = self.backend.commit(
            step.registration,
            expected_revision=expected_revision,
            events=step.events,
            versions=step.written,
            idempotency=idempotency,
            quotas=quotas,
            before_commit=_deliver_to(transactional) if transactional else None,
        )
        if stored is not step.registration:
            step = aggregate.restate(step, stored)
        for subscriber in self._subscribers:
            for event in step.events:
                try:
                    subscriber(event)
                except Exception:
                    log.exception("subscriber %r failed on %r", subscriber, event)
        return step

    def _replay(self, token: str, fingerprint: str) -> dict[str, Any] | None:
        record = self.backend.find_idempotency(self.account_id, self.region, token)
        if record is None:
            return None
        if record.fingerprint != fingerprint:
            raise ConflictException(
                f"ClientToken {token!r} was already used with different parameters.",
                reason="RESOURCE_ALREADY_EXISTS",
                resource_type="registration",
                resource_id=record.registration_id,
            )
        original = self.backend.get(self.account_id, self.region, record.registration_id)
        assert original is not None, "an idempotency record outlived its registration"
        return original.to_create_dict()

    def _after(self, params: Mapping[str, Any], scope: list[Any]) -> int | None:
        token = params.get("NextToken")
        return None if token is None else self._codec.decode(token, scope)


def _deliver_to(subscribers: list[Subscriber]) -> Callable[[Sequence[TransitionEvent]], None]:
    def deliver(events: Sequence[TransitionEvent]) -> None:
        # The commit's transaction is open: a call back into a service would wait for it.
        inside_commit.active = True
        try:
            for subscriber in list(subscribers):
                for event in events:
                    subscriber(event)
        finally:
            inside_commit.active = False

    return deliver


def _filter_sets(filters: Iterable[Mapping[str, Any]]) -> dict[str, frozenset[str]]:
    """Filters by name: values of one filter ORed, repeated names ANDed (intersected)."""
    sets: dict[str, frozenset[str]] = {}
    for f in filters:
        values = frozenset(f["Values"])
        sets[f["Name"]] = sets[f["Name"]] & values if f["Name"] in sets else values
    return sets


def _sorted(values: Iterable[Any] | None) -> list[Any] | None:
    return None if values is None else sorted(values)


_REASON_TEXT = string(1, 2048)
_FEEDBACK = string(1, 10_000)
_REASON_MEMBERS = {
    "Reason": ("reason", True),
    "ShortDescription": ("short_description", True),
    "LongDescription": ("long_description", False),
    "DocumentationTitle": ("documentation_title", False),
    "DocumentationLink": ("documentation_link", False),
}


def _denied_reasons(reasons: object) -> tuple[DeniedReason, ...]:
    if not isinstance(reasons, list | tuple) or not reasons:
        raise ValidationException.for_field(
            "DeniedReasons", "must be a non-empty list of DeniedReason or dictionaries"
        )
    out = []
    for i, reason in enumerate(reasons):
        if isinstance(reason, DeniedReason):
            reason = reason.to_dict()
        if not isinstance(reason, Mapping):
            raise ValidationException.for_field(
                f"DeniedReasons[{i}]", "must be a DeniedReason or a dictionary"
            )
        unknown = set(reason) - set(_REASON_MEMBERS)
        if unknown:
            raise ValidationException.for_field(
                f"DeniedReasons[{i}]",
                f"unknown key(s) {sorted(map(str, unknown))}; the keys are "
                f"{', '.join(_REASON_MEMBERS)}",
            )
        kwargs = {}
        for key, (attr, required) in _REASON_MEMBERS.items():
            if key in reason:
                kwargs[attr] = _REASON_TEXT(f"DeniedReasons[{i}].{key}", reason[key])
            elif required:
                raise ValidationException.for_field(
                    f"DeniedReasons[{i}].{key}", "is required", reason="MISSING_PARAMETER"
                )
        out.append(DeniedReason(**kwargs))
    return tuple(out)


def _once(name: str, positional: Any, keyword: Any) -> Any:
    """The one value given for ``name``, positionally or as a keyword."""
    if positional is not MISSING and keyword is not MISSING:
        raise ValidationException.for_field(
            name, f"is given twice: pass it positionally or as {name}=, not both"
        )
    value = keyword if positional is MISSING else positional
    if value is MISSING:
        raise ValidationException.for_field(name, "is required", reason="MISSING_PARAMETER")
    return value


class _ReviewerEvent(Protocol):
    """The signature of a reviewer event other than deny."""

    def __call__(
        self,
        registration_id: str = ...,
        *,
        RegistrationId: str = ...,
        feedback: str | None = None,
        **unknown: Any,
    ) -> dict[str, Any]: ...


def _moves(event: str) -> str:
    """What ``event`` does, read from the machines: ``version A, B -> C; registration ...``."""
    parts = []
    for machine in MACHINES:
        moves: dict[str, list[str]] = {}
        guarded: set[str] = set()
        for spec in machine.transitions:
            if spec.event == event:
                dest = "unchanged" if spec.dest is None else str(spec.dest)
                if spec.conditions:
                    dest += f" if {' and '.join(spec.conditions).replace('_', ' ')}"
                    guarded.add(spec.source)
                elif spec.source in guarded:
                    dest += " otherwise"
                moves.setdefault(dest, []).append(spec.source)
        if moves:
            shown = "; ".join(
                f"{', '.join(dict.fromkeys(sources))} -> {dest}" for dest, sources in moves.items()
            )
            parts.append(f"{machine.name} {shown}")
    return ". ".join(parts) + "."


def _reviewer_event(event: str) -> _ReviewerEvent:
    """The :class:`Reviewer` method that fires ``event``."""
    moves_version = VERSION.defines(event)

    def fire(
        self: Reviewer,
        registration_id: str = MISSING,
        *,
        RegistrationId: str = MISSING,
        feedback: str | None = None,
        **unknown: Any,
    ) -> dict[str, Any]:
        reject_unknown(unknown, ["RegistrationId", *(["feedback"] if moves_version else [])])
        if feedback is not None and not moves_version:
            raise ValidationException.for_field(
                "feedback", f"{event} moves no version, so it takes no feedback"
            )
        return self._apply(event, registration_id, RegistrationId, feedback=feedback)

    fire.__name__ = event
    fire.__qualname__ = f"Reviewer.{event}"
    follow_up = FOLLOW_UPS.get(event)
    also = (
        f" In the same step, {follow_up} on the previously approved version." if follow_up else ""
    )
    fire.__doc__ = f"The reviewer's ``{event}``: {_moves(event)}{also}"
    return fire  # type: ignore[return-value]  # bound as a method: ``self`` is supplied


class Reviewer:
    """What AWS, the carriers and The Campaign Registry do to a registration.

    Each method applies one reviewer event of the machines (its docstring says the
    moves, read from them) and returns the registration as ``describe_registrations``
    shows it. The registration is named positionally or boto3-style
    (``RegistrationId=``), by id or ARN. Events that move a version take
    ``feedback``: the version's ``Feedback`` text (1 to 10,000 characters), kept until
    another event replaces it.

    All raise ConflictException when the machines refuse the event,
    ResourceNotFoundException for an unknown or deleted registration, and
    ValidationException for a malformed argument (nothing changes).
    """

    def __init__(self, service: RegistrationService) -> None:
        self._service = service

    def _apply(
        self,
        event: str,
        registration_id: Any,
        RegistrationId: Any,
        *,
        feedback: Any = None,
        denied_reasons: Sequence[DeniedReason] = (),
    ) -> dict[str, Any]:
        if inside_commit.active:
            raise ReentrantCallError.refuse(f"reviewer.{event}")
        value = REGISTRATION_ID("RegistrationId", _once("RegistrationId", registration_id,
                                                        RegistrationId))  # fmt: skip
        if feedback is not None:
            feedback = _FEEDBACK("feedback", feedback)
        step = self._service._step(value, event, denied_reasons=denied_reasons, feedback=feedback)
        return step.registration.to_dict()

    begin_review = _reviewer_event("begin_review")
    require_authentication = _reviewer_event("require_authentication")
    complete_authentication = _reviewer_event("complete_authentication")
    require_offline_review = _reviewer_event("require_offline_review")
    approve = _reviewer_event("approve")
    revoke = _reviewer_event("revoke")
    complete_provisioning = _reviewer_event("complete_provisioning")
    close = _reviewer_event("close")

    def deny(
        self,
        registration_id: str = MISSING,
        reasons: Sequence[DeniedReason | Mapping[str, str]] = MISSING,
        *,
        RegistrationId: str = MISSING,
        DeniedReasons: Sequence[DeniedReason | Mapping[str, str]] = MISSING,
        feedback: str | None = None,
        **unknown: Any,
    ) -> dict[str, Any]:
        """Deny the version in review with at least one reason: a
        :class:`~lifecycle.models.DeniedReason` or a dictionary with ``Reason`` and
        ``ShortDescription``, and optionally ``LongDescription``,
        ``DocumentationTitle`` and ``DocumentationLink``."""
        reject_unknown(unknown, ["RegistrationId", "DeniedReasons", "feedback"])
        registration_id = _once("RegistrationId", registration_id, RegistrationId)
        denied = _denied_reasons(_once("DeniedReasons", reasons, DeniedReasons))
        return self._apply(
            "deny", registration_id, MISSING, feedback=feedback, denied_reasons=denied
        )
