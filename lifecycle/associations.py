"""Associations: what links a registration to its origination identities (phone
numbers) and to another registration (a campaign's or a vetting's brand).

Pure domain rules read from the catalogue's ``SupportedAssociations``, so a user's
catalogue drives them too: which resources a registration type takes and when
(``AssociationBehavior``), and what their release does to it
(``DisassociationBehavior``). The legal statuses of each move are the machines'
(:mod:`lifecycle.machines`); this module says which resource may be associated at
all, and what the association looks like on the wire and in the log.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from lifecycle.catalogue import Catalogue
from lifecycle.catalogue.definitions import SupportedAssociation
from lifecycle.errors import ConflictException, ValidationException
from lifecycle.models import Registration, resource_arn
from lifecycle.phone_numbers import PhoneNumber

BEFORE_SUBMIT = "ASSOCIATE_BEFORE_SUBMIT"
ON_APPROVAL = "ASSOCIATE_ON_APPROVAL"
AFTER_COMPLETE = "ASSOCIATE_AFTER_COMPLETE"
SENDER_ID = "SENDER_ID"
"""The resource type of a sender ID (an origination identity without a number)."""
SENDER_ID_FIELD = "senderId"
"""The name of the field whose value a type's approval provisions as its sender ID
(``senderIdInfo.senderId``): a choice of this library."""
CLOSES = "DISASSOCIATE_ALL_CLOSES_REGISTRATION"
ALLOWS_DELETE = "DISASSOCIATE_ALL_ALLOWS_DELETE_REGISTRATION"
DELETE_DISASSOCIATES = "DELETE_REGISTRATION_DISASSOCIATES"


class Association(NamedTuple):
    """One resource associated with a registration (``RegistrationAssociationMetadata``)."""

    resource_type: str
    """A registration type, or a phone number's ``NumberType``."""
    resource_id: str
    resource_arn: str
    iso_country_code: str
    phone_number: str | None = None
    """The E.164 number of a phone number."""

    @property
    def identity(self) -> bool:
        """Whether the resource is an origination identity (not a registration)."""
        return self.phone_number is not None or self.resource_type == SENDER_ID

    def to_dict(self) -> dict[str, Any]:
        """The boto3 ``RegistrationAssociationMetadata`` dictionary (also the ``detail``
        of the events that make and end it)."""
        out = {
            "ResourceArn": self.resource_arn,
            "ResourceId": self.resource_id,
            "ResourceType": self.resource_type,
            "IsoCountryCode": self.iso_country_code,
        }
        if self.phone_number is not None:
            out["PhoneNumber"] = self.phone_number
        return out

    @classmethod
    def from_dict(cls, detail: Mapping[str, Any]) -> Association:
        """The association a logged event's ``detail`` records."""
        return cls(
            detail["ResourceType"],
            detail["ResourceId"],
            detail["ResourceArn"],
            detail["IsoCountryCode"],
            detail.get("PhoneNumber"),
        )

    @classmethod
    def of_number(cls, number: PhoneNumber) -> Association:
        """The association of ``number``."""
        return cls(
            number.number_type,
            number.phone_number_id,
            number.arn,
            number.iso_country_code,
            number.phone_number,
        )

    @classmethod
    def of_sender_id(
        cls, registration: Registration, sender_id: str, iso_country_code: str
    ) -> Association:
        """The association of ``registration``'s ``sender_id`` in ``iso_country_code``
        (ARN ``sender-id/SENDERID/COUNTRY``, as AWS's)."""
        arn = resource_arn(
            registration.region, registration.account_id, "sender-id",
            f"{sender_id}/{iso_country_code}",
        )  # fmt: skip
        return cls(SENDER_ID, sender_id, arn, iso_country_code)

    @classmethod
    def of_registration(cls, registration: Registration, iso_country_code: str) -> Association:
        """The association of ``registration`` (as another one's brand)."""
        return cls(
            registration.registration_type,
            registration.registration_id,
            registration.arn,
            iso_country_code,
        )


