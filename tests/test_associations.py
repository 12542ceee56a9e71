"""Associations through the service: the 10DLC chain (brand, campaign, numbers), the
toll-free path (its number waits, completes with it, and closes it when released),
the catalogue's behaviours, the model's reasons and shapes, on every backend."""

from __future__ import annotations

from typing import Any

import botocore.session
import pytest

from lifecycle import (
    ConflictException,
    RegistrationService,
    ResourceNotFoundException,
    ServiceQuotaExceededException,
    ValidationException,
)
from lifecycle.audit import verify
from lifecycle.catalogue import Catalogue
from lifecycle.errors import AccessDeniedException
from lifecycle.ports import Backend
from lifecycle.testing.forms import fill_form
from tests.conftest import snapshot
from tests.shapes import conforms

MODEL = botocore.session.get_session().get_service_model("pinpoint-sms-voice-v2")
BRAND, CAMPAIGN, VETTING = (
    "US_TEN_DLC_BRAND_REGISTRATION", "US_TEN_DLC_CAMPAIGN_REGISTRATION",
    "US_TEN_DLC_BRAND_VETTING",
)  # fmt: skip
TOLL_FREE_TYPE = "US_TOLL_FREE_REGISTRATION"
SENDER_ID_TYPE = "JO_SENDER_ID_REGISTRATION"
NUMBER = {"IsoCountryCode": "US", "MessageType": "TRANSACTIONAL", "NumberCapabilities": ["SMS"]}
TEN_DLC = {**NUMBER, "NumberType": "TEN_DLC"}
TOLL_FREE = {**NUMBER, "NumberType": "TOLL_FREE"}


def _new(service: RegistrationService, registration_type: str) -> str:
    rid = str(service.create_registration(RegistrationType=registration_type)["RegistrationId"])
    fill_form(service, rid)
    return rid


def _status(service: RegistrationService, rid: str) -> str:
    found = service.describe_registrations(RegistrationIds=[rid])["Registrations"][0]
    return str(found["RegistrationStatus"])


def _number(service: RegistrationService, number_id: str) -> dict[str, Any]:
    return dict(service.describe_phone_numbers(PhoneNumberIds=[number_id])["PhoneNumbers"][0])


def _complete(service: RegistrationService, rid: str) -> None:
    service.submit_registration_version(RegistrationId=rid)
    service.reviewer.begin_review(rid)
    service.reviewer.approve(rid)
    if _status(service, rid) == "PROVISIONING":
        service.reviewer.complete_provisioning(rid)


def _associations(service: RegistrationService, rid: str, **params: Any) -> list[Any]:
    pages = service.get_paginator("list_registration_associations")
    return list(pages.paginate(RegistrationId=rid, **params).build_full_result()[
        "RegistrationAssociations"])  # fmt: skip


def _logged(service: RegistrationService, since: int) -> list[tuple[str, str, str]]:
    """The events committed after the first ``since``: name, resource type, actor."""
    return [(e.event.event, e.event.resource_type, e.event.actor.value)
            for e in service.backend.read_log()[since:]]  # fmt: skip


def _reason(error: pytest.ExceptionInfo[Any]) -> str | None:
    return error.value.reason  # type: ignore[no-any-return]


@pytest.fixture
def brand(service: RegistrationService) -> str:
    rid = _new(service, BRAND)
    _complete(service, rid)
    return rid


