"""Registration attachments through the service: the machine, the byte checks, the
field values that name them, and the reviewer's upload events."""

from __future__ import annotations

from typing import Any

import pytest

from lifecycle import (
    ConflictException,
    RegistrationService,
    ResourceNotFoundException,
    ServiceQuotaExceededException,
    ValidationException,
)
from lifecycle.errors import AccessDeniedException
from lifecycle.media import KB
from tests.conftest import snapshot

PNG = b"\x89PNG\r\n\x1a\n" + bytes(100)
JPEG = b"\xff\xd8\xff\xe0" + bytes(100)
GIF = b"GIF89a" + bytes(100)
PDF = b"%PDF-1.7\n" + bytes(100)
TOLL_FREE = "US_TOLL_FREE_REGISTRATION"
OPT_IN = "messagingUseCase.optInImage"


def _attachments(service: RegistrationService) -> list[dict[str, Any]]:
    return list(service.describe_registration_attachments()["RegistrationAttachments"])


def _reason(info: pytest.ExceptionInfo[Any]) -> str | None:
    return getattr(info.value, "reason", None)


@pytest.mark.parametrize("body", [PNG, JPEG, GIF, PDF], ids=["png", "jpeg", "gif", "pdf"])
def test_a_body_upload_completes_at_once(service: RegistrationService, body: bytes) -> None:
    made = service.create_registration_attachment(
        AttachmentBody=body, Tags=[{"Key": "Name", "Value": "opt-in"}]
    )
    assert made["AttachmentStatus"] == "UPLOAD_COMPLETE"
    assert made["Tags"] == [{"Key": "Name", "Value": "opt-in"}]
    aid = made["RegistrationAttachmentId"]
    assert made["RegistrationAttachmentArn"].endswith(f":registration-attachment/{aid}")
    assert service.backend.attachment_body(service.account_id, service.region, aid) == body
    events = [e.event for e in service.backend.read_log(registration_id=aid)]
    assert [(e.event, e.registration_to, e.actor) for e in events] == [
        ("create_attachment", "UPLOAD_IN_PROGRESS", "user"),
        ("complete_upload", "UPLOAD_COMPLETE", "system"),
    ]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"hello, not a file", "MEDIA_TYPE_NOT_SUPPORTED"),
        (b"PK\x03\x04" + bytes(10), "ATTACHMENT_TYPE_NOT_SUPPORTED"),  # a ZIP
        (b"\x00\x00\x00\x18ftypmp42" + bytes(10), "ATTACHMENT_TYPE_NOT_SUPPORTED"),  # an MP4
        (b"\x89PNG\r\n\x1a\n" + bytes(500 * KB), "MAXIMUM_SIZE_EXCEEDED"),
        (b"%PDF-" + bytes(600 * KB), "MAXIMUM_SIZE_EXCEEDED"),
    ],
    ids=["text", "zip", "mp4", "png-over-500KB", "pdf-over-600KB"],
)
def test_bodies_are_judged_by_their_bytes(
    service: RegistrationService, body: bytes, reason: str
) -> None:
    with pytest.raises(ValidationException) as info:
        service.create_registration_attachment(AttachmentBody=body)
    assert _reason(info) == reason and "AttachmentBody" in str(info.value)
    assert _attachments(service) == [] and service.backend.read_log() == []


def test_the_largest_accepted_files(service: RegistrationService) -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(500 * KB - 8)
    pdf = b"%PDF-" + bytes(600 * KB - 5)
    for body in (png, pdf):
        assert service.create_registration_attachment(AttachmentBody=body)["AttachmentStatus"]


