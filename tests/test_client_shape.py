"""The service is a boto3 client in everything but transport: exceptions, error
responses, ResponseMetadata, operation names; and its constructor's checks."""

from __future__ import annotations

import inspect
import json
import pickle
import re
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest

from lifecycle import (
    AccessDeniedException,
    ConflictException,
    InMemoryBackend,
    LifecycleError,
    RegistrationService,
    ResourceNotFoundException,
    ValidationException,
)
from lifecycle.aws.protocol import TARGET_PREFIX, handle
from lifecycle.errors import ERRORS_BY_CODE, EXCEPTIONS, InternalServerException
from lifecycle.operations import OPERATIONS
from lifecycle.testing.forms import fill_form
from tests.conftest import BRAND

MISSING_ID = "registration-" + "0" * 32
FOREIGN_ARN = "arn:aws:sms-voice:us-east-1:999999999999:registration/x"


@pytest.fixture
def service() -> RegistrationService:
    return RegistrationService()


def _created(service: RegistrationService) -> str:
    """A new brand registration, its form filled in."""
    rid = str(service.create_registration(RegistrationType=BRAND)["RegistrationId"])
    fill_form(service, rid)
    return rid


def _arn(rid: str) -> str:
    return f"arn:aws:sms-voice:us-east-1:123456789012:registration/{rid}"


# One refused call of each operation: (method, parameters given the id of a new DRAFT).
REFUSED: dict[str, tuple[str, Callable[[str], dict[str, Any]]]] = {
    "CreateRegistration": ("ValidationException", lambda rid: {"RegistrationType": "NOPE"}),
    "CreateRegistrationVersion": ("ConflictException", lambda rid: {"RegistrationId": rid}),
    "SubmitRegistrationVersion": (
        "ResourceNotFoundException", lambda rid: {"RegistrationId": MISSING_ID}),
    "DiscardRegistrationVersion": (
        "AccessDeniedException", lambda rid: {"RegistrationId": FOREIGN_ARN}),
    "DeleteRegistration": ("ValidationException", lambda rid: {"RegistrationId": rid, "X": 1}),
    "DescribeRegistrations": ("ValidationException", lambda rid: {"NextToken": "forged"}),
    "DescribeRegistrationVersions": (
        "ValidationException", lambda rid: {"RegistrationId": rid, "VersionNumbers": [7]}),
    "DescribeRegistrationTypeDefinitions": (
        "ValidationException", lambda rid: {"RegistrationTypes": ["NOPE"]}),
    "DescribeRegistrationSectionDefinitions": (
        "ValidationException", lambda rid: {"RegistrationType": "NOPE"}),
    "PutRegistrationFieldValue": (
        "ValidationException", lambda rid: {"RegistrationId": rid, "FieldPath": "x.y",
                                            "TextValue": "v"}),
    "DeleteRegistrationFieldValue": (
        "ResourceNotFoundException", lambda rid: {"RegistrationId": MISSING_ID,
                                                  "FieldPath": "companyInfo.taxId"}),
    "DescribeRegistrationFieldValues": (
        "ValidationException", lambda rid: {"RegistrationId": rid, "VersionNumber": 9}),
    "DescribeRegistrationFieldDefinitions": (
        "ValidationException",
        lambda rid: {"RegistrationType": "US_TOLL_FREE_REGISTRATION", "FieldPaths": ["x.y"]}),
    "TagResource": (
        "ServiceQuotaExceededException",
        lambda rid: {"ResourceArn": _arn(rid),
                     "Tags": [{"Key": f"k{i}", "Value": ""} for i in range(51)]}),
    "UntagResource": ("AccessDeniedException", lambda rid: {"ResourceArn": FOREIGN_ARN,
                                                            "TagKeys": ["Name"]}),
    "ListTagsForResource": (
        "ResourceNotFoundException", lambda rid: {"ResourceArn": _arn(MISSING_ID)}),
    "CreateRegistrationAttachment": (
        "ValidationException", lambda rid: {"AttachmentBody": b"not an image"}),
    "DescribeRegistrationAttachments": (
        "ResourceNotFoundException",
        lambda rid: {"RegistrationAttachmentIds": ["attachment-" + "0" * 32]}),
    "DeleteRegistrationAttachment": (
        "AccessDeniedException",
        lambda rid: {"RegistrationAttachmentId":
                     "arn:aws:sms-voice:us-east-1:999999999999:registration-attachment/x"}),
    "RequestPhoneNumber": (
        "ValidationException",
        lambda rid: {"IsoCountryCode": "FR", "MessageType": "TRANSACTIONAL",
                     "NumberCapabilities": ["SMS"], "NumberType": "LONG_CODE"}),
    "DescribePhoneNumbers": (
        "ResourceNotFoundException", lambda rid: {"PhoneNumberIds": ["phone-" + "0" * 32]}),
    "ReleasePhoneNumber": (
        "ResourceNotFoundException", lambda rid: {"PhoneNumberId": "phone-" + "0" * 32}),
    "CreateRegistrationAssociation": (  # a brand takes no association
        "ValidationException", lambda rid: {"RegistrationId": rid, "ResourceId": rid}),
    "ListRegistrationAssociations": (
        "ResourceNotFoundException", lambda rid: {"RegistrationId": MISSING_ID}),
}  # fmt: skip


