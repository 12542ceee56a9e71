"""The in-process boto3 client: genuine botocore parsing against the current model."""

from __future__ import annotations

from typing import Any

import pytest

boto3 = pytest.importorskip("boto3", reason="the aws extra is not installed")
from botocore.config import Config  # noqa: E402
from botocore.exceptions import ClientError, ParamValidationError  # noqa: E402

import lifecycle.aws  # noqa: E402
from lifecycle import RegistrationService  # noqa: E402
from lifecycle.operations import OPERATIONS  # noqa: E402
from lifecycle.pagination import PAGINATORS  # noqa: E402
from lifecycle.testing.forms import fill_form  # noqa: E402
from tests.shapes import conforms  # noqa: E402

BRAND = "US_TEN_DLC_BRAND_REGISTRATION"
ARN = "arn:aws:sms-voice:us-east-1:123456789012:registration"
"""The ARN of a registration, without its ``/ID``."""
PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)


@pytest.fixture
def service() -> RegistrationService:
    return RegistrationService()


@pytest.fixture
def client(service: RegistrationService) -> Any:
    return lifecycle.aws.client(service)


def _drive(client: Any, service: RegistrationService) -> dict[str, Any]:
    """Call every operation once; returns each operation's response."""
    out: dict[str, Any] = {}
    out["CreateRegistration"] = client.create_registration(
        RegistrationType=BRAND, Tags=[{"Key": "k", "Value": "v"}]
    )
    rid = out["CreateRegistration"]["RegistrationId"]
    fill_form(service, rid)
    out["SubmitRegistrationVersion"] = client.submit_registration_version(
        RegistrationId=rid, AwsReview=True
    )
    service.reviewer.begin_review(rid)
    service.reviewer.deny(rid, [{"Reason": "R", "ShortDescription": "s", "LongDescription": "l"}])
    out["CreateRegistrationVersion"] = client.create_registration_version(RegistrationId=rid)
    out["PutRegistrationFieldValue"] = client.put_registration_field_value(
        RegistrationId=rid, FieldPath="companyInfo.legalType", SelectChoices=["PRIVATE_PROFIT"]
    )
    out["DescribeRegistrationFieldValues"] = client.describe_registration_field_values(
        RegistrationId=rid
    )
    out["DeleteRegistrationFieldValue"] = client.delete_registration_field_value(
        RegistrationId=rid, FieldPath="companyInfo.legalType"
    )
    out["DiscardRegistrationVersion"] = client.discard_registration_version(RegistrationId=rid)
    arn = out["CreateRegistration"]["RegistrationArn"]
    out["TagResource"] = client.tag_resource(
        ResourceArn=arn, Tags=[{"Key": "Name", "Value": "Example brand"}]
    )
    out["UntagResource"] = client.untag_resource(ResourceArn=arn, TagKeys=["k"])
    out["ListTagsForResource"] = client.list_tags_for_resource(ResourceArn=arn)
    out["DescribeRegistrations"] = client.describe_registrations(RegistrationIds=[rid])
    out["DescribeRegistrationVersions"] = client.describe_registration_versions(RegistrationId=rid)
    out["DeleteRegistration"] = client.delete_registration(RegistrationId=rid)
    out["DescribeRegistrationTypeDefinitions"] = client.describe_registration_type_definitions()
    out["DescribeRegistrationSectionDefinitions"] = (
        client.describe_registration_section_definitions(RegistrationType=BRAND)
    )
    out["DescribeRegistrationFieldDefinitions"] = client.describe_registration_field_definitions(
        RegistrationType="US_TEN_DLC_CAMPAIGN_REGISTRATION"
    )
    out["CreateRegistrationAttachment"] = client.create_registration_attachment(
        AttachmentBody=PNG, Tags=[{"Key": "Name", "Value": "opt-in"}]
    )
    attachment = out["CreateRegistrationAttachment"]["RegistrationAttachmentId"]
    failed = client.create_registration_attachment(AttachmentUrl="s3://bucket/opt-in.png")
    service.reviewer.fail_upload(failed["RegistrationAttachmentId"])
    out["DescribeRegistrationAttachments"] = client.describe_registration_attachments()
    out["DeleteRegistrationAttachment"] = client.delete_registration_attachment(
        RegistrationAttachmentId=attachment
    )
    out["RequestPhoneNumber"] = client.request_phone_number(
        IsoCountryCode="US", MessageType="TRANSACTIONAL", NumberCapabilities=["SMS", "VOICE"],
        NumberType="TOLL_FREE", Tags=[{"Key": "Name", "Value": "support line"}],
    )  # fmt: skip
    client.request_phone_number(
        IsoCountryCode="GB", MessageType="PROMOTIONAL", NumberCapabilities=["SMS"],
        NumberType="LONG_CODE", DeletionProtectionEnabled=True,
    )  # fmt: skip
    out["DescribePhoneNumbers"] = client.describe_phone_numbers()
    toll_free = client.create_registration(RegistrationType="US_TOLL_FREE_REGISTRATION")
    out["CreateRegistrationAssociation"] = client.create_registration_association(
        RegistrationId=toll_free["RegistrationId"],
        ResourceId=out["RequestPhoneNumber"]["PhoneNumberId"],
    )
    out["ListRegistrationAssociations"] = client.list_registration_associations(
        RegistrationId=toll_free["RegistrationArn"]
    )
    out["ReleasePhoneNumber"] = client.release_phone_number(
        PhoneNumberId=out["RequestPhoneNumber"]["PhoneNumberArn"]
    )
    return out