@pytest.mark.parametrize(
    ("params", "field", "reason"),
    [
        ({}, "AttachmentBody", "MISSING_PARAMETER"),
        ({"AttachmentBody": PNG, "AttachmentUrl": "s3://b/k.png"}, "AttachmentUrl",
         "PARAMETERS_CANNOT_BE_USED_TOGETHER"),
        ({"AttachmentUrl": "https://example.com/k.png"}, "AttachmentUrl", "INVALID_PARAMETER"),
        ({"AttachmentBody": b""}, "AttachmentBody", None),
        ({"AttachmentBody": "iVBORw0KGgo="}, "AttachmentBody", None),  # text, not bytes
        ({"AttachmentBody": PNG, "Tags": [{"Key": "k"}]}, "Tags[0].Value", "MISSING_PARAMETER"),
        ({"AttachmentBody": PNG, "ClientToken": "has space"}, "ClientToken", None),
    ],
)  # fmt: skip
def test_bad_requests_name_the_field_and_change_nothing(
    service: RegistrationService, params: dict[str, Any], field: str, reason: str | None
) -> None:
    with pytest.raises(ValidationException) as info:
        service.create_registration_attachment(**params)
    assert field in str(info.value)
    if reason is not None:
        assert _reason(info) == reason
    assert _attachments(service) == []


def test_a_url_upload_waits_for_the_system(service: RegistrationService) -> None:
    made = service.create_registration_attachment(AttachmentUrl="s3://my-bucket/opt-in.png")
    aid = made["RegistrationAttachmentId"]
    assert made["AttachmentStatus"] == "UPLOAD_IN_PROGRESS"
    with pytest.raises(ValidationException) as info:
        service.reviewer.complete_upload(aid, b"not an image")
    assert _reason(info) == "MEDIA_TYPE_NOT_SUPPORTED" and "body" in str(info.value)
    assert _attachments(service)[0]["AttachmentStatus"] == "UPLOAD_IN_PROGRESS"
    done = service.reviewer.complete_upload(RegistrationAttachmentId=aid, body=PNG)
    assert done["AttachmentStatus"] == "UPLOAD_COMPLETE"
    assert service.backend.attachment_body(service.account_id, service.region, aid) == PNG
    with pytest.raises(ConflictException) as info:
        service.reviewer.fail_upload(aid)
    assert "UPLOAD_COMPLETE" in str(info.value)
    failed = service.create_registration_attachment(AttachmentUrl="s3://my-bucket/other.png")
    answer = service.reviewer.fail_upload(failed["RegistrationAttachmentId"])
    assert answer["AttachmentStatus"] == "UPLOAD_FAILED"
    assert answer["AttachmentUploadErrorReason"] == "INTERNAL_ERROR"


def test_describe_pages_filters_and_names(service: RegistrationService) -> None:
    ids = [
        service.create_registration_attachment(AttachmentBody=PNG)["RegistrationAttachmentId"]
        for _ in range(3)
    ]
    pending = service.create_registration_attachment(AttachmentUrl="s3://bucket/key.gif")
    first = service.describe_registration_attachments(MaxResults=2)
    assert [a["RegistrationAttachmentId"] for a in first["RegistrationAttachments"]] == ids[:2]
    rest = service.describe_registration_attachments(NextToken=first["NextToken"])
    assert [a["RegistrationAttachmentId"] for a in rest["RegistrationAttachments"]] == [
        ids[2], pending["RegistrationAttachmentId"]
    ]  # fmt: skip
    in_progress = service.describe_registration_attachments(
        Filters=[{"Name": "attachment-status", "Values": ["UPLOAD_IN_PROGRESS"]}]
    )["RegistrationAttachments"]
    assert [a["RegistrationAttachmentId"] for a in in_progress] == [
        pending["RegistrationAttachmentId"]
    ]
    by_arn = service.describe_registration_attachments(
        RegistrationAttachmentIds=[pending["RegistrationAttachmentArn"]]
    )["RegistrationAttachments"]
    assert by_arn == in_progress
    with pytest.raises(ResourceNotFoundException):
        service.describe_registration_attachments(
            RegistrationAttachmentIds=["attachment-" + "0" * 32]
        )
    with pytest.raises(ValidationException):
        service.describe_registration_attachments(Filters=[{"Name": "status", "Values": ["x"]}])


def test_another_account_sees_none_of_them(service: RegistrationService) -> None:
    made = service.create_registration_attachment(AttachmentBody=PNG)
    other = RegistrationService(service.backend, account_id="222222222222")
    assert _attachments(other) == []
    with pytest.raises(ResourceNotFoundException):
        other.delete_registration_attachment(
            RegistrationAttachmentId=made["RegistrationAttachmentId"]
        )
    with pytest.raises(AccessDeniedException):
        other.delete_registration_attachment(
            RegistrationAttachmentId=made["RegistrationAttachmentArn"]
        )
    rid = other.create_registration(RegistrationType=TOLL_FREE)["RegistrationId"]
    with pytest.raises(ResourceNotFoundException):
        other.put_registration_field_value(
            RegistrationId=rid, FieldPath=OPT_IN,
            RegistrationAttachmentId=made["RegistrationAttachmentId"],
        )  # fmt: skip


