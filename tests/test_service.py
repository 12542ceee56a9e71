"""The service API: responses, history, derived numbers, idempotency, accounts, events."""

from __future__ import annotations

import sys
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from lifecycle import (
    AccessDeniedException,
    Catalogue,
    ConflictException,
    InMemoryBackend,
    RegistrationService,
    ResourceNotFoundException,
    TransitionEvent,
    ValidationException,
)
from lifecycle.clock import ManualClock
from lifecycle.machines import FIELD_EDITS
from lifecycle.testing.forms import fill_form
from tests.conftest import BRAND, body, new_id, snapshot

DENIAL = [{"Reason": "R", "ShortDescription": "short"}]


def to_reviewing(service: RegistrationService, rid: str) -> None:
    service.submit_registration_version(RegistrationId=rid)
    service.reviewer.begin_review(rid)


def to_complete(service: RegistrationService, rid: str) -> None:
    to_reviewing(service, rid)
    service.reviewer.approve(rid)
    service.reviewer.complete_provisioning(rid)


def versions(service: RegistrationService, rid: str) -> list[dict[str, Any]]:
    page = service.describe_registration_versions(RegistrationId=rid)
    return list(page["RegistrationVersions"])


def registration(service: RegistrationService, rid: str) -> dict[str, Any]:
    return dict(service.describe_registrations(RegistrationIds=[rid])["Registrations"][0])


# -- response shapes ----------------------------------------------------------------


def test_create_registration_response(service: RegistrationService, clock: ManualClock) -> None:
    now = clock.now()
    out = service.create_registration(RegistrationType=BRAND, Tags=[{"Key": "k", "Value": "v"}])
    rid = out["RegistrationId"]
    assert rid.startswith("registration-") and len(rid) == len("registration-") + 32
    assert body(out) == {
        "RegistrationArn": f"arn:aws:sms-voice:us-east-1:123456789012:registration/{rid}",
        "RegistrationId": rid,
        "RegistrationType": BRAND,
        "RegistrationStatus": "CREATED",
        "CurrentVersionNumber": 1,
        "Tags": [{"Key": "k", "Value": "v"}],
        "CreatedTimestamp": now,
    }
    assert type(out["RegistrationStatus"]) is str


def test_create_without_tags_omits_them(service: RegistrationService) -> None:
    assert "Tags" not in service.create_registration(RegistrationType=BRAND)


def test_version_operation_responses(service: RegistrationService, clock: ManualClock) -> None:
    t0 = clock.now()
    rid = new_id(service)
    t1 = clock.advance(hours=1)
    out = service.submit_registration_version(RegistrationId=rid, AwsReview=True)
    assert body(out) == {
        "RegistrationArn": registration(service, rid)["RegistrationArn"],
        "RegistrationId": rid,
        "VersionNumber": 1,
        "RegistrationVersionStatus": "AWS_REVIEWING",
        "RegistrationVersionStatusHistory": {
            "DraftTimestamp": t0,
            "SubmittedTimestamp": t1,
            "AwsReviewingTimestamp": t1,
        },
        "AwsReview": True,
    }
    assert service.submit_registration_version.__doc__


