"""The backend port's contract, run against every backend (memory, SQLite, PostgreSQL)."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from lifecycle import (
    ConflictException,
    RegistrationService,
    RegistrationStatus,
    ServiceQuotaExceededException,
    TransitionEvent,
    ValidationException,
    attachments,
    phone_numbers,
)
from lifecycle.attachments import RegistrationAttachment
from lifecycle.audit import verify
from lifecycle.catalogue import Catalogue
from lifecycle.clock import ManualClock
from lifecycle.form import FieldValue
from lifecycle.models import Registration, Tag
from lifecycle.outbox import Outbox
from lifecycle.ports import (
    AttachmentQuery,
    Backend,
    CursorLease,
    FormChange,
    IdempotencyRecord,
    NumberWrite,
    PhoneNumberQuery,
    QuotaCharge,
    RegistrationQuery,
)
from lifecycle.statuses import AttachmentStatus, PhoneNumberStatus
from lifecycle.tags import TagChange
from lifecycle.testing.forms import example_values
from tests.conftest import BRAND, BackendFactory, new_id

FILLED = len(example_values(Catalogue(), BRAND, required_only=True))
"""How many values a filled-in brand form holds: the events new_id logs after create."""


def _drive(service: RegistrationService) -> list[str]:
    a = new_id(service)
    b = new_id(service, filled=False, ClientToken="tok-b")
    service.submit_registration_version(RegistrationId=a)
    service.reviewer.begin_review(a)
    service.reviewer.approve(a)
    service.discard_registration_version(RegistrationId=b)
    return [a, b]


def test_log_order_positions_and_filters(service: RegistrationService) -> None:
    a, b = _drive(service)
    log = service.backend.read_log()
    assert [(e.event.registration_id, e.event.event) for e in log] == [
        (a, "create"), *[(a, "put_field_value")] * FILLED, (b, "create"), (a, "submit"),
        (a, "begin_review"), (a, "approve"), (b, "discard"),
    ]  # fmt: skip
    positions = [e.position for e in log]
    assert positions == sorted(positions) and len(set(positions)) == len(positions)
    assert service.backend.read_log(after=positions[2]) == log[3:]
    assert service.backend.read_log(after=positions[0], limit=2) == log[1:3]
    only_b = service.backend.read_log(registration_id=b)
    assert [e.event.event for e in only_b] == ["create", "discard"]
    assert service.backend.read_log(after=positions[-1]) == []
    approve = log[-2].event
    assert (approve.version_from, approve.version_to) == ("REVIEWING", "APPROVED")
    assert (approve.registration_from, approve.registration_to) == ("REVIEWING", "PROVISIONING")
    assert approve.timestamp.tzinfo is not None


def test_events_equal_what_subscribers_saw(service: RegistrationService) -> None:
    seen: list[TransitionEvent] = []
    service.subscribe(seen.append)
    _drive(service)
    assert [e.event for e in service.backend.read_log()] == seen


def test_before_commit_failure_writes_nothing(service: RegistrationService) -> None:
    rid = new_id(service)
    backend = service.backend
    log = backend.read_log()
    stored = backend.get(service.account_id, service.region, rid)

    def veto(events: Any) -> None:
        raise RuntimeError("veto")

    service.subscribe(veto, transactional=True)
    with pytest.raises(RuntimeError):
        service.submit_registration_version(RegistrationId=rid)
    with pytest.raises(RuntimeError):
        service.create_registration(RegistrationType=BRAND, ClientToken="vetoed")
    assert backend.read_log() == log
    assert backend.get(service.account_id, service.region, rid) == stored
    assert backend.find_idempotency(service.account_id, service.region, "vetoed") is None
    assert len(list(backend.registrations())) == 1


def test_idempotency_records(service: RegistrationService) -> None:
    rid = new_id(service, ClientToken="t")
    record = service.backend.find_idempotency(service.account_id, service.region, "t")
    assert record is not None and record.registration_id == rid
    assert service.backend.find_idempotency("999999999999", service.region, "t") is None
    stored = service.backend.get(service.account_id, service.region, rid)
    assert stored is not None
    twin = attrs.evolve(stored, registration_id="registration-" + "f" * 32)
    with pytest.raises(ConflictException) as info:
        service.backend.commit(
            twin,
            expected_revision=None,
            events=(),
            versions=[twin.current_version],
            idempotency=record,
        )
    assert info.value.reason == "RESOURCE_ALREADY_EXISTS"
    assert service.backend.get(service.account_id, service.region, twin.registration_id) is None


def test_registrations_of_every_account(make_backend: BackendFactory) -> None:
    backend = make_backend()
    ids = set()
    for account in ("111111111111", "222222222222"):
        for region in ("us-east-1", "eu-west-1"):
            ids.add(new_id(RegistrationService(backend, account_id=account, region=region)))
    assert {r.registration_id for r in backend.registrations()} == ids


def test_cursors(backend: Backend) -> None:
    assert backend.get_cursor("mailer") is None
    assert backend.claim_cursor("mailer", "a", 60) == CursorLease("mailer", "a", None)
    assert backend.claim_cursor("mailer", "b", 60) is None  # a holds it
    backend.advance_cursor("mailer", "a", (0, 5), 60)
    backend.advance_cursor("mailer", "a", (3, 7), 60)
    with pytest.raises(ConflictException) as info:  # backwards
        backend.advance_cursor("mailer", "a", (3, 6), 60)
    assert (info.value.resource_type, info.value.resource_id) == ("cursor", "mailer")
    with pytest.raises(ConflictException):  # not the holder
        backend.advance_cursor("mailer", "b", (4, 1), 60)
    assert backend.claim_cursor("audit", "c", 60) is not None
    backend.advance_cursor("audit", "c", (0, 1), 60)
    assert backend.get_cursor("mailer") == (3, 7)
    assert backend.get_cursor("audit") == (0, 1)
    backend.release_cursor("mailer", "b")  # not the holder: nothing happens
    assert backend.claim_cursor("mailer", "b", 60) is None
    backend.release_cursor("mailer", "a")
    assert backend.claim_cursor("mailer", "b", 60) == CursorLease("mailer", "b", (3, 7))


def test_data_and_tokens_survive_reopening(make_backend: BackendFactory) -> None:
    clock = ManualClock()
    first = RegistrationService(make_backend(), clock=clock)
    ids = [new_id(first) for _ in range(3)]
    page = first.describe_registrations(MaxResults=2)
    again = RegistrationService(make_backend(), clock=clock)
    reopened = again.describe_registrations(MaxResults=2)
    assert reopened["Registrations"] == page["Registrations"] and "NextToken" in reopened
    rest = again.describe_registrations(MaxResults=2, NextToken=page["NextToken"])
    assert [r["RegistrationId"] for r in rest["Registrations"]] == ids[2:]


def test_outbox_delivers_at_least_once_in_order(service: RegistrationService) -> None:
    _drive(service)
    delivered: list[str] = []
    crash_on = {"approve"}

    def handler(event: TransitionEvent) -> None:
        delivered.append(event.event)
        if event.event in crash_on:
            crash_on.clear()
            raise RuntimeError("mail server down")

    outbox = Outbox(service.backend, "mailer", batch=2)
    with pytest.raises(RuntimeError):
        outbox.drain(handler)
    assert delivered == [
        "create", *["put_field_value"] * FILLED, "create", "submit", "begin_review", "approve"
    ]  # fmt: skip
    # A new reader (as after a restart) resumes at the event that failed.
    assert Outbox(service.backend, "mailer").drain(handler) == 2
    assert delivered[-2:] == ["approve", "discard"]
    assert Outbox(service.backend, "mailer").drain(handler) == 0
    assert Outbox(service.backend, "other").drain(lambda e: None) == 6 + FILLED
    with pytest.raises(ValidationException):
        Outbox(service.backend, "")


def test_verify_finds_nothing_then_a_tampered_registration(service: RegistrationService) -> None:
    a, _ = _drive(service)
    assert verify(service.backend) == (2, 6 + FILLED, [])
    stored = service.backend.get(service.account_id, service.region, a)
    assert stored is not None
    tampered = attrs.evolve(
        stored, status=RegistrationStatus.COMPLETE, revision=stored.revision + 1
    )
    service.backend.commit(tampered, expected_revision=stored.revision, events=(), versions=())
    checked, replayed, problems = verify(service.backend)
    assert (checked, replayed) == (2, 6 + FILLED)
    assert [p.registration_id for p in problems] == [a]
    assert "COMPLETE" in problems[0].problem and "PROVISIONING" in problems[0].problem


def test_verify_finds_derived_numbers_that_disagree_with_the_versions(
    service: RegistrationService,
) -> None:
    """The derived numbers decide what the machines allow next: a stored
    LatestDeniedVersionNumber that the versions do not give is found before it misleads
    a step."""
    rid = new_id(service)
    service.submit_registration_version(RegistrationId=rid)
    service.reviewer.begin_review(rid)
    service.reviewer.deny(rid, [{"Reason": "R", "ShortDescription": "no"}])
    assert verify(service.backend)[2] == []
    stored = service.backend.get(service.account_id, service.region, rid)
    assert stored is not None
    forgetful = attrs.evolve(
        stored, latest_denied_version_number=None, revision=stored.revision + 1
    )
    service.backend.commit(forgetful, expected_revision=stored.revision, events=(), versions=())
    (problem,) = verify(service.backend)[2]
    assert problem.registration_id == rid
    assert "latest_denied_version_number None" in problem.problem


TEXT = FieldValue("Acme Corp")
CHOICES = FieldValue(choices=("SMS", "MMS"))
FILE = FieldValue(attachment_id="attachment-" + "0" * 32)
PNG = b"\x89PNG\r\n\x1a\n" + bytes(32)


def _write(
    service: RegistrationService,
    rid: str,
    form: FormChange,
    *,
    events: tuple[TransitionEvent, ...] = (),
    stale: bool = False,
    **options: Any,
) -> None:
    """Commit ``form`` (and ``events``) on registration ``rid`` of the service's account
    and region; ``stale``: with a revision the store no longer has."""
    stored = service.backend.get(service.account_id, service.region, rid)
    assert stored is not None
    for value in form.put.values():
        if value.attachment_id is not None:
            _attachment(service, value.attachment_id)
    service.backend.commit(
        attrs.evolve(stored, revision=stored.revision + 1),
        expected_revision=stored.revision - 1 if stale else stored.revision,
        events=events,
        versions=(),
        form=form,
        **options,
    )


def _attachment(service: RegistrationService, attachment_id: str) -> RegistrationAttachment:
    """The attachment ``attachment_id`` of the service's account, created complete if it
    is not there yet."""
    found = service.backend.get_attachment(service.account_id, service.region, attachment_id)
    if found is not None:
        return found
    step = attachments.create(
        attachment_id=attachment_id, account_id=service.account_id, region=service.region,
        tags=(), now=service._now(), body=PNG, media_type="image/png",
    )  # fmt: skip
    return service.backend.commit_attachment(
        step.attachment, expected_revision=None, events=step.events, body=PNG
    )


def _values(service: RegistrationService, rid: str, version: int = 1, **kw: Any) -> dict[str, Any]:
    return service.backend.field_values(service.account_id, service.region, rid, version, **kw)


def test_field_values_are_put_replaced_and_deleted_in_first_set_order(
    service: RegistrationService,
) -> None:
    rid = new_id(service, filled=False)
    assert _values(service, rid) == {}
    _write(service, rid, FormChange(1, put={"a.name": TEXT, "a.kind": CHOICES, "a.doc": FILE}))
    assert list(_values(service, rid).items()) == [
        ("a.name", TEXT), ("a.kind", CHOICES), ("a.doc", FILE)
    ]  # fmt: skip
    renamed = FieldValue("Acme Inc")
    gone = frozenset({"a.kind", "absent"})
    _write(service, rid, FormChange(1, put={"b.new": TEXT, "a.name": renamed}, delete=gone))
    # A replaced value keeps its place; a new one goes last.
    assert list(_values(service, rid).items()) == [
        ("a.name", renamed), ("a.doc", FILE), ("b.new", TEXT)
    ]  # fmt: skip
    # Deleted and set again in one change: set anew, so last.
    _write(service, rid, FormChange(1, put={"a.name": TEXT}, delete=frozenset({"a.name"})))
    assert list(_values(service, rid)) == ["a.doc", "b.new", "a.name"]
    assert _values(service, rid)["a.name"] == TEXT


def test_a_version_copies_another_then_changes(service: RegistrationService) -> None:
    rid = new_id(service, filled=False)
    _write(service, rid, FormChange(1, put={"a": TEXT, "b": CHOICES, "c": FILE}))
    _write(service, rid, FormChange(2, put={"z": TEXT}))
    _write(
        service, rid,
        FormChange(2, copy_from=1, put={"b": FILE, "d": TEXT}, delete=frozenset({"a"})),
    )  # fmt: skip
    # The copy replaces what version 2 held (z), keeps version 1's order, and leaves it.
    assert list(_values(service, rid, 2).items()) == [("b", FILE), ("c", FILE), ("d", TEXT)]
    assert list(_values(service, rid, 1).items()) == [("a", TEXT), ("b", CHOICES), ("c", FILE)]
    _write(service, rid, FormChange(1, copy_from=1, put={"e": TEXT}))  # a copy of itself
    assert list(_values(service, rid, 1)) == ["a", "b", "c", "e"]


def test_flags_stay_on_their_version_and_a_put_clears_one(service: RegistrationService) -> None:
    rid = new_id(service, filled=False)
    _write(service, rid, FormChange(1, put={"a": TEXT, "b": CHOICES}))
    _write(service, rid, FormChange(1, flags={"b": ("Bad", "Fix b"), "absent": ("X", "Y")}))
    flagged = FieldValue(choices=("SMS", "MMS"), denied_reason="Bad", feedback="Fix b")
    assert list(_values(service, rid).items()) == [("a", TEXT), ("b", flagged)]
    assert flagged.to_dict(flag=True) == {
        "SelectChoices": ["SMS", "MMS"], "DeniedReason": "Bad", "Feedback": "Fix b"
    }  # fmt: skip
    _write(service, rid, FormChange(2, copy_from=1))
    assert _values(service, rid, 2) == {"a": TEXT, "b": CHOICES}  # copied without the flag
    _write(service, rid, FormChange(1, copy_from=1))  # a copy of itself keeps it
    assert _values(service, rid)["b"] == flagged
    _write(service, rid, FormChange(1, put={"b": FILE}))
    assert _values(service, rid)["b"] == FILE  # a new value, unflagged


def test_field_values_of_some_paths_in_first_set_order(service: RegistrationService) -> None:
    rid = new_id(service, filled=False)
    _write(service, rid, FormChange(1, put={"a": TEXT, "b": CHOICES, "c": FILE}))
    assert list(_values(service, rid, paths=["c", "absent", "a"]).items()) == [
        ("a", TEXT), ("c", FILE)
    ]  # fmt: skip
    assert list(_values(service, rid, paths=frozenset({"b", "c"}))) == ["b", "c"]
    assert _values(service, rid, paths=()) == {}
    assert _values(service, rid, paths=["absent"]) == {}


def test_field_values_of_unknown_or_other_registrations_are_empty(
    make_backend: BackendFactory,
) -> None:
    backend = make_backend()
    here = RegistrationService(backend)
    there = RegistrationService(backend, account_id="222222222222", region="eu-west-1")
    mine, theirs = new_id(here, filled=False), new_id(there, filled=False)
    _write(here, mine, FormChange(1, put={"a": TEXT}))
    _write(there, theirs, FormChange(1, put={"a": FILE}))
    assert _values(here, mine) == {"a": TEXT} and _values(there, theirs) == {"a": FILE}
    assert _values(here, mine, 2) == {}
    assert _values(here, "registration-" + "e" * 32) == {}
    # Another account's or region's registration is not there, even by its id.
    assert _values(here, theirs) == {}
    for account, region in (("222222222222", "us-east-1"), ("123456789012", "eu-west-1")):
        assert backend.field_values(account, region, mine, 1) == {}


def test_a_failed_commit_writes_no_field_values(service: RegistrationService) -> None:
    rid = new_id(service, filled=False)
    _write(service, rid, FormChange(1, put={"a": TEXT}))
    change = FormChange(1, put={"a": FILE, "b": TEXT}, delete=frozenset({"a"}))
    with pytest.raises(ConflictException):
        _write(service, rid, change, stale=True)
    assert _values(service, rid) == {"a": TEXT}

    def veto(events: Any) -> None:
        raise RuntimeError("veto")

    with pytest.raises(RuntimeError):
        _write(service, rid, change, before_commit=veto)
    with pytest.raises(RuntimeError):
        _write(service, rid, FormChange(2, copy_from=1), before_commit=veto)
    assert _values(service, rid) == {"a": TEXT} and _values(service, rid, 2) == {}


def _with_detail(service: RegistrationService, rid: str) -> list[TransitionEvent]:
    """Commit two events of ``rid`` with a detail (and one without); all three."""
    create = service.backend.read_log(registration_id=rid)[0].event
    put = {"FieldPath": "a.name", "TextValue": "Acme \u2603", "Nested": {"n": [1, None, True]}}
    events = (
        create._replace(event="put_field_value", detail=put),
        create._replace(event="delete_field_value", detail={"FieldPath": "a.name"}),
        create._replace(event="other"),
    )
    _write(service, rid, FormChange(1, put={"a.name": TEXT}), events=events)
    return [create, *events]


def test_event_details_round_trip_through_the_log(service: RegistrationService) -> None:
    rid = new_id(service, filled=False)
    events = _with_detail(service, rid)
    assert events[-1].detail is None
    assert [e.event for e in service.backend.read_log(registration_id=rid)] == events
    with service.backend.snapshot() as snap:
        assert [e.event for e in snap.read_log(registration_id=rid)] == events
    delivered: list[TransitionEvent] = []
    Outbox(service.backend, "details").drain(delivered.append)
    assert delivered == events


def test_field_values_and_details_survive_reopening(make_backend: BackendFactory) -> None:
    first = RegistrationService(make_backend())
    rid = new_id(first, filled=False)
    events = _with_detail(first, rid)
    _write(first, rid, FormChange(2, copy_from=1, put={"b": CHOICES}))
    again = RegistrationService(make_backend())
    assert list(_values(again, rid, 2).items()) == [("a.name", TEXT), ("b", CHOICES)]
    assert [e.event for e in again.backend.read_log(registration_id=rid)] == events


def test_attachments_are_stored_queried_and_kept_apart(make_backend: BackendFactory) -> None:
    backend = make_backend()
    here = RegistrationService(backend)
    there = RegistrationService(backend, account_id="222222222222", region="eu-west-1")
    made = [_attachment(here, f"attachment-{n:032x}") for n in range(3)]
    theirs = _attachment(there, "attachment-" + "f" * 32)
    url = attachments.create(
        attachment_id="attachment-" + "a" * 32, account_id=here.account_id, region=here.region,
        tags=(), now=here._now(), url="s3://bucket/key.png",
    )  # fmt: skip
    backend.commit_attachment(url.attachment, expected_revision=None, events=url.events)
    assert backend.get_attachment(here.account_id, here.region, made[0].attachment_id) == made[0]
    assert backend.get_attachment(here.account_id, here.region, theirs.attachment_id) is None
    assert backend.attachment_body(here.account_id, here.region, made[1].attachment_id) == PNG
    assert (
        backend.attachment_body(here.account_id, here.region, url.attachment.attachment_id) is None
    )
    first = backend.query_attachments(AttachmentQuery(here.account_id, here.region, limit=2))
    assert first.items == tuple(made[:2]) and first.next_position is not None
    rest = backend.query_attachments(
        AttachmentQuery(here.account_id, here.region, after=first.next_position)
    )
    assert rest.items == (made[2], url.attachment) and rest.next_position is None
    in_progress = backend.query_attachments(
        AttachmentQuery(here.account_id, here.region, statuses=frozenset({"UPLOAD_IN_PROGRESS"}))
    )
    assert in_progress.items == (url.attachment,)
    chosen = AttachmentQuery(
        here.account_id, here.region,
        attachment_ids=frozenset({made[2].attachment_id, theirs.attachment_id}),
    )  # fmt: skip
    assert backend.query_attachments(chosen).items == (made[2],)
    events = [e.event for e in backend.read_log(registration_id=made[0].attachment_id)]
    assert [(e.event, e.resource_type, e.registration_to) for e in events] == [
        ("create_attachment", "registration-attachment", "UPLOAD_IN_PROGRESS"),
        ("complete_upload", "registration-attachment", "UPLOAD_COMPLETE"),
    ]
    assert {a.attachment_id for a in backend.attachments()} == {
        *(a.attachment_id for a in made),
        url.attachment.attachment_id,
        theirs.attachment_id,
    }


def test_a_stale_attachment_commit_writes_nothing(service: RegistrationService) -> None:
    made = _attachment(service, "attachment-" + "1" * 32)
    step = attachments.step(made, "delete_attachment", service._now())
    with pytest.raises(ConflictException) as info:
        service.backend.commit_attachment(
            step.attachment, expected_revision=made.revision - 1, events=step.events
        )
    assert info.value.reason == "RESOURCE_MODIFICATION_NOT_ALLOWED"
    assert _attachment(service, made.attachment_id) == made


def test_a_value_may_name_only_a_complete_attachment_of_the_account(
    make_backend: BackendFactory,
) -> None:
    backend = make_backend()
    here = RegistrationService(backend)
    there = RegistrationService(backend, account_id="222222222222", region="eu-west-1")
    rid = new_id(here, filled=False)
    theirs = _attachment(there, "attachment-" + "2" * 32)
    pending = attachments.create(
        attachment_id="attachment-" + "3" * 32, account_id=here.account_id, region=here.region,
        tags=(), now=here._now(), url="s3://bucket/key.png",
    )  # fmt: skip
    backend.commit_attachment(pending.attachment, expected_revision=None, events=pending.events)
    stored = backend.get(here.account_id, here.region, rid)
    assert stored is not None
    for named, error in ((theirs, "ResourceNotFoundException"), (pending.attachment, "Conflict")):
        with pytest.raises(Exception) as info:
            backend.commit(
                attrs.evolve(stored, revision=stored.revision + 1),
                expected_revision=stored.revision, events=(), versions=(),
                form=FormChange(1, put={"a": FieldValue(attachment_id=named.attachment_id)}),
            )  # fmt: skip
        assert type(info.value).__name__.startswith(error)
    assert _values(here, rid) == {}
    assert backend.get(here.account_id, here.region, rid) == stored


def test_an_attachment_named_by_a_current_version_is_not_deleted(
    service: RegistrationService,
) -> None:
    rid = new_id(service, filled=False)
    _write(service, rid, FormChange(1, put={"a": FILE}))
    named = _attachment(service, FILE.attachment_id or "")
    step = attachments.step(named, "delete_attachment", service._now())
    with pytest.raises(ConflictException) as info:
        service.backend.commit_attachment(
            step.attachment, expected_revision=named.revision, events=step.events
        )
    assert info.value.reason == "RESOURCE_DELETION_NOT_ALLOWED" and rid in str(info.value)
    assert _attachment(service, named.attachment_id) == named
    # A new current version that no longer names it frees it.
    _write(service, rid, FormChange(1, put={"a": TEXT}))
    service.backend.commit_attachment(
        step.attachment, expected_revision=named.revision, events=step.events
    )
    assert _attachment(service, named.attachment_id).status == "DELETED"


def test_verify_replays_attachments_and_finds_a_tampered_one(service: RegistrationService) -> None:
    made = service.create_registration_attachment(AttachmentUrl="s3://bucket/key.pdf")
    service.reviewer.complete_upload(made["RegistrationAttachmentId"], b"%PDF-1.7\n")
    failed = service.create_registration_attachment(AttachmentUrl="s3://bucket/other.png")
    service.reviewer.fail_upload(failed["RegistrationAttachmentId"])
    service.delete_registration_attachment(
        RegistrationAttachmentId=failed["RegistrationAttachmentId"]
    )
    assert verify(service.backend)[2] == []
    stored = _attachment(service, made["RegistrationAttachmentId"])
    # A status the log does not explain: written without its event.
    tampered = attrs.evolve(
        stored, status=AttachmentStatus.UPLOAD_FAILED, revision=stored.revision + 1
    )
    service.backend.commit_attachment(tampered, expected_revision=stored.revision, events=())
    problems = verify(service.backend)[2]
    assert [p.registration_id for p in problems] == [stored.attachment_id]
    assert "UPLOAD_FAILED" in problems[0].problem


def test_verify_replays_attachment_tags(service: RegistrationService) -> None:
    made = service.create_registration_attachment(
        AttachmentUrl="s3://bucket/key.pdf", Tags=[{"Key": "Name", "Value": "Opt-in"}]
    )
    aid = made["RegistrationAttachmentId"]
    arn = made["RegistrationAttachmentArn"]
    service.tag_resource(ResourceArn=arn, Tags=[{"Key": "team", "Value": "a"}])
    service.untag_resource(ResourceArn=arn, TagKeys=["Name"])
    logged = [e.event for e in service.backend.read_log(registration_id=aid)]
    assert [(e.event, e.detail) for e in logged] == [
        ("create_attachment", {"Tags": [{"Key": "Name", "Value": "Opt-in"}]}),
        ("tag_resource", {"Tags": [{"Key": "team", "Value": "a"}]}),
        ("untag_resource", {"TagKeys": ["Name"]}),
    ]
    assert verify(service.backend)[2] == []
    stored = _attachment(service, aid)
    # Tags the log does not explain: written without their event.
    tampered = attrs.evolve(stored, tags=(Tag("Name", "Other"),), revision=stored.revision + 1)
    service.backend.commit_attachment(tampered, expected_revision=stored.revision, events=())
    (problem,) = verify(service.backend)[2]
    assert (problem.registration_id, problem.problem) == (
        aid,
        "stored tags [{'Key': 'Name', 'Value': 'Other'}], replayed [{'Key': 'team', 'Value': 'a'}]",
    )


# -- phone numbers -----------------------------------------------------------------------


def test_verify_replays_phone_numbers_and_finds_a_tampered_one(
    service: RegistrationService,
) -> None:
    kept = service.request_phone_number(
        IsoCountryCode="US", MessageType="TRANSACTIONAL", NumberCapabilities=["SMS"],
        NumberType="TOLL_FREE", Tags=[{"Key": "Name", "Value": "support"}],
        DeletionProtectionEnabled=True,
    )  # fmt: skip
    gone = service.request_phone_number(
        IsoCountryCode="GB", MessageType="PROMOTIONAL", NumberCapabilities=["SMS"],
        NumberType="LONG_CODE",
    )  # fmt: skip
    service.untag_resource(ResourceArn=kept["PhoneNumberArn"], TagKeys=["Name"])
    service.release_phone_number(PhoneNumberId=gone["PhoneNumberId"])
    assert verify(service.backend)[2] == []
    stored = service.backend.get_phone_number(
        service.account_id, service.region, kept["PhoneNumberId"]
    )
    assert stored is not None
    # A release the log does not explain (and deletion protection forbids).
    tampered = attrs.evolve(stored, status=PhoneNumberStatus.DELETED, revision=stored.revision + 1)
    service.backend.commit_phone_number(tampered, expected_revision=stored.revision, events=())
    (problem,) = verify(service.backend)[2]
    assert problem.registration_id == stored.phone_number_id
    assert problem.problem == "stored phone number status DELETED, replayed PENDING"
    # Facts of the request that no event changes: the number and its protection.
    other = service.backend.get_phone_number(
        service.account_id, service.region, gone["PhoneNumberId"]
    )
    assert other is not None
    forged = attrs.evolve(
        other, phone_number="+19995550100", deletion_protection_enabled=True,
        revision=other.revision + 1,
    )  # fmt: skip
    service.backend.commit_phone_number(forged, expected_revision=other.revision, events=())
    problems = {p.registration_id: p.problem for p in verify(service.backend)[2]}
    assert problems[other.phone_number_id] == (
        "stored phone number differs from its request: PhoneNumber '+19995550100' (logged "
        f"{gone['PhoneNumber']!r}), DeletionProtectionEnabled True (logged False)"
    )


def _number(
    service: RegistrationService,
    n: int,
    *,
    number_type: str = "LONG_CODE",
    e164: str | None = None,
    capabilities: tuple[str, ...] = ("SMS",),
    tags: tuple[Tag, ...] = (),
) -> phone_numbers.PhoneNumberStep:
    """The step that requests phone number ``n`` of the service's account (not committed)."""
    return phone_numbers.request(
        phone_number_id=f"phone-{n:032x}", account_id=service.account_id, region=service.region,
        phone_number=e164 or f"+1201555{100 + n:04d}", iso_country_code="US",
        message_type="TRANSACTIONAL", number_capabilities=capabilities, number_type=number_type,
        international_sending_enabled=False, deletion_protection_enabled=False, tags=tags,
        now=service._now(),
    )  # fmt: skip


