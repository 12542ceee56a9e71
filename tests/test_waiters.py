"""The waiters: botocore waiter models run on the service, the in-process boto3 client
and a boto3 client of ``lifecycle serve``; success, failure states and time-outs."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

pytest.importorskip("boto3", reason="the aws extra is not installed")
pytest.importorskip("waitress", reason="the server extra is not installed")

from botocore.exceptions import WaiterError

import lifecycle.aws
from lifecycle import RegistrationService, ValidationException
from lifecycle.testing.forms import fill_form
from lifecycle.waiters import WAITER_NAMES
from tests.served import Server, review

BRAND = "US_TEN_DLC_BRAND_REGISTRATION"
FAST = {"Delay": 0, "MaxAttempts": 3}
NUMBER = {"IsoCountryCode": "US", "MessageType": "TRANSACTIONAL", "NumberCapabilities": ["SMS"]}


def _submitted(service: RegistrationService) -> str:
    rid = str(service.create_registration(RegistrationType=BRAND)["RegistrationId"])
    fill_form(service, rid)
    service.submit_registration_version(RegistrationId=rid)
    service.reviewer.begin_review(rid)
    return rid


def _later(action: Callable[[], Any], seconds: float = 0.2) -> threading.Thread:
    """Run ``action`` in a thread after ``seconds`` (the reviewer, while one waits)."""
    thread = threading.Thread(target=lambda: (time.sleep(seconds), action()))
    thread.start()
    return thread


@pytest.fixture(params=["service", "client"])
def waiting(request: pytest.FixtureRequest) -> tuple[RegistrationService, Callable[[str], Any]]:
    """A service, and how to get a waiter: from it, or from a boto3 client of it."""
    service = RegistrationService()
    if request.param == "service":
        return service, service.get_waiter
    client = lifecycle.aws.client(service)
    return service, lambda name: lifecycle.aws.waiter(client, name)


def test_registration_complete_waits_for_the_reviewer(
    waiting: tuple[RegistrationService, Callable[[str], Any]],
) -> None:
    service, get_waiter = waiting
    rid = _submitted(service)
    reviewer = _later(lambda: (service.reviewer.approve(rid),
                               service.reviewer.complete_provisioning(rid)))  # fmt: skip
    get_waiter("registration_complete").wait(
        RegistrationIds=[rid], WaiterConfig={"Delay": 0.05, "MaxAttempts": 200}
    )
    reviewer.join()
    status = service.describe_registrations(RegistrationIds=[rid])["Registrations"][0]
    assert status["RegistrationStatus"] == "COMPLETE"
    get_waiter("registration_version_approved").wait(
        RegistrationId=rid, VersionNumbers=[1], WaiterConfig=FAST
    )


def test_a_failure_state_ends_the_wait(
    waiting: tuple[RegistrationService, Callable[[str], Any]],
) -> None:
    service, get_waiter = waiting
    rid = _submitted(service)
    service.reviewer.deny(rid, [{"Reason": "R", "ShortDescription": "no"}])
    started = time.monotonic()
    with pytest.raises(WaiterError) as failed:
        get_waiter("registration_complete").wait(
            RegistrationIds=[rid], WaiterConfig={"Delay": 5, "MaxAttempts": 10}
        )
    assert time.monotonic() - started < 2  # at once, not after the attempts
    assert "terminal failure state" in str(failed.value)
    get_waiter("registration_requires_updates").wait(RegistrationIds=[rid], WaiterConfig=FAST)
    with pytest.raises(WaiterError):
        get_waiter("registration_version_approved").wait(
            RegistrationId=rid, VersionNumbers=[1], WaiterConfig=FAST
        )
    with pytest.raises(WaiterError) as timed_out:  # nothing moves: max attempts
        get_waiter("registration_requires_updates").wait(
            RegistrationIds=[_submitted(service)], WaiterConfig=FAST
        )
    assert "Max attempts exceeded" in str(timed_out.value)


def test_phone_number_active(waiting: tuple[RegistrationService, Callable[[str], Any]]) -> None:
    service, get_waiter = waiting
    toll_free = str(
        service.create_registration(RegistrationType="US_TOLL_FREE_REGISTRATION")["RegistrationId"]
    )
    fill_form(service, toll_free)
    number = service.request_phone_number(**NUMBER, NumberType="TOLL_FREE",
                                          RegistrationId=toll_free)["PhoneNumberId"]  # fmt: skip
    with pytest.raises(WaiterError):  # PENDING until its registration completes
        get_waiter("phone_number_active").wait(PhoneNumberIds=[number], WaiterConfig=FAST)
    service.submit_registration_version(RegistrationId=toll_free)
    for event in ("begin_review", "approve", "complete_provisioning"):
        getattr(service.reviewer, event)(toll_free)
    get_waiter("phone_number_active").wait(PhoneNumberIds=[number], WaiterConfig=FAST)
    service.release_phone_number(PhoneNumberId=number)
    with pytest.raises(WaiterError) as failed:
        get_waiter("phone_number_active").wait(PhoneNumberIds=[number], WaiterConfig=FAST)
    assert "terminal failure state" in str(failed.value)


def test_an_unknown_waiter_names_the_known_ones() -> None:
    with pytest.raises(ValidationException) as info:
        RegistrationService().get_waiter("registration_done")
    assert all(name in str(info.value) for name in WAITER_NAMES)
    assert RegistrationService().get_waiter("RegistrationComplete").name == "RegistrationComplete"


def test_waiters_on_a_client_of_lifecycle_serve(server: Server) -> None:
    client = server.client()
    rid = client.create_registration(RegistrationType=BRAND)["RegistrationId"]
    service = RegistrationService()  # fills the form through the client, as its values
    for value in fill_form(service, service.create_registration(RegistrationType=BRAND)[
            "RegistrationId"]):  # fmt: skip
        client.put_registration_field_value(RegistrationId=rid, **value)
    client.submit_registration_version(RegistrationId=rid)

    reviewer = _later(lambda: [review(server, a, rid) for a in (
        "begin_review", "approve", "complete_provisioning")])  # fmt: skip
    lifecycle.aws.waiter(client, "registration_complete").wait(
        RegistrationIds=[rid], WaiterConfig={"Delay": 0.2, "MaxAttempts": 300}
    )
    reviewer.join()
    with pytest.raises(WaiterError):
        lifecycle.aws.waiter(client, "registration_requires_updates").wait(
            RegistrationIds=[rid], WaiterConfig=FAST
        )
