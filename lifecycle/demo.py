"""The main job: two registrations driven through their lifecycle, printed as a timeline."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any, TextIO

from lifecycle.clock import ManualClock
from lifecycle.service import RegistrationService

_BRAND = "US_TEN_DLC_BRAND_REGISTRATION"


def run(out: TextIO, service: RegistrationService | None = None) -> RegistrationService:
    """Drive the demo registrations on ``service`` and print the timeline to ``out``.

    Without a service, one on the in-memory backend with a simulated clock (reviews
    take days) is used.
    """
    clock = ManualClock()
    if service is None:
        service = RegistrationService(clock=clock)
    reviewer = service.reviewer

    def show(title: str, rid: str, call: Callable[[], Any], wait: timedelta) -> None:
        call()
        reg = service.describe_registrations(RegistrationIds=[rid])["Registrations"][0]
        ver = service.describe_registration_versions(
            RegistrationId=rid, VersionNumbers=[reg["CurrentVersionNumber"]]
        )["RegistrationVersions"][0]
        out.write(
            f"  {title:<34} registration {reg['RegistrationStatus']:<24} "
            f"version {ver['VersionNumber']} {ver['RegistrationVersionStatus']}\n"
        )
        clock.advance(wait)

    day, hour = timedelta(days=1), timedelta(hours=1)
    first = service.create_registration(
        RegistrationType=_BRAND, Tags=[{"Key": "team", "Value": "demo"}]
    )["RegistrationId"]
    rid = first
    out.write("Simulated clock: reviews take days. Status after each call:\n\n")
    out.write(f"Registration {rid} ({_BRAND})\n")
    show("CreateRegistration", rid, lambda: None, hour)
    steps: list[tuple[str, Callable[[], Any], timedelta]] = [
        ("SubmitRegistrationVersion", lambda: service.submit_registration_version(RegistrationId=rid), day),
        ("reviewer: begin_review", lambda: reviewer.begin_review(rid), day),
        ("reviewer: require_authentication", lambda: reviewer.require_authentication(rid), 2 * day),
        ("reviewer: complete_authentication", lambda: reviewer.complete_authentication(rid), day),
        ("reviewer: deny", lambda: reviewer.deny(
            rid, [{"Reason": "BRAND_INFO_MISMATCH",
                   "ShortDescription": "The legal name does not match the tax ID."}]), hour),
        ("CreateRegistrationVersion", lambda: service.create_registration_version(RegistrationId=rid), hour),
        ("SubmitRegistrationVersion", lambda: service.submit_registration_version(RegistrationId=rid), day),
        ("reviewer: begin_review", lambda: reviewer.begin_review(rid), 3 * day),
        ("reviewer: approve", lambda: reviewer.approve(rid), day),
        ("reviewer: complete_provisioning", lambda: reviewer.complete_provisioning(rid), hour),
    ]  # fmt: skip
    for title, call, wait in steps:
        show(title, rid, call, wait)
    _history(out, service, rid)

    rid = service.create_registration(RegistrationType="US_TOLL_FREE_REGISTRATION")[
        "RegistrationId"
    ]
    out.write(f"\nRegistration {rid} (US_TOLL_FREE_REGISTRATION)\n")
    show("CreateRegistration", rid, lambda: None, hour)
    for title, call, wait in [
        ("SubmitRegistrationVersion", lambda: service.submit_registration_version(RegistrationId=rid), hour),
        ("DiscardRegistrationVersion", lambda: service.discard_registration_version(RegistrationId=rid), hour),
        ("DeleteRegistration", lambda: service.delete_registration(RegistrationId=rid), hour),
    ]:  # fmt: skip
        show(title, rid, call, wait)
    _history(out, service, rid)
    return service


def _history(out: TextIO, service: RegistrationService, rid: str) -> None:
    out.write("  status history:\n")
    versions = service.get_paginator("describe_registration_versions").paginate(
        RegistrationId=rid
    )
    for page in versions:
        for version in page["RegistrationVersions"]:
            history = version["RegistrationVersionStatusHistory"]
            out.write(
                f"    version {version['VersionNumber']} ({version['RegistrationVersionStatus']})\n"
            )
            for key, when in sorted(history.items(), key=lambda item: item[1]):
                out.write(f"      {key:<32} {when.isoformat()}\n")
