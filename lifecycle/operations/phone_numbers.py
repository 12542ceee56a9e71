"""The operations on phone numbers: RequestPhoneNumber, DescribePhoneNumbers,
ReleasePhoneNumber (the part of the phone number API a registration workflow uses).

A phone number is an aggregate of its own, moved by the phone number machine
(:data:`~lifecycle.machines.PHONE_NUMBER_MACHINE`); its number is made up, from a range
reserved for fiction (:data:`lifecycle.phone_numbers.FICTIONAL_RANGES`).
:class:`~lifecycle.service.RegistrationService` binds each as its method of the same
name; ``service`` is that service.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from lifecycle import aggregate, errors, phone_numbers
from lifecycle.associations import Association, closes_when_released
from lifecycle.errors import ConflictException, ServiceQuotaExceededException, ValidationException
from lifecycle.machines import CLOSING_EVENT
from lifecycle.models import Tag, resource_id_of
from lifecycle.operations._queries import keyset_page_of
from lifecycle.operations._tokens import earlier_claim
from lifecycle.operations.associations import association_step, number_rule
from lifecycle.pagination import query_fingerprint
from lifecycle.ports import IdempotencyRecord, NumberWrite, PhoneNumberQuery
from lifecycle.quotas import PHONE_NUMBERS_PER_ACCOUNT
from lifecycle.statuses import PhoneNumberStatus, RegistrationStatus
from lifecycle.validation import MISSING, validate

if TYPE_CHECKING:
    from lifecycle.service import RegistrationService

ATTEMPTS = 8
"""How many free numbers a request tries when racing calls keep taking the one it drew."""


@errors.operation
def request_phone_number(
    service: RegistrationService,
    /,
    *,
    IsoCountryCode: str = MISSING,
    MessageType: str = MISSING,
    NumberCapabilities: Sequence[str] = MISSING,
    NumberType: str = MISSING,
    OptOutListName: str = MISSING,
    PoolId: str = MISSING,
    RegistrationId: str = MISSING,
    NumberPreference: Sequence[Mapping[str, Any]] = MISSING,
    InternationalSendingEnabled: bool = MISSING,
    DeletionProtectionEnabled: bool = MISSING,
    Tags: Sequence[Mapping[str, str]] = MISSING,
    ClientToken: str = MISSING,
    **unknown: Any,
) -> dict[str, Any]:
    """Request a phone number of ``NumberType`` in ``IsoCountryCode``: a TOLL_FREE
    number is PENDING (it carries messages once a registration is COMPLETE), the
    others are ACTIVE.

    The number comes from a fictional range (meeting ``NumberPreference`` if given).
    A ``ClientToken`` already used in this account and region answers what that call
    created (same parameters) or raises ConflictException ``RESOURCE_ALREADY_EXISTS``.
    ``OptOutListName`` may only name the account's ``Default`` list, and pools
    (``PoolId``) are not modelled.

    With ``RegistrationId`` the number is associated with that registration in the
    same step, refused as CreateRegistrationAssociation refuses it (before a number
    is drawn).
    """
    params = validate(
        "RequestPhoneNumber",
        {"IsoCountryCode": IsoCountryCode, "MessageType": MessageType,
         "NumberCapabilities": NumberCapabilities, "NumberType": NumberType,
         "OptOutListName": OptOutListName, "PoolId": PoolId,
         "RegistrationId": RegistrationId, "NumberPreference": NumberPreference,
         "InternationalSendingEnabled": InternationalSendingEnabled,
         "DeletionProtectionEnabled": DeletionProtectionEnabled, "Tags": Tags,
         "ClientToken": ClientToken, **unknown},
    )  # fmt: skip
    _refuse_unmodelled(params)
    iso, number_type = params["IsoCountryCode"], params["NumberType"]
    phone_numbers.ranges(iso, number_type)  # refuses a country or type without numbers
    capabilities = tuple(dict.fromkeys(params["NumberCapabilities"]))
    tags = tuple(Tag(t["Key"], t["Value"]) for t in params.get("Tags", ()))
    preference = None
    if "NumberPreference" in params:
        item = params["NumberPreference"][0]
        preference = (item["PreferenceType"][0], tuple(item["Filter"]))
    international = params.get("InternationalSendingEnabled", False)
    protected = params.get("DeletionProtectionEnabled", False)
    token = params.get("ClientToken")
    registration_id = params.get("RegistrationId")
    if registration_id is not None:  # by id or ARN: one request either way
        registration_id = resource_id_of(
            registration_id, "RegistrationId", service.account_id, service.region, "registration"
        )
    fingerprint = query_fingerprint(
        iso, params["MessageType"], capabilities, number_type, preference, international,
        protected, tags, *([] if registration_id is None else [registration_id]),
    )  # fmt: skip
    if token is not None:
        replay = _replay(service, token, fingerprint)
        if replay is not None:
            return replay
    service.quotas.check_tags(tags, "the new phone number")
    registration = supported = None
    if "RegistrationId" in params:
        registration = service._live(params["RegistrationId"])
        supported = number_rule(service, registration, number_type, iso, "RegistrationId")
    record = None
    phone_number_id = phone_numbers.new_id()
    if token is not None:
        record = IdempotencyRecord(
            service.account_id, service.region, phone_numbers.TOKEN_PREFIX + token,
            fingerprint, phone_number_id,
        )  # fmt: skip
    for _ in range(ATTEMPTS):
        free = phone_numbers.free_numbers(
            iso, number_type, preference, _held(service, iso, number_type)
        )
        if not free:
            wanted = (
                ""
                if preference is None
                else f" that meets NumberPreference ({preference[0]} {', '.join(preference[1])})"
            )
            raise ServiceQuotaExceededException(
                f"Every fictional {number_type} number in {iso}{wanted} is held by another "
                "phone number of this account and region: release one first.",
                reason=PHONE_NUMBERS_PER_ACCOUNT,
            )
        now = service._now()
        step = phone_numbers.request(
            phone_number_id=phone_number_id,
            account_id=service.account_id,
            region=service.region,
            phone_number=free[secrets.randbelow(len(free))],
            iso_country_code=iso,
            message_type=params["MessageType"],
            number_capabilities=capabilities,
            number_type=number_type,
            international_sending_enabled=international,
            deletion_protection_enabled=protected,
            tags=tags,
            now=now,
            registration_id=None if registration is None else registration.registration_id,
            registration_complete=registration is not None
            and registration.status is RegistrationStatus.COMPLETE,
        )
        charges = service.quotas.charges("request_phone_number", now)
        try:
            if registration is None or supported is None:
                stored = service._commit_own(
                    service.backend.commit_phone_number, step.phone_number, step.events,
                    expected_revision=None, idempotency=record, quotas=charges,
                )  # fmt: skip
            else:
                associated = association_step(
                    service, registration, Association.of_number(step.phone_number), supported
                )
                service._commit(
                    associated, registration.revision, None, charges,
                    numbers=[NumberWrite(step.phone_number, None, record)],
                    events=[*step.events, *associated.events],
                )  # fmt: skip
                stored = service._phone_number(phone_number_id, "PhoneNumberId")
        except ConflictException as exc:
            replay = None if token is None else _replay(service, token, fingerprint)
            if replay is not None:
                return replay  # another call claimed the same token first
            if exc.reason != "RESOURCE_ALREADY_EXISTS":
                raise
            continue  # another call took the number meanwhile: look again
        return stored.to_request_dict()
    raise ConflictException(
        f"Other calls took the free {number_type} number drawn {ATTEMPTS} times in a row; "
        "try again.",
        reason="RESOURCE_ALREADY_EXISTS",
        resource_type=phone_numbers.RESOURCE_TYPE,
        resource_id=phone_number_id,
    )


def _held(service: RegistrationService, iso: str, number_type: str) -> set[str]:
    """The E.164 numbers of ``iso`` and ``number_type`` that this account's numbers
    hold (every status but DELETED)."""
    held_statuses = frozenset(s.value for s in PhoneNumberStatus) - {"DELETED"}
    filters = (("iso-country-code", frozenset({iso})), ("number-type", frozenset({number_type})),
               ("status", held_statuses))  # fmt: skip
    return {number.phone_number for number in service._numbers(filters)}


def _refuse_unmodelled(params: Mapping[str, Any]) -> None:
    """Refuse what this library does not model, naming the parameter."""
    list_name = params.get("OptOutListName")
    if list_name is not None and list_name != phone_numbers.OPT_OUT_LIST:
        raise ValidationException.for_field(
            "OptOutListName",
            f"opt-out lists are not modelled: only the account's "
            f"{phone_numbers.OPT_OUT_LIST!r} list, which every number uses",
        )
    if params.get("PoolId"):
        raise ValidationException.for_field("PoolId", "pools are not modelled: leave it out")


def _replay(service: RegistrationService, token: str, fingerprint: str) -> dict[str, Any] | None:
    """The answer of the earlier call with ``token``, or ``None`` if there was none."""
    key = phone_numbers.TOKEN_PREFIX + token
    number_id = earlier_claim(service, key, token, fingerprint, phone_numbers.RESOURCE_TYPE)
    if number_id is None:
        return None
    return service._phone_number(number_id, "ClientToken").to_request_dict()


@errors.operation
def describe_phone_numbers(
    service: RegistrationService,
    /,
    *,
    PhoneNumberIds: Sequence[str] = MISSING,
    Filters: Sequence[Mapping[str, Any]] = MISSING,
    NextToken: str = MISSING,
    MaxResults: int = MISSING,
    Owner: str = MISSING,
    **unknown: Any,
) -> dict[str, Any]:
    """One page of this account's phone numbers, in the order they were requested;
    released ones included (status DELETED). Filters take the model's
    ``PhoneNumberFilterName`` values; ``Owner`` ``SHARED`` finds none (numbers are
    never shared here)."""
    params = validate(
        "DescribePhoneNumbers",
        {"PhoneNumberIds": PhoneNumberIds, "Filters": Filters, "NextToken": NextToken,
         "MaxResults": MaxResults, "Owner": Owner, **unknown},
    )  # fmt: skip
    ids = None
    if "PhoneNumberIds" in params:
        ids = frozenset(
            service._phone_number(value, f"PhoneNumberIds[{i}]").phone_number_id
            for i, value in enumerate(params["PhoneNumberIds"])
        )
    filters = tuple((f["Name"], frozenset(f["Values"])) for f in params.get("Filters", ()))
    shared = params.get("Owner") == "SHARED"
    fingerprint = query_fingerprint(
        sorted(ids or ()), ids is None, sorted((k, sorted(v)) for k, v in filters), shared
    )
    return keyset_page_of(
        service, "DescribePhoneNumbers", fingerprint, params, {}, "PhoneNumbers",
        lambda after, limit: service.backend.query_phone_numbers(PhoneNumberQuery(
            service.account_id, service.region, frozenset() if shared else ids, filters,
            after, limit,
        )),
    )  # fmt: skip


@errors.operation
def release_phone_number(
    service: RegistrationService, /, *, PhoneNumberId: str = MISSING, **unknown: Any
) -> dict[str, Any]:
    """Release a number: it stays visible to DescribePhoneNumbers with status DELETED.

    Refused (ConflictException ``DELETION_PROTECTION_ENABLED``) while its deletion
    protection is enabled. A number associated with a registration leaves it in the
    same step (the registration's ``disassociate``); where the registration's type is
    DISASSOCIATE_ALL_CLOSES_REGISTRATION, the release of its last identity closes a
    COMPLETE registration too (``close``, actor system), if the machines allow it
    (no version DRAFT or in review).
    """
    params = validate("ReleasePhoneNumber", {"PhoneNumberId": PhoneNumberId, **unknown})
    number = service._phone_number(params["PhoneNumberId"], "PhoneNumberId")
    if number.status is PhoneNumberStatus.DELETED:
        raise phone_numbers.not_found(params["PhoneNumberId"])
    now = service._now()
    step = phone_numbers.step(number, "release_phone_number", now)
    charges = service.quotas.charges("release_phone_number", now)
    if number.registration_id is None:
        stored = service._commit_own(
            service.backend.commit_phone_number, step.phone_number, step.events,
            expected_revision=number.revision, quotas=charges,
        )  # fmt: skip
        return stored.to_release_dict()
    registration = service._load(number.registration_id, "RegistrationId")
    left = aggregate.step(
        registration, "disassociate", now, association=Association.of_number(number)
    )
    if left.registration.identities == 0 and closes_when_released(
        service.registration_types, registration.registration_type
    ):
        with contextlib.suppress(ConflictException):  # the machines say when it closes
            left = aggregate.then(left, aggregate.step(left.registration, CLOSING_EVENT, now))
    service._commit(
        left, registration.revision, None, charges,
        numbers=[NumberWrite(step.phone_number, number.revision)],
        events=[*step.events, *left.events],
    )  # fmt: skip
    return step.phone_number.to_release_dict()
