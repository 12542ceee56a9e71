"""The operations on registration associations: CreateRegistrationAssociation,
ListRegistrationAssociations (the model has no DeleteRegistrationAssociation: an
identity leaves its registration when it is released).

A registration is associated with origination identities (phone numbers) and with
another registration (a campaign's or a vetting's brand), as the catalogue's
``SupportedAssociations`` of its type allow (:mod:`lifecycle.associations`); in which
statuses, the machines say. Associating a phone number moves the registration and the
number in one commit. :class:`~lifecycle.service.RegistrationService` binds each as
its method of the same name; ``service`` is that service.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from lifecycle import aggregate, errors, phone_numbers
from lifecycle.associations import (
    AFTER_COMPLETE,
    Association,
    already_associated,
    numbers_of,
    on_approval,
    rule,
)
from lifecycle.catalogue.definitions import SupportedAssociation
from lifecycle.errors import ConflictException, ResourceNotFoundException, ValidationException
from lifecycle.models import Registration, resource_of_arn
from lifecycle.operations._queries import DEFAULT_MAX_RESULTS, filter_sets, sorted_or_none
from lifecycle.pagination import query_fingerprint
from lifecycle.ports import NumberWrite, PhoneNumberQuery
from lifecycle.quotas import ASSOCIATIONS_PER_REGISTRATION, PHONE_NUMBERS_PER_REGISTRATION
from lifecycle.statuses import PhoneNumberStatus, RegistrationStatus
from lifecycle.validation import MISSING, validate

if TYPE_CHECKING:
    from lifecycle.service import RegistrationService

_ID_PREFIXES = {"registration-": "registration", "phone-": phone_numbers.RESOURCE_TYPE}
"""What an id names, by its prefix (AWS's formats)."""


@errors.operation
def create_registration_association(
    service: RegistrationService,
    /,
    *,
    RegistrationId: str = MISSING,
    ResourceId: str = MISSING,
    **unknown: Any,
) -> dict[str, Any]:
    """Associate a registration with a phone number, or with another registration (a
    vetting's or a campaign's brand), named by id or ARN.

    The registration's type must support the resource's type (else ValidationException
    ``INVALID_REGISTRATION_ASSOCIATION``); an ASSOCIATE_AFTER_COMPLETE resource needs
    a COMPLETE registration (ConflictException ``REGISTRATION_NOT_COMPLETE``), the
    others a DRAFT current version. A resource already associated is refused
    (``RESOURCE_ALREADY_ASSOCIATED``; a number of another registration:
    ``PHONE_NUMBER_ASSOCIATED_TO_REGISTRATION``; a number of another country than the
    association's: ``PHONE_NUMBER_NOT_IN_REGISTRATION_REGION``); a registration takes
    one registration.
    """
    params = validate(
        "CreateRegistrationAssociation",
        {"RegistrationId": RegistrationId, "ResourceId": ResourceId, **unknown},
    )
    registration = service._live(params["RegistrationId"])
    value = params["ResourceId"]
    if _names(service, value) == "registration":
        return _associate_registration(service, registration, value)
    number = service._phone_number(value, "ResourceId")
    if number.status is PhoneNumberStatus.DELETED:
        raise phone_numbers.not_found(value)
    if number.registration_id == registration.registration_id:
        raise already_associated(registration, number.phone_number_id)
    if number.registration_id is not None:
        raise ConflictException(
            f"Phone number {number.phone_number_id} is associated with registration "
            f"{number.registration_id}.",
            reason="PHONE_NUMBER_ASSOCIATED_TO_REGISTRATION",
            resource_type=phone_numbers.RESOURCE_TYPE,
            resource_id=number.phone_number_id,
        )
    supported = number_rule(
        service, registration, number.number_type, number.iso_country_code, "ResourceId"
    )
    step = association_step(service, registration, Association.of_number(number), supported)
    moved = phone_numbers.step(
        number, "associate_phone_number", step.events[0].timestamp,
        registration_id=registration.registration_id,
        registration_complete=registration.status is RegistrationStatus.COMPLETE,
    )  # fmt: skip
    service._commit(
        step, registration.revision, None, (),
        numbers=[NumberWrite(moved.phone_number, number.revision)],
        events=[*step.events, *moved.events],
    )  # fmt: skip
    return _answer(step.registration, Association.of_number(number))


def number_rule(
    service: RegistrationService,
    registration: Registration,
    number_type: str,
    iso_country_code: str,
    field: str,
) -> SupportedAssociation:
    """The catalogue's rule for associating a number of ``number_type`` in
    ``iso_country_code`` (named by ``field``) with ``registration``, once the number's
    type, its country and the registration's quotas allow it.

    Raises:
        ValidationException: ``INVALID_REGISTRATION_ASSOCIATION``.
        ConflictException: ``PHONE_NUMBER_NOT_IN_REGISTRATION_REGION``.
        ServiceQuotaExceededException: ``ASSOCIATIONS_PER_REGISTRATION``,
            ``PHONE_NUMBERS_PER_REGISTRATION``.
    """
    supported = rule(service.registration_types, registration, number_type,
                     "the requested number" if field == "RegistrationId" else "the number",
                     field)  # fmt: skip
    country = supported.iso_country_code
    if country is not None and iso_country_code != country:
        raise ConflictException(
            f"{field} names a number in {iso_country_code}; a "
            f"{registration.registration_type} registration takes {country} numbers.",
            reason="PHONE_NUMBER_NOT_IN_REGISTRATION_REGION",
            resource_type="registration",
            resource_id=registration.registration_id,
        )
    _check_quotas(service, registration, identity=True)
    return supported


def association_step(
    service: RegistrationService,
    registration: Registration,
    association: Association,
    supported: SupportedAssociation,
) -> aggregate.Step:
    """The registration's step making ``association`` under the rule ``supported`` (the
    machines refuse it from a status that rule does not allow)."""
    return aggregate.step(
        registration, "associate", service._now(), association=association,
        associates_after_complete=supported.association_behavior == AFTER_COMPLETE,
    )  # fmt: skip


def _associate_registration(
    service: RegistrationService, registration: Registration, value: str
) -> dict[str, Any]:
    other = service._load(value, "ResourceId")
    if other.status is RegistrationStatus.DELETED:
        raise ResourceNotFoundException(
            f"Registration {value} is deleted.", resource_type="registration", resource_id=value
        )
    if other.registration_id == registration.registration_id:
        raise ValidationException.for_field(
            "ResourceId", "a registration is not associated with itself",
            reason="INVALID_REGISTRATION_ASSOCIATION",
        )  # fmt: skip
    supported = rule(
        service.registration_types, registration, other.registration_type, other.registration_id
    )
    linked = registration.associated_registration_id
    if linked is not None and not _deleted(service, registration, linked):
        raise already_associated(registration, linked)
    _check_quotas(service, registration, identity=False)
    association = Association.of_registration(other, supported.iso_country_code or "US")
    step = association_step(service, registration, association, supported)
    service._commit(step, registration.revision, None, ())
    return _answer(step.registration, association)


def _deleted(service: RegistrationService, registration: Registration, linked: str) -> bool:
    """Whether the registration ``registration`` is linked to is DELETED (another may
    replace it)."""
    other = service.backend.get(registration.account_id, registration.region, linked)
    return other is None or other.status is RegistrationStatus.DELETED


def _check_quotas(service: RegistrationService, registration: Registration, identity: bool) -> None:
    """Refuse one more association of ``registration`` over its quotas; the commit
    compares the registration's revision, so a racing association cannot slip past."""
    linked = registration.associated_registration_id is not None
    name = f"registration {registration.registration_id}"
    service.quotas.check_count(
        ASSOCIATIONS_PER_REGISTRATION, registration.identities + linked + 1, name, "associations"
    )
    if identity:
        service.quotas.check_count(
            PHONE_NUMBERS_PER_REGISTRATION, numbers_of(registration) + 1, name, "phone numbers"
        )


def _names(service: RegistrationService, value: str) -> str:
    """The resource type ``value`` (an id or an ARN) names."""
    if value.startswith("arn:"):
        kind, _ = resource_of_arn(
            value, "ResourceId", service.account_id, service.region,
            ("registration", phone_numbers.RESOURCE_TYPE),
        )  # fmt: skip
        return kind
    for prefix, kind in _ID_PREFIXES.items():
        if value.startswith(prefix):
            return kind
    raise ResourceNotFoundException(
        f"Resource {value} not found: ResourceId names a registration (registration-...) "
        "or a phone number (phone-...), by id or ARN.",
        resource_type="resource",
        resource_id=value,
    )


def _answer(registration: Registration, association: Association) -> dict[str, Any]:
    return {
        "RegistrationArn": registration.arn,
        "RegistrationId": registration.registration_id,
        "RegistrationType": registration.registration_type,
        **association.to_dict(),
    }


@errors.operation
def list_registration_associations(
    service: RegistrationService,
    /,
    *,
    RegistrationId: str = MISSING,
    Filters: Sequence[Mapping[str, Any]] = MISSING,
    NextToken: str = MISSING,
    MaxResults: int = MISSING,
    **unknown: Any,
) -> dict[str, Any]:
    """One page of what a registration is associated with: the registration it is
    associated with first, then the sender ID its approval provisioned, then its phone
    numbers in the order they were requested (paged by their keyset: a number released
    between two pages shifts none of the others). Filters ``resource-type`` and
    ``iso-country-code``. A DELETED registration has none (its delete ended them)."""
    params = validate(
        "ListRegistrationAssociations",
        {"RegistrationId": RegistrationId, "Filters": Filters, "NextToken": NextToken,
         "MaxResults": MaxResults, **unknown},
    )  # fmt: skip
    registration = service._load(params["RegistrationId"], "RegistrationId")
    filters = filter_sets(params.get("Filters", ()))
    types, countries = filters.get("resource-type"), filters.get("iso-country-code")
    fingerprint = query_fingerprint(
        registration.registration_id, sorted_or_none(types), sorted_or_none(countries)
    )
    scope = ["ListRegistrationAssociations", service.account_id, service.region, fingerprint]
    # A token's position: 0 and 1 the two heads (the registration, the sender ID), then
    # the numbers' keyset positions shifted by _NUMBERS (_NUMBERS itself: from the first).
    start = service._after(params, scope) or 0
    limit = params.get("MaxResults", DEFAULT_MAX_RESULTS)
    found: list[Association] = []
    resume = None
    for slot, association in enumerate(_heads(service, registration)):
        if slot < start or association is None or not _passes(association, filters):
            continue
        if len(found) == limit:
            resume = slot
            break
        found.append(association)
    if resume is None and numbers_of(registration):
        if len(found) == limit:
            resume = max(start, _NUMBERS)
        else:
            number_filters = tuple(
                (name, values)
                for name, values in (("number-type", types), ("iso-country-code", countries))
                if values is not None
            )
            page = service.backend.query_phone_numbers(PhoneNumberQuery(
                service.account_id, service.region, filters=number_filters,
                after=None if start <= _NUMBERS else start - _NUMBERS - 1,
                limit=limit - len(found), registration_id=registration.registration_id,
            ))  # fmt: skip
            found += map(Association.of_number, page.items)
            if page.next_position is not None:
                resume = page.next_position + _NUMBERS + 1
    response = {
        "RegistrationArn": registration.arn,
        "RegistrationId": registration.registration_id,
        "RegistrationType": registration.registration_type,
        "RegistrationAssociations": [a.to_dict() for a in found],
    }
    if resume is not None:
        response["NextToken"] = service._codec.encode(scope, resume)
    return response


_NUMBERS = 2
"""Where the numbers start among a listing's token positions (after the two heads)."""


def _heads(service: RegistrationService, registration: Registration) -> list[Association | None]:
    """The registration ``registration`` is associated with and its sender ID, each
    ``None`` when it has none."""
    link = sender = None
    linked = registration.associated_registration_id
    other = None if linked is None else service.backend.get(
        registration.account_id, registration.region, linked
    )  # fmt: skip
    if other is not None:
        supported = rule(
            service.registration_types, registration, other.registration_type, linked or ""
        )
        link = Association.of_registration(other, supported.iso_country_code or "US")
    if registration.sender_id is not None:
        approval = on_approval(service.registration_types, registration.registration_type)
        country = "" if approval is None else approval.iso_country_code or ""
        sender = Association.of_sender_id(registration, registration.sender_id, country)
    return [link, sender]


def _passes(association: Association, filters: Mapping[str, frozenset[str]]) -> bool:
    types, countries = filters.get("resource-type"), filters.get("iso-country-code")
    return (types is None or association.resource_type in types) and (
        countries is None or association.iso_country_code in countries
    )