def test_every_operation_conforms_to_the_model(client: Any, service: RegistrationService) -> None:
    responses = _drive(client, service)
    assert set(responses) == set(OPERATIONS)
    model = client.meta.service_model
    for operation, response in responses.items():
        conforms(model.operation_model(operation).output_shape, response, operation)
        assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    versions = responses["DescribeRegistrationVersions"]["RegistrationVersions"]
    assert versions[0]["DeniedReasons"][0]["LongDescription"] == "l"
    assert responses["SubmitRegistrationVersion"]["AwsReview"] is True
    assert responses["DeleteRegistration"]["RegistrationStatus"] == "DELETED"
    assert responses["ListTagsForResource"]["Tags"] == [{"Key": "Name", "Value": "Example brand"}]
    attachments = responses["DescribeRegistrationAttachments"]["RegistrationAttachments"]
    assert [a["AttachmentStatus"] for a in attachments] == ["UPLOAD_COMPLETE", "UPLOAD_FAILED"]
    assert attachments[1]["AttachmentUploadErrorReason"] == "INTERNAL_ERROR"
    assert responses["DeleteRegistrationAttachment"]["AttachmentStatus"] == "DELETED"
    assert client.waiter_names == []  # the model defines none; a new one would need answering


def test_responses_equal_the_service_answers(client: Any, service: RegistrationService) -> None:
    rid = client.create_registration(RegistrationType=BRAND)["RegistrationId"]
    via_boto = client.describe_registrations(RegistrationIds=[rid])["Registrations"]
    direct = service.describe_registrations(RegistrationIds=[rid])["Registrations"]
    assert via_boto == direct  # timestamps survive the round trip to the microsecond


