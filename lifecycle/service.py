"""The service: the AWS-shaped API that workflow code calls.

:class:`RegistrationService` offers the user operations of ``pinpoint-sms-voice-v2``
with boto3's method names, keyword-only PascalCase parameters and response
dictionaries; the operations themselves live in :mod:`lifecycle.operations`, one
module per resource, and the class binds them as its methods.
:class:`~lifecycle.reviewer.Reviewer` (``service.reviewer``) offers what AWS, the
carriers and The Campaign Registry do. Both validate, load the registration from the
backend, apply one step of the machines, and commit the result with its events;
subscribers receive the events for side effects. This module keeps what they share:
construction, subscribers, and the load, step and commit internals.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from lifecycle import (
    aggregate,
    associations,
    attachments,
    errors,
    pagination,
    phone_numbers,
    waiters,
)
from lifecycle.attachments import RegistrationAttachment
from lifecycle.backends.memory import InMemoryBackend
from lifecycle.catalogue import Catalogue
from lifecycle.errors import ResourceNotFoundException, ValidationException, inside_commit
from lifecycle.events import TransitionEvent
from lifecycle.form import FieldValue
from lifecycle.machines import NUMBER_FOLLOW_UPS, PHONE_NUMBER
from lifecycle.models import DeniedReason, Registration, resource_id_of
from lifecycle.operations import associations as association_operations
from lifecycle.operations import attachments as attachment_operations
from lifecycle.operations import definitions, form, registrations, tags, versions
from lifecycle.operations import phone_numbers as phone_number_operations
from lifecycle.operations._queries import DEFAULT_MAX_RESULTS as DEFAULT_MAX_RESULTS  # re-exported
from lifecycle.pagination import Paginator, TokenCodec
from lifecycle.phone_numbers import PhoneNumber
from lifecycle.ports import Backend, IdempotencyRecord, NumberWrite, PhoneNumberQuery, QuotaCharge
from lifecycle.quotas import Quotas
from lifecycle.reviewer import Reviewer as Reviewer  # re-exported: lifecycle.service.Reviewer
from lifecycle.statuses import RegistrationStatus
from lifecycle.tags import TagChange

log = logging.getLogger(__name__)
R = TypeVar("R")
_DELETED = RegistrationStatus.DELETED  # read on every call: see models._APPROVED

Clock = Callable[[], datetime]
"""Returns the current time as a timezone-aware datetime."""

Subscriber = Callable[[TransitionEvent], None]
"""Receives each committed transition event."""

_ACCOUNT = re.compile(r"\d{12}")
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d{1,2}")


def utc_now() -> datetime:
    """The current time in UTC: the default clock."""
    return datetime.now(UTC)


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
            ``REGISTRATION_VERSIONS_CREATED_PER_DAY``, ``TAGS_PER_RESOURCE``),
            overriding :data:`~lifecycle.quotas.DEFAULT_QUOTAS`. A call over a limit
            raises ServiceQuotaExceededException with the quota as Reason.

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

    # -- user operations: lifecycle/operations/, one module per resource ----------

    create_registration = registrations.create_registration
    delete_registration = registrations.delete_registration
    describe_registrations = registrations.describe_registrations
    create_registration_version = versions.create_registration_version
    submit_registration_version = versions.submit_registration_version
    discard_registration_version = versions.discard_registration_version
    describe_registration_versions = versions.describe_registration_versions
    describe_registration_type_definitions = definitions.describe_registration_type_definitions
    describe_registration_section_definitions = (
        definitions.describe_registration_section_definitions
    )
    describe_registration_field_definitions = definitions.describe_registration_field_definitions
    put_registration_field_value = form.put_registration_field_value
    delete_registration_field_value = form.delete_registration_field_value
    describe_registration_field_values = form.describe_registration_field_values
    tag_resource = tags.tag_resource
    untag_resource = tags.untag_resource
    list_tags_for_resource = tags.list_tags_for_resource
    create_registration_attachment = attachment_operations.create_registration_attachment
    describe_registration_attachments = attachment_operations.describe_registration_attachments
    delete_registration_attachment = attachment_operations.delete_registration_attachment
    request_phone_number = phone_number_operations.request_phone_number
    describe_phone_numbers = phone_number_operations.describe_phone_numbers
    release_phone_number = phone_number_operations.release_phone_number
    create_registration_association = association_operations.create_registration_association
    list_registration_associations = association_operations.list_registration_associations

    def get_paginator(self, operation_name: str) -> Paginator:
        """A paginator for an operation of :data:`lifecycle.pagination.PAGINATORS`
        (the describe operations botocore pages; method names, as boto3's
        ``get_paginator`` takes them).

        Raises:
            OperationNotPageableError: no paginator by that name (a ValidationException).
        """
        return pagination.get_paginator(self, operation_name)

    def get_waiter(self, waiter_name: str) -> Any:
        """A botocore ``Waiter`` (:mod:`lifecycle.waiters`) that calls this service:
        ``service.get_waiter("registration_complete").wait(RegistrationIds=[...],
        WaiterConfig={"Delay": 1, "MaxAttempts": 60})``. Needs botocore.

        Raises:
            ValidationException: no waiter by that name.
        """
        return waiters.waiter(waiter_name, lambda method: getattr(self, method))

    def can_paginate(self, operation_name: str) -> bool:
        """Whether :meth:`get_paginator` has a paginator for ``operation_name``."""
        return pagination.can_paginate(operation_name)

    # -- internals ---------------------------------------------------------------
    # Private to the package: the operations (lifecycle/operations/) and the reviewer
    # call them to load, step and commit a registration, and to page; user code should
    # not, as they skip the operations' validation and answer shapes.

    def _now(self) -> datetime:
        now = self.clock()
        if type(now) is datetime and now.tzinfo is UTC:
            return now
        if not isinstance(now, datetime) or now.utcoffset() is None:
            raise ValidationException.for_field(
                "clock", f"must return a timezone-aware datetime, returned {now!r}"
            )
        return now.astimezone(UTC)

    def _load(self, value: str, field: str) -> Registration:
        """The registration named by ``value``; DELETED ones included."""
        registration_id = resource_id_of(value, field, self.account_id, self.region, "registration")
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
        field: tuple[str, FieldValue | None] | None = None,
        tags: TagChange | None = None,
        flags: Mapping[str, tuple[str, str]] | None = None,
        registration: Registration | None = None,
        check: Callable[[aggregate.Step], None] | None = None,
    ) -> aggregate.Step:
        """Load (unless given the ``registration`` it names), apply ``event``, run
        ``check`` on the step the machines accepted (it refuses by raising), commit
        with the phone numbers the step moves (:data:`~lifecycle.machines.NUMBER_FOLLOW_UPS`);
        the registration must not be DELETED."""
        if registration is None:
            registration = self._live(value)
        now = self._now()
        step = aggregate.step(
            registration,
            event,
            now,
            aws_review=aws_review,
            denied_reasons=denied_reasons,
            feedback=feedback,
            field=field,
            tags=tags,
            flags=flags,
            identities_block_delete=(
                event == "delete"
                and associations.identities_block_delete(self.registration_types, registration)
            ),
        )
        if check is not None:
            check(step)
        if event == "approve":
            step = self._on_approval(step, now)
        charges = self.quotas.charges(event, now)
        follow_up = None
        if registration.identities and step.registration.status is not registration.status:
            follow_up = NUMBER_FOLLOW_UPS.get(step.registration.status)
        if follow_up is None:
            return self._commit(step, registration.revision, None, charges)
        moved = [
            phone_numbers.step(number, follow_up, now)
            for number in self._numbers(
                (("status", _SOURCES[follow_up]),), registration.registration_id
            )
            if PHONE_NUMBER.resolve(number.status, follow_up, phone_numbers.Conditions.of(number))
        ]
        return self._commit(
            step, registration.revision, None, charges,
            numbers=[NumberWrite(m.phone_number, m.phone_number.revision - 1) for m in moved],
            events=[*step.events, *(e for m in moved for e in m.events)],
        )  # fmt: skip

    def _on_approval(self, step: aggregate.Step, now: datetime) -> aggregate.Step:
        """``step`` (an approve), followed in the same step by the provisioning and
        association of the sender ID the approved version names, where the type's rule
        is ASSOCIATE_ON_APPROVAL, none is associated yet and the machines allow it (the
        first approval)."""
        registration = step.registration
        rule = associations.on_approval(self.registration_types, registration.registration_type)
        if rule is None or registration.sender_id is not None or step.version is None:
            return step
        paths = [
            f.field_path
            for f in self.registration_types.fields(registration.registration_type)
            if f.field_path.rpartition(".")[2] == associations.SENDER_ID_FIELD
        ]
        values = self.backend.field_values(
            self.account_id, self.region, registration.registration_id,
            step.version.version_number, paths,
        )  # fmt: skip
        sender_id = next((v.text for v in values.values() if v.text is not None), None)
        if sender_id is None:  # a catalogue of the user's without the field
            return step
        association = associations.Association.of_sender_id(
            registration, sender_id, rule.iso_country_code or ""
        )
        try:
            provisioned = aggregate.step(
                registration, "associate_on_approval", now, association=association
            )
        except errors.ConflictException:  # the machines say when: the first approval
            return step
        return aggregate.then(step, provisioned)

    def _numbers(
        self,
        filters: tuple[tuple[str, frozenset[str]], ...] = (),
        registration_id: str | None = None,
    ) -> list[PhoneNumber]:
        """Every phone number of this account and region that passes ``filters`` (as
        :class:`~lifecycle.ports.PhoneNumberQuery` takes them), only those associated
        with ``registration_id`` if given (none of those is DELETED); read page by page."""
        found: list[PhoneNumber] = []
        after = None
        while True:
            page = self.backend.query_phone_numbers(
                PhoneNumberQuery(
                    self.account_id, self.region, filters=filters, after=after,
                    registration_id=registration_id,
                )
            )  # fmt: skip
            found += page.items
            if page.next_position is None:
                return found
            after = page.next_position

    def _live(self, value: str) -> Registration:
        """The registration named by ``value``, which must not be DELETED."""
        registration = self._load(value, "RegistrationId")
        if registration.status is _DELETED:
            raise ResourceNotFoundException(
                f"Registration {value} is deleted.",
                resource_type="registration",
                resource_id=value,
            )
        return registration

    def _commit(
        self,
        step: aggregate.Step,
        expected_revision: int | None,
        idempotency: IdempotencyRecord | None,
        quotas: Sequence[QuotaCharge],
        *,
        numbers: Sequence[NumberWrite] = (),
        events: Sequence[TransitionEvent] | None = None,
    ) -> aggregate.Step:
        """Commit ``step`` with the quota usage it ``quotas`` and the phone ``numbers``
        it moved; ``events`` are the step's and the numbers', in log order (``None``:
        the step's alone). Returns the step as the backend stored it."""
        transactional = self._transactional
        logged = step.events if events is None else events
        stored = self.backend.commit(
            step.registration,
            expected_revision=expected_revision,
            events=logged,
            versions=step.written,
            idempotency=idempotency,
            quotas=quotas,
            before_commit=_deliver_to(transactional) if transactional else None,
            form=step.form,
            numbers=numbers,
        )
        if stored is not step.registration:
            step = aggregate.restate(step, stored)
            logged = step.events if events is None else events
        self._deliver(logged)
        return step

    def _attachment(self, value: str, field: str) -> RegistrationAttachment:
        """The attachment named by ``value`` (an id or an ARN); DELETED ones included."""
        return self._own(
            value, field, attachments.RESOURCE_TYPE, self.backend.get_attachment,
            attachments.not_found,
        )  # fmt: skip

    def _phone_number(self, value: str, field: str) -> PhoneNumber:
        """The phone number named by ``value`` (an id or an ARN); DELETED ones included."""
        return self._own(
            value, field, phone_numbers.RESOURCE_TYPE, self.backend.get_phone_number,
            phone_numbers.not_found,
        )  # fmt: skip

    def _own(
        self,
        value: str,
        field: str,
        resource_type: str,
        get: Callable[[str, str, str], R | None],
        not_found: Callable[[str], Exception],
    ) -> R:
        """The resource of its own of ``resource_type`` named by ``value`` (an id or an
        ARN; ``field`` names it in errors), read by the backend's ``get``."""
        resource_id = resource_id_of(value, field, self.account_id, self.region, resource_type)
        found = get(self.account_id, self.region, resource_id)
        if found is None:
            raise not_found(value)
        return found

    def _commit_attachment(
        self,
        step: attachments.AttachmentStep,
        expected_revision: int | None,
        *,
        body: bytes | None = None,
        idempotency: IdempotencyRecord | None = None,
        quotas: Sequence[QuotaCharge] = (),
    ) -> RegistrationAttachment:
        """Commit an attachment's ``step`` as :meth:`_commit` commits a registration's."""
        return self._commit_own(
            self.backend.commit_attachment, step.attachment, step.events,
            expected_revision=expected_revision, body=body, idempotency=idempotency,
            quotas=quotas,
        )  # fmt: skip

    def _commit_own(
        self,
        commit: Callable[..., R],
        record: R,
        events: Sequence[TransitionEvent],
        **arguments: Any,
    ) -> R:
        """Commit ``record``, a resource of its own (an attachment, a phone number),
        with its ``events`` through the backend's ``commit`` for it (given the other
        ``arguments``), and deliver the events as :meth:`_commit` does."""
        transactional = self._transactional
        stored = commit(
            record,
            events=events,
            before_commit=_deliver_to(transactional) if transactional else None,
            **arguments,
        )
        self._deliver(events)
        return stored

    def _deliver(self, events: Sequence[TransitionEvent]) -> None:
        """Give committed ``events`` to the subscribers that run after the commit."""
        for subscriber in self._subscribers:
            for event in events:
                try:
                    subscriber(event)
                except Exception:
                    log.exception("subscriber %r failed on %r", subscriber, event)

    def _after(self, params: Mapping[str, Any], scope: list[Any]) -> int | None:
        token = params.get("NextToken")
        return None if token is None else self._codec.decode(token, scope)


_SOURCES: Mapping[str, frozenset[str]] = {
    event: frozenset(spec.source for spec in PHONE_NUMBER.transitions if spec.event == event)
    for event in NUMBER_FOLLOW_UPS.values()
}
"""The statuses each number follow-up moves a number from (the others take no part)."""


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
