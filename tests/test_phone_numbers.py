"""Phone numbers through the service: the machine, the fictional ranges, tags, quotas,
the describe filters and the model's shapes, on every backend."""

from __future__ import annotations

import re
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
from lifecycle import phone_numbers as numbers
from lifecycle.audit import verify
from lifecycle.errors import AccessDeniedException
from tests.shapes import conforms

MODEL = botocore.session.get_session().get_service_model("pinpoint-sms-voice-v2")
TOLL_FREE = {"IsoCountryCode": "US", "MessageType": "TRANSACTIONAL",
             "NumberCapabilities": ["SMS"], "NumberType": "TOLL_FREE"}  # fmt: skip
LONG_CODE = {**TOLL_FREE, "NumberType": "LONG_CODE", "NumberCapabilities": ["SMS", "VOICE"]}
E164 = re.compile(r"\+[1-9][0-9]{6,14}")


def _numbers(service: RegistrationService, **params: Any) -> list[dict[str, Any]]:
    pages = service.get_paginator("describe_phone_numbers").paginate(**params)
    return list(pages.build_full_result()["PhoneNumbers"])


def _in_fictional_range(number: str, country: str, number_type: str) -> bool:
    return any(
        number in {r.number(i) for i in range(r.size)}
        for r in numbers.FICTIONAL_RANGES[(country, number_type)]
    )


def test_a_toll_free_number_waits_the_others_are_active(service: RegistrationService) -> None:
    toll_free = service.request_phone_number(**TOLL_FREE, Tags=[{"Key": "Name", "Value": "tf"}])
    long_code = service.request_phone_number(**LONG_CODE)
    assert (toll_free["Status"], long_code["Status"]) == ("PENDING", "ACTIVE")
    assert toll_free["Tags"] == [{"Key": "Name", "Value": "tf"}]
    for made, kind in ((toll_free, "TOLL_FREE"), (long_code, "LONG_CODE")):
        assert re.fullmatch(r"phone-[0-9a-f]{32}", made["PhoneNumberId"])
        assert made["PhoneNumberArn"] == (
            f"arn:aws:sms-voice:us-east-1:123456789012:phone-number/{made['PhoneNumberId']}"
        )
        assert E164.fullmatch(made["PhoneNumber"])
        assert _in_fictional_range(made["PhoneNumber"], "US", kind)
        conforms(MODEL.operation_model("RequestPhoneNumber").output_shape, made)
    listed = service.describe_phone_numbers()
    conforms(MODEL.operation_model("DescribePhoneNumbers").output_shape, listed)
    assert [n["PhoneNumberId"] for n in listed["PhoneNumbers"]] == [
        toll_free["PhoneNumberId"], long_code["PhoneNumberId"],
    ]  # fmt: skip
    log = list(service.backend.read_log(registration_id=toll_free["PhoneNumberId"]))
    assert [(e.event.event, e.event.registration_to, e.event.resource_type) for e in log] == [
        ("request_phone_number", "PENDING", "phone-number")
    ]


def test_release_keeps_the_number_visible_as_deleted(service: RegistrationService) -> None:
    made = service.request_phone_number(**LONG_CODE)
    released = service.release_phone_number(PhoneNumberId=made["PhoneNumberArn"])
    conforms(MODEL.operation_model("ReleasePhoneNumber").output_shape, released)
    assert released["Status"] == "DELETED" and released["PhoneNumber"] == made["PhoneNumber"]
    (shown,) = _numbers(service, PhoneNumberIds=[made["PhoneNumberId"]])
    assert shown["Status"] == "DELETED"
    with pytest.raises(ResourceNotFoundException):
        service.release_phone_number(PhoneNumberId=made["PhoneNumberId"])
    with pytest.raises(ResourceNotFoundException):
        service.tag_resource(ResourceArn=made["PhoneNumberArn"], Tags=[{"Key": "a", "Value": ""}])
    assert verify(service.backend)[2] == []