def _request(service: RegistrationService, n: int, **kw: Any) -> phone_numbers.PhoneNumber:
    step = _number(service, n, **kw)
    return service.backend.commit_phone_number(
        step.phone_number, expected_revision=None, events=step.events
    )


def test_phone_numbers_are_stored_read_and_kept_apart(make_backend: BackendFactory) -> None:
    backend = make_backend()
    here = RegistrationService(backend)
    there = RegistrationService(backend, account_id="222222222222", region="eu-west-1")
    tags = (Tag("Name", "Support line"), Tag("team", "a"))
    step = _number(here, 1, tags=tags, capabilities=("SMS", "VOICE"))
    stored = backend.commit_phone_number(
        step.phone_number, expected_revision=None, events=step.events
    )
    assert stored == step.phone_number
    assert backend.get_phone_number(here.account_id, here.region, stored.phone_number_id) == stored
    assert backend.get_phone_number(there.account_id, there.region, stored.phone_number_id) is None
    assert backend.get_phone_number(here.account_id, here.region, "phone-" + "e" * 32) is None
    # The same E.164 number is free in another account and region.
    theirs = _request(there, 2, e164=stored.phone_number)
    toll_free = _request(here, 3, number_type="TOLL_FREE", e164="+18005550150")
    assert toll_free.status == "PENDING" and stored.status == "ACTIVE"
    assert {n.phone_number_id for n in backend.phone_numbers()} == {
        stored.phone_number_id, theirs.phone_number_id, toll_free.phone_number_id
    }  # fmt: skip
    with backend.snapshot() as snap:
        assert sorted(snap.phone_numbers(), key=lambda n: n.phone_number_id) == [
            stored, theirs, toll_free
        ]  # fmt: skip
    # Everything survives reopening.
    again = make_backend()
    assert again.get_phone_number(here.account_id, here.region, stored.phone_number_id) == stored