def test_the_ten_dlc_chain(service: RegistrationService, brand: str) -> None:
    campaign = _new(service, CAMPAIGN)
    with pytest.raises(ValidationException) as missing:
        service.submit_registration_version(RegistrationId=campaign)
    assert _reason(missing) == "INVALID_REGISTRATION_ASSOCIATION"
    assert BRAND in str(missing.value) and "ASSOCIATE_BEFORE_SUBMIT" in str(missing.value)
    linked = service.create_registration_association(RegistrationId=campaign, ResourceId=brand)
    conforms(MODEL.operation_model("CreateRegistrationAssociation").output_shape, linked)
    assert (linked["ResourceId"], linked["ResourceType"], linked["RegistrationType"]) == (
        brand, BRAND, CAMPAIGN
    )  # fmt: skip
    assert "PhoneNumber" not in linked
    with pytest.raises(ConflictException) as twice:
        service.create_registration_association(RegistrationId=campaign, ResourceId=brand)
    assert _reason(twice) == "RESOURCE_ALREADY_ASSOCIATED"
    # numbers come once the campaign is COMPLETE (ASSOCIATE_AFTER_COMPLETE)
    early = service.request_phone_number(**TEN_DLC)
    with pytest.raises(ConflictException) as not_complete:
        service.create_registration_association(
            RegistrationId=campaign, ResourceId=early["PhoneNumberId"]
        )
    assert _reason(not_complete) == "REGISTRATION_NOT_COMPLETE"
    assert "RegistrationId" not in _number(service, early["PhoneNumberId"])
    _complete(service, campaign)
    service.create_registration_association(
        RegistrationId=campaign, ResourceId=early["PhoneNumberArn"]
    )
    requested = service.request_phone_number(**TEN_DLC, RegistrationId=campaign)
    assert requested["RegistrationId"] == campaign and requested["Status"] == "ACTIVE"
    assert _number(service, early["PhoneNumberId"])["RegistrationId"] == campaign
    listed = service.list_registration_associations(RegistrationId=campaign)
    conforms(MODEL.operation_model("ListRegistrationAssociations").output_shape, listed)
    assert [a["ResourceId"] for a in listed["RegistrationAssociations"]] == [
        brand, early["PhoneNumberId"], requested["PhoneNumberId"]
    ]  # fmt: skip
    assert listed["RegistrationAssociations"][1]["PhoneNumber"] == early["PhoneNumber"]
    assert [
        a["ResourceId"]
        for a in _associations(
            service,
            campaign,
            Filters=[{"Name": "resource-type", "Values": ["TEN_DLC"]}],
            PaginationConfig={"PageSize": 1},
        )
    ] == [early["PhoneNumberId"], requested["PhoneNumberId"]]
    assert _associations(
        service, campaign, Filters=[{"Name": "iso-country-code", "Values": ["CA"]}]
    ) == []  # fmt: skip
    # a campaign is not deleted while numbers are associated: they are released first
    with pytest.raises(ConflictException) as kept:
        service.delete_registration(RegistrationId=campaign)
    assert _reason(kept) == "RESOURCE_DELETION_NOT_ALLOWED"
    assert early["PhoneNumberId"] in str(kept.value) and requested["PhoneNumberId"] in str(
        kept.value
    )
    for made in (early, requested):
        service.release_phone_number(PhoneNumberId=made["PhoneNumberId"])
    assert _status(service, campaign) == "COMPLETE"  # ALLOWS_DELETE: release does not close
    assert [a["ResourceId"] for a in _associations(service, campaign)] == [brand]
    assert service.delete_registration(RegistrationId=campaign)["RegistrationStatus"] == "DELETED"
    assert _associations(service, campaign) == []  # the delete ended the brand's link
    assert verify(service.backend)[2] == []


def test_the_brand_must_be_complete_at_submit(service: RegistrationService) -> None:
    brand = _new(service, BRAND)
    vetting = _new(service, VETTING)
    service.create_registration_association(RegistrationId=vetting, ResourceId=brand)
    with pytest.raises(ValidationException) as early:
        service.submit_registration_version(RegistrationId=vetting)
    assert "COMPLETE" in str(early.value) and "CREATED" in str(early.value)
    _complete(service, brand)
    service.submit_registration_version(RegistrationId=vetting)
    assert _status(service, vetting) == "SUBMITTED"
    # an ASSOCIATE_BEFORE_SUBMIT association needs a DRAFT: not while in review
    other = _new(service, BRAND)
    _complete(service, other)
    with pytest.raises(ConflictException) as submitted:
        service.create_registration_association(RegistrationId=vetting, ResourceId=other)
    assert _reason(submitted) == "RESOURCE_ALREADY_ASSOCIATED"  # and it takes one brand


def test_the_toll_free_path(service: RegistrationService) -> None:
    toll_free = _new(service, TOLL_FREE_TYPE)
    with pytest.raises(ValidationException) as missing:
        service.submit_registration_version(RegistrationId=toll_free)
    assert "TOLL_FREE phone number" in str(missing.value)
    number = service.request_phone_number(**TOLL_FREE, RegistrationId=toll_free)
    assert number["Status"] == "PENDING"
    service.submit_registration_version(RegistrationId=toll_free)
    service.reviewer.begin_review(toll_free)
    service.reviewer.approve(toll_free)
    assert _number(service, number["PhoneNumberId"])["Status"] == "PENDING"
    before = len(service.backend.read_log())
    service.reviewer.complete_provisioning(toll_free)
    # the number becomes ACTIVE in the step that completes the registration
    assert _logged(service, before) == [
        ("complete_provisioning", "registration", "reviewer"),
        ("activate_phone_number", "phone-number", "system"),
    ]
    assert _number(service, number["PhoneNumberId"])["Status"] == "ACTIVE"
    with pytest.raises(ConflictException) as kept:  # CLOSES: released, not deleted, first
        service.delete_registration(RegistrationId=toll_free)
    assert _reason(kept) == "RESOURCE_DELETION_NOT_ALLOWED"
    with pytest.raises(ConflictException):  # CLOSED only with no identity left
        service.reviewer.close(toll_free)
    before = len(service.backend.read_log())
    released = service.release_phone_number(PhoneNumberId=number["PhoneNumberId"])
    assert released["Status"] == "DELETED"
    assert _logged(service, before) == [
        ("release_phone_number", "phone-number", "user"),
        ("disassociate", "registration", "system"),
        ("close", "registration", "system"),
    ]
    assert _status(service, toll_free) == "CLOSED"
    assert service.delete_registration(RegistrationId=toll_free)["RegistrationStatus"] == "DELETED"
    assert verify(service.backend)[2] == []