def test_full_lifecycle_history_and_derived_numbers(
    service: RegistrationService, clock: ManualClock
) -> None:
    rid = new_id(service)
    to_reviewing(service, rid)
    service.reviewer.require_authentication(rid)
    clock.advance(days=1)
    service.reviewer.complete_authentication(rid)
    reentered = clock.now()
    service.reviewer.deny(rid, DENIAL)
    reg = registration(service, rid)
    assert reg["RegistrationStatus"] == "REQUIRES_UPDATES"
    assert reg["LatestDeniedVersionNumber"] == 1 and "ApprovedVersionNumber" not in reg
    v1 = versions(service, rid)[0]
    assert v1["RegistrationVersionStatusHistory"]["ReviewingTimestamp"] == reentered
    assert v1["DeniedReasons"] == DENIAL

    out = service.create_registration_version(RegistrationId=rid)
    assert (out["VersionNumber"], out["RegistrationVersionStatus"]) == (2, "DRAFT")
    to_reviewing(service, rid)
    service.reviewer.require_offline_review(rid)
    assert registration(service, rid)["RegistrationStatus"] == "REVIEWING"
    assert versions(service, rid)[1]["RegistrationVersionStatus"] == "REQUIRES_OFFLINE_REVIEW"
    assert service.reviewer.approve(rid)["RegistrationStatus"] == "PROVISIONING"
    reg = service.reviewer.complete_provisioning(rid)
    assert reg["RegistrationStatus"] == "COMPLETE"
    assert (reg["ApprovedVersionNumber"], reg["LatestDeniedVersionNumber"]) == (2, 1)
    assert reg["CurrentVersionNumber"] == 2

    # An update: version 3 approved archives version 2, the registration stays COMPLETE.
    service.create_registration_version(RegistrationId=rid)
    to_reviewing(service, rid)
    assert service.reviewer.approve(rid)["RegistrationStatus"] == "COMPLETE"
    statuses = [v["RegistrationVersionStatus"] for v in versions(service, rid)]
    assert statuses == ["DENIED", "ARCHIVED", "APPROVED"]
    assert "ArchivedTimestamp" in versions(service, rid)[1]["RegistrationVersionStatusHistory"]

    assert service.reviewer.revoke(rid)["RegistrationStatus"] == "REQUIRES_UPDATES"
    assert versions(service, rid)[2]["RegistrationVersionStatus"] == "REVOKED"
    assert "ApprovedVersionNumber" not in registration(service, rid)


def test_created_timestamp_is_draft_of_version_one(service: RegistrationService) -> None:
    rid = new_id(service)
    assert (
        registration(service, rid)["CreatedTimestamp"]
        == versions(service, rid)[0]["RegistrationVersionStatusHistory"]["DraftTimestamp"]
    )


def test_clock_going_backwards_is_clamped_within_a_version(
    service: RegistrationService, clock: ManualClock
) -> None:
    rid = new_id(service)
    draft = clock.now()
    clock.advance(hours=-5)
    out = service.submit_registration_version(RegistrationId=rid)
    assert out["RegistrationVersionStatusHistory"]["SubmittedTimestamp"] == draft


def test_non_utc_and_naive_clocks() -> None:
    tz = datetime(2026, 3, 1, 12, tzinfo=UTC).astimezone(
        __import__("datetime").timezone(timedelta(hours=2))
    )
    service = RegistrationService(clock=lambda: tz)
    out = service.create_registration(RegistrationType=BRAND)
    assert out["CreatedTimestamp"].tzinfo is UTC
    assert out["CreatedTimestamp"] == tz
    naive = RegistrationService(clock=lambda: datetime(2026, 1, 1))
    with pytest.raises(ValidationException, match="clock"):
        naive.create_registration(RegistrationType=BRAND)
    assert naive.describe_registrations()["Registrations"] == []


# -- preconditions -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prepare", "call", "reason"),
    [
        ("draft", "create_registration_version", "CREATE_REGISTRATION_VERSION_NOT_ALLOWED"),
        ("submitted", "create_registration_version", "CREATE_REGISTRATION_VERSION_NOT_ALLOWED"),
        ("submitted", "submit_registration_version", "REGISTRATION_ALREADY_SUBMITTED"),
        ("reviewing", "submit_registration_version", "REGISTRATION_ALREADY_SUBMITTED"),
        ("denied", "submit_registration_version", "SUBMIT_REGISTRATION_VERSION_NOT_ALLOWED"),
        ("reviewing", "discard_registration_version", "DISCARD_REGISTRATION_VERSION_NOT_ALLOWED"),
        ("denied", "discard_registration_version", "DISCARD_REGISTRATION_VERSION_NOT_ALLOWED"),
        ("submitted", "delete_registration", "RESOURCE_DELETION_NOT_ALLOWED"),
        ("reviewing", "delete_registration", "RESOURCE_DELETION_NOT_ALLOWED"),
    ],
)
def test_refused_user_calls(
    service: RegistrationService, prepare: str, call: str, reason: str
) -> None:
    rid = new_id(service)
    if prepare != "draft":
        service.submit_registration_version(RegistrationId=rid)
    if prepare in ("reviewing", "denied", "complete"):
        service.reviewer.begin_review(rid)
    if prepare == "denied":
        service.reviewer.deny(rid, DENIAL)
    if prepare == "complete":
        service.reviewer.approve(rid)
        service.reviewer.complete_provisioning(rid)
    before = snapshot(service)
    with pytest.raises(ConflictException) as info:
        getattr(service, call)(RegistrationId=rid)
    assert info.value.reason == reason
    assert info.value.resource_id == rid
    message = info.value.message
    status = registration(service, rid)["RegistrationStatus"]
    assert status in message and "Allowed from here" in message
    assert snapshot(service) == before