def test_deletion_protection_refuses_release(service: RegistrationService) -> None:
    made = service.request_phone_number(**LONG_CODE, DeletionProtectionEnabled=True)
    assert made["DeletionProtectionEnabled"] is True
    before = _numbers(service)
    with pytest.raises(ConflictException) as info:
        service.release_phone_number(PhoneNumberId=made["PhoneNumberId"])
    assert info.value.reason == "DELETION_PROTECTION_ENABLED"
    assert "deletion protection" in info.value.message
    assert _numbers(service) == before


def test_a_client_token_answers_the_first_call(service: RegistrationService) -> None:
    first = service.request_phone_number(**TOLL_FREE, ClientToken="tf-1")
    again = service.request_phone_number(**TOLL_FREE, ClientToken="tf-1")
    assert again["PhoneNumberId"] == first["PhoneNumberId"]
    assert again["PhoneNumber"] == first["PhoneNumber"]
    with pytest.raises(ConflictException) as info:
        service.request_phone_number(**LONG_CODE, ClientToken="tf-1")
    assert info.value.reason == "RESOURCE_ALREADY_EXISTS"
    assert len(_numbers(service)) == 1


@pytest.mark.parametrize(
    ("params", "field", "reason"),
    [
        ({**LONG_CODE, "IsoCountryCode": "FR"}, "IsoCountryCode", "COUNTRY_NOT_ENABLED"),
        ({**TOLL_FREE, "IsoCountryCode": "GB"}, "NumberType", None),
        ({**LONG_CODE, "IsoCountryCode": "us"}, "IsoCountryCode", None),
        ({**LONG_CODE, "NumberType": "SHORT_CODE"}, "NumberType", None),
        ({**LONG_CODE, "NumberCapabilities": []}, "NumberCapabilities", None),
        ({**LONG_CODE, "NumberCapabilities": ["SMS", "FAX"]}, "NumberCapabilities[1]", None),
        ({**LONG_CODE, "MessageType": None}, "MessageType", None),
        ({**LONG_CODE, "PoolId": "pool-1"}, "PoolId", None),
        ({**LONG_CODE, "OptOutListName": "Mine"}, "OptOutListName", None),
        ({**LONG_CODE, "NumberPreference": [{"PreferenceType": ["Prefix"], "Filter": ["1"]}]},
         "NumberPreference[0].PreferenceType[0]", None),
        ({**LONG_CODE, "NumberPreference": [{"PreferenceType": ["StartsWith"],
                                              "Filter": ["+44"]}]}, "NumberPreference", None),
        ({**LONG_CODE, "DeletionProtectionEnabled": "yes"}, "DeletionProtectionEnabled", None),
        ({**LONG_CODE, "Tags": [{"Key": "a", "Value": ""}] * 2}, "Tags[1].Key", None),
        ({k: v for k, v in LONG_CODE.items() if k != "NumberType"}, "NumberType",
         "MISSING_PARAMETER"),
        ({**LONG_CODE, "Unknown": 1}, "Unknown", "INVALID_PARAMETER"),
    ],
)  # fmt: skip
def test_bad_requests_name_the_field_and_change_nothing(
    service: RegistrationService, params: dict[str, Any], field: str, reason: str | None
) -> None:
    with pytest.raises(ValidationException) as info:
        service.request_phone_number(**params)
    assert field in str(info.value)
    if reason is not None:
        assert info.value.reason == reason
    assert _numbers(service) == []
    assert list(service.backend.read_log()) == []


def test_a_number_preference_is_met(service: RegistrationService) -> None:
    made = service.request_phone_number(
        **LONG_CODE, NumberPreference=[{"PreferenceType": ["StartsWith"], "Filter": ["+1415"]}]
    )
    assert made["PhoneNumber"].startswith("+1415555")
    ending = service.request_phone_number(
        **LONG_CODE,
        NumberPreference=[{"PreferenceType": ["ExactMatch"], "Filter": ["12125550142"]}],
    )
    assert ending["PhoneNumber"] == "+12125550142"
    with pytest.raises(ServiceQuotaExceededException) as info:  # held: no other meets it
        service.request_phone_number(
            **LONG_CODE,
            NumberPreference=[{"PreferenceType": ["ExactMatch"], "Filter": ["12125550142"]}],
        )
    assert "NumberPreference (ExactMatch 12125550142)" in info.value.message


