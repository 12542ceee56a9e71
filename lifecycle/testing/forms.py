"""Filled-in registration forms from any catalogue, for tests, demos and benchmarks.

:func:`example_values` gives one valid value for every field of a registration type,
as ``PutRegistrationFieldValue`` parameters: the field's example text when it fits,
else a value built from its limits, and for ATTACHMENT fields the attachment it is
given. :func:`fill_form` puts them on a registration's DRAFT, uploading
:data:`~lifecycle.media.EXAMPLE_PNG` for its ATTACHMENT fields, so that the form is complete.
"""

from __future__ import annotations

from typing import Any

from lifecycle.catalogue import Catalogue
from lifecycle.catalogue.definitions import (
    ATTACHMENT,
    DISALLOWED,
    REQUIRED,
    SELECT,
    RegistrationFieldDefinition,
)
from lifecycle.errors import ValidationException
from lifecycle.form import FieldValue, resolve, validate_value
from lifecycle.media import EXAMPLE_PNG
from lifecycle.service import RegistrationService

_TEXT_FOR_PATTERN = {r"\+[1-9][0-9]{1,14}": "+12065550100", "[A-Z]{2}": "US"}
"""Values of the patterns that free text does not match."""


def example_values(
    catalogue: Catalogue,
    registration_type: str,
    attachment_id: str | None = None,
    *,
    required_only: bool = False,
) -> list[dict[str, Any]]:
    """``{"FieldPath": ..., "TextValue" | "SelectChoices" | "RegistrationAttachmentId":
    ...}`` for every field of ``registration_type``, in form order, each valid given
    the ones before it; fields the earlier values make DISALLOWED are left out, and so
    are ATTACHMENT fields unless ``attachment_id`` (an UPLOAD_COMPLETE attachment) is
    given for them. ``required_only``: only the fields the form requires given the
    values before them (REQUIRED, or CONDITIONAL resolving to REQUIRED).

    Raises:
        ValueError: a field's limits admit no value this function can build (a user
            catalogue's pattern it does not know); the message names the field.
    """
    chosen: dict[str, FieldValue] = {}
    out = []
    for field in catalogue.fields(registration_type):
        behavior = resolve(field, chosen)[0]
        if behavior == DISALLOWED or (required_only and behavior != REQUIRED):
            continue
        if field.field_type == ATTACHMENT:
            if attachment_id is not None:
                out.append(
                    {"FieldPath": field.field_path, "RegistrationAttachmentId": attachment_id}
                )
            continue
        params = {"FieldPath": field.field_path, **_example(field)}
        try:
            chosen[field.field_path] = validate_value(field, params, chosen)
        except ValidationException as exc:
            raise ValueError(f"no example value for {field.field_path}: {exc}") from None
        out.append(params)
    return out


def fill_form(
    service: RegistrationService, registration_id: str, *, everything: bool = False
) -> list[dict[str, Any]]:
    """Put :func:`example_values` on the DRAFT of ``registration_id`` (its type's
    form from the service's catalogue): those the form requires, or with
    ``everything`` one for every field. :data:`~lifecycle.media.EXAMPLE_PNG` is uploaded first if an
    ATTACHMENT field is to be filled. Returns the values put; the form is then
    complete."""
    registration = service.describe_registrations(RegistrationIds=[registration_id])
    registration_type = registration["Registrations"][0]["RegistrationType"]
    catalogue = service.registration_types
    values = example_values(catalogue, registration_type, "", required_only=not everything)
    if any("RegistrationAttachmentId" in value for value in values):
        upload = service.create_registration_attachment(AttachmentBody=EXAMPLE_PNG)
        for value in values:
            if "RegistrationAttachmentId" in value:
                value["RegistrationAttachmentId"] = upload["RegistrationAttachmentId"]
    for value in values:
        service.put_registration_field_value(RegistrationId=registration_id, **value)
    return values


def _example(field: RegistrationFieldDefinition) -> dict[str, Any]:
    text = f"Example {field.field_path.rpartition('.')[2]}"
    if field.field_type == SELECT:
        rules = field.select_validation
        if rules is None:  # any choice will do
            return {"SelectChoices": [text]}
        return {"SelectChoices": list(rules.options[: max(1, rules.min_choices)])}
    hints, limits = field.display_hints, field.text_validation
    example = hints.example_text_value if hints is not None else None
    if example is not None:
        return {"TextValue": example}
    pattern = limits.pattern if limits is not None else None
    if pattern in _TEXT_FOR_PATTERN:
        return {"TextValue": _TEXT_FOR_PATTERN[pattern]}
    low = limits.min_length if limits is not None else 1
    high = limits.max_length if limits is not None else 2048
    size = max(low, min(len(text), high))
    return {"TextValue": (text * (1 + size // len(text)))[:size]}