def test_phone_number_events_are_logged(service: RegistrationService) -> None:
    made = _request(service, 1, tags=(Tag("k", "v"),))
    change = TagChange(put=(Tag("team", "a"),))
    tagged = phone_numbers.step(made, "tag_resource", service._now(), tags=change)
    service.backend.commit_phone_number(
        tagged.phone_number, expected_revision=made.revision, events=tagged.events
    )
    released = phone_numbers.step(tagged.phone_number, "release_phone_number", service._now())
    service.backend.commit_phone_number(
        released.phone_number, expected_revision=tagged.phone_number.revision,
        events=released.events,
    )  # fmt: skip
    logged = [e.event for e in service.backend.read_log(registration_id=made.phone_number_id)]
    assert [(e.event, e.resource_type, e.registration_from, e.registration_to) for e in logged] == [
        ("request_phone_number", "phone-number", None, "ACTIVE"),
        ("tag_resource", "phone-number", "ACTIVE", "ACTIVE"),
        ("release_phone_number", "phone-number", "ACTIVE", "DELETED"),
    ]
    assert logged[0].detail is not None and logged[0].detail["Tags"] == [{"Key": "k", "Value": "v"}]
    assert logged[1].detail == {"Tags": [{"Key": "team", "Value": "a"}]}
    assert all(type(e.registration_to) is PhoneNumberStatus for e in logged)
    with service.backend.snapshot() as snap:
        assert [e.event for e in snap.read_log(registration_id=made.phone_number_id)] == logged
    stored = service.backend.get_phone_number(
        service.account_id, service.region, made.phone_number_id
    )
    assert stored == released.phone_number and stored.tags == (Tag("k", "v"), Tag("team", "a"))