# -- exceptions --------------------------------------------------------------------------


def test_exceptions_by_code_like_client_exceptions(service: RegistrationService) -> None:
    for code, cls in ERRORS_BY_CODE.items():
        assert getattr(service.exceptions, code) is cls
        assert service.exceptions.from_code(code) is cls
    assert service.exceptions.from_code("NoSuchCode") is service.exceptions.ClientError
    assert service.exceptions.ClientError is LifecycleError
    assert RegistrationService.exceptions is EXCEPTIONS
    rid = _created(service)
    service.discard_registration_version(RegistrationId=rid)
    with pytest.raises(service.exceptions.ConflictException):
        service.discard_registration_version(RegistrationId=rid)


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_every_operation_names_itself_on_its_errors(
    service: RegistrationService, operation: str
) -> None:
    code, params = REFUSED[operation]
    with pytest.raises(LifecycleError) as info:
        getattr(service, OPERATIONS[operation])(**params(_created(service)))
    error = info.value
    assert error.operation_name == operation
    assert error.code == code and type(error) is ERRORS_BY_CODE[code]
    response = error.response
    assert response["Error"] == {"Code": code, "Message": error.message}
    assert response["Message"] == error.message
    metadata = response["ResponseMetadata"]
    assert metadata["HTTPStatusCode"] == 400 and metadata["RetryAttempts"] == 0
    assert metadata["HTTPHeaders"]["x-amzn-requestid"] == metadata["RequestId"]
    assert metadata["HTTPHeaders"]["x-amzn-errortype"] == code
    assert error.response is response  # made once, like botocore's attribute
    assert str(error) == error.message


def test_errors_outside_operations_name_none(service: RegistrationService) -> None:
    with pytest.raises(ConflictException) as info:
        service.reviewer.approve(_created(service))
    assert info.value.operation_name is None
    assert info.value.response["Error"]["Code"] == "ConflictException"


def test_response_carries_only_the_modeled_members() -> None:
    everything = {"reason": "R", "resource_type": "registration", "resource_id": "r-1",
                  "fields": [{"Name": "n", "Message": "m"}]}  # fmt: skip
    shapes = {
        ValidationException: {"Reason", "Fields"},
        ConflictException: {"Reason", "ResourceType", "ResourceId"},
        ResourceNotFoundException: {"ResourceType", "ResourceId"},
        AccessDeniedException: {"Reason"},
        InternalServerException: {"RequestId"},
    }
    for cls, members in shapes.items():
        response = cls("boom", **everything).response  # type: ignore[arg-type]
        assert set(response) == {"Error", "ResponseMetadata", "Message", *members}
    fault = InternalServerException("boom").response
    assert fault["RequestId"] == fault["ResponseMetadata"]["RequestId"]
    assert fault["ResponseMetadata"]["HTTPStatusCode"] == 500


def test_errors_pickle_with_their_class_and_fields(service: RegistrationService) -> None:
    with pytest.raises(ValidationException) as info:
        service.create_registration(RegistrationType="NOPE")
    info.value.response  # noqa: B018 - made before pickling, kept after
    copy = pickle.loads(pickle.dumps(info.value))
    assert type(copy) is ValidationException
    assert (copy.message, copy.reason, copy.fields, copy.operation_name) == (
        info.value.message, info.value.reason, info.value.fields, "CreateRegistration")  # fmt: skip
    assert copy.response == info.value.response