def test_a_release_does_not_close_a_registration_with_a_draft(
    service: RegistrationService,
) -> None:
    toll_free = _new(service, TOLL_FREE_TYPE)
    number = service.request_phone_number(**TOLL_FREE, RegistrationId=toll_free)
    _complete(service, toll_free)
    service.create_registration_version(RegistrationId=toll_free)
    service.release_phone_number(PhoneNumberId=number["PhoneNumberId"])
    assert _status(service, toll_free) == "COMPLETE"
    assert _associations(service, toll_free) == []
    service.discard_registration_version(RegistrationId=toll_free)
    service.reviewer.close(toll_free)  # now nothing is associated: the system may close
    assert _status(service, toll_free) == "CLOSED"


@pytest.mark.parametrize(
    ("resource", "error", "reason"),
    [
        ("toll_free_number", ValidationException, "INVALID_REGISTRATION_ASSOCIATION"),
        ("canadian_ten_dlc", ValidationException, None),  # no such fictional range
        ("other_campaigns_number", ConflictException, "PHONE_NUMBER_ASSOCIATED_TO_REGISTRATION"),
        ("released_number", ResourceNotFoundException, None),
        ("unknown_id", ResourceNotFoundException, None),
        ("foreign_arn", AccessDeniedException, None),
        ("itself", ValidationException, "INVALID_REGISTRATION_ASSOCIATION"),
    ],
)  # fmt: skip
def test_refused_associations_change_nothing(
    service: RegistrationService, brand: str, resource: str, error: type[Exception],
    reason: str | None,
) -> None:  # fmt: skip
    campaign = _new(service, CAMPAIGN)
    service.create_registration_association(RegistrationId=campaign, ResourceId=brand)
    _complete(service, campaign)
    other = _new(service, CAMPAIGN)
    service.create_registration_association(RegistrationId=other, ResourceId=brand)
    _complete(service, other)
    values: dict[str, Any] = {
        "toll_free_number": lambda: service.request_phone_number(**TOLL_FREE)["PhoneNumberId"],
        "canadian_ten_dlc": lambda: service.request_phone_number(
            **{**TEN_DLC, "IsoCountryCode": "CA"}
        )["PhoneNumberId"],
        "other_campaigns_number": lambda: service.request_phone_number(
            **TEN_DLC, RegistrationId=other
        )["PhoneNumberId"],
        "released_number": lambda: service.release_phone_number(
            PhoneNumberId=service.request_phone_number(**TEN_DLC)["PhoneNumberId"]
        )["PhoneNumberId"],
        "unknown_id": lambda: "sender-0",
        "foreign_arn": lambda: "arn:aws:sms-voice:us-east-1:999999999999:phone-number/phone-1",
        "itself": lambda: campaign,
    }
    try:
        value = values[resource]()
    except ValidationException as refused:  # the number cannot even be had
        assert error is ValidationException and reason is None, refused
        return
    before = snapshot(service)
    with pytest.raises(error) as info:
        service.create_registration_association(RegistrationId=campaign, ResourceId=value)
    if reason is not None:
        assert getattr(info.value, "reason", None) == reason
    assert snapshot(service) == before


def test_a_number_of_another_country_is_not_in_the_registration_region(
    service: RegistrationService,
) -> None:
    toll_free = _new(service, TOLL_FREE_TYPE)
    canadian = service.request_phone_number(**{**TOLL_FREE, "IsoCountryCode": "CA"})
    with pytest.raises(ConflictException) as info:
        service.create_registration_association(
            RegistrationId=toll_free, ResourceId=canadian["PhoneNumberId"]
        )
    assert info.value.reason == "PHONE_NUMBER_NOT_IN_REGISTRATION_REGION"
    before = len(service.describe_phone_numbers()["PhoneNumbers"])
    with pytest.raises(ConflictException):  # refused before a number is drawn
        service.request_phone_number(
            **{**TOLL_FREE, "IsoCountryCode": "CA"}, RegistrationId=toll_free
        )
    assert len(service.describe_phone_numbers()["PhoneNumbers"]) == before