def test_a_stale_phone_number_commit_writes_nothing(service: RegistrationService) -> None:
    made = _request(service, 1)
    log = service.backend.read_log()
    released = phone_numbers.step(made, "release_phone_number", service._now())
    for expected in (made.revision - 1, made.revision + 1):
        with pytest.raises(ConflictException) as info:
            service.backend.commit_phone_number(
                released.phone_number, expected_revision=expected, events=released.events
            )
        assert info.value.reason == "RESOURCE_MODIFICATION_NOT_ALLOWED"
        assert info.value.resource_type == "phone-number"
    # A change of a number that is not there is stale too.
    absent = attrs.evolve(released.phone_number, phone_number_id="phone-" + "d" * 32)
    with pytest.raises(ConflictException) as info:
        service.backend.commit_phone_number(absent, expected_revision=1, events=())
    assert info.value.reason == "RESOURCE_MODIFICATION_NOT_ALLOWED"
    assert (
        service.backend.get_phone_number(service.account_id, service.region, made.phone_number_id)
        == made
    )
    assert service.backend.read_log() == log


def test_a_phone_number_token_is_claimed_once(service: RegistrationService) -> None:
    step = _number(service, 1)
    record = IdempotencyRecord(
        service.account_id, service.region, phone_numbers.TOKEN_PREFIX + "tok", "digest",
        step.phone_number.phone_number_id,
    )  # fmt: skip
    service.backend.commit_phone_number(
        step.phone_number, expected_revision=None, events=step.events, idempotency=record
    )
    found = service.backend.find_idempotency(service.account_id, service.region, record.token)
    assert found == record
    # The token alone is kept apart from a registration's of the same text.
    assert service.backend.find_idempotency(service.account_id, service.region, "tok") is None
    log = service.backend.read_log()
    other = _number(service, 2)
    for again in (other, step):  # a new number with the token; the same number again
        with pytest.raises(ConflictException) as info:
            service.backend.commit_phone_number(
                again.phone_number, expected_revision=None, events=again.events,
                idempotency=record,
            )  # fmt: skip
        assert (info.value.reason, info.value.resource_type) == (
            "RESOURCE_ALREADY_EXISTS", "phone-number"
        )  # fmt: skip
    with pytest.raises(ConflictException) as info:  # the same number, without a token
        service.backend.commit_phone_number(
            step.phone_number, expected_revision=None, events=step.events
        )
    assert info.value.reason == "RESOURCE_ALREADY_EXISTS"
    assert (
        service.backend.get_phone_number(
            service.account_id, service.region, other.phone_number.phone_number_id
        )
        is None
    )
    assert service.backend.read_log() == log


