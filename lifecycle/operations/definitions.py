"""The operations on the form's definitions: DescribeRegistrationTypeDefinitions,
DescribeRegistrationSectionDefinitions, DescribeRegistrationFieldDefinitions.

They read the service's :class:`~lifecycle.catalogue.Catalogue` (``service.
registration_types``), and page its answers with the same sealed ``NextToken`` as the
other describe calls. :class:`~lifecycle.service.RegistrationService` binds each as
its method of the same name; ``service`` is that service.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from lifecycle import errors
from lifecycle.operations._queries import page_of, sorted_or_none
from lifecycle.pagination import query_fingerprint
from lifecycle.validation import MISSING, validate

if TYPE_CHECKING:
    from lifecycle.service import RegistrationService


@errors.operation
def describe_registration_type_definitions(
    service: RegistrationService,
    /,
    *,
    RegistrationTypes: Sequence[str] = MISSING,
    Filters: Sequence[Mapping[str, Any]] = MISSING,
    NextToken: str = MISSING,
    MaxResults: int = MISSING,
    **unknown: Any,
) -> dict[str, Any]:
    """One page of the registration types (all, or those named), in catalogue order.

    A filter keeps the types with a supported association whose resource type
    (``supported-association-resource-type``) or country
    (``supported-association-iso-country-code``) is one of its values; filters are
    ANDed.
    """
    params = validate(
        "DescribeRegistrationTypeDefinitions",
        {"RegistrationTypes": RegistrationTypes, "Filters": Filters, "NextToken": NextToken,
         "MaxResults": MaxResults, **unknown},
    )  # fmt: skip
    names = params.get("RegistrationTypes", ())
    filters = params.get("Filters", ())
    items = service.registration_types.describe_types(names, filters)
    fingerprint = query_fingerprint(
        sorted(names), sorted((f["Name"], sorted(f["Values"])) for f in filters)
    )
    return page_of(service, "DescribeRegistrationTypeDefinitions", fingerprint, params,
                   {}, "RegistrationTypeDefinitions", items)  # fmt: skip


@errors.operation
def describe_registration_section_definitions(
    service: RegistrationService,
    /,
    *,
    RegistrationType: str = MISSING,
    SectionPaths: Sequence[str] = MISSING,
    NextToken: str = MISSING,
    MaxResults: int = MISSING,
    **unknown: Any,
) -> dict[str, Any]:
    """One page of a registration type's sections (all, or those named), in form order."""
    params = validate(
        "DescribeRegistrationSectionDefinitions",
        {"RegistrationType": RegistrationType, "SectionPaths": SectionPaths,
         "NextToken": NextToken, "MaxResults": MaxResults, **unknown},
    )  # fmt: skip
    registration_type = service.registration_types.canonical(params["RegistrationType"])
    paths = params.get("SectionPaths", ())
    items = service.registration_types.describe_sections(registration_type, paths)
    fingerprint = query_fingerprint(registration_type, sorted(paths))
    return page_of(service, "DescribeRegistrationSectionDefinitions", fingerprint, params,
                   {"RegistrationType": registration_type}, "RegistrationSectionDefinitions",
                   items)  # fmt: skip


@errors.operation
def describe_registration_field_definitions(
    service: RegistrationService,
    /,
    *,
    RegistrationType: str = MISSING,
    SectionPath: str = MISSING,
    FieldPaths: Sequence[str] = MISSING,
    NextToken: str = MISSING,
    MaxResults: int = MISSING,
    **unknown: Any,
) -> dict[str, Any]:
    """One page of a registration type's fields (all, those of ``SectionPath``, or
    those named), in form order."""
    params = validate(
        "DescribeRegistrationFieldDefinitions",
        {"RegistrationType": RegistrationType, "SectionPath": SectionPath,
         "FieldPaths": FieldPaths, "NextToken": NextToken, "MaxResults": MaxResults,
         **unknown},
    )  # fmt: skip
    catalogue = service.registration_types
    registration_type = catalogue.canonical(params["RegistrationType"])
    section = params.get("SectionPath")
    paths = params.get("FieldPaths", ())
    items = catalogue.describe_fields(registration_type, section, paths)
    fingerprint = query_fingerprint(registration_type, section, sorted_or_none(paths or None))
    return page_of(service, "DescribeRegistrationFieldDefinitions", fingerprint, params,
                   {"RegistrationType": registration_type}, "RegistrationFieldDefinitions",
                   items)  # fmt: skip