def test_conflict_message_lists_legal_actions(service: RegistrationService) -> None:
    rid = new_id(service)
    to_reviewing(service, rid)
    with pytest.raises(ConflictException) as info:
        service.submit_registration_version(RegistrationId=rid)
    assert "reviewer:approve" in info.value.message
    assert "reviewer:deny" in info.value.message
    assert "DiscardRegistrationVersion" not in info.value.message


def test_discard_of_submitted_version_restores_registration(service: RegistrationService) -> None:
    rid = new_id(service)
    service.submit_registration_version(RegistrationId=rid)
    out = service.discard_registration_version(RegistrationId=rid)
    assert out["RegistrationVersionStatus"] == "DISCARDED"
    assert registration(service, rid)["RegistrationStatus"] == "CREATED"
    # After approval, discarding an update returns to COMPLETE.
    service.create_registration_version(RegistrationId=rid)
    to_complete(service, rid)
    service.create_registration_version(RegistrationId=rid)
    service.submit_registration_version(RegistrationId=rid)
    service.discard_registration_version(RegistrationId=rid)
    assert registration(service, rid)["RegistrationStatus"] == "COMPLETE"


def test_revoke_refused_while_newer_version_in_review(service: RegistrationService) -> None:
    rid = new_id(service)
    to_complete(service, rid)
    service.create_registration_version(RegistrationId=rid)
    service.submit_registration_version(RegistrationId=rid)
    with pytest.raises(ConflictException):
        service.reviewer.revoke(rid)


def test_deleted_stays_visible_and_refuses_mutations(service: RegistrationService) -> None:
    rid = new_id(service)
    out = service.delete_registration(RegistrationId=rid)
    assert out["RegistrationStatus"] == "DELETED"
    assert registration(service, rid)["RegistrationStatus"] == "DELETED"
    assert versions(service, rid)[0]["RegistrationVersionStatus"] == "DRAFT"
    for call in (
        service.delete_registration,
        service.submit_registration_version,
        service.create_registration_version,
        service.discard_registration_version,
    ):
        with pytest.raises(ResourceNotFoundException) as info:
            call(RegistrationId=rid)
        assert (info.value.resource_type, info.value.resource_id) == ("registration", rid)
    with pytest.raises(ResourceNotFoundException):
        service.reviewer.begin_review(rid)


def test_close_then_delete(service: RegistrationService) -> None:
    rid = new_id(service)
    to_complete(service, rid)
    assert service.reviewer.close(rid)["RegistrationStatus"] == "CLOSED"
    assert service.delete_registration(RegistrationId=rid)["RegistrationStatus"] == "DELETED"


def test_unknown_registration(service: RegistrationService) -> None:
    missing = "registration-" + "0" * 32
    with pytest.raises(ResourceNotFoundException) as info:
        service.submit_registration_version(RegistrationId=missing)
    assert info.value.resource_id == missing
    with pytest.raises(ResourceNotFoundException):
        service.describe_registrations(RegistrationIds=[missing])
    with pytest.raises(ResourceNotFoundException):
        service.describe_registration_versions(RegistrationId=missing)


# -- idempotency, accounts and ARNs --------------------------------------------------


def test_client_token_idempotency(service: RegistrationService) -> None:
    first = service.create_registration(RegistrationType=BRAND, ClientToken="t-1")
    again = service.create_registration(RegistrationType=BRAND, ClientToken="t-1")
    assert body(again) == body(first)
    assert len(service.describe_registrations()["Registrations"]) == 1
    with pytest.raises(ConflictException) as info:
        service.create_registration(RegistrationType="US_TOLL_FREE_REGISTRATION", ClientToken="t-1")
    assert info.value.reason == "RESOURCE_ALREADY_EXISTS"
    assert len(service.describe_registrations()["Registrations"]) == 1
    other = service.create_registration(RegistrationType=BRAND, ClientToken="t-2")
    assert other["RegistrationId"] != first["RegistrationId"]