def test_an_e164_number_is_held_until_its_number_is_released(
    service: RegistrationService,
) -> None:
    held = _request(service, 1, e164="+12015550123")
    log = service.backend.read_log()
    twin = _number(service, 2, e164=held.phone_number)
    record = IdempotencyRecord(
        service.account_id, service.region, phone_numbers.TOKEN_PREFIX + "twin", "d",
        twin.phone_number.phone_number_id,
    )  # fmt: skip
    with pytest.raises(ConflictException) as info:
        service.backend.commit_phone_number(
            twin.phone_number, expected_revision=None, events=twin.events, idempotency=record
        )
    assert info.value.reason == "RESOURCE_ALREADY_EXISTS"
    assert held.phone_number_id in str(info.value) and held.phone_number in str(info.value)
    assert (
        service.backend.find_idempotency(service.account_id, service.region, record.token) is None
    )
    assert service.backend.read_log() == log
    assert [n.phone_number_id for n in service.backend.phone_numbers()] == [held.phone_number_id]
    # A change of the holder itself keeps its number.
    tagged = phone_numbers.step(
        held, "tag_resource", service._now(), tags=TagChange(put=(Tag("a", "b"),))
    )
    service.backend.commit_phone_number(
        tagged.phone_number, expected_revision=held.revision, events=tagged.events
    )
    released = phone_numbers.step(tagged.phone_number, "release_phone_number", service._now())
    service.backend.commit_phone_number(
        released.phone_number, expected_revision=tagged.phone_number.revision,
        events=released.events,
    )  # fmt: skip
    # Released (DELETED), it frees the number: the twin takes it, and holds it in turn.
    service.backend.commit_phone_number(
        twin.phone_number, expected_revision=None, events=twin.events, idempotency=record
    )
    with pytest.raises(ConflictException):
        _request(service, 3, e164=held.phone_number)
    statuses = {n.phone_number_id: n.status for n in service.backend.phone_numbers()}
    assert statuses == {
        held.phone_number_id: "DELETED", twin.phone_number.phone_number_id: "ACTIVE"
    }  # fmt: skip


