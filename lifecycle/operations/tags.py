"""The tag operations: TagResource, UntagResource, ListTagsForResource.

``ResourceArn`` names the resource: an ARN of the service's account and region
(another's is AccessDeniedException, a string that is not the ARN of one of the model's
resource types is ValidationException ``INVALID_ARN``). Its resource type picks, in
:data:`TAGGABLE`, the functions that read and change that type's tags; a resource type
the table lacks holds nothing here (ResourceNotFoundException). To make a new resource
type taggable, add its entry.

A registration's tag changes are events of the registration machine, an attachment's
of the attachment machine, a phone number's of the phone number machine
(``tag_resource``, ``untag_resource`` in each), legal in every status but DELETED, and
logged with the change.
:class:`~lifecycle.service.RegistrationService` binds each operation as its method of
the same name; ``service`` is that service.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from lifecycle import attachments, errors, phone_numbers
from lifecycle.errors import ResourceNotFoundException
from lifecycle.models import RESOURCE_TYPES, Tag, resource_of_arn
from lifecycle.statuses import AttachmentStatus, PhoneNumberStatus
from lifecycle.tags import TagChange
from lifecycle.validation import MISSING, validate

if TYPE_CHECKING:
    from lifecycle.service import RegistrationService


@attrs.frozen
class Taggable:
    """How the tag operations reach the resources of one ARN resource type."""

    tags: Callable[[RegistrationService, str], tuple[Tag, ...]]
    """The tags of the resource with this id, deleted or not.

    Raises ResourceNotFoundException if there is none."""
    change: Callable[[RegistrationService, str, str, TagChange], None]
    """Commit the event (``tag_resource`` or ``untag_resource``) making the change on
    the resource with this id.

    Raises ResourceNotFoundException if there is none or it is deleted, and
    ServiceQuotaExceededException ``TAGS_PER_RESOURCE`` if it would have more tags than
    the service allows."""


def _registration_tags(service: RegistrationService, registration_id: str) -> tuple[Tag, ...]:
    return service._load(registration_id, "ResourceArn").tags


def _change_registration_tags(
    service: RegistrationService, registration_id: str, event: str, change: TagChange
) -> None:
    registration = service._live(registration_id)
    service.quotas.check_tags(
        change.applied_to(registration.tags), f"registration {registration_id}"
    )
    service._step(registration_id, event, tags=change, registration=registration)


def _attachment_tags(service: RegistrationService, attachment_id: str) -> tuple[Tag, ...]:
    return service._attachment(attachment_id, "ResourceArn").tags


def _change_attachment_tags(
    service: RegistrationService, attachment_id: str, event: str, change: TagChange
) -> None:
    attachment = service._attachment(attachment_id, "ResourceArn")
    if attachment.status is AttachmentStatus.DELETED:
        raise attachments.not_found(attachment_id)
    service.quotas.check_tags(
        change.applied_to(attachment.tags), f"registration attachment {attachment_id}"
    )
    step = attachments.step(attachment, event, service._now(), tags=change)
    service._commit_attachment(step, attachment.revision)


def _phone_number_tags(service: RegistrationService, number_id: str) -> tuple[Tag, ...]:
    return service._phone_number(number_id, "ResourceArn").tags


def _change_phone_number_tags(
    service: RegistrationService, number_id: str, event: str, change: TagChange
) -> None:
    number = service._phone_number(number_id, "ResourceArn")
    if number.status is PhoneNumberStatus.DELETED:
        raise phone_numbers.not_found(number_id)
    service.quotas.check_tags(change.applied_to(number.tags), f"phone number {number_id}")
    step = phone_numbers.step(number, event, service._now(), tags=change)
    service._commit_own(
        service.backend.commit_phone_number, step.phone_number, step.events,
        expected_revision=number.revision,
    )  # fmt: skip


TAGGABLE: Mapping[str, Taggable] = {
    "registration": Taggable(_registration_tags, _change_registration_tags),
    attachments.RESOURCE_TYPE: Taggable(_attachment_tags, _change_attachment_tags),
    phone_numbers.RESOURCE_TYPE: Taggable(_phone_number_tags, _change_phone_number_tags),
}
"""The taggable resources by ARN resource type."""


@errors.operation
def tag_resource(
    service: RegistrationService,
    /,
    *,
    ResourceArn: str = MISSING,
    Tags: Sequence[Mapping[str, str]] = MISSING,
    **unknown: Any,
) -> dict[str, Any]:
    """Set ``Tags`` on the resource: a key it has takes the new value, in its place;
    a new key goes last. Nothing changes if it would have more than
    ``TAGS_PER_RESOURCE`` tags."""
    params = validate("TagResource", {"ResourceArn": ResourceArn, "Tags": Tags, **unknown})
    change = TagChange(put=tuple(Tag(t["Key"], t["Value"]) for t in params["Tags"]))
    _change(service, params["ResourceArn"], "tag_resource", change)
    return {}


@errors.operation
def untag_resource(
    service: RegistrationService,
    /,
    *,
    ResourceArn: str = MISSING,
    TagKeys: Sequence[str] = MISSING,
    **unknown: Any,
) -> dict[str, Any]:
    """Remove the tags of ``TagKeys`` from the resource (keys it lacks are ignored)."""
    params = validate("UntagResource", {"ResourceArn": ResourceArn, "TagKeys": TagKeys, **unknown})
    _change(service, params["ResourceArn"], "untag_resource", TagChange(remove=params["TagKeys"]))
    return {}


@errors.operation
def list_tags_for_resource(
    service: RegistrationService, /, *, ResourceArn: str = MISSING, **unknown: Any
) -> dict[str, Any]:
    """The resource's tags, in the order their keys were first set."""
    params = validate("ListTagsForResource", {"ResourceArn": ResourceArn, **unknown})
    taggable, resource_id = _resource(service, params["ResourceArn"])
    tags = taggable.tags(service, resource_id)
    return {"ResourceArn": params["ResourceArn"], "Tags": [t.to_dict() for t in tags]}


def _change(service: RegistrationService, arn: str, event: str, change: TagChange) -> None:
    taggable, resource_id = _resource(service, arn)
    taggable.change(service, resource_id, event, change)


def _resource(service: RegistrationService, arn: str) -> tuple[Taggable, str]:
    """The taggable type of the resource ``arn`` names, and the resource's id."""
    resource_type, resource_id = resource_of_arn(
        arn, "ResourceArn", service.account_id, service.region, RESOURCE_TYPES
    )
    taggable = TAGGABLE.get(resource_type)
    if taggable is None:
        raise ResourceNotFoundException(
            f"ResourceArn {arn} not found: this service holds no {resource_type} (its "
            f"taggable resources are: {', '.join(TAGGABLE)}).",
            resource_type=resource_type,
            resource_id=resource_id,
        )
    return taggable, resource_id
