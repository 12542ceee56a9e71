"""The main job: the 10DLC chain and a toll-free registration, filled in field by
field and driven through their lifecycle, printed as a timeline.

The brand is denied on one field (its tax id, with the reviewer's feedback), fixed in
version 2 and approved; a vetting and a campaign are associated with it and approved
(the campaign's opt-in screenshot is uploaded as an attachment first, and its form
names it), and a 10DLC number is requested for the campaign (ACTIVE). The toll-free
registration is associated with its number, which waits in PENDING until the
registration completes; releasing the number then closes the registration.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from datetime import timedelta
from typing import Any, TextIO

from lifecycle.clock import ManualClock
from lifecycle.media import EXAMPLE_PNG
from lifecycle.ports import Backend
from lifecycle.service import RegistrationService

_BRAND = "US_TEN_DLC_BRAND_REGISTRATION"
_VETTING = "US_TEN_DLC_BRAND_VETTING"
_CAMPAIGN = "US_TEN_DLC_CAMPAIGN_REGISTRATION"
_TOLL_FREE = "US_TOLL_FREE_REGISTRATION"
_TAX_ID = "companyInfo.taxId"
_SCREENSHOT = "campaignInfo.optInScreenshot"
_UPLOADED = "the uploaded opt-in screenshot"
"""Stands for the attachment id in a form: it is known once the upload is made."""

_BRAND_FORM: list[tuple[str, str | list[str]]] = [
    ("companyInfo.companyName", "Example Corp"),
    ("companyInfo.taxIdIssuingCountry", "US"),
    (_TAX_ID, "12-3456789"),
    ("companyInfo.legalType", ["PRIVATE_PROFIT"]),
    ("companyInfo.address", "123 Any Street"),
    ("companyInfo.city", "Anytown"),
    ("companyInfo.state", "WA"),
    ("companyInfo.zipCode", "98101"),
    ("companyInfo.isoCountryCode", "US"),
    ("contactInfo.dbaName", "Example"),
    ("contactInfo.vertical", ["TECHNOLOGY"]),
    ("contactInfo.website", "https://www.example.com"),
    ("contactInfo.supportEmail", "support@example.com"),
    ("contactInfo.supportPhoneNumber", "+12065550100"),
]
_FIXED_TAX_ID = "98-7654321"

_CAMPAIGN_FORM: list[tuple[str, str | list[str]]] = [
    ("campaignInfo.campaignName",
     "Example Corp order updates: shipping and delivery notices for customers who opted in"),
    ("campaignInfo.vertical", ["TECHNOLOGY"]),
    ("campaignInfo.optInWorkflow",
     "Customers tick an unticked SMS box at checkout on www.example.com, then reply YES."),
    (_SCREENSHOT, _UPLOADED),
    ("campaignInfo.optInMessage",
     "Example Corp: reply YES to get order updates. Msg & data rates may apply."),
    ("campaignInfo.helpMessage",
     "Example Corp: help at support@example.com or +12065550100. Reply STOP to opt out."),
    ("campaignInfo.stopMessage", "Example Corp: you are unsubscribed and get no more messages."),
    ("campaignCapabilities.numberCapabilities", ["SMS"]),
    ("campaignUseCase.useCase", ["DELIVERY_NOTIFICATION"]),
    ("campaignUseCase.subscriberOptIn", ["Yes"]),
    ("campaignUseCase.subscriberOptOut", ["Yes"]),
    ("campaignUseCase.subscriberHelp", ["Yes"]),
    ("campaignUseCase.directLending", ["No"]),
    ("campaignUseCase.embeddedLink", ["No"]),
    ("campaignUseCase.embeddedPhone", ["No"]),
    ("campaignUseCase.ageGated", ["No"]),
    ("messageSamples.messageSample1",
     "Example Corp: order 1234 has shipped and arrives Tuesday. Reply STOP to opt out."),
]  # fmt: skip

_TOLL_FREE_FORM: list[tuple[str, str | list[str]]] = [
    ("companyInfo.companyName", "Example Corp"),
    ("companyInfo.website", "https://www.example.com"),
    ("companyInfo.address1", "123 Any Street"),
    ("companyInfo.city", "Anytown"),
    ("companyInfo.state", "WA"),
    ("companyInfo.zipCode", "98101"),
    ("companyInfo.isoCountryCode", "US"),
    ("contactInfo.firstName", "Jane"),
    ("contactInfo.lastName", "Doe"),
    ("contactInfo.supportEmail", "support@example.com"),
    ("contactInfo.supportPhoneNumber", "+12065550100"),
    ("messagingUseCase.monthlyMessageVolume", ["1,000"]),
    ("messagingUseCase.useCaseCategory", ["ONE_TIME_PASSCODES"]),
    ("messagingUseCase.useCaseDetails", "Sign-in codes for the Example Corp app."),
    ("messagingUseCase.optInDescription", "Users enter their number when they sign up."),
    ("messagingUseCase.optInImage", _UPLOADED),
    ("messageSamples.messageSample1", "Your Example Corp sign-in code is 123456."),
]

_NUMBER: dict[str, Any] = {
    "IsoCountryCode": "US", "MessageType": "TRANSACTIONAL", "NumberCapabilities": ["SMS"]
}  # fmt: skip

_DENIAL = [
    {
        "Reason": "BRAND_INFO_MISMATCH",
        "ShortDescription": "The legal name does not match the tax ID.",
    }
]
_FLAG = {
    _TAX_ID: {
        "DeniedReason": "The tax ID is not the one the IRS issued to Example Corp.",
        "Feedback": "Enter the EIN shown on the IRS letter (CP 575).",
    }
}

_DAY, _HOUR = timedelta(days=1), timedelta(hours=1)

# (call, time until the next call): user calls by operation name, reviewer calls by
# event; "form" fills the form in, field by field; "fix" corrects the denied field.
_BRAND_STEPS: list[tuple[str, timedelta]] = [
    ("form", _HOUR),
    ("SubmitRegistrationVersion", _DAY),
    ("reviewer: begin_review", _DAY),
    ("reviewer: require_authentication", 2 * _DAY),
    ("reviewer: complete_authentication", _DAY),
    ("reviewer: deny", _HOUR),
    ("CreateRegistrationVersion", _HOUR),
    ("fix", _HOUR),
    ("SubmitRegistrationVersion", _DAY),
    ("reviewer: begin_review", 3 * _DAY),
    ("reviewer: approve", _DAY),
    ("reviewer: complete_provisioning", _HOUR),
]
_VETTING_STEPS: list[tuple[str, timedelta]] = [
    ("associate: brand", _HOUR),
    ("SubmitRegistrationVersion", _DAY),
    ("reviewer: begin_review", _DAY),
    ("reviewer: approve", _DAY),
    ("reviewer: complete_provisioning", _HOUR),
]
_CAMPAIGN_STEPS: list[tuple[str, timedelta]] = [
    ("form", _HOUR),
    ("associate: brand", _HOUR),
    ("SubmitRegistrationVersion", _DAY),
    ("reviewer: begin_review", 7 * _DAY),
    ("reviewer: approve", _DAY),
    ("reviewer: complete_provisioning", _HOUR),
    ("number: TEN_DLC", _HOUR),
]
_TOLL_FREE_STEPS: list[tuple[str, timedelta]] = [
    ("number: TOLL_FREE", _HOUR),
    ("form", _HOUR),
    ("associate: number", _HOUR),
    ("SubmitRegistrationVersion", _DAY),
    ("reviewer: begin_review", 5 * _DAY),
    ("reviewer: approve", _DAY),
    ("reviewer: complete_provisioning", 30 * _DAY),
    ("release: number", _HOUR),
]


def run(
    out: TextIO, backend: Backend | None = None, *, db: str | None = None
) -> RegistrationService:
    """Drive the demo registrations on ``backend`` (default: in memory) and print the
    timeline to ``out``; the service uses a simulated clock (reviews take days).

    ``db`` is the ``--db`` value ``backend`` was opened from (``None``: the default
    database). Each registration's hint ``lifecycle events --registration ID`` repeats
    it. Nothing outlives an in-memory run (``backend`` ``None``, or ``db`` ``:memory:``),
    so that run prints no hint.
    """
    hint = None
    if backend is not None and db != ":memory:":
        hint = "lifecycle events" + ("" if db is None else f" --db {shlex.quote(db)}")
    clock = ManualClock()
    service = RegistrationService(backend, clock=clock)
    out.write("Simulated clock: reviews take days. Status after each call:\n")
    made: dict[str, str] = {}
    """The brand's id and the latest phone number's, as the steps name them."""
    for registration_type, form, steps in [
        (_BRAND, _BRAND_FORM, _BRAND_STEPS),
        (_VETTING, [], _VETTING_STEPS),
        (_CAMPAIGN, _CAMPAIGN_FORM, _CAMPAIGN_STEPS),
        (_TOLL_FREE, _TOLL_FREE_FORM, _TOLL_FREE_STEPS),
    ]:
        tags = [
            {"Key": "Name", "Value": f"Example Corp {registration_type.split('_')[-2].lower()}"}
        ]
        rid = service.create_registration(RegistrationType=registration_type, Tags=tags)[
            "RegistrationId"
        ]
        made.setdefault("brand", rid)
        out.write(f"\nRegistration {rid} ({registration_type})\n")
        if hint is not None:
            out.write(f"  ({hint} --registration {rid} prints its log)\n")
        _show(out, service, rid, "CreateRegistration")
        for call, wait in steps:
            if call == "form":
                _fill(out, service, rid, form)
            elif call == "fix":
                _fix(out, service, rid)
            elif call.startswith("number: "):
                _request(out, service, rid, call.removeprefix("number: "), made)
            elif call == "associate: number" or call == "associate: brand":
                resource = made[call.removeprefix("associate: ")]
                service.create_registration_association(RegistrationId=rid, ResourceId=resource)
                _show(out, service, rid, "CreateRegistrationAssociation")
            elif call == "release: number":
                service.release_phone_number(PhoneNumberId=made["number"])
                _number(out, service, made["number"], "ReleasePhoneNumber")
                _show(out, service, rid, "  (the last number released)")
            else:
                _call(service, rid, call)
                _show(out, service, rid, call)
                if call == "reviewer: complete_provisioning" and "number" in made:
                    _number(out, service, made["number"], "  (its number)")
            clock.advance(wait)
        _history(out, service, rid)
    return service


def _fill(
    out: TextIO, service: RegistrationService, rid: str, form: Sequence[tuple[str, Any]]
) -> None:
    """Put each value of ``form``, uploading the opt-in screenshot first if it has one."""
    attachment = ""
    if any(value == _UPLOADED for _, value in form):
        upload = service.create_registration_attachment(AttachmentBody=EXAMPLE_PNG)
        attachment = upload["RegistrationAttachmentId"]
        out.write(
            f"  CreateRegistrationAttachment       {attachment} "
            f"{upload['AttachmentStatus']} ({len(EXAMPLE_PNG)} bytes, PNG)\n"
        )
    for path, value in form:
        if value == _UPLOADED:
            service.put_registration_field_value(
                RegistrationId=rid, FieldPath=path, RegistrationAttachmentId=attachment
            )
        elif isinstance(value, list):
            service.put_registration_field_value(
                RegistrationId=rid, FieldPath=path, SelectChoices=value
            )
        else:
            service.put_registration_field_value(
                RegistrationId=rid, FieldPath=path, TextValue=value
            )
        shown = attachment if value == _UPLOADED else value
        shown = ", ".join(shown) if isinstance(shown, list) else shown
        out.write(f"  PutRegistrationFieldValue          {path} = {shown}\n")


def _request(
    out: TextIO, service: RegistrationService, rid: str, number_type: str, made: dict[str, str]
) -> None:
    """Request a number of ``number_type``: for the registration if it takes one once
    COMPLETE (10DLC), else on its own (toll-free: it is associated before submit)."""
    request = {**_NUMBER, "NumberType": number_type}
    if number_type == "TEN_DLC":
        request["RegistrationId"] = rid
    made["number"] = service.request_phone_number(**request)["PhoneNumberId"]
    _number(out, service, made["number"], "RequestPhoneNumber")


def _number(out: TextIO, service: RegistrationService, number_id: str, title: str) -> None:
    number = service.describe_phone_numbers(PhoneNumberIds=[number_id])["PhoneNumbers"][0]
    out.write(
        f"  {title:<34} phone number {number['PhoneNumber']} {number['NumberType']} "
        f"{number['Status']}\n"
    )


def _fix(out: TextIO, service: RegistrationService, rid: str) -> None:
    """Show the flagged field of the denied version and correct it in the new one."""
    denied = service.describe_registration_field_values(
        RegistrationId=rid, VersionNumber=1, FieldPaths=[_TAX_ID]
    )["RegistrationFieldValues"][0]
    out.write(
        f"  flagged on version 1: {_TAX_ID} = {denied['TextValue']}: "
        f"{denied['DeniedReason']} {denied['Feedback']}\n"
    )
    service.put_registration_field_value(RegistrationId=rid, FieldPath=_TAX_ID,
                                         TextValue=_FIXED_TAX_ID)  # fmt: skip
    out.write(f"  PutRegistrationFieldValue          {_TAX_ID} = {_FIXED_TAX_ID}\n")


def _call(service: RegistrationService, rid: str, call: str) -> None:
    if call.startswith("reviewer: "):
        event = call.removeprefix("reviewer: ")
        method = getattr(service.reviewer, event)
        method(rid, _DENIAL, fields=_FLAG) if event == "deny" else method(rid)
    else:
        snake = re.sub(r"(?<!^)(?=[A-Z])", "_", call).lower()
        getattr(service, snake)(RegistrationId=rid)


def _show(out: TextIO, service: RegistrationService, rid: str, title: str) -> None:
    reg = service.describe_registrations(RegistrationIds=[rid])["Registrations"][0]
    ver = service.describe_registration_versions(
        RegistrationId=rid, VersionNumbers=[reg["CurrentVersionNumber"]]
    )["RegistrationVersions"][0]
    out.write(
        f"  {title:<34} registration {reg['RegistrationStatus']:<24} "
        f"version {ver['VersionNumber']} {ver['RegistrationVersionStatus']}\n"
    )


def _history(out: TextIO, service: RegistrationService, rid: str) -> None:
    out.write("  status history:\n")
    versions = service.get_paginator("describe_registration_versions").paginate(RegistrationId=rid)
    for page in versions:
        for version in page["RegistrationVersions"]:
            history = version["RegistrationVersionStatusHistory"]
            out.write(
                f"    version {version['VersionNumber']} ({version['RegistrationVersionStatus']})\n"
            )
            for key, when in sorted(history.items(), key=lambda item: item[1]):
                out.write(f"      {key:<32} {when.isoformat()}\n")
