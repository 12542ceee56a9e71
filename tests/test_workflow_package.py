"""Issue 14's proof: a workflow package written as users write one
(tests/workflow10dlc: module-level boto3 clients, DynamoDB state, an event router fed
by EventBridge through SQS) runs unchanged under moto's mock_aws and
lifecycle.aws.mock with a scripted reviewer, through two virtual months, in seconds."""

from __future__ import annotations

import json
import os
import time
from datetime import timedelta
from typing import Any

import pytest

moto = pytest.importorskip("moto", reason="moto (in the ci extra) is not installed")
boto3 = pytest.importorskip("boto3", reason="the aws extra is not installed")

# As a Lambda's tests set them before its module makes its clients.
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
# As in a Lambda's own test process, moto is loaded before the handler's module makes
# its clients (its stubber joins the sessions made after it): other tests of this
# process made boto3's default session before, so start a new one.
boto3.DEFAULT_SESSION = None

import lifecycle.aws  # noqa: E402
from lifecycle import RegistrationService  # noqa: E402
from lifecycle.catalogue import Catalogue  # noqa: E402
from lifecycle.clock import ManualClock  # noqa: E402
from lifecycle.eventbridge import DETAIL_TYPE, SOURCE, Delivery, put_events  # noqa: E402
from lifecycle.outbox import Outbox  # noqa: E402
from lifecycle.testing.forms import example_values  # noqa: E402
from tests.workflow10dlc import handlers  # noqa: E402  - its clients exist before any mock

BRAND = "US_TEN_DLC_BRAND_REGISTRATION"
CAMPAIGN = "US_TEN_DLC_CAMPAIGN_REGISTRATION"
FLAG = {"DeniedReason": "Not the campaign's name.", "Feedback": "Use the name on file."}


def _approved(review: str, approval: str) -> list[dict[str, Any]]:
    return [{"event": "begin_review", "after": review}, {"event": "approve", "after": approval},
            {"event": "complete_provisioning", "after": "1h"}]  # fmt: skip


POLICY = {"rules": [
    {"registration_type": BRAND, "submissions": [_approved("1h", "2d")]},
    {"registration_type": "US_TEN_DLC_BRAND_VETTING", "submissions": [_approved("1h", "1d")]},
    {"registration_type": CAMPAIGN, "submissions": [
        [{"event": "begin_review", "after": "1d"},
         {"event": "deny", "after": "5d", "reasons": [{"Reason": "CAMPAIGN_NAME",
                                                       "ShortDescription": "Check the name."}],
          "fields": {"campaignInfo.campaignName": FLAG}}],
        _approved("1d", "10d")]},
]}  # fmt: skip


def test_the_ten_dlc_workflow_runs_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    started = time.monotonic()
    routed: list[dict[str, Any]] = []
    route = handlers.route
    monkeypatch.setattr(handlers, "route", lambda event: (routed.append(event), route(event)))
    clock = ManualClock()
    catalogue = Catalogue()
    with (
        moto.mock_aws(),
        lifecycle.aws.mock(service=RegistrationService(clock=clock), policy=POLICY) as mocked,
    ):
        handlers.dynamodb.create_table(
            TableName=handlers.TABLE, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )  # fmt: skip
        queue = handlers.sqs.create_queue(QueueName="status-changes")["QueueUrl"]
        queue_arn = handlers.sqs.get_queue_attributes(
            QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]  # fmt: skip
        events = boto3.client("events", region_name="us-east-1")
        events.put_rule(Name="registrations", EventPattern=json.dumps(
            {"source": [SOURCE], "detail-type": [DETAIL_TYPE]}))  # fmt: skip
        events.put_targets(Rule="registrations", Targets=[{"Id": "q", "Arn": queue_arn}])
        outbox = Outbox(mocked.service.backend, "eventbridge")
        forward = Delivery(mocked.service.backend, put_events(events))

        brand = handlers.start({
            "brand_form": example_values(catalogue, BRAND, required_only=True),
            "campaign_form": example_values(catalogue, CAMPAIGN, required_only=True),
        })["brand"]  # fmt: skip
        for _ in range(4 * 60):  # two virtual months, six hours at a time
            clock.advance(timedelta(hours=6))
            mocked.advance()
            outbox.drain(forward)
            handlers.poll(queue)

        items = handlers.dynamodb.scan(TableName=handlers.TABLE)["Items"]
        state = {i["kind"]["S"]: (i["id"]["S"], i["status"]["S"]) for i in items}
        assert state["brand"] == (brand, "COMPLETE")
        assert state["vetting"][1] == "COMPLETE"
        campaign = state["campaign"][0]
        assert state["campaign"][1] == "COMPLETE"
        number = handlers.sms.describe_phone_numbers(PhoneNumberIds=[state["number"][0]])
        assert number["PhoneNumbers"][0]["Status"] == "ACTIVE"
        assert number["PhoneNumbers"][0]["RegistrationId"] == campaign
        versions = handlers.sms.describe_registration_versions(RegistrationId=campaign)
        assert [v["RegistrationVersionStatus"] for v in versions["RegistrationVersions"]] == [
            "DENIED", "APPROVED"]  # fmt: skip
    # Every status change reached the router, in AWS's shape, in order.
    by_registration: dict[str, list[str]] = {}
    for event in routed:
        assert (event["source"], event["detail-type"]) == (SOURCE, DETAIL_TYPE)
        details = event["detail"]["registrationDetails"]
        assert event["resources"] == [event["detail"]["registrationArn"]]
        by_registration.setdefault(details["registrationId"], []).append(details["currentStatus"])
    assert by_registration[brand] == ["CREATED", "SUBMITTED", "REVIEWING", "PROVISIONING",
                                      "COMPLETE"]  # fmt: skip
    assert by_registration[campaign] == [
        "CREATED", "SUBMITTED", "REVIEWING", "REQUIRES_UPDATES", "SUBMITTED", "REVIEWING",
        "PROVISIONING", "COMPLETE",
    ]  # fmt: skip
    assert time.monotonic() - started < 60  # seconds of wall time for two months