def test_phone_number_quotas_are_charged_with_the_commit(service: RegistrationService) -> None:
    quota = "PHONE_NUMBERS_PER_ACCOUNT"
    one = [QuotaCharge(quota, "", 1, 2)]
    first = _number(service, 1)
    service.backend.commit_phone_number(
        first.phone_number, expected_revision=None, events=first.events, quotas=one
    )
    second = _number(service, 2)
    service.backend.commit_phone_number(
        second.phone_number, expected_revision=None, events=second.events, quotas=one
    )
    assert service.backend.quota_usage(service.account_id, service.region, quota, "") == 2
    log = service.backend.read_log()
    third = _number(service, 3)
    with pytest.raises(ServiceQuotaExceededException) as info:
        service.backend.commit_phone_number(
            third.phone_number, expected_revision=None, events=third.events, quotas=one
        )
    assert info.value.reason == quota
    assert (
        service.backend.get_phone_number(
            service.account_id, service.region, third.phone_number.phone_number_id
        )
        is None
    )
    assert service.backend.read_log() == log

    def veto(events: Any) -> None:
        raise RuntimeError("veto")

    released = phone_numbers.step(first.phone_number, "release_phone_number", service._now())
    give_back = [QuotaCharge(quota, "", -1, None)]
    with pytest.raises(RuntimeError):
        service.backend.commit_phone_number(
            released.phone_number, expected_revision=1, events=released.events,
            quotas=give_back, before_commit=veto,
        )  # fmt: skip
    assert service.backend.quota_usage(service.account_id, service.region, quota, "") == 2
    assert service.backend.read_log() == log
    service.backend.commit_phone_number(
        released.phone_number, expected_revision=1, events=released.events, quotas=give_back
    )
    assert service.backend.quota_usage(service.account_id, service.region, quota, "") == 1
    service.backend.commit_phone_number(
        third.phone_number, expected_revision=None, events=third.events, quotas=one
    )
    assert service.backend.quota_usage(service.account_id, service.region, quota, "") == 2