@pytest.mark.parametrize(
    ("call", "code", "fields"),
    [
        (lambda c, rid: c.submit_registration_version(RegistrationId="registration-" + "0" * 32),
         "ResourceNotFoundException", {"ResourceType": "registration"}),
        (lambda c, rid: c.delete_registration(RegistrationId=rid) and c.submit_registration_version(
            RegistrationId=rid), "ResourceNotFoundException", {}),
        (lambda c, rid: c.discard_registration_version(RegistrationId=rid)
         and c.discard_registration_version(RegistrationId=rid),
         "ConflictException", {"Reason": "DISCARD_REGISTRATION_VERSION_NOT_ALLOWED"}),
        (lambda c, rid: c.submit_registration_version(
            RegistrationId="arn:aws:sms-voice:us-east-1:999999999999:registration/x"),
         "AccessDeniedException", {}),
        (lambda c, rid: c.describe_registrations(NextToken="forged"),
         "ValidationException", {"Reason": "INVALID_NEXT_TOKEN"}),
        (lambda c, rid: c.tag_resource(ResourceArn=f"{ARN}/{rid}", Tags=[
            {"Key": f"k{i}", "Value": ""} for i in range(51)]),
         "ServiceQuotaExceededException", {"Reason": "TAGS_PER_RESOURCE"}),
        (lambda c, rid: c.list_tags_for_resource(ResourceArn=f"{ARN}-attachment/{rid}"),
         "ResourceNotFoundException", {"ResourceType": "registration-attachment"}),
        (lambda c, rid: c.untag_resource(ResourceArn=f"{ARN}s/{rid}", TagKeys=["k"]),
         "ValidationException", {"Reason": "INVALID_ARN"}),
    ],
)  # fmt: skip
def test_errors_are_modeled_client_errors(
    client: Any, call: Any, code: str, fields: dict[str, str]
) -> None:
    rid = client.create_registration(RegistrationType=BRAND)["RegistrationId"]
    with pytest.raises(getattr(client.exceptions, code)) as info:
        call(client, rid)
    error = info.value.response
    assert error["Error"]["Code"] == code and error["Error"]["Message"]
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    for name, value in fields.items():
        assert error[name] == value


def test_validation_fields_reach_the_client(service: RegistrationService) -> None:
    raw = lifecycle.aws.client(service, config=Config(parameter_validation=False))
    with pytest.raises(raw.exceptions.ValidationException) as info:
        raw.create_registration(RegistrationType=BRAND, Tags=[{"Key": "", "Value": "v"}])
    error = info.value.response
    assert error["Reason"] == "FIELD_VALIDATION_FAILED"
    assert error["Fields"][0]["Name"] == "Tags[0].Key"


@pytest.mark.parametrize(
    ("operation", "params", "botocore_rejects"),
    [
        ("create_registration", {}, True),
        ("create_registration", {"RegistrationType": ""}, True),
        ("create_registration", {"RegistrationType": BRAND, "Tags": [{"Key": "k"}]}, True),
        ("submit_registration_version", {"RegistrationId": 5}, True),
        ("describe_registrations", {"MaxResults": "ten"}, True),
        ("describe_registration_versions", {"RegistrationId": "r", "VersionNumbers": [0]}, True),
        # botocore checks minimums only: these reach the library either way
        ("describe_registrations", {"RegistrationIds": ["a"] * 6}, False),
        ("describe_registrations", {"MaxResults": 1000}, False),
        ("create_registration", {"RegistrationType": "A" * 65}, False),
        ("tag_resource", {"ResourceArn": f"{ARN}/r", "Tags": []}, True),
        ("untag_resource", {"ResourceArn": "arn:aws:sms", "TagKeys": ["k"]}, True),
        ("list_tags_for_resource", {}, True),
        ("untag_resource", {"ResourceArn": f"{ARN}/r", "TagKeys": ["k"] * 201}, False),
        (
            "tag_resource",
            {"ResourceArn": f"{ARN}/r", "Tags": [{"Key": "k" * 129, "Value": ""}]},
            False,
        ),
    ],
)
def test_bad_input_both_ways(
    service: RegistrationService, operation: str, params: Any, botocore_rejects: bool
) -> None:
    checked = lifecycle.aws.client(service)
    expected = ParamValidationError if botocore_rejects else checked.exceptions.ValidationException
    with pytest.raises(expected):
        getattr(checked, operation)(**params)
    unchecked = lifecycle.aws.client(service, config=Config(parameter_validation=False))
    with pytest.raises(unchecked.exceptions.ValidationException):
        getattr(unchecked, operation)(**params)
    assert service.describe_registrations()["Registrations"] == []


