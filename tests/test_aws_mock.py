"""lifecycle.aws.mock: every pinpoint-sms-voice-v2 client of the process answered by
the library (clients made before it started too), beside moto in either order, and
the real endpoint again once it ends."""

from __future__ import annotations

from typing import Any

import pytest

boto3 = pytest.importorskip("boto3", reason="the aws extra is not installed")

import lifecycle.aws  # noqa: E402
from lifecycle import RegistrationService, ValidationException  # noqa: E402
from lifecycle.backends.sqlite import SqliteBackend  # noqa: E402

BRAND = "US_TEN_DLC_BRAND_REGISTRATION"
KEYS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def _client(region: str = "us-east-1", **keys: str) -> Any:
    return boto3.client("pinpoint-sms-voice-v2", region_name=region, **(keys or KEYS))


MODULE_CLIENT = _client()
"""Made at import time, before any mock: as a Lambda handler's module makes it."""


def test_a_client_made_before_the_mock_is_answered() -> None:
    with lifecycle.aws.mock() as mocked:
        made = MODULE_CLIENT.create_registration(RegistrationType=BRAND)
        assert made["RegistrationStatus"] == "CREATED"
        found = mocked.service.describe_registrations()["Registrations"]
        assert [r["RegistrationId"] for r in found] == [made["RegistrationId"]]
        assert made["RegistrationArn"].split(":")[3:5] == ["us-east-1", "123456789012"]
        mocked.reviewer  # the default account's reviewer  # noqa: B018


def test_accounts_by_access_key_and_regions_by_client() -> None:
    mocked = lifecycle.aws.mock(accounts={"AKIDALICE": "111122223333"})
    with mocked:
        alice = _client("eu-west-1", aws_access_key_id="AKIDALICE",
                        aws_secret_access_key="secret")  # fmt: skip
        rid = alice.create_registration(RegistrationType=BRAND)["RegistrationId"]
        assert _client().describe_registrations()["Registrations"] == []
    theirs = mocked.service_for("111122223333", "eu-west-1")
    assert [r["RegistrationId"] for r in theirs.describe_registrations()["Registrations"]] == [rid]


def test_the_real_endpoint_again_after_the_mock(monkeypatch: pytest.MonkeyPatch) -> None:
    from botocore.endpoint import Endpoint

    sent: list[str] = []

    def intercept(self: Any, request: Any) -> Any:  # nothing leaves the machine
        sent.append(request.url)
        raise ConnectionError("intercepted")

    monkeypatch.setattr(Endpoint, "_send", intercept)
    with lifecycle.aws.mock():
        client = _client()
        client.describe_registrations()
    assert sent == []
    with pytest.raises(Exception, match="intercepted"):
        client.describe_registrations()
    assert sent and sent[0].startswith("https://sms-voice.us-east-1.amazonaws.com")


def test_decorator_nesting_and_a_durable_backend(tmp_path: Any) -> None:
    backend = SqliteBackend(tmp_path / "mock.db")

    @lifecycle.aws.mock(backend=backend)
    def workflow() -> str:
        return str(_client().create_registration(RegistrationType=BRAND)["RegistrationId"])

    rid = workflow()
    again = RegistrationService(SqliteBackend(tmp_path / "mock.db"))  # "after a restart"
    assert again.describe_registrations(RegistrationIds=[rid])["Registrations"]
    service = RegistrationService()
    with lifecycle.aws.mock(service=service) as outer, lifecycle.aws.mock() as inner:
        _client().create_registration(RegistrationType=BRAND)  # the innermost answers
        assert len(inner.service.describe_registrations()["Registrations"]) == 1
    assert outer.service is service and service.describe_registrations()["Registrations"] == []
    with pytest.raises(ValidationException, match="backend"):
        lifecycle.aws.mock(service=service, backend=backend)
    with pytest.raises(ValidationException, match="policy"):
        lifecycle.aws.mock(policy={"approve": "immediately"})


def test_the_fixture(lifecycle_aws: Any) -> None:
    rid = _client().create_registration(RegistrationType=BRAND)["RegistrationId"]
    assert lifecycle_aws.service.describe_registrations(RegistrationIds=[rid])


@pytest.mark.parametrize("order", ["moto outside", "moto inside"])
def test_beside_moto(order: str) -> None:
    moto = pytest.importorskip("moto", reason="moto (in the ci extra) is not installed")
    if order == "moto outside":
        outer, inner = moto.mock_aws(), lifecycle.aws.mock()
    else:
        outer, inner = lifecycle.aws.mock(), moto.mock_aws()
    with outer, inner:
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        dynamodb.create_table(
            TableName="workflow", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )  # fmt: skip
        rid = _client().create_registration(RegistrationType=BRAND)["RegistrationId"]
        dynamodb.put_item(TableName="workflow", Item={"id": {"S": rid}})
        assert dynamodb.get_item(TableName="workflow", Key={"id": {"S": rid}})["Item"]
        assert _client().describe_registrations(RegistrationIds=[rid])["Registrations"]