def test_every_free_number_of_a_range_is_handed_out(
    service: RegistrationService, monkeypatch: pytest.MonkeyPatch
) -> None:
    small = {**numbers.FICTIONAL_RANGES,
             ("US", "LONG_CODE"): (numbers.FictionalRange("+1201555", 100, 139, 4),)}  # fmt: skip
    monkeypatch.setattr(numbers, "FICTIONAL_RANGES", small)
    got = {service.request_phone_number(**LONG_CODE)["PhoneNumber"] for _ in range(40)}
    assert len(got) == 40  # none refused while one was free
    with pytest.raises(ServiceQuotaExceededException):
        service.request_phone_number(**LONG_CODE)


def test_no_two_numbers_hold_one_number_until_released(
    service: RegistrationService, monkeypatch: pytest.MonkeyPatch
) -> None:
    tiny = {
        **numbers.FICTIONAL_RANGES,
        ("US", "LONG_CODE"): (numbers.FictionalRange("+1201555", 100, 101, 4),),
    }
    monkeypatch.setattr(numbers, "FICTIONAL_RANGES", tiny)
    a = service.request_phone_number(**LONG_CODE)
    b = service.request_phone_number(**LONG_CODE)
    assert {a["PhoneNumber"], b["PhoneNumber"]} == {"+12015550100", "+12015550101"}
    with pytest.raises(ServiceQuotaExceededException) as info:
        service.request_phone_number(**LONG_CODE)
    assert info.value.reason == "PHONE_NUMBERS_PER_ACCOUNT" and "release one" in info.value.message
    service.release_phone_number(PhoneNumberId=a["PhoneNumberId"])
    c = service.request_phone_number(**LONG_CODE)
    assert c["PhoneNumber"] == a["PhoneNumber"] and c["PhoneNumberId"] != a["PhoneNumberId"]
    assert verify(service.backend)[2] == []


def test_quotas_count_numbers(service: RegistrationService) -> None:
    limited = RegistrationService(
        service.backend, clock=service.clock, quotas={"PHONE_NUMBERS_PER_ACCOUNT": 1}
    )
    made = limited.request_phone_number(**LONG_CODE)
    with pytest.raises(ServiceQuotaExceededException) as info:
        limited.request_phone_number(**TOLL_FREE)
    assert info.value.reason == "PHONE_NUMBERS_PER_ACCOUNT"
    limited.release_phone_number(PhoneNumberId=made["PhoneNumberId"])
    limited.request_phone_number(**TOLL_FREE)
    with pytest.raises(ServiceQuotaExceededException):
        limited.request_phone_number(**TOLL_FREE)
    assert len(_numbers(limited)) == 2


