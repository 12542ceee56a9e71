"""Registration attachments: an aggregate of their own, moved by the attachment machine.

:class:`RegistrationAttachment` is the record; :func:`create` and :func:`step` apply
the events of :data:`~lifecycle.machines.ATTACHMENT_MACHINE` and return the next
record with its events, or raise ConflictException naming the status. Pure domain
logic, like :mod:`lifecycle.aggregate`: the service commits what they return.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, NamedTuple

import attrs

from lifecycle.errors import ConflictException, ResourceNotFoundException
from lifecycle.events import TransitionEvent
from lifecycle.machines import ATTACHMENT, ATTACHMENT_EVENTS, NEW, TransitionSpec
from lifecycle.models import Tag, resource_arn
from lifecycle.statuses import AttachmentStatus
from lifecycle.tags import TagChange

RESOURCE_TYPE = "registration-attachment"
"""The model's ``ResourceType`` of an attachment (its ARN's resource part)."""

TOKEN_PREFIX = "CreateRegistrationAttachment:"
"""Prefix of an attachment's ClientToken in the idempotency records, so that it never
meets a CreateRegistration token."""

UPLOAD_ERROR = "INTERNAL_ERROR"
"""``AttachmentUploadErrorReason`` of a failed upload: the model's only value."""


@attrs.frozen(slots=True, kw_only=True)
class RegistrationAttachment:
    """An opt-in screenshot, a document or an MMS sample, uploaded once and named by
    field values. ``revision`` counts committed changes (optimistic concurrency)."""

    attachment_id: str
    account_id: str
    region: str
    status: AttachmentStatus
    created_timestamp: datetime
    tags: tuple[Tag, ...] = ()
    url: str | None = None
    """The ``AttachmentUrl`` it was created from; ``None`` for a body upload."""
    media_type: str | None = None
    """What its bytes are (see :mod:`lifecycle.media`); ``None`` until it has bytes."""
    size: int | None = None
    """How many bytes it holds; ``None`` until it has bytes."""
    upload_error_reason: str | None = None
    revision: int = 1

    @property
    def arn(self) -> str:
        """The attachment's ARN."""
        return resource_arn(self.region, self.account_id, RESOURCE_TYPE, self.attachment_id)

    def to_dict(self) -> dict[str, Any]:
        """The boto3 ``RegistrationAttachmentsInformation`` dictionary (also the answer
        of DeleteRegistrationAttachment)."""
        out: dict[str, Any] = {
            "RegistrationAttachmentArn": self.arn,
            "RegistrationAttachmentId": self.attachment_id,
            "AttachmentStatus": self.status.value,
        }
        if self.upload_error_reason is not None:
            out["AttachmentUploadErrorReason"] = self.upload_error_reason
        out["CreatedTimestamp"] = self.created_timestamp
        return out

    def to_create_dict(self) -> dict[str, Any]:
        """The boto3 ``create_registration_attachment`` response dictionary."""
        out: dict[str, Any] = {
            "RegistrationAttachmentArn": self.arn,
            "RegistrationAttachmentId": self.attachment_id,
            "AttachmentStatus": self.status.value,
        }
        if self.tags:
            out["Tags"] = [t.to_dict() for t in self.tags]
        out["CreatedTimestamp"] = self.created_timestamp
        return out


class AttachmentStep(NamedTuple):
    """The outcome of one step of an attachment."""

    attachment: RegistrationAttachment
    """The attachment after the step (revision advanced by one)."""
    events: tuple[TransitionEvent, ...]


def create(
    *,
    attachment_id: str,
    account_id: str,
    region: str,
    tags: tuple[Tag, ...],
    now: datetime,
    url: str | None = None,
    body: bytes | None = None,
    media_type: str | None = None,
) -> AttachmentStep:
    """A new attachment (the ``create_attachment`` event): a ``body`` upload completes
    in the same step (``complete_upload``); one from ``url`` stays in progress."""
    spec = _resolved(NEW, "create_attachment")
    attachment = RegistrationAttachment(
        attachment_id=attachment_id,
        account_id=account_id,
        region=region,
        status=AttachmentStatus(spec.dest),
        created_timestamp=now,
        tags=tags,
        url=url,
    )
    first = _event(attachment, spec, None, now, TagChange(put=tags).detail() if tags else None)
    if body is None:
        return AttachmentStep(attachment, (first,))
    done = step(attachment, "complete_upload", now, body=body, media_type=media_type)
    return AttachmentStep(attrs.evolve(done.attachment, revision=1), (first, *done.events))


