"""The main job: two registrations driven through their lifecycle, printed as a timeline."""

from __future__ import annotations

import re
import shlex
from datetime import timedelta
from typing import TextIO

from lifecycle.clock import ManualClock
from lifecycle.ports import Backend
from lifecycle.service import RegistrationService

_BRAND = "US_TEN_DLC_BRAND_REGISTRATION"


_DENIAL = [
    {
        "Reason": "BRAND_INFO_MISMATCH",
        "ShortDescription": "The legal name does not match the tax ID.",
    }
]

_DAY, _HOUR = timedelta(days=1), timedelta(hours=1)

# (call, time until the next call): user calls by operation name, reviewer calls by event.
_FIRST: list[tuple[str, timedelta]] = [
    ("SubmitRegistrationVersion", _DAY),
    ("reviewer: begin_review", _DAY),
    ("reviewer: require_authentication", 2 * _DAY),
    ("reviewer: complete_authentication", _DAY),
    ("reviewer: deny", _HOUR),
    ("CreateRegistrationVersion", _HOUR),
    ("SubmitRegistrationVersion", _DAY),
    ("reviewer: begin_review", 3 * _DAY),
    ("reviewer: approve", _DAY),
    ("reviewer: complete_provisioning", _HOUR),
]
_SECOND: list[tuple[str, timedelta]] = [
    ("SubmitRegistrationVersion", _HOUR),
    ("DiscardRegistrationVersion", _HOUR),
    ("DeleteRegistration", _HOUR),
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
    for registration_type, steps, tags in [
        (_BRAND, _FIRST, [{"Key": "team", "Value": "demo"}]),
        ("US_TOLL_FREE_REGISTRATION", _SECOND, []),
    ]:
        rid = service.create_registration(RegistrationType=registration_type, Tags=tags)[
            "RegistrationId"
        ]
        out.write(f"\nRegistration {rid} ({registration_type})\n")
        if hint is not None:
            out.write(f"  ({hint} --registration {rid} prints its log)\n")
        _show(out, service, rid, "CreateRegistration")
        for call, wait in steps:
            clock.advance(wait)
            _call(service, rid, call)
            _show(out, service, rid, call)
        clock.advance(_HOUR)
        _history(out, service, rid)
    return service


def _call(service: RegistrationService, rid: str, call: str) -> None:
    if call.startswith("reviewer: "):
        event = call.removeprefix("reviewer: ")
        method = getattr(service.reviewer, event)
        method(rid, _DENIAL) if event == "deny" else method(rid)
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