def test_describe_filters_pages_and_names(service: RegistrationService) -> None:
    toll_free = service.request_phone_number(**TOLL_FREE)
    protected = service.request_phone_number(**LONG_CODE, DeletionProtectionEnabled=True)
    gb = service.request_phone_number(
        IsoCountryCode="GB", MessageType="PROMOTIONAL", NumberCapabilities=["SMS", "MMS"],
        NumberType="LONG_CODE",
    )  # fmt: skip
    ids = [n["PhoneNumberId"] for n in (toll_free, protected, gb)]

    def found(*filters: tuple[str, list[str]]) -> list[str]:
        chosen = [{"Name": name, "Values": values} for name, values in filters]
        return [n["PhoneNumberId"] for n in _numbers(service, Filters=chosen)]

    assert found(("status", ["PENDING"])) == ids[:1]
    assert found(("number-type", ["LONG_CODE"])) == ids[1:]
    assert found(("iso-country-code", ["GB", "CA"])) == ids[2:]
    assert found(("number-capability", ["VOICE", "MMS"])) == ids[1:]
    assert found(("message-type", ["PROMOTIONAL"]), ("number-capability", ["SMS"])) == ids[2:]
    assert found(("deletion-protection-enabled", ["true"])) == ids[1:2]
    assert found(("two-way-enabled", ["false"]), ("opt-out-list-name", ["Default"])) == ids
    assert found(("two-way-channel-arn", ["arn:aws:sns:us-east-1:123456789012:t"])) == []
    assert [n["PhoneNumberId"] for n in _numbers(service, PhoneNumberIds=ids[::-1][:2])] == [
        ids[1], ids[2],
    ]  # fmt: skip
    first = service.describe_phone_numbers(MaxResults=2)
    rest = service.describe_phone_numbers(MaxResults=2, NextToken=first["NextToken"])
    assert [n["PhoneNumberId"] for n in first["PhoneNumbers"] + rest["PhoneNumbers"]] == ids
    assert "NextToken" not in rest
    assert service.describe_phone_numbers(Owner="SHARED")["PhoneNumbers"] == []
    with pytest.raises(ResourceNotFoundException):
        service.describe_phone_numbers(PhoneNumberIds=["phone-" + "0" * 32])
    with pytest.raises(ValidationException) as info:
        service.describe_phone_numbers(Filters=[{"Name": "colour", "Values": ["red"]}])
    assert "Filters[0].Name" in str(info.value)


def test_tags_of_a_number(service: RegistrationService) -> None:
    made = service.request_phone_number(**LONG_CODE, Tags=[{"Key": "Name", "Value": "a"}])
    arn = made["PhoneNumberArn"]
    service.tag_resource(ResourceArn=arn, Tags=[{"Key": "team", "Value": "sms"}])
    service.untag_resource(ResourceArn=arn, TagKeys=["Name"])
    assert service.list_tags_for_resource(ResourceArn=arn)["Tags"] == [
        {"Key": "team", "Value": "sms"}
    ]
    limited = RegistrationService(service.backend, quotas={"TAGS_PER_RESOURCE": 2})
    with pytest.raises(ServiceQuotaExceededException):
        limited.tag_resource(
            ResourceArn=arn, Tags=[{"Key": "x", "Value": ""}, {"Key": "y", "Value": ""}]
        )
    with pytest.raises(ServiceQuotaExceededException):
        limited.request_phone_number(**LONG_CODE, Tags=[{"Key": k, "Value": ""} for k in "abc"])
    events = [
        e.event.event for e in service.backend.read_log(registration_id=made["PhoneNumberId"])
    ]
    assert events == ["request_phone_number", "tag_resource", "untag_resource"]
    assert verify(service.backend)[2] == []


def test_another_account_sees_none_of_them(service: RegistrationService) -> None:
    made = service.request_phone_number(**LONG_CODE)
    other = RegistrationService(service.backend, account_id="222222222222")
    assert _numbers(other) == []
    with pytest.raises(ResourceNotFoundException):
        other.release_phone_number(PhoneNumberId=made["PhoneNumberId"])
    with pytest.raises(AccessDeniedException):
        other.release_phone_number(PhoneNumberId=made["PhoneNumberArn"])
    # Another account may hold the same E.164 number: each account's are its own.
    assert other.request_phone_number(**LONG_CODE)["Status"] == "ACTIVE"


def test_no_two_fictional_ranges_share_a_number() -> None:
    seen: dict[str, tuple[str, str]] = {}
    for kind, ranges in numbers.FICTIONAL_RANGES.items():
        for fictional in ranges:
            for i in range(fictional.size):
                number = fictional.number(i)
                assert E164.fullmatch(number), number
                assert seen.setdefault(number, kind) == kind, f"{number}: {kind}, {seen[number]}"