def test_botocore_client_error_catches_them(service: RegistrationService) -> None:
    botocore_exceptions = pytest.importorskip(
        "botocore.exceptions", reason="the aws extra is not installed"
    )
    with pytest.raises(botocore_exceptions.ClientError) as info:
        service.submit_registration_version(RegistrationId=MISSING_ID)
    assert info.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert info.value.operation_name == "SubmitRegistrationVersion"


def test_the_core_imports_and_answers_without_botocore() -> None:
    code = """
import sys
sys.modules["botocore"] = sys.modules["boto3"] = None  # as if not installed
from lifecycle import LifecycleError, RegistrationService
assert LifecycleError.__bases__ == (Exception,), LifecycleError.__bases__
service = RegistrationService()
try:
    service.create_registration_version(RegistrationId="registration-x")
except service.exceptions.ResourceNotFoundException as exc:
    print(exc.operation_name, exc.response["Error"]["Code"])
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["CreateRegistrationVersion", "ResourceNotFoundException"]


# -- responses ---------------------------------------------------------------------------


def test_every_response_carries_response_metadata(service: RegistrationService) -> None:
    rid = _created(service)
    responses = [
        service.create_registration(RegistrationType=BRAND),
        service.submit_registration_version(RegistrationId=rid),
        service.discard_registration_version(RegistrationId=rid),
        service.create_registration_version(RegistrationId=rid),
        service.describe_registrations(),
        service.describe_registration_versions(RegistrationId=rid),
        service.delete_registration(RegistrationId=rid),
    ]
    ids = set()
    for response in responses:
        metadata = response["ResponseMetadata"]
        assert set(metadata) == {"RequestId", "HTTPStatusCode", "HTTPHeaders", "RetryAttempts"}
        assert metadata["HTTPStatusCode"] == 200 and metadata["RetryAttempts"] == 0
        assert metadata["HTTPHeaders"] == {
            "content-type": "application/x-amz-json-1.0",
            "x-amzn-requestid": metadata["RequestId"],
        }
        ids.add(metadata["RequestId"])
    assert len(ids) == len(responses)
    # Only the top level: the items are exactly what the model's shapes hold.
    assert all("ResponseMetadata" not in r for r in responses[4]["Registrations"])
    assert all("ResponseMetadata" not in v for v in responses[5]["RegistrationVersions"])


UUID4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def test_forked_children_draw_new_request_ids() -> None:
    code = """
import os
from lifecycle import RegistrationService
service = RegistrationService()
service.describe_registrations()
read, write = os.pipe()
if os.fork() == 0:
    os.write(write, service.describe_registrations()["ResponseMetadata"]["RequestId"].encode())
    os._exit(0)
os.wait()
parent = service.describe_registrations()["ResponseMetadata"]["RequestId"]
print(os.read(read, 100).decode(), parent)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    child, parent = done.stdout.split()
    assert child != parent and UUID4.fullmatch(child) and UUID4.fullmatch(parent)


def test_request_ids_reveal_no_count() -> None:
    """Each id is random: neither a shared prefix nor a counter tells how many requests
    the process answered before (for other accounts, too)."""
    service = RegistrationService()
    ids = [service.describe_registrations()["ResponseMetadata"]["RequestId"] for _ in range(500)]
    assert all(UUID4.fullmatch(i) for i in ids) and len(set(ids)) == len(ids)
    assert len({i[:8] for i in ids}) > 490  # random leading digits, not a process prefix
    assert ids != sorted(ids)  # nor a counter


def test_operations_keep_their_signatures_and_docs() -> None:
    for method in OPERATIONS.values():
        wrapped = getattr(RegistrationService, method)
        assert wrapped.__name__ == method and wrapped.__doc__
        parameters = inspect.signature(wrapped).parameters
        assert all(p.kind is not p.POSITIONAL_OR_KEYWORD for n, p in parameters.items()
                   if n != "self")  # fmt: skip
    with pytest.raises(TypeError):
        RegistrationService().create_registration(BRAND)  # type: ignore[misc]


def _call(service: RegistrationService, operation: str, params: dict[str, Any]) -> Any:
    return handle(service, TARGET_PREFIX + operation, json.dumps(params).encode())


