"""The library in front of AWS: forwarding, sync, anomalies, retries.

"AWS" is the in-process client of a second service (its reviewer plays the carriers);
the error paths use botocore's Stubber.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import attrs
import pytest

boto3 = pytest.importorskip("boto3", reason="the aws extra is not installed")
from botocore.stub import Stubber  # noqa: E402

import lifecycle.aws  # noqa: E402
from lifecycle import (  # noqa: E402
    ConflictException,
    RegistrationService,
    ServiceQuotaExceededException,
    ThrottlingException,
    ValidationException,
    VersionStatus,
)
from lifecycle.audit import verify  # noqa: E402
from lifecycle.backends.aws import AwsBackend  # noqa: E402
from lifecycle.catalogue import Catalogue  # noqa: E402
from lifecycle.clock import ManualClock  # noqa: E402
from lifecycle.testing import invariants  # noqa: E402
from lifecycle.testing.forms import example_values, fill_form  # noqa: E402

BRAND = "US_TEN_DLC_BRAND_REGISTRATION"


@pytest.fixture
def aws() -> RegistrationService:
    """The service standing in for AWS; its reviewer is the carriers."""
    return RegistrationService(clock=ManualClock())


@pytest.fixture
def wire(aws: RegistrationService) -> tuple[Any, list[str]]:
    """A client to "AWS", and the operations it was asked to call."""
    client = lifecycle.aws.client(aws)
    calls: list[str] = []
    client.meta.events.register(
        "before-call.pinpoint-sms-voice-v2", lambda model, **_: calls.append(model.name)
    )
    return client, calls


def test_forwarding_sync_and_anomalies(aws: RegistrationService, wire: Any) -> None:
    client, calls = wire
    backend = AwsBackend(client)
    local = RegistrationService(backend, account_id=aws.account_id, region=aws.region)

    created = local.create_registration(RegistrationType=BRAND, Tags=[{"Key": "k", "Value": "v"}])
    rid = created["RegistrationId"]
    at_aws = aws.describe_registrations(RegistrationIds=[rid])["Registrations"][0]
    assert at_aws["CreatedTimestamp"] == created["CreatedTimestamp"]  # AWS's id and time
    values = fill_form(local, rid)  # the puts are forwarded too
    at_aws_values = aws.describe_registration_field_values(RegistrationId=rid)
    assert at_aws_values["RegistrationFieldValues"] == values
    local.submit_registration_version(RegistrationId=rid)
    assert invariants.describe(aws, rid)[1][0]["RegistrationVersionStatus"] == "SUBMITTED"

    before = len(calls)
    with pytest.raises(ConflictException):
        local.submit_registration_version(RegistrationId=rid)
    with pytest.raises(ConflictException):
        local.reviewer.approve(rid)  # illegal: refused by the machines
    with pytest.raises(ValidationException, match="sync"):
        local.reviewer.begin_review(rid)  # legal, but reviewers act at AWS
    assert len(calls) == before  # illegal calls and reviewer events never reach AWS

    # The carriers review at AWS: sync applies it through the machines.
    for action in ("begin_review", "require_authentication", "complete_authentication", "approve"):
        aws.clock.advance(hours=3)  # type: ignore[attr-defined]
        getattr(aws.reviewer, action)(rid)
    report = backend.sync(rid)
    assert report.anomaly is None
    assert report.applied == (
        "begin_review", "require_authentication", "complete_authentication", "approve"
    )  # fmt: skip
    assert invariants.describe(local, rid) == invariants.describe(aws, rid)  # timestamps too
    assert backend.sync(rid).applied == ()
    assert [e.event.event for e in backend.read_log(registration_id=rid)][-4:] == list(
        report.applied
    )
    assert verify(backend)[2] == []

    # A jump the machines forbid: reported and logged, never written over.
    stored = aws.backend.get(aws.account_id, aws.region, rid)
    assert stored is not None
    denied = attrs.evolve(stored.current_version, status=VersionStatus.DENIED)  # from APPROVED
    forged = attrs.evolve(stored, revision=stored.revision + 1).with_version(denied)
    aws.backend.commit(forged, expected_revision=stored.revision, events=(), versions=[denied])
    report = backend.sync(rid)
    assert report.anomaly is not None and "DENIED" in report.anomaly
    assert invariants.describe(local, rid)[0]["RegistrationStatus"] == "PROVISIONING"
    assert backend.read_log(registration_id=rid)[-1].event.event == "anomaly"
    assert verify(backend)[2] == []


def test_denials_and_new_versions_sync(aws: RegistrationService, wire: Any) -> None:
    client, _ = wire
    backend = AwsBackend(client)
    local = RegistrationService(backend, account_id=aws.account_id, region=aws.region)
    rid = local.create_registration(RegistrationType=BRAND)["RegistrationId"]
    fill_form(local, rid)
    local.submit_registration_version(RegistrationId=rid, AwsReview=True)
    aws.reviewer.deny(rid, [{"Reason": "R", "ShortDescription": "no"}])
    assert backend.sync(rid).applied == ("deny",)
    local.create_registration_version(RegistrationId=rid)
    local.submit_registration_version(RegistrationId=rid)
    assert invariants.describe(local, rid) == invariants.describe(aws, rid)


def test_a_local_deny_that_flags_fields_is_refused_like_any_reviewer_event(
    aws: RegistrationService, wire: Any
) -> None:
    """Real AWS has no reviewer API: the flags are AWS's to set, and sync mirrors
    statuses only."""
    client, calls = wire
    backend = AwsBackend(client)
    local = RegistrationService(backend, account_id=aws.account_id, region=aws.region)
    rid = local.create_registration(RegistrationType=BRAND)["RegistrationId"]
    fill_form(local, rid)
    path = "companyInfo.taxId"
    local.put_registration_field_value(RegistrationId=rid, FieldPath=path, TextValue="12")
    local.submit_registration_version(RegistrationId=rid)
    aws.reviewer.begin_review(rid)
    backend.sync(rid)
    before, mirrored = list(calls), invariants.describe(local, rid)
    flag = {"DeniedReason": "Not the EIN", "Feedback": "Enter the EIN."}
    with pytest.raises(ValidationException, match="call sync"):
        local.reviewer.deny(rid, [{"Reason": "R", "ShortDescription": "s"}], fields={path: flag})
    assert calls == before and invariants.describe(local, rid) == mirrored
    values = local.describe_registration_field_values(RegistrationId=rid)
    (tax_id,) = [v for v in values["RegistrationFieldValues"] if v["FieldPath"] == path]
    assert tax_id == {"FieldPath": path, "TextValue": "12"}


def _stubbed(**kwargs: Any) -> tuple[Any, Stubber, AwsBackend, list[float]]:
    client = boto3.client("pinpoint-sms-voice-v2", region_name="us-east-1",
                          aws_access_key_id="x", aws_secret_access_key="y")  # fmt: skip
    stubber = Stubber(client)
    sleeps: list[float] = []
    return client, stubber, AwsBackend(client, sleep=sleeps.append, **kwargs), sleeps


CREATED = {
    "RegistrationArn": "arn:aws:sms-voice:us-east-1:123456789012:registration/registration-1",
    "RegistrationId": "registration-1",
    "RegistrationType": BRAND,
    "RegistrationStatus": "CREATED",
    "CurrentVersionNumber": 1,
    "CreatedTimestamp": datetime(2026, 3, 1, tzinfo=UTC),
}


def test_throttling_is_retried_with_backoff() -> None:
    _, stubber, backend, sleeps = _stubbed()
    for _ in range(2):
        stubber.add_client_error("create_registration", "ThrottlingException", "slow down")
    stubber.add_response("create_registration", CREATED)
    with stubber:
        out = RegistrationService(backend).create_registration(RegistrationType=BRAND)
    assert out["RegistrationId"] == "registration-1"
    assert out["CreatedTimestamp"] == CREATED["CreatedTimestamp"]
    assert len(sleeps) == 2  # exponential from backoff=0.2, with jitter of ±50%
    for attempt, slept in enumerate(sleeps):
        assert 0.1 * 2**attempt <= slept <= 0.3 * 2**attempt
    stubber.assert_no_pending_responses()


def test_throttling_gives_up_and_writes_nothing() -> None:
    _, stubber, backend, sleeps = _stubbed(retries=2)
    for _ in range(3):
        stubber.add_client_error("create_registration", "ThrottlingException", "slow down")
    service = RegistrationService(backend)
    with stubber, pytest.raises(ThrottlingException, match="slow down"):
        service.create_registration(RegistrationType=BRAND)
    assert len(sleeps) == 2
    assert list(backend.registrations()) == [] and backend.read_log() == []


def test_aws_errors_become_the_library_s_and_write_nothing() -> None:
    _, stubber, backend, _ = _stubbed()
    stubber.add_response("create_registration", CREATED)
    ids = {k: CREATED[k] for k in ("RegistrationArn", "RegistrationId")}
    for value in example_values(Catalogue(), BRAND, required_only=True):
        stubber.add_response("put_registration_field_value", {**ids, "VersionNumber": 1, **value})
    stubber.add_client_error(
        "submit_registration_version", "ConflictException", "already submitted elsewhere",
        modeled_fields={"Reason": "REGISTRATION_ALREADY_SUBMITTED"},
    )  # fmt: skip
    service = RegistrationService(backend)
    with stubber:
        rid = service.create_registration(RegistrationType=BRAND)["RegistrationId"]
        fill_form(service, rid)
        log = backend.read_log()
        with pytest.raises(ConflictException) as info:
            service.submit_registration_version(RegistrationId=rid)
    assert info.value.reason == "REGISTRATION_ALREADY_SUBMITTED"
    assert "already submitted elsewhere" in info.value.message
    assert backend.read_log() == log
    assert invariants.describe(service, rid)[1][0]["RegistrationVersionStatus"] == "DRAFT"


def test_sync_reproduces_every_version_s_history(aws: RegistrationService, wire: Any) -> None:
    """Moves in the console that end where a shorter path would: the mirror still gets
    the whole history (SubmittedTimestamp of the discarded version included)."""
    client, _ = wire
    backend = AwsBackend(client)
    local = RegistrationService(backend, account_id=aws.account_id, region=aws.region)
    rid = local.create_registration(RegistrationType=BRAND)["RegistrationId"]
    fill_form(local, rid)
    for call in ("submit", "discard", "create"):
        aws.clock.advance(hours=1)  # type: ignore[attr-defined]
        getattr(aws, f"{call}_registration_version")(RegistrationId=rid)
    report = backend.sync(rid)
    assert report.applied == ("submit", "discard", "create_version")
    assert invariants.describe(local, rid) == invariants.describe(aws, rid)


def test_a_call_over_a_quota_never_reaches_aws(aws: RegistrationService, wire: Any) -> None:
    client, calls = wire
    local = RegistrationService(
        AwsBackend(client), account_id=aws.account_id, region=aws.region,
        quotas={"REGISTRATIONS_PER_ACCOUNT": 1},
    )  # fmt: skip
    local.create_registration(RegistrationType=BRAND)
    before = list(calls)
    with pytest.raises(ServiceQuotaExceededException):
        local.create_registration(RegistrationType=BRAND, ClientToken="second")
    assert calls == before
    assert len(aws.describe_registrations()["Registrations"]) == 1


def test_form_edits_are_forwarded_and_never_explain_a_change() -> None:
    """An edit reaches AWS as its own operation, with the event's detail as the request;
    it keeps its own time (no history field records an edit), and sync never takes
    one for the explanation of a change of statuses."""
    from lifecycle import aggregate
    from lifecycle.events import TransitionEvent
    from lifecycle.form import FieldValue, FormChange
    from lifecycle.statuses import Actor

    _, stubber, backend, _ = _stubbed()
    rid, when = CREATED["RegistrationId"], datetime(2026, 3, 2, tzinfo=UTC)
    first = aggregate.create(
        registration_id=rid,
        account_id="123456789012",
        region="us-east-1",
        registration_type=BRAND,
        tags=(),
        now=CREATED["CreatedTimestamp"],
    )
    backend.store.commit(
        first.registration, expected_revision=None, events=first.events, versions=first.written
    )
    stored = first.registration
    path = "brandInfo.companyName"
    answer = {
        "RegistrationArn": CREATED["RegistrationArn"],
        "RegistrationId": rid,
        "VersionNumber": 1,
        "FieldPath": path,
        "TextValue": "Example",
    }
    stubber.add_response(
        "put_registration_field_value",
        answer,
        {"RegistrationId": rid, "FieldPath": path, "TextValue": "Example"},
    )
    stubber.add_response(
        "delete_registration_field_value", answer, {"RegistrationId": rid, "FieldPath": path}
    )
    edits = [
        (
            "put_field_value",
            {"FieldPath": path, "TextValue": "Example"},
            FormChange(1, put={path: FieldValue(text="Example")}),
        ),
        ("delete_field_value", {"FieldPath": path}, FormChange(1, delete=frozenset({path}))),
    ]
    with stubber:
        for event, detail, form in edits:
            edit = TransitionEvent(
                "123456789012",
                "us-east-1",
                rid,
                event,
                Actor.USER,
                1,
                "DRAFT",
                "DRAFT",
                None,
                None,
                when,
                detail,
            )
            mirrored = backend.commit(
                attrs.evolve(stored, revision=stored.revision + 1),
                expected_revision=stored.revision,
                events=[edit],
                versions=[stored.current_version],
                form=form,
            )
            assert (mirrored.status, mirrored.current_version) == (
                stored.status,
                stored.current_version,
            )
            expected = {path: FieldValue(text="Example")} if event == "put_field_value" else {}
            assert backend.field_values("123456789012", "us-east-1", rid, 1) == expected
            stored = mirrored
    stubber.assert_no_pending_responses()
    logged = [e.event.event for e in backend.read_log(registration_id=rid)]
    assert logged[-2:] == ["put_field_value", "delete_field_value"]
    # From a DRAFT, where the edits are legal, sync looks past them.
    from lifecycle.backends.aws import _explain

    submitted = aggregate.step(stored, "submit", when)
    observed = {1: submitted.registration.current_version}
    assert _explain(stored, {1: stored.current_version}, submitted.registration, observed) == [
        ("submit", False)
    ]


def test_tag_changes_are_forwarded(aws: RegistrationService, wire: Any) -> None:
    client, calls = wire
    backend = AwsBackend(client)
    local = RegistrationService(
        backend, account_id=aws.account_id, region=aws.region, quotas={"TAGS_PER_RESOURCE": 2}
    )
    arn = local.create_registration(RegistrationType=BRAND, Tags=[{"Key": "a", "Value": "1"}])[
        "RegistrationArn"
    ]
    local.tag_resource(ResourceArn=arn, Tags=[{"Key": "Name", "Value": "Acme"}])
    local.untag_resource(ResourceArn=arn, TagKeys=["a"])
    assert calls[-2:] == ["TagResource", "UntagResource"]
    before = list(calls)
    with pytest.raises(ServiceQuotaExceededException):  # refused here, never sent
        local.tag_resource(ResourceArn=arn, Tags=[{"Key": k, "Value": ""} for k in "xy"])
    assert calls == before
    tags = [{"Key": "Name", "Value": "Acme"}]
    assert aws.list_tags_for_resource(ResourceArn=arn)["Tags"] == tags
    assert local.list_tags_for_resource(ResourceArn=arn)["Tags"] == tags
    logged = [e.event.event for e in backend.read_log()]
    assert logged == ["create", "tag_resource", "untag_resource"]
    assert verify(backend)[2] == []


NUMBER_ARN = "arn:aws:sms-voice:us-east-1:123456789012:phone-number/phone-aws1"
REQUESTED = {
    "PhoneNumberArn": NUMBER_ARN,
    "PhoneNumberId": "phone-aws1",
    "PhoneNumber": "+12065550199",
    "Status": "ACTIVE",
    "IsoCountryCode": "US",
    "MessageType": "TRANSACTIONAL",
    "NumberCapabilities": ["SMS"],
    "NumberType": "TEN_DLC",
    "CreatedTimestamp": datetime(2026, 3, 1, tzinfo=UTC),
}


def test_phone_numbers_are_forwarded_and_mirrored_with_aws_s_answer() -> None:
    """RequestPhoneNumber carries the number's fields and the ClientToken without its
    prefix; the mirror keeps AWS's id, number and timestamp (the event's too). Tag
    changes reach AWS on the number's ARN, and a release as ReleasePhoneNumber."""
    from lifecycle import phone_numbers
    from lifecycle.models import Tag
    from lifecycle.ports import Backend, IdempotencyRecord, PhoneNumberQuery, QuotaCharge
    from lifecycle.tags import TagChange

    _, stubber, backend, _ = _stubbed()
    assert isinstance(backend, Backend)
    account, region = "123456789012", "us-east-1"
    step = phone_numbers.request(
        phone_number_id="phone-local", account_id=account, region=region,
        phone_number="+12065550100", iso_country_code="US", message_type="TRANSACTIONAL",
        number_capabilities=("SMS",), number_type="TEN_DLC",
        international_sending_enabled=False, deletion_protection_enabled=False,
        tags=(Tag("k", "v"),), now=datetime(2026, 2, 1, tzinfo=UTC),
    )  # fmt: skip
    record = IdempotencyRecord(
        account, region, phone_numbers.TOKEN_PREFIX + "tok", "digest", "phone-local"
    )
    stubber.add_response(
        "request_phone_number",
        {**REQUESTED, "Tags": [{"Key": "k", "Value": "v"}]},
        {"IsoCountryCode": "US", "MessageType": "TRANSACTIONAL", "NumberCapabilities": ["SMS"],
         "NumberType": "TEN_DLC", "InternationalSendingEnabled": False,
         "DeletionProtectionEnabled": False, "Tags": [{"Key": "k", "Value": "v"}],
         "ClientToken": "tok"},
    )  # fmt: skip
    change = TagChange(put=(Tag("team", "a"),))
    stubber.add_response(
        "tag_resource", {}, {"ResourceArn": NUMBER_ARN, "Tags": [{"Key": "team", "Value": "a"}]}
    )
    stubber.add_response("untag_resource", {}, {"ResourceArn": NUMBER_ARN, "TagKeys": ["k"]})
    stubber.add_response(
        "release_phone_number", {**REQUESTED, "Status": "DELETED"}, {"PhoneNumberId": "phone-aws1"}
    )
    quota = [QuotaCharge("PHONE_NUMBERS_PER_ACCOUNT", "", 1, 1)]
    with stubber:
        mirrored = backend.commit_phone_number(
            step.phone_number, expected_revision=None, events=step.events,
            idempotency=record, quotas=quota,
        )  # fmt: skip
        assert (mirrored.phone_number_id, mirrored.phone_number, mirrored.created_timestamp) == (
            "phone-aws1", "+12065550199", REQUESTED["CreatedTimestamp"]
        )  # fmt: skip
        assert mirrored.arn == NUMBER_ARN
        # The quota is checked against the mirror before AWS hears of a second number.
        again = phone_numbers.request(**{**_request_args(step.phone_number), "tags": ()})
        with pytest.raises(ServiceQuotaExceededException):
            backend.commit_phone_number(
                again.phone_number, expected_revision=None, events=again.events, quotas=quota
            )
        current = mirrored
        for event, tags in (("tag_resource", change), ("untag_resource", TagChange(remove=("k",)))):
            moved = phone_numbers.step(current, event, datetime(2026, 3, 2, tzinfo=UTC), tags=tags)
            current = backend.commit_phone_number(
                moved.phone_number, expected_revision=current.revision, events=moved.events
            )
        released = phone_numbers.step(
            current, "release_phone_number", datetime(2026, 3, 3, tzinfo=UTC)
        )
        current = backend.commit_phone_number(
            released.phone_number, expected_revision=current.revision, events=released.events
        )
    stubber.assert_no_pending_responses()
    assert backend.get_phone_number(account, region, "phone-aws1") == current
    assert current.status == "DELETED" and current.tags == (Tag("team", "a"),)
    assert backend.get_phone_number(account, region, "phone-local") is None
    found = backend.find_idempotency(account, region, record.token)
    assert found is not None and found.registration_id == "phone-aws1"
    assert backend.query_phone_numbers(PhoneNumberQuery(account, region)).items == (current,)
    assert list(backend.phone_numbers()) == [current]
    assert backend.quota_usage(account, region, "PHONE_NUMBERS_PER_ACCOUNT", "") == 1
    logged = [e.event for e in backend.read_log(registration_id="phone-aws1")]
    assert [e.event for e in logged] == [
        "request_phone_number", "tag_resource", "untag_resource", "release_phone_number"
    ]  # fmt: skip
    assert logged[0].timestamp == REQUESTED["CreatedTimestamp"]
    assert logged[0].detail is not None and logged[0].detail["PhoneNumber"] == "+12065550199"


