"""The library in front of the live service: a backend that forwards to AWS.

:class:`AwsBackend` keeps a local mirror (any other backend, in memory by default)
and a boto3 ``pinpoint-sms-voice-v2`` client. A user operation is checked by the
machines first, so an illegal call never reaches AWS. It is then forwarded, and what
AWS answered (its registration id, statuses and timestamps) is what the mirror
records.

Reviewers act at AWS, not here. :meth:`AwsBackend.sync` reads the real registration
and finds, in the machines, the events that explain the change. It applies them with
AWS's timestamps. A change the machines cannot explain is recorded as an
``anomaly`` event and reported, and the mirror keeps its last good state.
ThrottlingException is retried with exponential backoff.

Field edits are forwarded as ``PutRegistrationFieldValue`` and
``DeleteRegistrationFieldValue``, tag changes as ``TagResource`` and ``UntagResource``;
the field values and tags read back are the mirror's (:meth:`AwsBackend.sync` reads
statuses only). So the mirror holds none of the ``DeniedReason`` and ``Feedback`` AWS
shows on the fields of a denied version, and a local deny that flags fields is refused
as every reviewer event is. Attachments are forwarded as
``CreateRegistrationAttachment`` and ``DeleteRegistrationAttachment``, and mirrored
with AWS's id, status and timestamp; a URL upload that AWS finishes later is not
followed (sync reads registrations only). Phone numbers are forwarded as
``RequestPhoneNumber`` (mirrored with AWS's id, number, status and timestamp),
``ReleasePhoneNumber``, ``TagResource`` and ``UntagResource``; what AWS does to a
number later is not followed.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

import attrs

from lifecycle import aggregate, phone_numbers
from lifecycle.attachments import TOKEN_PREFIX, RegistrationAttachment
from lifecycle.backends.memory import InMemoryBackend
from lifecycle.errors import (
    ERRORS_BY_CODE,
    ConflictException,
    InternalServerException,
    ResourceNotFoundException,
    ThrottlingException,
    ValidationException,
)
from lifecycle.eventbridge import DETAIL_TYPE, SOURCE
from lifecycle.events import TransitionEvent
from lifecycle.form import FieldValue
from lifecycle.machines import ASSOCIATION_EVENTS, INTERNAL_EVENTS
from lifecycle.models import HISTORY_FIELD_OF_STATUS, Registration, RegistrationVersion
from lifecycle.phone_numbers import PhoneNumber
from lifecycle.ports import (
    AttachmentQuery,
    Backend,
    BeforeCommit,
    CursorLease,
    FormChange,
    IdempotencyRecord,
    LoggedEvent,
    LogPosition,
    NumberWrite,
    Page,
    PhoneNumberQuery,
    QuotaCharge,
    RegistrationQuery,
    Snapshot,
    VersionQuery,
    all_versions,
)
from lifecycle.service import utc_now
from lifecycle.statuses import Actor, AttachmentStatus, PhoneNumberStatus

Versions = Mapping[int, RegistrationVersion]
"""A registration's versions by number."""


@attrs.frozen
class SyncReport:
    """What :meth:`AwsBackend.sync` did for one registration."""

    registration_id: str
    applied: tuple[str, ...]
    """The events applied through the machines, in order."""
    anomaly: str | None = None
    """Why the observed change could not be applied, if it could not."""