def test_phone_numbers_are_queried_by_page_ids_and_filters(make_backend: BackendFactory) -> None:
    backend = make_backend()
    here = RegistrationService(backend)
    there = RegistrationService(backend, account_id="222222222222", region="eu-west-1")
    kinds = ["LONG_CODE", "TOLL_FREE", "LONG_CODE", "TEN_DLC", "LONG_CODE", "TOLL_FREE",
             "LONG_CODE", "LONG_CODE"]  # fmt: skip
    made = [
        _request(
            here, n, number_type=kind, e164=f"+1800555{100 + n:04d}",
            capabilities=("SMS", "VOICE") if n % 3 == 0 else ("SMS",),
        )
        for n, kind in enumerate(kinds)
    ]  # fmt: skip
    theirs = _request(there, 99)
    released = phone_numbers.step(made[2], "release_phone_number", here._now())
    made[2] = backend.commit_phone_number(
        released.phone_number, expected_revision=made[2].revision, events=released.events
    )

    def pages(limit: int, **kw: Any) -> list[tuple[phone_numbers.PhoneNumber, ...]]:
        if isinstance(kw.get("filters"), dict):
            kw["filters"] = tuple(kw["filters"].items())
        out, after = [], None
        while True:
            page = backend.query_phone_numbers(
                PhoneNumberQuery(here.account_id, here.region, after=after, limit=limit, **kw)
            )
            out.append(page.items)
            if page.next_position is None:
                return out
            after = page.next_position

    assert pages(3) == [tuple(made[:3]), tuple(made[3:6]), tuple(made[6:])]
    assert pages(4) == [tuple(made[:4]), tuple(made[4:])]  # a full last page, no empty one
    assert pages(100) == [tuple(made)]
    long_code = {"number-type": frozenset({"LONG_CODE"})}
    # Filters that skip rows: each page holds `limit` matches, and the last none too many.
    assert pages(2, filters=long_code) == [
        (made[0], made[2]), (made[4], made[6]), (made[7],)
    ]  # fmt: skip
    active_long = {**long_code, "status": frozenset({"ACTIVE"})}
    assert pages(2, filters=active_long) == [(made[0], made[4]), (made[6], made[7])]
    voice = {"number-capability": frozenset({"VOICE"})}
    assert pages(1, filters=voice) == [(made[0],), (made[3],), (made[6],)]
    # Two filters of one name are both required (a number has several capabilities).
    both = (("number-capability", frozenset({"VOICE"})), ("number-capability", frozenset({"SMS"})))
    assert pages(10, filters=both) == [
        tuple(
            n for n in made if "SMS" in n.number_capabilities and "VOICE" in n.number_capabilities
        )
    ]
    twice = (("status", frozenset({"ACTIVE", "PENDING"})), ("status", frozenset({"PENDING"})))
    assert pages(10, filters=twice) == [(made[1], made[5])]
    pending = {
        "status": frozenset({"PENDING"}),
        "deletion-protection-enabled": frozenset({"false"}),
    }
    assert pages(10, filters=pending) == [(made[1], made[5])]
    assert pages(10, filters={"two-way-channel-arn": frozenset({"arn:x"})}) == [()]
    assert pages(10, filters={"status": frozenset()}) == [()]
    chosen = frozenset({made[5].phone_number_id, made[1].phone_number_id,
                        theirs.phone_number_id, "phone-" + "0" * 31 + "x"})  # fmt: skip
    assert pages(1, phone_number_ids=chosen) == [(made[1],), (made[5],)]
    assert pages(5, phone_number_ids=chosen, filters={"number-type": frozenset({"TOLL_FREE"})}) == [
        (made[1], made[5])
    ]
    assert pages(5, phone_number_ids=frozenset()) == [()]
    assert backend.query_phone_numbers(PhoneNumberQuery("999999999999", "us-east-1")).items == ()


# -- associations: phone numbers committed with their registration -----------------------


def _associate(
    service: RegistrationService, rid: str, number: phone_numbers.PhoneNumber
) -> TransitionEvent:
    """An event of registration ``rid`` that logs the association of ``number`` (the
    contract stores events as they come: no step needs to have made it)."""
    create = service.backend.read_log(registration_id=rid)[0].event
    return create._replace(
        event="associate", registration_from=create.registration_to,
        detail={"ResourceId": number.phone_number_id, "PhoneNumber": number.phone_number},
    )  # fmt: skip


def _moved(stored: Registration, **changes: Any) -> Registration:
    """``stored`` one revision on, with ``changes``."""
    return attrs.evolve(stored, revision=stored.revision + 1, **changes)


def test_a_registration_commit_writes_its_numbers(make_backend: BackendFactory) -> None:
    backend = make_backend()
    here = RegistrationService(backend)
    there = RegistrationService(backend, account_id="222222222222", region="eu-west-1")
    rid, other = new_id(here, filled=False), new_id(here, filled=False)
    stored = backend.get(here.account_id, here.region, rid)
    assert stored is not None
    step = _number(here, 1)
    new = attrs.evolve(step.phone_number, registration_id=rid)
    record = IdempotencyRecord(
        here.account_id, here.region, phone_numbers.TOKEN_PREFIX + "new", "d", new.phone_number_id
    )
    kept = _request(here, 2)
    theirs = backend.commit_phone_number(
        attrs.evolve(_number(here, 3).phone_number, registration_id=other),
        expected_revision=None, events=(),
    )  # fmt: skip
    _request(there, 4)
    log = backend.read_log()
    # A new number (with its token) and a stored one, associated in one commit.
    joined = attrs.evolve(kept, registration_id=rid, revision=kept.revision + 1)
    events = [*step.events, _associate(here, rid, new), _associate(here, rid, joined)]
    changed = _moved(stored, identities=2)
    assert backend.commit(
        changed, expected_revision=stored.revision, events=events, versions=(),
        numbers=[NumberWrite(new, None, record), NumberWrite(joined, kept.revision)],
    ) == changed  # fmt: skip
    assert backend.get(here.account_id, here.region, rid) == changed
    assert backend.get_phone_number(here.account_id, here.region, new.phone_number_id) == new
    assert backend.get_phone_number(here.account_id, here.region, kept.phone_number_id) == joined
    assert backend.find_idempotency(here.account_id, here.region, record.token) == record
    assert [e.event for e in backend.read_log()[len(log) :]] == events

    def associated(registration_id: str, service: RegistrationService = here, **kw: Any) -> Any:
        query = PhoneNumberQuery(service.account_id, service.region,
                                 registration_id=registration_id, **kw)  # fmt: skip
        return backend.query_phone_numbers(query)

    # In creation order: the stored number was made first.
    assert associated(rid).items == (joined, new)
    first = associated(rid, limit=1)
    assert first.items == (joined,) and first.next_position is not None
    assert associated(rid, limit=1, after=first.next_position).items == (new,)
    assert associated(rid, filters=(("status", frozenset({"ACTIVE"})),)).items == (joined, new)
    assert associated(rid, phone_number_ids=frozenset({joined.phone_number_id})).items == (joined,)
    assert associated(other).items == (theirs,)
    assert associated("registration-" + "0" * 32).items == ()
    assert associated(rid, there).items == ()
    # An update that ends the association writes that too.
    left = attrs.evolve(joined, registration_id=None, revision=joined.revision + 1)
    backend.commit(
        _moved(changed, identities=1), expected_revision=changed.revision, events=(),
        versions=(), numbers=[NumberWrite(left, joined.revision)],
    )  # fmt: skip
    assert associated(rid).items == (new,)
    assert make_backend().get_phone_number(here.account_id, here.region, kept.phone_number_id) == (
        left
    )


