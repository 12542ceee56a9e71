"""The operations on registration attachments: CreateRegistrationAttachment,
DescribeRegistrationAttachments, DeleteRegistrationAttachment.

An attachment is an aggregate of its own, moved by the attachment machine
(:data:`~lifecycle.machines.ATTACHMENT_MACHINE`). A body upload is checked on its
bytes (:mod:`lifecycle.media`) and completes at once; an ``s3://`` URL upload stays
UPLOAD_IN_PROGRESS until the system completes or fails it (the reviewer's
``complete_upload`` / ``fail_upload`` stand in for that).
:class:`~lifecycle.service.RegistrationService` binds each as its method of the same
name; ``service`` is that service.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from lifecycle import attachments, errors, media
from lifecycle.errors import ConflictException, ValidationException
from lifecycle.models import Tag
from lifecycle.operations._queries import (
    filter_sets,
    keyset_page_of,
    sorted_or_none,
)
from lifecycle.operations._tokens import earlier_claim
from lifecycle.pagination import query_fingerprint
from lifecycle.ports import AttachmentQuery, IdempotencyRecord
from lifecycle.statuses import AttachmentStatus
from lifecycle.validation import MISSING, validate

if TYPE_CHECKING:
    from lifecycle.service import RegistrationService

_S3_URL = re.compile(r"s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/\S+")


@errors.operation
def create_registration_attachment(
    service: RegistrationService,
    /,
    *,
    AttachmentBody: bytes = MISSING,
    AttachmentUrl: str = MISSING,
    Tags: Sequence[Mapping[str, str]] = MISSING,
    ClientToken: str = MISSING,
    **unknown: Any,
) -> dict[str, Any]:
    """Create an attachment from exactly one of ``AttachmentBody`` (the file's bytes:
    a PNG, JPEG or GIF of up to 500 KB or a PDF of up to 600 KB, read from the bytes)
    or ``AttachmentUrl`` (``s3://bucket/key``).

    A ``ClientToken`` already used in this account and region answers what that call
    created (same parameters) or raises ConflictException ``RESOURCE_ALREADY_EXISTS``.
    """
    params = validate(
        "CreateRegistrationAttachment",
        {"AttachmentBody": AttachmentBody, "AttachmentUrl": AttachmentUrl, "Tags": Tags,
         "ClientToken": ClientToken, **unknown},
    )  # fmt: skip
    body, url = params.get("AttachmentBody"), params.get("AttachmentUrl")
    if (body is None) == (url is None):
        raise ValidationException.for_field(
            "AttachmentBody" if body is None else "AttachmentUrl",
            "give exactly one of AttachmentBody and AttachmentUrl",
            reason="MISSING_PARAMETER" if body is None else "PARAMETERS_CANNOT_BE_USED_TOGETHER",
        )
    if url is not None and not _S3_URL.fullmatch(url):
        raise ValidationException.for_field(
            "AttachmentUrl", "must be an S3 object URL: s3://BUCKET/KEY", reason="INVALID_PARAMETER"
        )
    media_type = None if body is None else media.check_body(body)
    tags = tuple(Tag(t["Key"], t["Value"]) for t in params.get("Tags", ()))
    token = params.get("ClientToken")
    fingerprint = query_fingerprint(
        url, None if body is None else hashlib.sha256(body).hexdigest(), tags
    )
    if token is not None:
        replay = _replay(service, token, fingerprint)
        if replay is not None:
            return replay
    service.quotas.check_tags(tags, "the new registration attachment")
    now = service._now()
    step = attachments.create(
        attachment_id="attachment-" + secrets.token_hex(16),
        account_id=service.account_id,
        region=service.region,
        tags=tags,
        now=now,
        url=url,
        body=body,
        media_type=media_type,
    )
    record = None
    if token is not None:
        record = IdempotencyRecord(
            service.account_id,
            service.region,
            attachments.TOKEN_PREFIX + token,
            fingerprint,
            step.attachment.attachment_id,
        )
    try:
        stored = service._commit_attachment(
            step, None, body=body, idempotency=record,
            quotas=service.quotas.charges("create_attachment", now),
        )  # fmt: skip
    except ConflictException:
        # Another call claimed the same token first: answer as that call did.
        replay = None if token is None else _replay(service, token, fingerprint)
        if replay is None:
            raise
        return replay
    return stored.to_create_dict()


def _replay(service: RegistrationService, token: str, fingerprint: str) -> dict[str, Any] | None:
    """The answer of the earlier call with ``token``, or ``None`` if there was none."""
    key = attachments.TOKEN_PREFIX + token
    attachment_id = earlier_claim(service, key, token, fingerprint, attachments.RESOURCE_TYPE)
    if attachment_id is None:
        return None
    return service._attachment(attachment_id, "ClientToken").to_create_dict()


@errors.operation
def describe_registration_attachments(
    service: RegistrationService,
    /,
    *,
    RegistrationAttachmentIds: Sequence[str] = MISSING,
    Filters: Sequence[Mapping[str, Any]] = MISSING,
    NextToken: str = MISSING,
    MaxResults: int = MISSING,
    **unknown: Any,
) -> dict[str, Any]:
    """One page of this account's attachments, in creation order; DELETED ones
    included. Filter ``attachment-status`` takes the statuses to show."""
    params = validate(
        "DescribeRegistrationAttachments",
        {"RegistrationAttachmentIds": RegistrationAttachmentIds, "Filters": Filters,
         "NextToken": NextToken, "MaxResults": MaxResults, **unknown},
    )  # fmt: skip
    ids = None
    if "RegistrationAttachmentIds" in params:
        ids = frozenset(
            service._attachment(value, f"RegistrationAttachmentIds[{i}]").attachment_id
            for i, value in enumerate(params["RegistrationAttachmentIds"])
        )
    statuses = filter_sets(params.get("Filters", ())).get("attachment-status")
    fingerprint = query_fingerprint(sorted(ids or ()), ids is None, sorted_or_none(statuses))
    return keyset_page_of(
        service, "DescribeRegistrationAttachments", fingerprint, params, {},
        "RegistrationAttachments",
        lambda after, limit: service.backend.query_attachments(AttachmentQuery(
            service.account_id, service.region, ids, statuses, after, limit,
        )),
    )  # fmt: skip


@errors.operation
def delete_registration_attachment(
    service: RegistrationService, /, *, RegistrationAttachmentId: str = MISSING, **unknown: Any
) -> dict[str, Any]:
    """Delete an attachment; it stays visible to the describe call with status DELETED.

    Refused (ConflictException ``RESOURCE_DELETION_NOT_ALLOWED``) while a field value
    of the current version of a registration that is not DELETED names it.
    """
    params = validate(
        "DeleteRegistrationAttachment",
        {"RegistrationAttachmentId": RegistrationAttachmentId, **unknown},
    )
    attachment = service._attachment(params["RegistrationAttachmentId"], "RegistrationAttachmentId")
    if attachment.status is AttachmentStatus.DELETED:
        raise attachments.not_found(params["RegistrationAttachmentId"])
    now = service._now()
    step = attachments.step(attachment, "delete_attachment", now)
    stored = service._commit_attachment(
        step, attachment.revision, quotas=service.quotas.charges("delete_attachment", now)
    )
    return stored.to_dict()
