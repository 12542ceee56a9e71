"""ServiceQuotaExceededException where the model declares it, on every backend: the
limits are the service's, the usage is charged inside the commit, a refused call
changes nothing."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from lifecycle import RegistrationService, ValidationException
from lifecycle.clock import ManualClock
from lifecycle.errors import ServiceQuotaExceededException
from lifecycle.machines import ATTACHMENT_EVENTS, EVENTS, PHONE_NUMBER_EVENTS
from lifecycle.ports import Backend
from lifecycle.quotas import CHARGES, DEFAULT_QUOTAS
from tests.conftest import BRAND, BackendFactory, new_id, snapshot


def test_registrations_per_account(backend: Backend, clock: ManualClock) -> None:
    service = RegistrationService(backend, clock=clock, quotas={"REGISTRATIONS_PER_ACCOUNT": 2})
    first, _ = new_id(service, filled=False), new_id(service, filled=False)
    before = snapshot(service)
    with pytest.raises(ServiceQuotaExceededException) as refused:
        new_id(service, filled=False, ClientToken="third")
    assert refused.value.reason == "REGISTRATIONS_PER_ACCOUNT"
    assert "2" in refused.value.message
    assert snapshot(service) == before
    assert backend.find_idempotency(service.account_id, service.region, "third") is None
    # A deleted registration gives its place back; other accounts have their own quota.
    service.delete_registration(RegistrationId=first)
    new_id(service, filled=False)
    other = RegistrationService(
        backend, account_id="210987654321", quotas={"REGISTRATIONS_PER_ACCOUNT": 1}
    )
    new_id(other, filled=False)


def test_registration_versions_created_per_day(backend: Backend, clock: ManualClock) -> None:
    service = RegistrationService(
        backend, clock=clock, quotas={"REGISTRATION_VERSIONS_CREATED_PER_DAY": 1}
    )
    rid = new_id(service, filled=False)  # version 1 comes with CreateRegistration: not counted
    service.discard_registration_version(RegistrationId=rid)
    service.create_registration_version(RegistrationId=rid)
    service.discard_registration_version(RegistrationId=rid)
    before = snapshot(service)
    with pytest.raises(ServiceQuotaExceededException) as refused:
        service.create_registration_version(RegistrationId=rid)
    assert refused.value.reason == "REGISTRATION_VERSIONS_CREATED_PER_DAY"
    assert snapshot(service) == before
    clock.advance(timedelta(days=1))  # a new UTC day
    assert service.create_registration_version(RegistrationId=rid)["VersionNumber"] == 3


def test_racing_creates_never_pass_the_quota(make_backend: BackendFactory) -> None:
    limit, threads = 5, 8
    services = [
        RegistrationService(make_backend(), quotas={"REGISTRATIONS_PER_ACCOUNT": limit})
        for _ in range(threads)
    ]
    outcomes: list[str] = []
    start = threading.Barrier(threads)

    def create(service: RegistrationService) -> None:
        start.wait()
        for _ in range(3):
            try:
                new_id(service, filled=False)
                outcomes.append("created")
            except ServiceQuotaExceededException:
                outcomes.append("refused")

    workers = [threading.Thread(target=create, args=(s,)) for s in services]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert outcomes.count("created") == limit
    assert len(services[0].describe_registrations()["Registrations"]) == limit


@pytest.mark.parametrize(
    ("quotas", "field"),
    [
        ({"POOLS_PER_ACCOUNT": 3}, "quotas['POOLS_PER_ACCOUNT']"),
        ({"TAGS_PER_RESOURCE": -1}, "quotas['TAGS_PER_RESOURCE']"),
        ({"REGISTRATIONS_PER_ACCOUNT": -1}, "quotas['REGISTRATIONS_PER_ACCOUNT']"),
        ({"REGISTRATIONS_PER_ACCOUNT": True}, "quotas['REGISTRATIONS_PER_ACCOUNT']"),
        ({"REGISTRATIONS_PER_ACCOUNT": 2.0}, "quotas['REGISTRATIONS_PER_ACCOUNT']"),
        (["REGISTRATIONS_PER_ACCOUNT"], "quotas"),
    ],
)
def test_malformed_quotas(quotas: object, field: str) -> None:
    with pytest.raises(ValidationException) as info:
        RegistrationService(quotas=quotas)  # type: ignore[arg-type]
    assert info.value.fields[0]["Name"] == field


def test_defaults_are_generous_and_documented() -> None:
    service = RegistrationService()
    assert service.quotas.limits == dict(DEFAULT_QUOTAS)
    account = {k: v for k, v in DEFAULT_QUOTAS.items() if k != "TAGS_PER_RESOURCE"}
    assert min(account.values()) >= 100_000
    assert DEFAULT_QUOTAS["TAGS_PER_RESOURCE"] == 50  # AWS's own, per resource
    service.create_registration(RegistrationType=BRAND)


def test_every_charge_is_of_an_event_of_the_machines_and_a_quota_enforced() -> None:
    events = {*EVENTS, *ATTACHMENT_EVENTS, *PHONE_NUMBER_EVENTS}
    assert set(CHARGES) <= events
    assert {charge.quota for charges in CHARGES.values() for charge in charges} <= set(
        DEFAULT_QUOTAS
    )