def test_concurrent_creates_with_one_token_make_one_registration() -> None:
    service = RegistrationService()
    results: list[str] = []
    barrier = threading.Barrier(8)

    def create() -> None:
        barrier.wait()
        results.append(
            service.create_registration(RegistrationType=BRAND, ClientToken="same")[
                "RegistrationId"
            ]
        )

    threads = [threading.Thread(target=create) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(results)) == 1 and len(results) == 8
    assert len(service.describe_registrations()["Registrations"]) == 1


def test_accounts_on_a_shared_backend_are_isolated() -> None:
    backend = InMemoryBackend()
    a = RegistrationService(backend, account_id="111111111111")
    b = RegistrationService(backend, account_id="222222222222")
    west = RegistrationService(backend, account_id="111111111111", region="us-west-2")
    created = a.create_registration(RegistrationType=BRAND, ClientToken="tok")
    rid, arn = created["RegistrationId"], created["RegistrationArn"]
    fill_form(a, rid)
    assert b.describe_registrations()["Registrations"] == []
    assert west.describe_registrations()["Registrations"] == []
    with pytest.raises(ResourceNotFoundException):
        b.submit_registration_version(RegistrationId=rid)
    with pytest.raises(AccessDeniedException):
        b.submit_registration_version(RegistrationId=arn)
    with pytest.raises(AccessDeniedException):
        west.describe_registration_versions(RegistrationId=arn)
    # The same token in another account is another request.
    other = b.create_registration(RegistrationType=BRAND, ClientToken="tok")
    assert other["RegistrationId"] != rid
    assert a.submit_registration_version(RegistrationId=arn)["RegistrationId"] == rid


def test_arn_partition_follows_region() -> None:
    service = RegistrationService(region="cn-north-1")
    assert service.create_registration(RegistrationType=BRAND)["RegistrationArn"].startswith(
        "arn:aws-cn:sms-voice:cn-north-1:"
    )


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:sms-voice:us-east-1:123456789012:pool/x",
        "arn:aws:sns:us-east-1:123456789012:registration/x",
        "arn:aws:sms-voice:us-east-1",
        "arn:aws-cn:sms-voice:us-east-1:123456789012:registration/x",
        "arn:aws:sms-voice::123456789012:registration/x",  # no region
        "arn:aws:sms-voice:us-east-1::registration/x",  # no account
    ],
)
def test_malformed_arn(service: RegistrationService, arn: str) -> None:
    with pytest.raises(ValidationException) as info:
        service.submit_registration_version(RegistrationId=arn)
    assert info.value.reason == "INVALID_ARN"
    assert info.value.fields[0]["Name"] == "RegistrationId"


def test_the_catalogue_is_extendable() -> None:
    service = RegistrationService(registration_types=["SG_SENDER_ID_REGISTRATION"])
    assert service.create_registration(RegistrationType="SG_SENDER_ID_REGISTRATION")
    registry = Catalogue()
    registry.register("MY_TYPE")
    assert "MY_TYPE" in registry and BRAND in registry
    assert RegistrationService(registration_types=registry).create_registration(
        RegistrationType="MY_TYPE"
    )
    with pytest.raises(ValidationException) as info:
        RegistrationService().create_registration(RegistrationType="MY_TYPE")
    assert info.value.reason == "UNKNOWN_REGISTRATION_TYPE"
    with pytest.raises(ValidationException, match="registration_types"):
        registry.register("bad type!")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"account_id": "12"}, "account_id"),
        ({"region": "mars"}, "region"),
        ({"clock": 5}, "clock"),
        ({"registration_types": "US"}, "registration_types"),
    ],
)
def test_constructor_arguments_are_validated(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationException) as info:
        RegistrationService(**kwargs)
    assert info.value.fields[0]["Name"] == field


# -- events and subscribers ----------------------------------------------------------