class AwsBackend:
    """A :class:`~lifecycle.ports.Backend` that forwards user operations to AWS.

    Args:
        client: a boto3 ``pinpoint-sms-voice-v2`` client.
        store: the local mirror (default: a new in-memory backend).
        retries: how many times a throttled call is retried.
        backoff: the first retry's delay in seconds (doubled each time, with jitter).
        sleep: how to wait (tests pass a no-op).
    """

    def __init__(
        self,
        client: Any,
        store: Backend | None = None,
        *,
        retries: int = 5,
        backoff: float = 0.2,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.client = client
        self.store: Backend = InMemoryBackend() if store is None else store
        self.retries = retries
        self.backoff = backoff
        self._sleep = sleep
        self._clock = clock

    # -- reads go to the mirror --------------------------------------------------------

    @property
    def pagination_key(self) -> bytes:
        """The mirror's key."""
        return self.store.pagination_key

    def get(self, account_id: str, region: str, registration_id: str) -> Registration | None:
        """The mirrored registration."""
        return self.store.get(account_id, region, registration_id)

    def query_registrations(self, query: RegistrationQuery) -> Page[Registration]:
        """Mirrored registrations."""
        return self.store.query_registrations(query)

    def field_values(
        self,
        account_id: str,
        region: str,
        registration_id: str,
        version_number: int,
        paths: Collection[str] | None = None,
    ) -> Mapping[str, FieldValue]:
        """The mirror's field values of one version."""
        return self.store.field_values(account_id, region, registration_id, version_number, paths)

    def query_versions(self, query: VersionQuery) -> Page[RegistrationVersion]:
        """Mirrored versions."""
        return self.store.query_versions(query)

    def find_idempotency(
        self, account_id: str, region: str, token: str
    ) -> IdempotencyRecord | None:
        """A mirrored ClientToken."""
        return self.store.find_idempotency(account_id, region, token)

    def read_log(
        self,
        *,
        after: LogPosition | None = None,
        limit: int = 1000,
        registration_id: str | None = None,
    ) -> list[LoggedEvent]:
        """The mirror's log (anomalies included)."""
        return self.store.read_log(after=after, limit=limit, registration_id=registration_id)

    def registrations(self) -> Iterator[Registration]:
        """Every mirrored registration."""
        return self.store.registrations()

    def quota_usage(self, account_id: str, region: str, quota: str, period: str) -> int:
        """The mirror's record of quota usage."""
        return self.store.quota_usage(account_id, region, quota, period)

    def get_cursor(self, name: str) -> LogPosition | None:
        """An outbox cursor of the mirror."""
        return self.store.get_cursor(name)

    def claim_cursor(self, name: str, holder: str, lease: float) -> CursorLease | None:
        """Lease an outbox cursor of the mirror."""
        return self.store.claim_cursor(name, holder, lease)

    def advance_cursor(self, name: str, holder: str, position: LogPosition, lease: float) -> None:
        """Move a leased outbox cursor of the mirror."""
        self.store.advance_cursor(name, holder, position, lease)

    def release_cursor(self, name: str, holder: str) -> None:
        """Release the lease of an outbox cursor of the mirror."""
        self.store.release_cursor(name, holder)

    def snapshot(self) -> AbstractContextManager[Snapshot]:
        """A snapshot of the mirror."""
        return self.store.snapshot()

    def get_attachment(
        self, account_id: str, region: str, attachment_id: str
    ) -> RegistrationAttachment | None:
        """The mirrored attachment."""
        return self.store.get_attachment(account_id, region, attachment_id)

    def query_attachments(self, query: AttachmentQuery) -> Page[RegistrationAttachment]:
        """Mirrored attachments."""
        return self.store.query_attachments(query)

    def attachment_body(self, account_id: str, region: str, attachment_id: str) -> bytes | None:
        """The mirror's copy of an attachment's bytes."""
        return self.store.attachment_body(account_id, region, attachment_id)

    def attachments(self) -> Iterator[RegistrationAttachment]:
        """Every mirrored attachment."""
        return self.store.attachments()

    def get_phone_number(
        self, account_id: str, region: str, phone_number_id: str
    ) -> PhoneNumber | None:
        """The mirrored phone number."""
        return self.store.get_phone_number(account_id, region, phone_number_id)

    def query_phone_numbers(self, query: PhoneNumberQuery) -> Page[PhoneNumber]:
        """Mirrored phone numbers."""
        return self.store.query_phone_numbers(query)

    def phone_numbers(self) -> Iterator[PhoneNumber]:
        """Every mirrored phone number."""
        return self.store.phone_numbers()

    # -- writes go to AWS first ----------------------------------------------------------

    def commit_attachment(
        self,
        attachment: RegistrationAttachment,
        *,
        expected_revision: int | None,
        events: Sequence[TransitionEvent],
        body: bytes | None = None,
        idempotency: IdempotencyRecord | None = None,
        quotas: Sequence[QuotaCharge] = (),
        before_commit: BeforeCommit | None = None,
    ) -> RegistrationAttachment:
        """Forward the user operation of ``events`` (create or delete an attachment) to
        AWS, then mirror AWS's answer.

        Raises:
            ValidationException: ``events`` are the system's (AWS finishes uploads).
            LifecycleError: what AWS answered, as the library's exception.
        """
        if not events or events[0].actor is not Actor.USER:
            raise ValidationException.for_field(
                "event",
                f"{events[0].event if events else 'nothing'} is done by AWS, not through "
                "this backend",
            )
        self._check_quotas(attachment.account_id, attachment.region, quotas)
        if events[0].event == "create_attachment":
            source = (
                {"AttachmentBody": body} if body is not None else {"AttachmentUrl": attachment.url}
            )
            answer = self._call(
                "create_registration_attachment",
                **source,
                Tags=[t.to_dict() for t in attachment.tags],
                ClientToken=idempotency.token.removeprefix(TOKEN_PREFIX)
                if idempotency
                else uuid.uuid4().hex,
            )
            status = AttachmentStatus(answer["AttachmentStatus"])
            attachment = attrs.evolve(
                attachment,
                attachment_id=answer["RegistrationAttachmentId"],
                created_timestamp=answer["CreatedTimestamp"],
                status=status,
            )
            # AWS may still be processing a body: keep the events up to its status.
            reached = next(i for i, e in enumerate(events) if e.registration_to == status)
            events = events[: reached + 1]
            idempotency = idempotency and attrs.evolve(
                idempotency, registration_id=attachment.attachment_id
            )
        else:
            self._call(
                "delete_registration_attachment", RegistrationAttachmentId=attachment.attachment_id
            )
        renamed = [
            e._replace(
                registration_id=attachment.attachment_id, timestamp=attachment.created_timestamp
            )
            if e.event == "create_attachment"
            else e
            for e in events
        ]
        return self.store.commit_attachment(
            attachment,
            expected_revision=expected_revision,
            events=renamed,
            body=body if attachment.status is AttachmentStatus.UPLOAD_COMPLETE else None,
            idempotency=idempotency,
            quotas=[attrs.evolve(c, limit=None) for c in quotas],  # AWS has done it: record it
            before_commit=before_commit,
        )

    def commit_phone_number(
        self,
        number: PhoneNumber,
        *,
        expected_revision: int | None,
        events: Sequence[TransitionEvent],
        idempotency: IdempotencyRecord | None = None,
        quotas: Sequence[QuotaCharge] = (),
        before_commit: BeforeCommit | None = None,
    ) -> PhoneNumber:
        """Forward the user operation of ``events`` (request or release a number,
        change its tags) to AWS, then mirror AWS's answer: a requested number is
        mirrored with the id, E.164 number, status and timestamp AWS gave it.

        Raises:
            ValidationException: ``events`` name no operation this backend forwards.
            ServiceQuotaExceededException: a quota of the service would be exceeded;
                AWS was not called.
            LifecycleError: what AWS answered, as the library's exception.
        """
        event = events[0] if events else None
        if event is None or event.actor is not Actor.USER or event.event not in _NUMBER_CALLS:
            raise ValidationException.for_field(
                "event",
                f"{event.event if event else 'nothing'} is not a phone number operation "
                "this backend forwards to AWS",
            )
        self._check_quotas(number.account_id, number.region, quotas)
        if event.event == "request_phone_number":
            tags = {"Tags": [t.to_dict() for t in number.tags]} if number.tags else {}
            answer = self._call(
                "request_phone_number",
                IsoCountryCode=number.iso_country_code,
                MessageType=number.message_type,
                NumberCapabilities=list(number.number_capabilities),
                NumberType=number.number_type,
                InternationalSendingEnabled=number.international_sending_enabled,
                DeletionProtectionEnabled=number.deletion_protection_enabled,
                ClientToken=idempotency.token.removeprefix(phone_numbers.TOKEN_PREFIX)
                if idempotency
                else uuid.uuid4().hex,
                **tags,
            )
            number = attrs.evolve(
                number,
                phone_number_id=answer["PhoneNumberId"],
                phone_number=answer["PhoneNumber"],
                status=PhoneNumberStatus(answer["Status"]),
                created_timestamp=answer["CreatedTimestamp"],
            )
            detail = {**(event.detail or {}), "PhoneNumber": number.phone_number}
            events = [
                event._replace(
                    registration_id=number.phone_number_id,
                    registration_to=number.status,
                    timestamp=number.created_timestamp,
                    detail=detail,
                ),
                *events[1:],
            ]
            idempotency = idempotency and attrs.evolve(
                idempotency, registration_id=number.phone_number_id
            )
        elif event.event == "release_phone_number":
            self._call("release_phone_number", PhoneNumberId=number.phone_number_id)
        else:
            self._call(_NUMBER_CALLS[event.event], ResourceArn=number.arn, **(event.detail or {}))
        return self.store.commit_phone_number(
            number,
            expected_revision=expected_revision,
            events=events,
            idempotency=idempotency,
            quotas=[attrs.evolve(c, limit=None) for c in quotas],  # AWS has done it: record it
            before_commit=before_commit,
        )

    def _check_quotas(self, account_id: str, region: str, quotas: Sequence[QuotaCharge]) -> None:
        """Refuse, before AWS is called, a charge the mirror's usage cannot take."""
        for charge in quotas:
            if charge.limited:
                used = self.store.quota_usage(account_id, region, charge.quota, charge.period)
                charge.check(account_id, region, used)

    def commit(
        self,
        registration: Registration,
        *,
        expected_revision: int | None,
        events: Sequence[TransitionEvent],
        versions: Sequence[RegistrationVersion],
        idempotency: IdempotencyRecord | None = None,
        quotas: Sequence[QuotaCharge] = (),
        before_commit: BeforeCommit | None = None,
        form: FormChange | None = None,
        numbers: Sequence[NumberWrite] = (),
    ) -> Registration:
        """Forward the user operation of ``events`` to AWS, then mirror AWS's answer
        (with ``form``, the field values change). Associations, and the steps that move
        phone numbers with a registration (``numbers``), are not forwarded yet.

        The service's quotas are checked against the mirror's usage before anything
        reaches AWS (concurrent calls through other mirrors or the console are AWS's
        to count), and the usage is recorded once AWS has answered.

        Raises:
            ValidationException: ``events`` are a reviewer's (they happen at AWS:
                call :meth:`sync`).
            ServiceQuotaExceededException: a quota of the service would be exceeded;
                AWS was not called.
            LifecycleError: what AWS answered, as the library's exception.
        """
        if not events or events[0].actor is not Actor.USER:
            name = events[0].event if events else "nothing"
            raise ValidationException.for_field(
                "event",
                f"{name} is done by AWS and the carriers, not through this backend: "
                "call sync(registration_id) to apply what AWS did",
            )
        if numbers or events[0].event in ASSOCIATION_EVENTS:
            raise ValidationException.for_field(
                "event",
                f"{events[0].event} moves phone numbers with registration "
                f"{registration.registration_id}; this backend does not forward "
                "associations to AWS yet: associate in the console or with boto3",
            )
        self._check_quotas(registration.account_id, registration.region, quotas)
        answered = self._forward(registration, events[0], idempotency)
        renamed = [
            e._replace(registration_id=answered.registration_id, timestamp=_aws_time(answered, e))
            for e in events
        ]
        record = idempotency and attrs.evolve(idempotency, registration_id=answered.registration_id)
        # A user operation moves only the current version, which AWS's answer restamped.
        current = answered.current_version
        return self.store.commit(
            answered,
            expected_revision=expected_revision,
            events=renamed,
            versions=[
                current if v.version_number == current.version_number else v for v in versions
            ],
            idempotency=record,
            quotas=[attrs.evolve(c, limit=None) for c in quotas],  # AWS has done it: record it
            before_commit=before_commit,
            form=form,
        )

    def _forward(
        self,
        registration: Registration,
        event: TransitionEvent,
        idempotency: IdempotencyRecord | None,
    ) -> Registration:
        rid = registration.registration_id
        if event.event == "create":
            answer = self._call(
                "create_registration",
                RegistrationType=registration.registration_type,
                Tags=[t.to_dict() for t in registration.tags],
                ClientToken=idempotency.token if idempotency else uuid.uuid4().hex,
            )
            created = answer["CreatedTimestamp"]
            first = registration.current_version
            first = attrs.evolve(first, history=first.history.stamped(("draft",), created))
            return attrs.evolve(registration, registration_id=answer["RegistrationId"],
                                current_version=first, created_timestamp=created)  # fmt: skip
        if event.event == "delete":
            self._call("delete_registration", RegistrationId=rid)
            return registration
        if event.event in _EDIT_CALLS:
            # The detail is the rest of the request (a field edit, a tag change); no
            # status moves.
            method, names = _EDIT_CALLS[event.event]
            name = rid if names == "RegistrationId" else registration.arn
            self._call(method, **{names: name}, **(event.detail or {}))
            return registration
        calls = {
            "create_version": "create_registration_version",
            "discard": "discard_registration_version",
            "submit": "submit_registration_version",
        }
        kwargs: dict[str, Any] = {"RegistrationId": rid}
        if event.event == "submit":
            kwargs["AwsReview"] = event.version_to == "AWS_REVIEWING"
        answer = self._call(calls[event.event], **kwargs)
        observed = RegistrationVersion.from_dict(answer)
        predicted = registration.current_version
        if (observed.version_number, observed.status) != (
            predicted.version_number,
            predicted.status,
        ):
            raise InternalServerException(
                f"AWS moved version {observed.version_number} of {rid} to {observed.status}, "
                f"the machines expected version {predicted.version_number} to be "
                f"{predicted.status}: the mirror was not updated; call sync() to reconcile"
            )
        return registration.with_version(attrs.evolve(predicted, history=observed.history))

    def _call(self, operation: str, **kwargs: Any) -> dict[str, Any]:
        """Call AWS, retrying throttled calls; AWS errors become the library's."""
        from botocore.exceptions import BotoCoreError, ClientError

        for attempt in range(self.retries + 1):
            try:
                return dict(getattr(self.client, operation)(**kwargs))
            except ClientError as exc:
                error = exc.response.get("Error", {})
                code = error.get("Code", "")
                if code == "ThrottlingException" and attempt < self.retries:
                    self._sleep(self.backoff * 2**attempt * random.uniform(0.5, 1.5))
                    continue
                cls = ERRORS_BY_CODE.get(code, InternalServerException)
                raise cls(
                    f"AWS {operation}: {error.get('Message') or code}",
                    reason=exc.response.get("Reason"),
                    resource_type=exc.response.get("ResourceType"),
                    resource_id=exc.response.get("ResourceId"),
                    fields=exc.response.get("Fields", ()),
                ) from exc
            except BotoCoreError as exc:
                raise InternalServerException(f"AWS {operation}: {exc}") from exc
        raise ThrottlingException(f"AWS {operation}: still throttled")  # pragma: no cover

    # -- what AWS did ---------------------------------------------------------------------

    def receive(self, event: Mapping[str, Any]) -> SyncReport | None:
        """Apply a "Registration Status Change" event AWS sent (EventBridge's shape, as
        :func:`lifecycle.eventbridge.render` gives it): :meth:`sync` of its
        registration, pushed instead of polled. ``None`` for any other event, or one of
        a registration this mirror does not hold (another account's, one made
        elsewhere).

        Raises:
            ValidationException: a status change whose ``detail`` names no registration.
        """
        if event.get("source") != SOURCE or event.get("detail-type") != DETAIL_TYPE:
            return None
        detail = event.get("detail")
        details = detail.get("registrationDetails") if isinstance(detail, Mapping) else None
        rid = details.get("registrationId") if isinstance(details, Mapping) else None
        if not isinstance(rid, str):
            raise ValidationException.for_field(
                "event.detail.registrationDetails.registrationId", "is missing"
            )
        arn = detail.get("registrationArn", "") if isinstance(detail, Mapping) else ""
        parts = str(arn).split(":")
        if len(parts) > 4 and self.store.get(parts[4], parts[3], rid) is None:
            return None
        try:
            return self.sync(rid)
        except ResourceNotFoundException:
            return None

    def sync(self, registration_id: str) -> SyncReport:
        """Apply what AWS did to ``registration_id`` since the mirror last saw it.

        Raises:
            ResourceNotFoundException: the registration is not in the mirror (it was
                not created through this backend).
        """
        found = self._call("describe_registrations", RegistrationIds=[registration_id])
        pages = self.client.get_paginator("describe_registration_versions").paginate(
            RegistrationId=registration_id
        )
        remote_versions = [v for page in pages for v in page["RegistrationVersions"]]
        remote = Registration.from_dicts(found["Registrations"][0], remote_versions)
        observed = {
            v.version_number: v for v in map(RegistrationVersion.from_dict, remote_versions)
        }
        local = self.store.get(remote.account_id, remote.region, registration_id)
        if local is None:
            raise ResourceNotFoundException(
                f"Registration {registration_id} is not mirrored: it was not created "
                "through this backend.",
                resource_type="registration",
                resource_id=registration_id,
            )
        mirrored = {v.version_number: v for v in all_versions(self.store, local)}
        path = _explain(local, mirrored, remote, observed)
        if path is None:
            return self._anomaly(local, mirrored, remote, observed)
        current = local
        times = self._times(local, observed, path)
        for (event, aws_review), when in zip(path, times, strict=True):
            step = aggregate.step(
                current, event, when, aws_review=aws_review,
                denied_reasons=_reasons(observed, event),
            )  # fmt: skip
            current = self.store.commit(
                step.registration,
                expected_revision=current.revision,
                events=step.events,
                versions=step.written,
            )
        return SyncReport(registration_id, tuple(event for event, _ in path))

    def _times(
        self,
        local: Registration,
        observed: Versions,
        path: list[tuple[str, bool]],
    ) -> list[datetime]:
        """When each step of ``path`` happened, by AWS's history: a step whose field is
        set again later in the path takes the next known time (AWS keeps only the last)."""
        stamps: list[tuple[int, str] | None] = []
        state = local
        for event, aws_review in path:
            step = aggregate.step(state, event, self._clock(), aws_review=aws_review)
            moved = step.version
            field = None if moved is None else HISTORY_FIELD_OF_STATUS.get(moved.status)
            stamps.append(None if moved is None or field is None else (moved.version_number, field))
            state = step.registration
        times: list[datetime | None] = []
        for i, stamp in enumerate(stamps):
            known = None
            if stamp is not None and stamp not in stamps[i + 1 :]:
                version = observed.get(stamp[0])
                known = None if version is None else getattr(version.history, stamp[1])
            times.append(known)
        filled: list[datetime] = []
        following = self._clock()
        for known in reversed(times):
            following = known or following
            filled.append(following)
        return filled[::-1]

    def _anomaly(
        self, local: Registration, mirrored: Versions, remote: Registration, observed: Versions
    ) -> SyncReport:
        seen = f"{remote.status}, versions {[v.status.value for v in observed.values()]}"
        mine = f"{local.status}, versions {[v.status.value for v in mirrored.values()]}"
        problem = f"AWS shows {seen}; no sequence of legal moves leads there from {mine}"
        event = TransitionEvent(
            local.account_id, local.region, local.registration_id, "anomaly", Actor.SYSTEM,
            None, None, None, local.status, remote.status, self._clock(),
        )  # fmt: skip
        self.store.commit(
            attrs.evolve(local, revision=local.revision + 1),
            expected_revision=local.revision,
            events=[event],
            versions=(),
        )
        return SyncReport(local.registration_id, (), problem)


_EDIT_CALLS: Mapping[str, tuple[str, str]] = {
    "put_field_value": ("put_registration_field_value", "RegistrationId"),
    "delete_field_value": ("delete_registration_field_value", "RegistrationId"),
    "tag_resource": ("tag_resource", "ResourceArn"),
    "untag_resource": ("untag_resource", "ResourceArn"),
}
"""The edits (events that move no status), with the boto3 method that forwards each
and the parameter that names the registration there."""


_NUMBER_CALLS: Mapping[str, str] = {
    "request_phone_number": "request_phone_number",
    "release_phone_number": "release_phone_number",
    "tag_resource": "tag_resource",
    "untag_resource": "untag_resource",
}
"""The phone number events this backend forwards, with the boto3 method of each."""


def _aws_time(answered: Registration, event: TransitionEvent) -> datetime:
    """The time AWS recorded for ``event``'s version move (the event's own otherwise,
    and for an event that moves no status)."""
    version = answered.current_version
    if event.event in INTERNAL_EVENTS or event.version_number != version.version_number:
        return event.timestamp
    field = HISTORY_FIELD_OF_STATUS.get(version.status)
    recorded = None if field is None else getattr(version.history, field)
    return event.timestamp if recorded is None else recorded


def _target(registration: Registration, versions: Versions) -> tuple[object, ...]:
    """What sync must reproduce: the status, and each version's status and which of its
    history fields are set."""
    return (
        registration.status,
        tuple(
            (n, versions[n].status, tuple(versions[n].history.to_dict())) for n in sorted(versions)
        ),
    )


def _reasons(observed: Versions, event: str) -> tuple[Any, ...]:
    if event != "deny":
        return ()
    for number in sorted(observed, reverse=True):
        if observed[number].denied_reasons:
            return observed[number].denied_reasons
    return ()


def _explain(
    local: Registration,
    mirrored: Versions,
    remote: Registration,
    observed: Versions,
    depth: int = 8,
) -> list[tuple[str, bool]] | None:
    """The shortest sequence of legal events from ``local`` (with its ``mirrored``
    versions) to ``remote``'s statuses and ``observed`` versions."""
    goal = _target(remote, observed)
    if _target(local, mirrored) == goal:
        return []
    now = local.current_version.history.latest()
    Node = tuple[Registration, Versions, list[tuple[str, bool]]]
    frontier: list[Node] = [(local, mirrored, [])]
    seen = {_target(local, mirrored)}
    for _ in range(depth):
        following: list[Node] = []
        for state, versions, path in frontier:
            # Reviewer and user events alike: users act in the console too. An event
            # that moves no status (a form edit) explains no change.
            for event in aggregate.legal_events(state):
                if event in INTERNAL_EVENTS:
                    continue
                for aws_review in (False, True) if event == "submit" else (False,):
                    try:
                        after = aggregate.step(state, event, now, aws_review=aws_review)
                    except ConflictException:  # a refused branch is simply not taken
                        continue
                    reached = {**versions, **{v.version_number: v for v in after.written}}
                    key = _target(after.registration, reached)
                    if key == goal:
                        return [*path, (event, aws_review)]
                    if key not in seen and len(reached) <= len(observed):
                        seen.add(key)
                        following.append(
                            (after.registration, reached, [*path, (event, aws_review)])
                        )
        frontier = following
    return None