def _request_args(number: Any) -> dict[str, Any]:
    """The arguments of ``phone_numbers.request`` that give ``number``."""
    return {
        "phone_number_id": "phone-other", "account_id": number.account_id,
        "region": number.region, "phone_number": "+12065550101",
        "iso_country_code": number.iso_country_code, "message_type": number.message_type,
        "number_capabilities": number.number_capabilities, "number_type": number.number_type,
        "international_sending_enabled": False, "deletion_protection_enabled": False,
        "tags": number.tags, "now": number.created_timestamp,
    }  # fmt: skip


def _requested_number() -> Any:
    """The number AWS answered with in ``REQUESTED``, as a record."""
    from lifecycle.phone_numbers import PhoneNumber
    from lifecycle.statuses import PhoneNumberStatus

    return PhoneNumber(
        phone_number_id="phone-aws1", account_id="123456789012", region="us-east-1",
        phone_number="+12065550199", status=PhoneNumberStatus.ACTIVE, iso_country_code="US",
        message_type="TRANSACTIONAL", number_capabilities=("SMS",), number_type="TEN_DLC",
        created_timestamp=datetime(2026, 3, 1, tzinfo=UTC),
    )  # fmt: skip


def test_a_phone_number_error_at_aws_writes_nothing() -> None:
    from lifecycle import phone_numbers

    _, stubber, backend, _ = _stubbed()
    step = phone_numbers.request(**_request_args(_requested_number()))
    stubber.add_client_error(
        "request_phone_number", "ServiceQuotaExceededException", "no more numbers",
        modeled_fields={"Reason": "PHONE_NUMBERS_PER_ACCOUNT"},
    )  # fmt: skip
    with stubber, pytest.raises(ServiceQuotaExceededException, match="no more numbers"):
        backend.commit_phone_number(step.phone_number, expected_revision=None, events=step.events)
    assert list(backend.phone_numbers()) == [] and backend.read_log() == []
    with pytest.raises(ValidationException):
        backend.commit_phone_number(step.phone_number, expected_revision=None, events=())