def test_every_transition_produces_one_event(service: RegistrationService) -> None:
    seen: list[TransitionEvent] = []
    service.subscribe(seen.append)
    rid = new_id(service)
    to_complete(service, rid)
    service.create_registration_version(RegistrationId=rid)
    to_reviewing(service, rid)
    service.reviewer.approve(rid)
    seen = [e for e in seen if e.event not in FIELD_EDITS]  # new_id filled the form in
    assert [e.event for e in seen] == [
        "create", "submit", "begin_review", "approve", "complete_provisioning",
        "create_version", "submit", "begin_review", "approve", "archive",
    ]  # fmt: skip
    approve, archive = seen[-2], seen[-1]
    assert (approve.version_number, approve.version_from, approve.version_to) == (
        2, "REVIEWING", "APPROVED"
    )  # fmt: skip
    assert (approve.registration_from, approve.registration_to) == ("REVIEWING", "COMPLETE")
    assert (archive.actor.value, archive.version_number, archive.version_to) == (
        "system", 1, "ARCHIVED"
    )  # fmt: skip
    assert archive.registration_from is None
    provisioning = seen[4]
    assert provisioning.version_number is None
    assert (provisioning.registration_from, provisioning.registration_to) == (
        "PROVISIONING", "COMPLETE"
    )  # fmt: skip
    assert seen[0].version_from is None and seen[0].registration_from is None


def test_refused_call_produces_no_event(service: RegistrationService) -> None:
    seen: list[TransitionEvent] = []
    rid = new_id(service)
    service.subscribe(seen.append)
    with pytest.raises(ConflictException):
        service.reviewer.approve(rid)
    assert seen == []


def test_failing_transactional_subscriber_commits_nothing(service: RegistrationService) -> None:
    rid = new_id(service)
    before = snapshot(service)

    def veto(event: TransitionEvent) -> None:
        raise RuntimeError("outbox is down")

    after_commit: list[TransitionEvent] = []
    service.subscribe(after_commit.append)
    unsubscribe = service.subscribe(veto, transactional=True)
    with pytest.raises(RuntimeError, match="outbox is down"):
        service.submit_registration_version(RegistrationId=rid)
    with pytest.raises(RuntimeError):
        service.create_registration(RegistrationType=BRAND, ClientToken="x")
    assert snapshot(service) == before
    assert after_commit == []
    unsubscribe()
    service.submit_registration_version(RegistrationId=rid)
    assert [e.event for e in after_commit] == ["submit"]
    # The token was not claimed by the vetoed create.
    assert service.create_registration(RegistrationType=BRAND, ClientToken="x")


def test_failing_plain_subscriber_does_not_undo(
    service: RegistrationService, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(event: TransitionEvent) -> None:
        raise RuntimeError("mailer down")

    service.subscribe(broken)
    rid = new_id(service)
    assert registration(service, rid)["RegistrationStatus"] == "CREATED"
    assert "mailer down" in caplog.text


def test_stale_save_raises_conflict_and_writes_nothing(service: RegistrationService) -> None:
    rid = new_id(service)
    backend = service.backend
    stale = backend.get(service.account_id, service.region, rid)
    assert stale is not None
    service.submit_registration_version(RegistrationId=rid)
    current = backend.get(service.account_id, service.region, rid)
    log = backend.read_log()
    with pytest.raises(ConflictException) as info:
        backend.commit(stale, expected_revision=stale.revision, events=[log[-1].event], versions=())
    assert info.value.reason == "RESOURCE_MODIFICATION_NOT_ALLOWED"
    assert backend.get(service.account_id, service.region, rid) == current
    assert backend.read_log() == log


@pytest.fixture
def fast_thread_switching() -> Any:
    """Switch threads as often as possible, so that calls really interleave."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(before)


@pytest.mark.parametrize("threads", [2, 16])
@pytest.mark.usefixtures("fast_thread_switching")
def test_concurrent_submits_one_success(threads: int) -> None:
    service = RegistrationService()
    rid = new_id(service)
    barrier = threading.Barrier(threads)
    outcomes: list[str] = []

    def submit() -> None:
        barrier.wait()
        try:
            service.submit_registration_version(RegistrationId=rid)
            outcomes.append("ok")
        except ConflictException:
            outcomes.append("conflict")

    workers = [threading.Thread(target=submit) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert sorted(outcomes) == ["conflict"] * (threads - 1) + ["ok"]
    assert versions(service, rid)[0]["RegistrationVersionStatus"] == "SUBMITTED"


def test_aggregate_step_rejects_unknown_events(service: RegistrationService) -> None:
    from lifecycle import aggregate

    rid = new_id(service)
    stored = service.backend.get(service.account_id, service.region, rid)
    assert stored is not None
    for bogus in ("bogus", "create"):
        with pytest.raises(ValidationException) as info:
            aggregate.step(stored, bogus, datetime.now(UTC))
        assert info.value.fields[0]["Name"] == "event"