def test_a_stale_number_refuses_its_registration_commit(service: RegistrationService) -> None:
    backend = service.backend
    rid = new_id(service, filled=False)
    made = _request(service, 1)
    stored = backend.get(service.account_id, service.region, rid)
    assert stored is not None
    log = backend.read_log()
    quota = "PHONE_NUMBERS_PER_ACCOUNT"
    fresh = _number(service, 2)
    new = attrs.evolve(fresh.phone_number, registration_id=rid)
    record = IdempotencyRecord(
        service.account_id, service.region, phone_numbers.TOKEN_PREFIX + "fresh", "d",
        new.phone_number_id,
    )  # fmt: skip
    moved = attrs.evolve(made, registration_id=rid, revision=made.revision + 1)
    for expected in (made.revision - 1, made.revision + 1):
        # The new number comes first: it is written before the stale one is refused.
        with pytest.raises(ConflictException) as info:
            backend.commit(
                _moved(stored, identities=2), expected_revision=stored.revision,
                events=[*fresh.events, _associate(service, rid, new),
                        _associate(service, rid, moved)],
                versions=(), quotas=[QuotaCharge(quota, "", 1, None)],
                numbers=[NumberWrite(new, None, record), NumberWrite(moved, expected)],
            )  # fmt: skip
        assert (info.value.reason, info.value.resource_type, info.value.resource_id) == (
            "RESOURCE_MODIFICATION_NOT_ALLOWED", "phone-number", made.phone_number_id
        )  # fmt: skip
    assert backend.get(service.account_id, service.region, rid) == stored
    assert backend.get_phone_number(service.account_id, service.region, made.phone_number_id) == (
        made
    )
    assert backend.get_phone_number(service.account_id, service.region, new.phone_number_id) is None
    assert backend.find_idempotency(service.account_id, service.region, record.token) is None
    assert backend.quota_usage(service.account_id, service.region, quota, "") == 0
    assert backend.read_log() == log
    assert list(backend.phone_numbers()) == [made]


def test_associations_of_a_registration_round_trip(make_backend: BackendFactory) -> None:
    backend = make_backend()
    service = RegistrationService(backend)
    brand, campaign = new_id(service, filled=False), new_id(service, filled=False)
    first = backend.get(service.account_id, service.region, brand)
    stored = backend.get(service.account_id, service.region, campaign)
    assert first is not None and stored is not None
    assert (stored.identities, stored.associated_registration_id) == (0, None)
    linked = _moved(stored, identities=3, associated_registration_id=brand, sender_id="EXAMPLE")
    backend.commit(linked, expected_revision=stored.revision, events=(), versions=())
    # A new registration stores them too.
    made = attrs.evolve(
        first, registration_id="registration-" + "c" * 32, identities=1,
        associated_registration_id=brand, sender_id="EXAMPLE-2",
    )  # fmt: skip
    backend.commit(made, expected_revision=None, events=(), versions=[made.current_version])
    expected = [first, linked, made]
    for reader in (backend, make_backend()):  # and after reopening
        assert reader.get(service.account_id, service.region, campaign) == linked
        assert reader.get(service.account_id, service.region, made.registration_id) == made
        query = RegistrationQuery(service.account_id, service.region)
        assert list(reader.query_registrations(query).items) == expected
        assert list(reader.registrations()) == expected
        with reader.snapshot() as snap:
            assert list(snap.registrations()) == expected
    # An update that ends them writes that too.
    unlinked = _moved(linked, identities=0, associated_registration_id=None, sender_id=None)
    backend.commit(unlinked, expected_revision=linked.revision, events=(), versions=())
    assert backend.get(service.account_id, service.region, campaign) == unlinked


def test_a_number_whose_e164_is_held_refuses_its_registration_commit(
    service: RegistrationService,
) -> None:
    backend = service.backend
    rid = new_id(service, filled=False)
    held = _request(service, 1, e164="+12015550177")
    stored = backend.get(service.account_id, service.region, rid)
    assert stored is not None
    log = backend.read_log()
    twin = _number(service, 2, e164=held.phone_number)
    new = attrs.evolve(twin.phone_number, registration_id=rid)
    record = IdempotencyRecord(
        service.account_id, service.region, phone_numbers.TOKEN_PREFIX + "twin", "d",
        new.phone_number_id,
    )  # fmt: skip
    events = [*twin.events, _associate(service, rid, new)]

    def associate() -> Registration:
        return backend.commit(
            _moved(stored, identities=1), expected_revision=stored.revision, events=events,
            versions=(), numbers=[NumberWrite(new, None, record)],
        )  # fmt: skip

    with pytest.raises(ConflictException) as info:
        associate()
    assert (info.value.reason, info.value.resource_type, info.value.resource_id) == (
        "RESOURCE_ALREADY_EXISTS", "phone-number", new.phone_number_id
    )  # fmt: skip
    assert held.phone_number_id in str(info.value) and held.phone_number in str(info.value)
    assert backend.get(service.account_id, service.region, rid) == stored
    assert backend.get_phone_number(service.account_id, service.region, new.phone_number_id) is None
    assert backend.find_idempotency(service.account_id, service.region, record.token) is None
    assert backend.read_log() == log
    # Released (DELETED), the held number frees its E.164 number.
    released = phone_numbers.step(held, "release_phone_number", service._now())
    backend.commit_phone_number(
        released.phone_number, expected_revision=held.revision, events=released.events
    )
    associate()
    assert backend.get_phone_number(service.account_id, service.region, new.phone_number_id) == new
