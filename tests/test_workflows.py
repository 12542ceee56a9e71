"""End to end: the 10DLC chain (a brand filled in field by field, denied on one field,
fixed in version 2 and approved; a vetting and a campaign associated with it; a number
requested for the campaign, ACTIVE) and the toll-free path (a number requested and
associated, PENDING until its registration completes, whose release closes the
registration), and phone numbers found and released. The same workflow code runs
unchanged on the in-process boto3 client, on a boto3 client of ``lifecycle serve`` and
on the AWS CLI against ``lifecycle serve``."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("boto3", reason="the aws extra is not installed")
pytest.importorskip("waitress", reason="the server extra is not installed")

import lifecycle.aws
from lifecycle import RegistrationService
from lifecycle.audit import verify
from lifecycle.backends.sqlite import SqliteBackend
from lifecycle.media import EXAMPLE_PNG
from tests.served import ENV, Server, review

Reviewer = Callable[..., None]
"""``reviewer(action, rid, fields=None)``: what AWS does, however it is reached."""

TAX_ID, OPT_IN_IMAGE = "companyInfo.taxId", "messagingUseCase.optInImage"
REASON = {"Reason": "BRAND_INFO_MISMATCH", "ShortDescription": "Check the tax id."}
FLAG = {"DeniedReason": "Not the IRS's EIN.", "Feedback": "Enter the EIN on the IRS letter."}


def _text(value: str) -> dict[str, Any]:
    return {"TextValue": value}


def _choice(value: str) -> dict[str, Any]:
    return {"SelectChoices": [value]}


# Every brand field of the reference: a public company, so the conditional ones too.
BRAND_FORM: list[tuple[str, dict[str, Any]]] = [
    ("companyInfo.companyName", _text("Example Corp")),
    ("companyInfo.taxIdIssuingCountry", _text("US")),
    (TAX_ID, _text("12-3456789")),
    ("companyInfo.legalType", _choice("PUBLIC_PROFIT")),
    ("companyInfo.stockSymbol", _text("EXMP")),
    ("companyInfo.stockExchange", _choice("NASDAQ")),
    ("companyInfo.businessContactEmail", _text("ceo@example.com")),
    ("companyInfo.address", _text("123 Any Street")),
    ("companyInfo.city", _text("Anytown")),
    ("companyInfo.state", _text("WA")),
    ("companyInfo.zipCode", _text("98101")),
    ("companyInfo.isoCountryCode", _text("US")),
    ("contactInfo.dbaName", _text("Example")),
    ("contactInfo.vertical", _choice("TECHNOLOGY")),
    ("contactInfo.website", _text("https://www.example.com")),
    ("contactInfo.supportEmail", _text("support@example.com")),
    ("contactInfo.supportPhoneNumber", _text("+12065550100")),
]

TOLL_FREE_FORM: list[tuple[str, dict[str, Any]]] = [
    ("companyInfo.companyName", _text("Example Corp")),
    ("companyInfo.website", _text("https://www.example.com")),
    ("companyInfo.address1", _text("123 Any Street")),
    ("companyInfo.city", _text("Anytown")),
    ("companyInfo.state", _text("WA")),
    ("companyInfo.zipCode", _text("98101")),
    ("companyInfo.isoCountryCode", _text("US")),
    ("contactInfo.firstName", _text("Jane")),
    ("contactInfo.lastName", _text("Doe")),
    ("contactInfo.supportEmail", _text("support@example.com")),
    ("contactInfo.supportPhoneNumber", _text("+12065550100")),
    ("messagingUseCase.monthlyMessageVolume", _choice("1,000")),
    ("messagingUseCase.useCaseCategory", _choice("ONE_TIME_PASSCODES")),
    ("messagingUseCase.useCaseDetails", _text("Sign-in codes for the Example app.")),
    ("messagingUseCase.optInDescription", _text("Users enter their number at sign-up.")),
    ("messageSamples.messageSample1", _text("Your Example code is 123456.")),
]


CAMPAIGN_FORM: list[tuple[str, dict[str, Any]]] = [
    ("campaignInfo.campaignName", _text("Example sign-in codes, sent when users sign in")),
    ("campaignInfo.vertical", _choice("TECHNOLOGY")),
    ("campaignInfo.optInWorkflow", _text("Users enter their number on the sign-up page.")),
    ("campaignInfo.optInMessage", _text("Example: you will get sign-in codes. Reply STOP.")),
    ("campaignInfo.helpMessage", _text("Example: help at support@example.com.")),
    ("campaignInfo.stopMessage", _text("Example: you will get no more messages.")),
    ("campaignCapabilities.numberCapabilities", _choice("SMS")),
    ("campaignUseCase.useCase", _choice("TWO_FACTOR_AUTHENTICATION")),
    ("campaignUseCase.subscriberOptIn", _choice("Yes")),
    ("campaignUseCase.subscriberOptOut", _choice("Yes")),
    ("campaignUseCase.subscriberHelp", _choice("Yes")),
    ("campaignUseCase.directLending", _choice("No")),
    ("campaignUseCase.embeddedLink", _choice("No")),
    ("campaignUseCase.embeddedPhone", _choice("No")),
    ("campaignUseCase.ageGated", _choice("No")),
    ("messageSamples.messageSample1", _text("Your Example code is 123456.")),
]


def register(
    client: Any, reviewer: Reviewer, registration_type: str, form: list[tuple[str, Any]],
    flagged: str, fixed: dict[str, Any], attachment: bytes | None = None,
    associate: str | None = None,
) -> str:  # fmt: skip
    """The workflow: create, upload (if the form takes a file), fill in, associate
    ``associate`` (a brand, a phone number), submit; on a denial read the flagged
    field, fix it in a new version and submit again; returns the registration's id
    once it is COMPLETE."""
    rid: str = client.create_registration(
        RegistrationType=registration_type, Tags=[{"Key": "Name", "Value": "Example Corp"}]
    )["RegistrationId"]
    if associate is not None:
        client.create_registration_association(RegistrationId=rid, ResourceId=associate)
    values = list(form)
    if attachment is not None:
        upload = client.create_registration_attachment(AttachmentBody=attachment)
        assert upload["AttachmentStatus"] == "UPLOAD_COMPLETE"
        values.append(
            (OPT_IN_IMAGE, {"RegistrationAttachmentId": upload["RegistrationAttachmentId"]})
        )
    for path, value in values:
        client.put_registration_field_value(RegistrationId=rid, FieldPath=path, **value)
    client.submit_registration_version(RegistrationId=rid)
    reviewer("begin_review", rid)
    reviewer("deny", rid, fields={flagged: FLAG})
    assert _status(client, rid) == "REQUIRES_UPDATES"
    client.create_registration_version(RegistrationId=rid)
    old = client.describe_registration_field_values(
        RegistrationId=rid, VersionNumber=1, FieldPaths=[flagged]
    )["RegistrationFieldValues"]
    assert old[0]["DeniedReason"] == FLAG["DeniedReason"]
    assert old[0]["Feedback"] == FLAG["Feedback"]
    client.put_registration_field_value(RegistrationId=rid, FieldPath=flagged, **fixed)
    client.submit_registration_version(RegistrationId=rid)
    reviewer("begin_review", rid)
    reviewer("approve", rid)
    reviewer("complete_provisioning", rid)
    assert _status(client, rid) == "COMPLETE"
    versions = client.describe_registration_versions(RegistrationId=rid)["RegistrationVersions"]
    assert [v["RegistrationVersionStatus"] for v in versions] == ["DENIED", "APPROVED"]
    now = client.describe_registration_field_values(RegistrationId=rid)["RegistrationFieldValues"]
    assert len(now) == len(values)
    assert {**next(v for v in now if v["FieldPath"] == flagged)} == {"FieldPath": flagged, **fixed}
    return rid


def _status(client: Any, rid: str) -> str:
    return str(client.describe_registrations(RegistrationIds=[rid])["Registrations"][0][
        "RegistrationStatus"
    ])  # fmt: skip


def numbers(client: Any) -> None:
    """A toll-free number requested (PENDING: it waits for a registration), found by
    a filter, and a protected long code that refuses its release."""
    made = client.request_phone_number(
        IsoCountryCode="US", MessageType="TRANSACTIONAL", NumberCapabilities=["SMS"],
        NumberType="TOLL_FREE", ClientToken="toll-free-1",
        Tags=[{"Key": "Name", "Value": "Example support line"}],
    )  # fmt: skip
    assert made["Status"] == "PENDING" and made["PhoneNumber"].startswith("+18")
    kept = client.request_phone_number(
        IsoCountryCode="US", MessageType="TRANSACTIONAL", NumberCapabilities=["SMS", "VOICE"],
        NumberType="LONG_CODE", DeletionProtectionEnabled=True,
    )  # fmt: skip
    pending = client.describe_phone_numbers(Filters=[{"Name": "status", "Values": ["PENDING"]}])
    assert [n["PhoneNumberId"] for n in pending["PhoneNumbers"]] == [made["PhoneNumberId"]]
    released = client.release_phone_number(PhoneNumberId=made["PhoneNumberArn"])
    assert released["Status"] == "DELETED"
    shown = client.describe_phone_numbers(PhoneNumberIds=[kept["PhoneNumberId"]])
    assert shown["PhoneNumbers"][0]["DeletionProtectionEnabled"] is True


def ten_dlc(client: Any, reviewer: Reviewer) -> None:
    """The 10DLC chain: brand, vetting and campaign associated with it, and a number."""
    brand = register(client, reviewer, "US_TEN_DLC_BRAND_REGISTRATION", BRAND_FORM, TAX_ID,
                     _text("98-7654321"))  # fmt: skip
    vetting = client.create_registration(RegistrationType="US_TEN_DLC_BRAND_VETTING")
    client.create_registration_association(
        RegistrationId=vetting["RegistrationId"], ResourceId=brand
    )
    client.submit_registration_version(RegistrationId=vetting["RegistrationId"])
    campaign = register(client, reviewer, "US_TEN_DLC_CAMPAIGN_REGISTRATION", CAMPAIGN_FORM,
                        "messageSamples.messageSample1",
                        _text("Your Example sign-in code is 654321."), associate=brand)  # fmt: skip
    number = client.request_phone_number(
        IsoCountryCode="US", MessageType="TRANSACTIONAL", NumberCapabilities=["SMS"],
        NumberType="TEN_DLC", RegistrationId=campaign,
    )  # fmt: skip
    assert number["Status"] == "ACTIVE" and number["RegistrationId"] == campaign
    pages = client.get_paginator("list_registration_associations").paginate(
        RegistrationId=campaign, PaginationConfig={"PageSize": 1}
    )
    listed = pages.build_full_result()
    assert [(a["ResourceType"], a["ResourceId"]) for a in listed["RegistrationAssociations"]] == [
        ("US_TEN_DLC_BRAND_REGISTRATION", brand), ("TEN_DLC", number["PhoneNumberId"])
    ]  # fmt: skip
    assert listed["RegistrationId"] == campaign


def toll_free(client: Any, reviewer: Reviewer) -> None:
    """The toll-free path: a number waits for its registration, which its release closes."""
    number = client.request_phone_number(
        IsoCountryCode="US", MessageType="TRANSACTIONAL", NumberCapabilities=["SMS"],
        NumberType="TOLL_FREE",
    )  # fmt: skip
    assert number["Status"] == "PENDING"
    rid = register(client, reviewer, "US_TOLL_FREE_REGISTRATION", TOLL_FREE_FORM,
                   "messagingUseCase.useCaseDetails",
                   _text("One-time sign-in codes, nothing else."), attachment=EXAMPLE_PNG,
                   associate=number["PhoneNumberArn"])  # fmt: skip
    shown = client.describe_phone_numbers(PhoneNumberIds=[number["PhoneNumberId"]])
    assert shown["PhoneNumbers"][0]["Status"] == "ACTIVE"
    client.release_phone_number(PhoneNumberId=number["PhoneNumberId"])
    assert _status(client, rid) == "CLOSED"


def _both(client: Any, reviewer: Reviewer) -> None:
    ten_dlc(client, reviewer)
    toll_free(client, reviewer)
    numbers(client)


def test_through_the_in_process_boto3_client() -> None:
    service = RegistrationService()

    def reviewer(action: str, rid: str, fields: dict[str, Any] | None = None) -> None:
        if action == "deny":
            service.reviewer.deny(rid, [REASON], fields=fields)
        else:
            getattr(service.reviewer, action)(rid)

    _both(lifecycle.aws.client(service), reviewer)
    assert verify(service.backend)[2] == []


def _review_cli(server: Server) -> Reviewer:
    """The reviewer as ``lifecycle review`` against ``server``."""

    def reviewer(action: str, rid: str, fields: dict[str, Any] | None = None) -> None:
        options: list[str] = []
        if action == "deny":
            options += ["--reason", REASON["Reason"], "--short-description",
                        REASON["ShortDescription"]]  # fmt: skip
            for path, flag in (fields or {}).items():
                options += ["--flag", path, flag["DeniedReason"], flag["Feedback"]]
        review(server, action, rid, *options)

    return reviewer


def test_through_a_boto3_client_of_lifecycle_serve(server: Server) -> None:
    _both(server.client(), _review_cli(server))
    server.stop()
    assert verify(SqliteBackend(server.db))[2] == []


AWS = shutil.which("aws", path=os.path.dirname(sys.executable))


class AwsCli:
    """A client whose methods run ``aws pinpoint-sms-voice-v2 <operation>`` against
    ``endpoint``: parameters as ``--cli-input-json``, bytes as ``fileb://`` files."""

    def __init__(self, endpoint: str, scratch: Path) -> None:
        self.endpoint, self.scratch = endpoint, scratch

    def __getattr__(self, method: str) -> Callable[..., dict[str, Any]]:
        return lambda **params: self.run(method, params)

    def run(self, method: str, params: dict[str, Any], options: tuple[str, ...] = ()) -> Any:
        """``aws pinpoint-sms-voice-v2 <method> <options>`` with ``params``."""
        command = [AWS or "aws", "--endpoint-url", self.endpoint, "--output", "json",
                   "pinpoint-sms-voice-v2", method.replace("_", "-"), *options]  # fmt: skip
        for name, value in list(params.items()):
            if isinstance(value, bytes):
                path = self.scratch / f"{name}.bin"
                path.write_bytes(value)
                option = "--" + re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()
                command += [option, f"fileb://{path}"]
                del params[name]
        command += ["--cli-input-json", json.dumps(params)]
        done = subprocess.run(command, capture_output=True, text=True, env=ENV, timeout=120)
        assert done.returncode == 0, done.stderr
        return dict(json.loads(done.stdout)) if done.stdout.strip() else {}

    def get_paginator(self, method: str) -> Any:
        """The CLI pages on its own: ``PageSize`` is its ``--page-size``, and its answer
        is the full result."""
        cli = self

        class Pages:
            def paginate(self, PaginationConfig: Any = None, **params: Any) -> Any:
                size = (PaginationConfig or {}).get("PageSize")
                options = () if size is None else ("--page-size", str(size))
                self.result = cli.run(method, params, options)
                return self

            def build_full_result(self) -> Any:
                return self.result

        return Pages()


@pytest.mark.skipif(AWS is None, reason="the AWS CLI (awscli, in the ci extra) is not installed")
def test_through_the_aws_cli_against_lifecycle_serve(server: Server, tmp_path: Path) -> None:
    _both(AwsCli(server.url, tmp_path), _review_cli(server))
    server.stop()
    assert verify(SqliteBackend(server.db))[2] == []
