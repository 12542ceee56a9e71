"""The reference's invariants, checked on what the describe calls show.

:func:`check` asserts invariants 1, 2, 3, 4 and 7 for one registration. Invariants 5,
6, 8, 9, 10 and 11 need history or the reference:
:class:`~lifecycle.testing.LifecycleStateMachine` checks them across steps, with
:func:`field_values` for the last three.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from lifecycle.service import RegistrationService
from lifecycle.testing.reference import HISTORY_KEY, OPEN, Values


def describe(service: RegistrationService, rid: str) -> tuple[dict[str, Any], list[Any]]:
    """The registration and all its versions, as the describe calls show them."""
    reg = service.describe_registrations(RegistrationIds=[rid])["Registrations"][0]
    versions = (
        service.get_paginator("describe_registration_versions")
        .paginate(RegistrationId=rid)
        .build_full_result()["RegistrationVersions"]
    )
    return reg, versions


def check(service: RegistrationService, rid: str) -> tuple[dict[str, Any], list[Any]]:
    """Assert invariants 1, 2, 3, 4 and 7 for ``rid``; returns what was described."""
    reg, versions = describe(service, rid)
    statuses = [v["RegistrationVersionStatus"] for v in versions]
    # 1. at most one APPROVED
    assert statuses.count("APPROVED") <= 1
    # 2. at most one open version, and it is the current one
    open_numbers = [v["VersionNumber"] for v in versions if v["RegistrationVersionStatus"] in OPEN]
    assert open_numbers in ([], [reg["CurrentVersionNumber"]])
    # 3. version numbers are exactly 1..CurrentVersionNumber
    assert [v["VersionNumber"] for v in versions] == list(range(1, reg["CurrentVersionNumber"] + 1))
    for v in versions:
        history = v["RegistrationVersionStatusHistory"]
        key = HISTORY_KEY.get(v["RegistrationVersionStatus"])
        # 4. the current status's field is set; nothing earlier than Draft; and the
        #    entry into the current status is the latest time recorded.
        if key is not None:
            assert key in history
            assert history[key] == max(history.values())
        assert all(t >= history["DraftTimestamp"] for t in history.values())
        assert all(t.utcoffset() == timedelta(0) for t in history.values())
    # 7. derived numbers agree with the versions
    approved = [
        v["VersionNumber"] for v in versions if v["RegistrationVersionStatus"] == "APPROVED"
    ]
    denied = [v["VersionNumber"] for v in versions if v["RegistrationVersionStatus"] == "DENIED"]
    assert reg.get("ApprovedVersionNumber") == (approved[0] if approved else None)
    assert reg.get("LatestDeniedVersionNumber") == (max(denied) if denied else None)
    assert (
        reg["CreatedTimestamp"] == versions[0]["RegistrationVersionStatusHistory"]["DraftTimestamp"]
    )
    return reg, versions


def field_values(service: RegistrationService, rid: str, version_number: int) -> Values:
    """The values of version ``version_number`` of ``rid`` by field path, as the
    service's store holds them (without the reviewer's flags). Read from the store, not
    DescribeRegistrationFieldValues: the harness reads every version after every step."""
    held = service.backend.field_values(service.account_id, service.region, rid, version_number)
    return {path: value.to_dict() for path, value in held.items()}