def supported(catalogue: Catalogue, registration_type: str) -> tuple[SupportedAssociation, ...]:
    """The associations ``registration_type`` supports (none for an unknown type)."""
    return catalogue.associations(registration_type)


def rule(
    catalogue: Catalogue,
    registration: Registration,
    resource_type: str,
    resource_id: str,
    field: str = "ResourceId",
) -> SupportedAssociation:
    """The catalogue's rule for associating the resource ``resource_id`` (named by the
    parameter ``field``) of ``resource_type`` with ``registration``.

    Raises:
        ValidationException: the type supports no such association, or associates it
            only on approval (by the system); Reason ``INVALID_REGISTRATION_ASSOCIATION``.
    """
    rules = supported(catalogue, registration.registration_type)
    for candidate in rules:
        if candidate.resource_type == resource_type:
            if candidate.association_behavior == ON_APPROVAL:
                break
            return candidate
    takes = ", ".join(r.resource_type for r in rules if r.association_behavior != ON_APPROVAL)
    raise ValidationException.for_field(
        field,
        f"{resource_id} is a {resource_type}; a {registration.registration_type} "
        f"registration is associated with {takes or 'nothing by a user'}",
        reason="INVALID_REGISTRATION_ASSOCIATION",
    )


def on_approval(catalogue: Catalogue, registration_type: str) -> SupportedAssociation | None:
    """The type's ASSOCIATE_ON_APPROVAL rule of a sender ID, if it has one."""
    return next(
        (r for r in catalogue.associations(registration_type)
         if r.association_behavior == ON_APPROVAL and r.resource_type == SENDER_ID),
        None,
    )  # fmt: skip


def numbers_of(registration: Registration) -> int:
    """How many phone numbers are associated with ``registration`` (its identities but
    its sender ID)."""
    return registration.identities - (registration.sender_id is not None)


def identities_block_delete(catalogue: Catalogue, registration: Registration) -> bool:
    """Whether ``registration`` has phone numbers that must be released before it is
    deleted: some are associated, and its type's behaviour for them is not
    DELETE_REGISTRATION_DISASSOCIATES."""
    if numbers_of(registration) == 0:
        return False
    return any(
        r.disassociation_behavior != DELETE_DISASSOCIATES
        for r in supported(catalogue, registration.registration_type)
        if r.resource_type not in catalogue and r.resource_type != SENDER_ID
    )


def closes_when_released(catalogue: Catalogue, registration_type: str) -> bool:
    """Whether releasing the last identity closes a registration of this type."""
    return any(
        r.disassociation_behavior == CLOSES
        for r in supported(catalogue, registration_type)
        if r.resource_type not in catalogue and r.resource_type != SENDER_ID
    )


def missing_before_submit(
    catalogue: Catalogue, registration: Registration, linked: Registration | None
) -> list[str]:
    """What ``registration`` lacks of the ASSOCIATE_BEFORE_SUBMIT associations of its
    type, each said in words (empty: it may be submitted). ``linked`` is the
    registration it is associated with, if any: it must be COMPLETE (a choice)."""
    missing: list[str] = []
    for r in catalogue.associations(registration.registration_type):
        if r.association_behavior != BEFORE_SUBMIT:
            continue
        if r.resource_type in catalogue:
            if linked is None:
                missing.append(f"a {r.resource_type} registration")
            elif str(linked.status) != "COMPLETE":
                missing.append(
                    f"a COMPLETE {r.resource_type} registration ({linked.registration_id} "
                    f"is {linked.status.value})"
                )
        elif registration.identities == 0:
            missing.append(f"a {r.resource_type} phone number")
    return missing


def already_associated(registration: Registration, resource_id: str) -> ConflictException:
    """The error for associating ``registration`` with what it already has: the
    resource ``resource_id``, or a registration (it takes one)."""
    return ConflictException(
        f"Registration {registration.registration_id} is already associated with {resource_id}.",
        reason="RESOURCE_ALREADY_ASSOCIATED",
        resource_type="registration",
        resource_id=registration.registration_id,
    )
