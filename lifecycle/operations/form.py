"""The operations on a registration's form: PutRegistrationFieldValue,
DeleteRegistrationFieldValue, DescribeRegistrationFieldValues.

An edit is an event of the version machine (``put_field_value``,
``delete_field_value``), legal only while the current version is DRAFT; the machines
refuse it otherwise (ConflictException ``EDIT_REGISTRATION_FIELD_VALUES_NOT_ALLOWED``).
A value is checked against its field's definition in the service's catalogue first.
:class:`~lifecycle.service.RegistrationService` binds each as its method of the same
name; ``service`` is that service.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from lifecycle import attachments, errors
from lifecycle.form import FieldValue, validate_value
from lifecycle.models import Registration
from lifecycle.operations._queries import check_version, page_of
from lifecycle.pagination import query_fingerprint
from lifecycle.statuses import AttachmentStatus
from lifecycle.validation import MISSING, validate

if TYPE_CHECKING:
    from lifecycle.service import RegistrationService


@errors.operation
def put_registration_field_value(
    service: RegistrationService,
    /,
    *,
    RegistrationId: str = MISSING,
    FieldPath: str = MISSING,
    SelectChoices: Sequence[str] = MISSING,
    TextValue: str = MISSING,
    RegistrationAttachmentId: str = MISSING,
    **unknown: Any,
) -> dict[str, Any]:
    """Set the value of one field of the current version, which must be a DRAFT.

    Exactly one of ``TextValue``, ``SelectChoices`` and ``RegistrationAttachmentId``,
    the one the field's ``FieldType`` takes, within its validation.
    """
    params = validate(
        "PutRegistrationFieldValue",
        {"RegistrationId": RegistrationId, "FieldPath": FieldPath,
         "SelectChoices": SelectChoices, "TextValue": TextValue,
         "RegistrationAttachmentId": RegistrationAttachmentId, **unknown},
    )  # fmt: skip
    registration = service._live(params["RegistrationId"])
    field = service.registration_types.field(registration.registration_type, params["FieldPath"])
    # A conditional rule may change the limits: read just the values it depends on.
    depends = [
        condition.depends_on_field_path
        for rule in (field.conditional_behavior.rules if field.conditional_behavior else ())
        for condition in rule.conditions
    ]
    others = _values(service, registration, registration.current_version_number, depends)
    value = validate_value(field, params, others)
    if value.attachment_id is not None:
        # The commit checks again, atomically; this check names the field in the error.
        attachment = service._attachment(value.attachment_id, "RegistrationAttachmentId")
        if attachment.status is not AttachmentStatus.UPLOAD_COMPLETE:
            raise attachments.not_usable(attachment, value.attachment_id, field.field_path)
        value = FieldValue(attachment_id=attachment.attachment_id)  # an ARN is stored as its id
    step = service._step(
        registration.registration_id,
        "put_field_value",
        field=(field.field_path, value),
        registration=registration,
    )
    return _answer(step.registration, field.field_path, value)


@errors.operation
def delete_registration_field_value(
    service: RegistrationService,
    /,
    *,
    RegistrationId: str = MISSING,
    FieldPath: str = MISSING,
    **unknown: Any,
) -> dict[str, Any]:
    """Remove the value of one field of the current version, which must be a DRAFT;
    answers the value removed (none, if the field had none)."""
    params = validate(
        "DeleteRegistrationFieldValue",
        {"RegistrationId": RegistrationId, "FieldPath": FieldPath, **unknown},
    )
    registration = service._live(params["RegistrationId"])
    path = service.registration_types.field(
        registration.registration_type, params["FieldPath"]
    ).field_path
    old = _values(service, registration, registration.current_version_number, [path])
    step = service._step(
        registration.registration_id,
        "delete_field_value",
        field=(path, None),
        registration=registration,
    )
    return _answer(step.registration, path, old.get(path))


@errors.operation
def describe_registration_field_values(
    service: RegistrationService,
    /,
    *,
    RegistrationId: str = MISSING,
    VersionNumber: int = MISSING,
    SectionPath: str = MISSING,
    FieldPaths: Sequence[str] = MISSING,
    NextToken: str = MISSING,
    MaxResults: int = MISSING,
    **unknown: Any,
) -> dict[str, Any]:
    """One page of the values of a version (default: the current one), in form order:
    all of them, those of ``SectionPath``, or those of ``FieldPaths``. A value the
    reviewer flagged when denying that version carries its ``DeniedReason`` and
    ``Feedback``."""
    params = validate(
        "DescribeRegistrationFieldValues",
        {"RegistrationId": RegistrationId, "VersionNumber": VersionNumber,
         "SectionPath": SectionPath, "FieldPaths": FieldPaths, "NextToken": NextToken,
         "MaxResults": MaxResults, **unknown},
    )  # fmt: skip
    registration = service._load(params["RegistrationId"], "RegistrationId")
    number = params.get("VersionNumber", registration.current_version_number)
    check_version(registration, number, "VersionNumber")
    catalogue, name = service.registration_types, registration.registration_type
    section = params.get("SectionPath")
    fields = catalogue.fields(name, section)  # an unknown section is refused
    paths = params.get("FieldPaths", ())
    for path in paths:
        catalogue.field(name, path)  # so is an unknown field
    values = _values(service, registration, number, paths or None)
    items = [
        {"FieldPath": field.field_path, **values[field.field_path].to_dict(flag=True)}
        for field in fields
        if field.field_path in values
    ]
    fingerprint = query_fingerprint(registration.registration_id, number, section, sorted(paths))
    head = {"RegistrationArn": registration.arn, "RegistrationId": registration.registration_id,
            "VersionNumber": number}  # fmt: skip
    return page_of(service, "DescribeRegistrationFieldValues", fingerprint, params, head,
                   "RegistrationFieldValues", items)  # fmt: skip


def _values(
    service: RegistrationService,
    registration: Registration,
    version_number: int,
    paths: Sequence[str] | None,
) -> Mapping[str, FieldValue]:
    if paths is not None and not paths:
        return {}
    return service.backend.field_values(
        registration.account_id, registration.region, registration.registration_id,
        version_number, paths,
    )  # fmt: skip


def _answer(registration: Registration, path: str, value: FieldValue | None) -> dict[str, Any]:
    """The answer of an edit: the registration, its current version, the field and its
    value (the one set, or the one removed)."""
    return {
        "RegistrationArn": registration.arn,
        "RegistrationId": registration.registration_id,
        "VersionNumber": registration.current_version_number,
        "FieldPath": path,
        **({} if value is None else value.to_dict()),
    }
