"""The operations on registrations: CreateRegistration, DeleteRegistration,
DescribeRegistrations.

:class:`~lifecycle.service.RegistrationService` binds each as its method of the same
name; ``service`` is that service.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from lifecycle import aggregate, associations, errors
from lifecycle.errors import ConflictException
from lifecycle.models import Tag
from lifecycle.operations._queries import (
    filter_sets,
    keyset_page_of,
    sorted_or_none,
)
from lifecycle.operations._tokens import earlier_claim
from lifecycle.pagination import query_fingerprint
from lifecycle.ports import IdempotencyRecord, RegistrationQuery
from lifecycle.validation import MISSING, validate

if TYPE_CHECKING:
    from lifecycle.service import RegistrationService


def _new_registration_id() -> str:
    return "registration-" + secrets.token_hex(16)


@errors.operation
def create_registration(
    service: RegistrationService,
    /,
    *,
    RegistrationType: str = MISSING,
    Tags: Sequence[Mapping[str, str]] = MISSING,
    ClientToken: str = MISSING,
    **unknown: Any,
) -> dict[str, Any]:
    """Create a registration of ``RegistrationType`` with version 1 in DRAFT, and
    ``Tags`` (at most ``TAGS_PER_RESOURCE``).

    With a ``ClientToken`` already used in this account and region, returns the
    registration that token created (same parameters) or raises
    ConflictException ``RESOURCE_ALREADY_EXISTS`` (different parameters).
    """
    params = validate(
        "CreateRegistration",
        {"RegistrationType": RegistrationType, "Tags": Tags, "ClientToken": ClientToken,
         **unknown},
    )  # fmt: skip
    registration_type = service.registration_types.canonical(params["RegistrationType"])
    tags = tuple(Tag(t["Key"], t["Value"]) for t in params.get("Tags", ()))
    token = params.get("ClientToken")
    fingerprint = query_fingerprint(registration_type, tags)
    if token is not None:
        replay = _replay(service, token, fingerprint)
        if replay is not None:
            return replay
    service.quotas.check_tags(tags, "the new registration")
    now = service._now()
    step = aggregate.create(
        registration_id=_new_registration_id(),
        account_id=service.account_id,
        region=service.region,
        registration_type=registration_type,
        tags=tags,
        now=now,
    )
    record = None
    if token is not None:
        record = IdempotencyRecord(
            service.account_id,
            service.region,
            token,
            fingerprint,
            step.registration.registration_id,
        )
    try:
        step = service._commit(step, None, record, service.quotas.charges("create", now))
    except ConflictException:
        # Another call claimed the same token first: answer as that call did.
        replay = _replay(service, token, fingerprint) if token is not None else None
        if replay is None:
            raise
        return replay
    return step.registration.to_create_dict()


def _replay(service: RegistrationService, token: str, fingerprint: str) -> dict[str, Any] | None:
    """The answer of the earlier call with ``token``, or ``None`` if there was none."""
    registration_id = earlier_claim(service, token, token, fingerprint, "registration")
    if registration_id is None:
        return None
    original = service.backend.get(service.account_id, service.region, registration_id)
    assert original is not None, "an idempotency record outlived its registration"
    return original.to_create_dict()


@errors.operation
def delete_registration(
    service: RegistrationService, /, *, RegistrationId: str = MISSING, **unknown: Any
) -> dict[str, Any]:
    """Delete a registration (CREATED, REQUIRES_UPDATES, COMPLETE or CLOSED); it
    stays visible to the describe calls with status DELETED.

    Refused (ConflictException ``RESOURCE_DELETION_NOT_ALLOWED``, naming them) while
    phone numbers are associated that its type wants released first
    (DISASSOCIATE_ALL_ALLOWS_DELETE_REGISTRATION, DISASSOCIATE_ALL_CLOSES_REGISTRATION);
    under DELETE_REGISTRATION_DISASSOCIATES the delete disassociates them.
    """
    params = validate("DeleteRegistration", {"RegistrationId": RegistrationId, **unknown})
    registration = service._live(params["RegistrationId"])
    if associations.identities_block_delete(service.registration_types, registration):
        held = [
            n.phone_number_id
            for n in service._numbers(registration_id=registration.registration_id)
        ]
        raise ConflictException(
            f"Registration {registration.registration_id} cannot be deleted while phone "
            f"numbers are associated with it: release {', '.join(held)} first.",
            reason="RESOURCE_DELETION_NOT_ALLOWED",
            resource_type="registration",
            resource_id=registration.registration_id,
        )
    return service._step(
        registration.registration_id, "delete", registration=registration
    ).registration.to_dict()


@errors.operation
def describe_registrations(
    service: RegistrationService,
    /,
    *,
    RegistrationIds: Sequence[str] = MISSING,
    Filters: Sequence[Mapping[str, Any]] = MISSING,
    NextToken: str = MISSING,
    MaxResults: int = MISSING,
    **unknown: Any,
) -> dict[str, Any]:
    """One page of this account's registrations, in creation order.

    Filters with different names are ANDed; the values of one filter are ORed.
    """
    params = validate(
        "DescribeRegistrations",
        {"RegistrationIds": RegistrationIds, "Filters": Filters, "NextToken": NextToken,
         "MaxResults": MaxResults, **unknown},
    )  # fmt: skip
    ids = None
    if "RegistrationIds" in params:
        ids = frozenset(
            service._load(value, f"RegistrationIds[{i}]").registration_id
            for i, value in enumerate(params["RegistrationIds"])
        )
    filters = filter_sets(params.get("Filters", ()))
    types = filters.get("registration-type")
    statuses = filters.get("registration-status")
    fingerprint = query_fingerprint(
        sorted(ids or ()), ids is None, sorted_or_none(types), sorted_or_none(statuses)
    )
    return keyset_page_of(
        service, "DescribeRegistrations", fingerprint, params, {}, "Registrations",
        lambda after, limit: service.backend.query_registrations(RegistrationQuery(
            service.account_id, service.region, ids, types, statuses, after, limit,
        )),
    )  # fmt: skip