def step(
    attachment: RegistrationAttachment,
    event: str,
    now: datetime,
    *,
    body: bytes | None = None,
    media_type: str | None = None,
    tags: TagChange | None = None,
) -> AttachmentStep:
    """Apply ``event`` to ``attachment``; ``complete_upload`` may bring the ``body``
    fetched from its URL and its ``media_type``, ``tag_resource`` and
    ``untag_resource`` their ``tags`` change (recorded as the event's detail).

    Raises:
        ConflictException: the machine refuses ``event`` from the attachment's status.
    """
    spec = ATTACHMENT.resolve(attachment.status, event, None)
    if spec is None:
        legal = [
            spec.fired_by
            for name, spec in ATTACHMENT_EVENTS.items()
            if ATTACHMENT.resolve(attachment.status, name, None) is not None
        ]
        reason = "RESOURCE_DELETION_NOT_ALLOWED" if event == "delete_attachment" else None
        raise ConflictException(
            f"{ATTACHMENT_EVENTS[event].fired_by} is not allowed for registration attachment "
            f"{attachment.attachment_id}: its status is {attachment.status.value}. Allowed "
            f"from here: {', '.join(legal) or 'nothing'}.",
            reason=reason or "RESOURCE_MODIFICATION_NOT_ALLOWED",
            resource_type=RESOURCE_TYPE,
            resource_id=attachment.attachment_id,
        )
    after = attrs.evolve(
        attachment,
        status=attachment.status if spec.dest is None else AttachmentStatus(spec.dest),
        tags=attachment.tags if tags is None else tags.applied_to(attachment.tags),
        upload_error_reason=UPLOAD_ERROR
        if event == "fail_upload"
        else attachment.upload_error_reason,
        media_type=attachment.media_type if media_type is None else media_type,
        size=attachment.size if body is None else len(body),
        revision=attachment.revision + 1,
    )
    detail = None if tags is None else tags.detail()
    return AttachmentStep(after, (_event(after, spec, attachment.status, now, detail),))


def not_found(value: str) -> ResourceNotFoundException:
    """The error for an attachment this account and region does not have."""
    return ResourceNotFoundException(
        f"Registration attachment {value} not found.",
        resource_type=RESOURCE_TYPE,
        resource_id=value,
    )


def not_usable(attachment: RegistrationAttachment | None, value: str, field_path: str) -> Exception:
    """The error for a field value naming an attachment that is missing or not
    UPLOAD_COMPLETE."""
    if attachment is None or attachment.status is AttachmentStatus.DELETED:
        return not_found(value)
    return ConflictException(
        f"Registration attachment {value} is {attachment.status.value}; field {field_path} "
        "takes only an attachment whose upload is complete (UPLOAD_COMPLETE).",
        reason="RESOURCE_NOT_ACTIVE",
        resource_type=RESOURCE_TYPE,
        resource_id=value,
    )


def still_named(attachment: RegistrationAttachment, registrations: Iterable[str]) -> Exception:
    """The error for deleting an attachment that the current version of a registration
    still names."""
    names = ", ".join(sorted(registrations))
    return ConflictException(
        f"Registration attachment {attachment.attachment_id} cannot be deleted: a field "
        f"value of the current version of registration(s) {names} names it. Put another "
        "value (in a new version if that one is not a DRAFT), or delete the registration.",
        reason="RESOURCE_DELETION_NOT_ALLOWED",
        resource_type=RESOURCE_TYPE,
        resource_id=attachment.attachment_id,
    )


def attachment_ids(values: Mapping[str, Any]) -> set[str]:
    """The attachment ids that the ``FieldValue`` objects in ``values`` name."""
    return {v.attachment_id for v in values.values() if v.attachment_id is not None}


def _resolved(state: str, event: str) -> TransitionSpec:
    spec = ATTACHMENT.resolve(state, event, None)
    if spec is None:  # pragma: no cover - the machine definition guarantees it
        raise RuntimeError(f"the attachment machine refused {event} from {state}")
    return spec


def _event(
    attachment: RegistrationAttachment,
    spec: TransitionSpec,
    before: AttachmentStatus | None,
    now: datetime,
    detail: Mapping[str, Any] | None = None,
) -> TransitionEvent:
    return TransitionEvent(
        attachment.account_id, attachment.region, attachment.attachment_id, spec.event,
        spec.actor, None, None, None, before, attachment.status, now, detail,
        resource_type=RESOURCE_TYPE,
    )  # fmt: skip