def test_a_field_takes_only_a_complete_attachment(service: RegistrationService) -> None:
    rid = service.create_registration(RegistrationType=TOLL_FREE)["RegistrationId"]
    pending = service.create_registration_attachment(AttachmentUrl="s3://bucket/key.png")
    before = snapshot(service)
    with pytest.raises(ConflictException) as info:
        service.put_registration_field_value(
            RegistrationId=rid, FieldPath=OPT_IN,
            RegistrationAttachmentId=pending["RegistrationAttachmentId"],
        )  # fmt: skip
    assert _reason(info) == "RESOURCE_NOT_ACTIVE" and OPT_IN in str(info.value)
    with pytest.raises(ValidationException) as info:
        service.put_registration_field_value(
            RegistrationId=rid, FieldPath=OPT_IN, TextValue="a picture, honest"
        )
    assert snapshot(service) == before
    assert (
        service.describe_registration_field_values(RegistrationId=rid)["RegistrationFieldValues"]
        == []
    )
    service.reviewer.complete_upload(pending["RegistrationAttachmentId"], PNG)
    put = service.put_registration_field_value(
        RegistrationId=rid, FieldPath=OPT_IN,
        RegistrationAttachmentId=pending["RegistrationAttachmentArn"],
    )  # fmt: skip
    assert put["RegistrationAttachmentId"] == pending["RegistrationAttachmentId"]


def test_an_attachment_is_kept_while_a_current_version_names_it(
    service: RegistrationService,
) -> None:
    rid = service.create_registration(RegistrationType=TOLL_FREE)["RegistrationId"]
    aid = service.create_registration_attachment(AttachmentBody=PNG)["RegistrationAttachmentId"]
    service.put_registration_field_value(
        RegistrationId=rid, FieldPath=OPT_IN, RegistrationAttachmentId=aid
    )
    with pytest.raises(ConflictException) as info:
        service.delete_registration_attachment(RegistrationAttachmentId=aid)
    assert _reason(info) == "RESOURCE_DELETION_NOT_ALLOWED" and rid in str(info.value)
    assert _attachments(service)[0]["AttachmentStatus"] == "UPLOAD_COMPLETE"
    service.delete_registration_field_value(RegistrationId=rid, FieldPath=OPT_IN)
    deleted = service.delete_registration_attachment(RegistrationAttachmentId=aid)
    assert deleted["AttachmentStatus"] == "DELETED"
    # It stays visible, DELETED, and is gone for everything else.
    assert _attachments(service)[0]["AttachmentStatus"] == "DELETED"
    with pytest.raises(ResourceNotFoundException):
        service.delete_registration_attachment(RegistrationAttachmentId=aid)
    with pytest.raises(ResourceNotFoundException):
        service.put_registration_field_value(
            RegistrationId=rid, FieldPath=OPT_IN, RegistrationAttachmentId=aid
        )


def test_a_deleted_registration_frees_its_attachments(service: RegistrationService) -> None:
    rid = service.create_registration(RegistrationType=TOLL_FREE)["RegistrationId"]
    aid = service.create_registration_attachment(AttachmentBody=PNG)["RegistrationAttachmentId"]
    service.put_registration_field_value(
        RegistrationId=rid, FieldPath=OPT_IN, RegistrationAttachmentId=aid
    )
    service.delete_registration(RegistrationId=rid)
    assert (
        service.delete_registration_attachment(RegistrationAttachmentId=aid)["AttachmentStatus"]
        == "DELETED"
    )