def test_the_wire_sends_metadata_as_headers_and_messages_as_message(
    service: RegistrationService,
) -> None:
    status, headers, body = _call(service, "CreateRegistration", {"RegistrationType": BRAND})
    assert status == 200 and "ResponseMetadata" not in json.loads(body)
    assert headers["x-amzn-requestid"]
    status, headers, body = _call(service, "SubmitRegistrationVersion",
                                  {"RegistrationId": MISSING_ID})  # fmt: skip
    error = json.loads(body)
    assert status == 400 and headers["x-amzn-errortype"] == "ResourceNotFoundException"
    assert error["__type"].endswith("#ResourceNotFoundException")
    assert error["Message"] == f"Registration {MISSING_ID} not found."
    assert set(error) == {"__type", "Message", "ResourceType", "ResourceId"}


# -- against a genuine boto3 client ------------------------------------------------------


def _without_request_ids(response: dict[str, Any]) -> dict[str, Any]:
    metadata = dict(response["ResponseMetadata"])
    metadata.pop("MaxAttemptsReached", None)  # botocore's, when it gave up retrying a 5xx
    headers = dict(metadata.pop("HTTPHeaders"))
    request_id = metadata.pop("RequestId")
    assert headers.pop("x-amzn-requestid") == request_id
    assert response.get("RequestId", request_id) == request_id  # InternalServerException's
    rest = {k: v for k, v in response.items() if k not in ("ResponseMetadata", "RequestId")}
    return {**rest, "ResponseMetadata": {**metadata, "HTTPHeaders": headers}}


@pytest.mark.parametrize("cls", sorted(ERRORS_BY_CODE.values(), key=lambda c: c.code))
def test_error_responses_agree_with_boto3(cls: type[LifecycleError]) -> None:
    pytest.importorskip("boto3", reason="the aws extra is not installed")
    from botocore.config import Config
    from botocore.exceptions import ClientError

    import lifecycle.aws

    service = RegistrationService()

    def refuse(event: object) -> None:  # every field set: each shape keeps its own
        raise cls("refused", reason="R", resource_type="registration", resource_id="r-1",
                  fields=[{"Name": "RegistrationType", "Message": "m"}])  # fmt: skip

    service.subscribe(refuse, transactional=True)
    with pytest.raises(cls) as direct:
        service.create_registration(RegistrationType=BRAND)
    client = lifecycle.aws.client(service, config=Config(retries={"total_max_attempts": 1}))
    with pytest.raises(ClientError) as through_boto3:
        client.create_registration(RegistrationType=BRAND)
    assert type(through_boto3.value) is getattr(client.exceptions, cls.code)
    assert through_boto3.value.operation_name == direct.value.operation_name
    assert _without_request_ids(direct.value.response) == _without_request_ids(
        through_boto3.value.response
    )


def test_success_metadata_agrees_with_boto3(service: RegistrationService) -> None:
    pytest.importorskip("boto3", reason="the aws extra is not installed")
    import lifecycle.aws

    client = lifecycle.aws.client(service)
    rid = client.create_registration(RegistrationType=BRAND)["RegistrationId"]
    via_boto3 = client.describe_registrations(RegistrationIds=[rid])
    direct = service.describe_registrations(RegistrationIds=[rid])
    assert _without_request_ids(via_boto3) == _without_request_ids(direct)


def test_service_exceptions_match_the_client_exceptions(service: RegistrationService) -> None:
    pytest.importorskip("boto3", reason="the aws extra is not installed")
    import lifecycle.aws

    client = lifecycle.aws.client(service)
    names = {n for n in dir(client.exceptions) if not n.startswith("_")}
    assert names == {n for n in dir(service.exceptions) if not n.startswith("_")}


# -- the constructor -----------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["memory", ":memory:", object(), InMemoryBackend])
def test_a_backend_that_is_not_one_is_refused(backend: object) -> None:
    with pytest.raises(ValidationException) as info:
        RegistrationService(backend=backend)  # type: ignore[arg-type]
    assert info.value.fields[0]["Name"] == "backend"
    assert "lifecycle.ports.Backend" in info.value.message
    got = backend.__name__ if isinstance(backend, type) else type(backend).__name__
    assert got in info.value.message