def test_association_quotas(backend: Backend, brand: str) -> None:
    del brand  # made on the fixture's service; this one has its own
    service = RegistrationService(
        backend, quotas={"PHONE_NUMBERS_PER_REGISTRATION": 1, "ASSOCIATIONS_PER_REGISTRATION": 2}
    )
    brand = _new(service, BRAND)
    _complete(service, brand)
    campaign = _new(service, CAMPAIGN)
    service.create_registration_association(RegistrationId=campaign, ResourceId=brand)
    _complete(service, campaign)
    service.request_phone_number(**TEN_DLC, RegistrationId=campaign)
    spare = service.request_phone_number(**TEN_DLC)
    with pytest.raises(ServiceQuotaExceededException) as info:
        service.create_registration_association(
            RegistrationId=campaign, ResourceId=spare["PhoneNumberId"]
        )
    assert info.value.reason == "ASSOCIATIONS_PER_REGISTRATION"
    with pytest.raises(ServiceQuotaExceededException):
        service.request_phone_number(**TEN_DLC, RegistrationId=campaign)
    assert len(_associations(service, campaign)) == 2


DISASSOCIATES = {
    "RegistrationTypeDefinitions": [{
        "RegistrationType": "X_LONG_CODE_REGISTRATION",
        "SupportedAssociations": [{
            "ResourceType": "LONG_CODE", "IsoCountryCode": "US",
            "AssociationBehavior": "ASSOCIATE_BEFORE_SUBMIT",
            "DisassociationBehavior": "DELETE_REGISTRATION_DISASSOCIATES",
        }],
        "DisplayHints": {"Title": "A user's type whose delete disassociates its numbers"},
    }]
}  # fmt: skip


def test_a_users_catalogue_drives_the_behaviours(backend: Backend) -> None:
    service = RegistrationService(backend, registration_types=Catalogue(sources=[DISASSOCIATES]))
    rid = str(service.create_registration(RegistrationType="X_LONG_CODE_REGISTRATION")[
        "RegistrationId"])  # fmt: skip
    with pytest.raises(ValidationException):
        service.submit_registration_version(RegistrationId=rid)
    number = service.request_phone_number(**{**NUMBER, "NumberType": "LONG_CODE"},
                                          RegistrationId=rid)  # fmt: skip
    service.submit_registration_version(RegistrationId=rid)
    service.reviewer.begin_review(rid)
    service.reviewer.deny(rid, [{"Reason": "R", "ShortDescription": "no"}])
    assert service.delete_registration(RegistrationId=rid)["RegistrationStatus"] == "DELETED"
    kept = _number(service, number["PhoneNumberId"])
    assert kept["Status"] == "ACTIVE" and "RegistrationId" not in kept  # disassociated
    assert _logged(service, -2) == [
        ("delete", "registration", "user"),
        ("disassociate_phone_number", "phone-number", "system"),
    ]
    assert verify(service.backend)[2] == []


def test_bad_requests_name_the_field(service: RegistrationService, brand: str) -> None:
    for params, field in [
        ({"ResourceId": brand}, "RegistrationId"),
        ({"RegistrationId": brand}, "ResourceId"),
        ({"RegistrationId": brand, "ResourceId": ""}, "ResourceId"),
        ({"RegistrationId": brand, "ResourceId": brand, "Extra": 1}, "Extra"),
    ]:
        with pytest.raises(ValidationException) as info:
            service.create_registration_association(**params)
        assert field in str(info.value)
    with pytest.raises(ValidationException) as info:
        service.list_registration_associations(
            RegistrationId=brand, Filters=[{"Name": "status", "Values": ["x"]}]
        )
    assert "Filters[0].Name" in str(info.value)
    assert service.list_registration_associations(RegistrationId=brand)[
        "RegistrationAssociations"] == []  # fmt: skip


