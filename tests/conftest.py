from __future__ import annotations

import pytest

from lifecycle import RegistrationService
from lifecycle.clock import ManualClock

BRAND = "US_TEN_DLC_BRAND_REGISTRATION"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def service(clock: ManualClock) -> RegistrationService:
    return RegistrationService(clock=clock)


def new_id(service: RegistrationService, **kwargs: object) -> str:
    """Create a brand registration and return its id."""
    return str(service.create_registration(RegistrationType=BRAND, **kwargs)["RegistrationId"])


def snapshot(service: RegistrationService) -> list[object]:
    """Everything the service shows: every registration with all its versions."""
    regs = service.get_paginator("describe_registrations").paginate().build_full_result()
    out: list[object] = []
    for reg in regs["Registrations"]:
        versions = service.get_paginator("describe_registration_versions").paginate(
            RegistrationId=reg["RegistrationId"]
        )
        out.append((reg, versions.build_full_result()))
    return out