def test_every_other_operation_names_itself_as_not_provided(client: Any) -> None:
    raw = lifecycle.aws.client(config=Config(parameter_validation=False))
    others = [op for op in raw.meta.service_model.operation_names if op not in OPERATIONS]
    assert len(others) > 85
    for operation in others:
        with pytest.raises(ClientError) as info:
            raw._make_api_call(operation, {})
        error = info.value.response["Error"]
        assert error["Code"] == "UnknownOperationException"
        assert operation in error["Message"] and "not provided by lifecycle" in error["Message"]


@pytest.mark.parametrize(("page_size", "max_items"), [(2, 3), (3, 3), (1, 5), (4, 2)])
def test_botocore_paginators_resume_from_their_own_tokens(
    client: Any, page_size: int, max_items: int
) -> None:
    ids = [client.create_registration(RegistrationType=BRAND)["RegistrationId"] for _ in range(7)]
    paginator = client.get_paginator("describe_registrations")
    resumed = _resume(paginator, page_size, max_items, "Registrations")
    assert [r["RegistrationId"] for r in resumed] == ids


def _resume(paginator: Any, page_size: int, max_items: int, key: str, **params: Any) -> list[Any]:
    """Every item, read ``max_items`` at a time, each run starting from the last token."""
    items: list[Any] = []
    token = None
    while True:
        config: dict[str, Any] = {"PageSize": page_size, "MaxItems": max_items}
        if token:
            config["StartingToken"] = token
        result = paginator.paginate(**params, PaginationConfig=config).build_full_result()
        assert len(result[key]) <= max_items
        items += result[key]
        token = result.get("NextToken")
        if not token:
            return items


@pytest.mark.parametrize(("page_size", "max_items"), [(2, 3), (1, 2), (3, 2)])
def test_the_versions_paginator_resumes_too(
    client: Any, service: RegistrationService, page_size: int, max_items: int
) -> None:
    rid = client.create_registration(RegistrationType=BRAND)["RegistrationId"]
    fill_form(service, rid)  # each new version copies the values
    for _ in range(4):  # four denied versions and a fifth draft
        client.submit_registration_version(RegistrationId=rid)
        service.reviewer.begin_review(rid)
        service.reviewer.deny(rid, [{"Reason": "R", "ShortDescription": "s"}])
        client.create_registration_version(RegistrationId=rid)
    everything = client.describe_registration_versions(RegistrationId=rid)
    assert len(everything["RegistrationVersions"]) == 5
    paginator = client.get_paginator("describe_registration_versions")
    resumed = _resume(paginator, page_size, max_items, "RegistrationVersions", RegistrationId=rid)
    assert resumed == everything["RegistrationVersions"]


def test_the_service_pages_what_botocore_pages(client: Any, service: RegistrationService) -> None:
    model = client.meta.service_model  # and its paginators-1.json, as botocore loads it
    loaded = client._loader.load_service_model(
        model.service_name, "paginators-1", model.api_version
    )["pagination"]
    ours = {client.meta.method_to_api_mapping[name]: spec[0] for name, spec in PAGINATORS.items()}
    assert ours == {
        api: config["result_key"] for api, config in loaded.items() if api in OPERATIONS
    }
    for method in client.meta.method_to_api_mapping:
        provided = hasattr(service, method)
        assert service.can_paginate(method) is (provided and client.can_paginate(method))


def test_search_agrees_with_botocore(client: Any, service: RegistrationService) -> None:
    for _ in range(5):
        client.create_registration(RegistrationType=BRAND)
    config = {"PaginationConfig": {"PageSize": 2}}
    # Tokens are sealed with a fresh nonce each time: compare whether there is one.
    expressions = ("Registrations[].RegistrationId", "NextToken != null", "length(Registrations)")
    for expression in expressions:
        theirs = client.get_paginator("describe_registrations").paginate(**config)
        ours = service.get_paginator("describe_registrations").paginate(**config)
        assert list(ours.search(expression)) == list(theirs.search(expression)), expression