def test_a_sender_id_is_provisioned_and_associated_on_approval(
    service: RegistrationService,
) -> None:
    rid = _new(service, SENDER_ID_TYPE)
    number = service.request_phone_number(**TOLL_FREE)["PhoneNumberId"]
    with pytest.raises(ValidationException) as info:  # ASSOCIATE_ON_APPROVAL: the system's
        service.create_registration_association(RegistrationId=rid, ResourceId=number)
    assert info.value.reason == "INVALID_REGISTRATION_ASSOCIATION"
    service.submit_registration_version(RegistrationId=rid)
    service.reviewer.begin_review(rid)
    assert _associations(service, rid) == []
    before = len(service.backend.read_log())
    service.reviewer.approve(rid)
    assert _logged(service, before) == [
        ("approve", "registration", "reviewer"),
        ("associate_on_approval", "registration", "system"),
    ]
    sender = {
        "ResourceArn": "arn:aws:sms-voice:us-east-1:123456789012:sender-id/EXAMPLECO/JO",
        "ResourceId": "EXAMPLECO", "ResourceType": "SENDER_ID", "IsoCountryCode": "JO",
    }  # fmt: skip
    assert _associations(service, rid) == [sender]
    service.reviewer.complete_provisioning(rid)
    # An update's approval provisions nothing more.
    service.create_registration_version(RegistrationId=rid)
    service.put_registration_field_value(
        RegistrationId=rid, FieldPath="senderIdInfo.senderId", TextValue="OTHER"
    )
    service.submit_registration_version(RegistrationId=rid)
    service.reviewer.begin_review(rid)
    service.reviewer.approve(rid)
    assert _status(service, rid) == "COMPLETE" and _associations(service, rid) == [sender]
    with pytest.raises(ConflictException):  # CLOSED only with no identity left
        service.reviewer.close(rid)
    # DELETE_REGISTRATION_DISASSOCIATES
    assert service.delete_registration(RegistrationId=rid)["RegistrationStatus"] == "DELETED"
    assert _associations(service, rid) == []
    assert verify(service.backend)[2] == []


def test_a_client_token_is_bound_to_its_registration(
    service: RegistrationService, brand: str
) -> None:
    campaigns = []
    for _ in range(2):
        rid = _new(service, CAMPAIGN)
        service.create_registration_association(RegistrationId=rid, ResourceId=brand)
        _complete(service, rid)
        campaigns.append(rid)
    first = service.request_phone_number(**TEN_DLC, RegistrationId=campaigns[0], ClientToken="t")
    again = service.request_phone_number(**TEN_DLC, RegistrationId=campaigns[0], ClientToken="t")
    assert again["PhoneNumberId"] == first["PhoneNumberId"]
    for other in ({"RegistrationId": campaigns[1]}, {}):
        with pytest.raises(ConflictException) as info:
            service.request_phone_number(**TEN_DLC, **other, ClientToken="t")
        assert info.value.reason == "RESOURCE_ALREADY_EXISTS"
    assert [a["ResourceType"] for a in _associations(service, campaigns[1])] == [BRAND]


def test_paging_survives_a_release_between_pages(service: RegistrationService, brand: str) -> None:
    campaign = _new(service, CAMPAIGN)
    service.create_registration_association(RegistrationId=campaign, ResourceId=brand)
    _complete(service, campaign)
    numbers = [service.request_phone_number(**TEN_DLC, RegistrationId=campaign)["PhoneNumberId"]
               for _ in range(5)]  # fmt: skip
    first = service.list_registration_associations(RegistrationId=campaign, MaxResults=3)
    assert [a["ResourceId"] for a in first["RegistrationAssociations"]] == [brand, *numbers[:2]]
    service.release_phone_number(PhoneNumberId=numbers[0])
    rest = service.list_registration_associations(
        RegistrationId=campaign, MaxResults=3, NextToken=first["NextToken"]
    )
    assert [a["ResourceId"] for a in rest["RegistrationAssociations"]] == numbers[2:]
    assert "NextToken" not in rest
    with pytest.raises(ValidationException):  # a token is bound to its query
        service.list_registration_associations(
            RegistrationId=campaign, NextToken=first["NextToken"],
            Filters=[{"Name": "resource-type", "Values": ["TEN_DLC"]}],
        )  # fmt: skip


def test_a_deleted_brand_is_replaced(service: RegistrationService, brand: str) -> None:
    campaign = _new(service, CAMPAIGN)
    service.create_registration_association(RegistrationId=campaign, ResourceId=brand)
    service.delete_registration(RegistrationId=brand)
    with pytest.raises(ValidationException):  # its brand is not COMPLETE
        service.submit_registration_version(RegistrationId=campaign)
    other = _new(service, BRAND)
    _complete(service, other)
    service.create_registration_association(RegistrationId=campaign, ResourceId=other)
    assert [a["ResourceId"] for a in _associations(service, campaign)] == [other]
    service.submit_registration_version(RegistrationId=campaign)
    assert verify(service.backend)[2] == []