def test_pushed_status_change_events_sync(aws: RegistrationService, wire: Any) -> None:
    from lifecycle.eventbridge import Delivery
    from lifecycle.outbox import Outbox

    client, _ = wire
    backend = AwsBackend(client)
    local = RegistrationService(backend, account_id=aws.account_id, region=aws.region)
    rid = local.create_registration(RegistrationType=BRAND)["RegistrationId"]
    fill_form(local, rid)
    local.submit_registration_version(RegistrationId=rid)
    aws.reviewer.begin_review(rid)
    aws.reviewer.approve(rid)
    # AWS's EventBridge events, rendered from AWS's log, pushed to the mirror
    received: list[Any] = []
    Outbox(aws.backend, "to-the-mirror").drain(
        Delivery(aws.backend, lambda event: received.append(backend.receive(event)))
    )
    applied = [report.applied for report in received if report is not None]
    assert ("begin_review", "approve") in applied
    assert invariants.describe(local, rid) == invariants.describe(aws, rid)
    assert backend.receive({"source": "aws.s3", "detail-type": "Object Created"}) is None
    elsewhere = {"source": "aws.sms-voice", "detail-type": "Registration Status Change",
                 "detail": {"registrationDetails": {"registrationId": "registration-x"},
                            "registrationArn": "arn:aws:sms-voice:eu-west-1:999999999999:"
                                               "registration/registration-x"}}  # fmt: skip
    assert backend.receive(elsewhere) is None
    with pytest.raises(ValidationException, match="registrationId"):
        backend.receive({"source": "aws.sms-voice", "detail-type": "Registration Status Change",
                         "detail": {}})  # fmt: skip
