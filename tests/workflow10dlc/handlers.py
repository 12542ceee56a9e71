"""The workflow's handlers. Plain boto3: the clients are made at import time, as in a
Lambda function."""

from __future__ import annotations

import json
from typing import Any

import boto3

REGION = "us-east-1"
TABLE = "registrations"

sms = boto3.client("pinpoint-sms-voice-v2", region_name=REGION)
dynamodb = boto3.client("dynamodb", region_name=REGION)
sqs = boto3.client("sqs", region_name=REGION)


def _save(registration_id: str, kind: str, status: str, **more: str) -> None:
    item = {"id": {"S": registration_id}, "kind": {"S": kind}, "status": {"S": status}}
    item.update({key: {"S": value} for key, value in more.items()})
    dynamodb.put_item(TableName=TABLE, Item=item)


def _item(registration_id: str) -> dict[str, str]:
    found = dynamodb.get_item(TableName=TABLE, Key={"id": {"S": registration_id}})
    return {key: value["S"] for key, value in found.get("Item", {}).items()}


def _register(kind: str, registration_type: str, form: list[dict[str, Any]],
              brand: str | None = None) -> str:  # fmt: skip
    rid: str = sms.create_registration(RegistrationType=registration_type)["RegistrationId"]
    for value in form:
        sms.put_registration_field_value(RegistrationId=rid, **value)
    if brand is not None:
        sms.create_registration_association(RegistrationId=rid, ResourceId=brand)
    sms.submit_registration_version(RegistrationId=rid)
    _save(rid, kind, "SUBMITTED", **({"brand": brand} if brand else {}))
    return rid


def start(event: dict[str, Any], context: Any = None) -> dict[str, str]:
    """The entry point: register the brand of ``event["brand_form"]``; the campaign's
    form waits in DynamoDB for the brand's approval."""
    rid = _register("brand", "US_TEN_DLC_BRAND_REGISTRATION", event["brand_form"])
    dynamodb.put_item(TableName=TABLE, Item={
        "id": {"S": f"{rid}#campaign-form"}, "kind": {"S": "form"},
        "status": {"S": "WAITING"}, "form": {"S": json.dumps(event["campaign_form"])},
    })  # fmt: skip
    return {"brand": rid}


def route(event: dict[str, Any], context: Any = None) -> None:
    """The EventBridge rule's target: one "Registration Status Change" event."""
    if event.get("source") != "aws.sms-voice" or event.get(
            "detail-type") != "Registration Status Change":  # fmt: skip
        return
    details = event["detail"]["registrationDetails"]
    rid, status = details["registrationId"], details["currentStatus"]
    item = _item(rid)
    if not item:  # one this workflow did not make (a vetting's events, for one)
        return
    _save(rid, item["kind"], status, **{k: v for k, v in item.items()
                                         if k not in ("id", "kind", "status")})  # fmt: skip
    if item["kind"] == "brand" and status == "COMPLETE":
        form = json.loads(_item(f"{rid}#campaign-form")["form"])
        _register("vetting", "US_TEN_DLC_BRAND_VETTING", [], brand=rid)
        _register("campaign", "US_TEN_DLC_CAMPAIGN_REGISTRATION", form, brand=rid)
    elif item["kind"] == "campaign" and status == "REQUIRES_UPDATES":
        _fix_and_resubmit(rid, details["registrationVersionNumber"])
    elif item["kind"] == "campaign" and status == "COMPLETE":
        number = sms.request_phone_number(
            IsoCountryCode="US", MessageType="TRANSACTIONAL", NumberCapabilities=["SMS"],
            NumberType="TEN_DLC", RegistrationId=rid,
        )  # fmt: skip
        _save(number["PhoneNumberId"], "number", number["Status"], campaign=rid)


def _fix_and_resubmit(rid: str, denied_version: int) -> None:
    """Read the flagged fields of the denied version, fix them in a new one, resubmit."""
    values = sms.describe_registration_field_values(
        RegistrationId=rid, VersionNumber=denied_version
    )["RegistrationFieldValues"]
    sms.create_registration_version(RegistrationId=rid)
    for value in values:
        if "DeniedReason" in value:
            fixed = value["TextValue"] + " (as our records name it)"
            sms.put_registration_field_value(
                RegistrationId=rid, FieldPath=value["FieldPath"], TextValue=fixed
            )
    sms.submit_registration_version(RegistrationId=rid)


def poll(queue_url: str, context: Any = None) -> int:
    """The SQS consumer: route every queued event; returns how many."""
    routed = 0
    while True:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get(
            "Messages", [])  # fmt: skip
        if not messages:
            return routed
        for message in messages:
            route(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            routed += 1
