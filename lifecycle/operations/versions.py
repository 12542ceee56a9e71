"""The operations on registration versions: CreateRegistrationVersion,
SubmitRegistrationVersion, DiscardRegistrationVersion, DescribeRegistrationVersions.

:class:`~lifecycle.service.RegistrationService` binds each as its method of the same
name; ``service`` is that service.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from lifecycle import associations, errors
from lifecycle.errors import ValidationException
from lifecycle.form import check_complete
from lifecycle.models import Registration
from lifecycle.operations._queries import (
    check_version,
    filter_sets,
    keyset_page_of,
    sorted_or_none,
)
from lifecycle.pagination import query_fingerprint
from lifecycle.ports import VersionQuery
from lifecycle.statuses import VersionStatus
from lifecycle.validation import MISSING, validate

if TYPE_CHECKING:
    from lifecycle.service import RegistrationService

_DRAFT = VersionStatus.DRAFT  # read on every submit: see models._APPROVED


@errors.operation
def create_registration_version(
    service: RegistrationService, /, *, RegistrationId: str = MISSING, **unknown: Any
) -> dict[str, Any]:
    """Create the next version (DRAFT) of a registration; the previous one is read-only."""
    params = validate("CreateRegistrationVersion", {"RegistrationId": RegistrationId, **unknown})
    return service._step(params["RegistrationId"], "create_version").version_dict()


@errors.operation
def submit_registration_version(
    service: RegistrationService,
    /,
    *,
    RegistrationId: str = MISSING,
    AwsReview: bool = MISSING,
    **unknown: Any,
) -> dict[str, Any]:
    """Submit the current (DRAFT) version for review; ``AwsReview=True`` asks AWS
    to review it before it goes to the carriers (status AWS_REVIEWING).

    A DRAFT whose form misses a value it requires (REQUIRED, or CONDITIONAL resolving
    to REQUIRED) or holds one it disallows is refused with one ValidationException
    (``FIELD_VALIDATION_FAILED``) naming every such field path; nothing moves.
    """
    params = validate(
        "SubmitRegistrationVersion",
        {"RegistrationId": RegistrationId, "AwsReview": AwsReview, **unknown},
    )
    aws_review = params.get("AwsReview", False)
    registration = service._live(params["RegistrationId"])
    current = registration.current_version
    if current.status is _DRAFT:
        # The step commits against this revision: a later edit makes it a conflict.
        values = service.backend.field_values(
            registration.account_id, registration.region, registration.registration_id,
            current.version_number,
        )  # fmt: skip
        # Its associations first: a form is worth checking once it can be submitted.
        _check_associated(service, registration)
        check_complete(service.registration_types.fields(registration.registration_type), values)
    step = service._step(
        registration.registration_id, "submit", aws_review=aws_review, registration=registration
    )
    response = step.version_dict()
    response["AwsReview"] = aws_review
    return response


def _check_associated(service: RegistrationService, registration: Registration) -> None:
    """Refuse a submit that misses an ASSOCIATE_BEFORE_SUBMIT association (a linked
    registration must be COMPLETE: a choice)."""
    linked_id = registration.associated_registration_id
    linked = None
    if linked_id is not None:
        linked = service.backend.get(registration.account_id, registration.region, linked_id)
    missing = associations.missing_before_submit(service.registration_types, registration, linked)
    if missing:
        raise ValidationException.for_field(
            "RegistrationId",
            f"registration {registration.registration_id} must be associated with "
            f"{' and '.join(missing)} before it is submitted (ASSOCIATE_BEFORE_SUBMIT): "
            "see CreateRegistrationAssociation",
            reason="INVALID_REGISTRATION_ASSOCIATION",
        )


@errors.operation
def discard_registration_version(
    service: RegistrationService, /, *, RegistrationId: str = MISSING, **unknown: Any
) -> dict[str, Any]:
    """Discard the current version (DRAFT or SUBMITTED)."""
    params = validate("DiscardRegistrationVersion", {"RegistrationId": RegistrationId, **unknown})
    return service._step(params["RegistrationId"], "discard").version_dict()


@errors.operation
def describe_registration_versions(
    service: RegistrationService,
    /,
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
    registration = service._load(params["RegistrationId"], "RegistrationId")
    numbers = None
    if "VersionNumbers" in params:
        for i, number in enumerate(params["VersionNumbers"]):
            check_version(registration, number, f"VersionNumbers[{i}]")
        numbers = frozenset(params["VersionNumbers"])
    statuses = filter_sets(params.get("Filters", ())).get("registration-version-status")
    fingerprint = query_fingerprint(
        registration.registration_id, sorted_or_none(numbers), sorted_or_none(statuses)
    )
    head = {"RegistrationArn": registration.arn, "RegistrationId": registration.registration_id}
    return keyset_page_of(
        service, "DescribeRegistrationVersions", fingerprint, params, head,
        "RegistrationVersions",
        lambda after, limit: service.backend.query_versions(VersionQuery(
            service.account_id, service.region, registration.registration_id, numbers,
            statuses, after, limit,
        )),
    )  # fmt: skip