def test_a_client_token_answers_the_first_call(service: RegistrationService) -> None:
    first = service.create_registration_attachment(AttachmentBody=PNG, ClientToken="tok")
    again = service.create_registration_attachment(AttachmentBody=PNG, ClientToken="tok")
    assert again["RegistrationAttachmentId"] == first["RegistrationAttachmentId"]
    with pytest.raises(ConflictException) as info:
        service.create_registration_attachment(AttachmentBody=GIF, ClientToken="tok")
    assert _reason(info) == "RESOURCE_ALREADY_EXISTS"
    assert len(_attachments(service)) == 1
    # A registration may use the same token: the two never meet.
    service.create_registration(RegistrationType=TOLL_FREE, ClientToken="tok")


def test_quotas_count_attachments(service: RegistrationService) -> None:
    limited = RegistrationService(
        service.backend, clock=service.clock,
        quotas={"REGISTRATION_ATTACHMENTS_PER_ACCOUNT": 2,
                "REGISTRATION_ATTACHMENTS_CREATED_PER_DAY": 3},
    )  # fmt: skip
    a = limited.create_registration_attachment(AttachmentBody=PNG)["RegistrationAttachmentId"]
    limited.create_registration_attachment(AttachmentBody=PNG)
    with pytest.raises(ServiceQuotaExceededException) as info:
        limited.create_registration_attachment(AttachmentBody=PNG)
    assert _reason(info) == "REGISTRATION_ATTACHMENTS_PER_ACCOUNT"
    limited.delete_registration_attachment(RegistrationAttachmentId=a)
    limited.create_registration_attachment(AttachmentBody=PNG)
    with pytest.raises(ServiceQuotaExceededException) as info:
        limited.create_registration_attachment(AttachmentBody=PNG)
    assert _reason(info) in ("REGISTRATION_ATTACHMENTS_PER_ACCOUNT",
                             "REGISTRATION_ATTACHMENTS_CREATED_PER_DAY")  # fmt: skip
    assert len(_attachments(limited)) == 3


def test_tags_per_resource_counts_the_tags_of_a_new_attachment(
    service: RegistrationService,
) -> None:
    limited = RegistrationService(service.backend, quotas={"TAGS_PER_RESOURCE": 2})
    three = [{"Key": k, "Value": ""} for k in "abc"]
    with pytest.raises(ServiceQuotaExceededException) as info:
        limited.create_registration_attachment(AttachmentBody=PNG, Tags=three)
    assert _reason(info) == "TAGS_PER_RESOURCE" and "3 tags" in info.value.message
    with pytest.raises(ServiceQuotaExceededException):  # AWS's 50 by default
        service.create_registration_attachment(
            AttachmentUrl="s3://bucket/key",
            Tags=[{"Key": f"k{i}", "Value": ""} for i in range(51)],
        )
    assert _attachments(service) == []  # nothing made, nothing logged
    assert list(service.backend.read_log()) == []
    limited.create_registration_attachment(AttachmentBody=PNG, Tags=three[:2])


def test_tags_of_an_attachment(service: RegistrationService) -> None:
    made = service.create_registration_attachment(
        AttachmentBody=PNG, Tags=[{"Key": "Name", "Value": "opt-in"}]
    )
    arn = made["RegistrationAttachmentArn"]
    service.tag_resource(ResourceArn=arn, Tags=[{"Key": "team", "Value": "growth"}])
    service.untag_resource(ResourceArn=arn, TagKeys=["Name"])
    assert service.list_tags_for_resource(ResourceArn=arn)["Tags"] == [
        {"Key": "team", "Value": "growth"}
    ]
    logged = [
        e.event for e in service.backend.read_log(registration_id=made["RegistrationAttachmentId"])
    ]
    assert [(e.event, e.registration_to, e.detail) for e in logged[2:]] == [
        ("tag_resource", "UPLOAD_COMPLETE", {"Tags": [{"Key": "team", "Value": "growth"}]}),
        ("untag_resource", "UPLOAD_COMPLETE", {"TagKeys": ["Name"]}),
    ]
    service.delete_registration_attachment(RegistrationAttachmentId=arn)
    with pytest.raises(ResourceNotFoundException):
        service.tag_resource(ResourceArn=arn, Tags=[{"Key": "k", "Value": "v"}])
    assert verify_ok(service)


def verify_ok(service: RegistrationService) -> bool:
    from lifecycle.audit import verify

    return verify(service.backend)[2] == []
