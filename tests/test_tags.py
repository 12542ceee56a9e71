"""Tags on registrations: TagResource, UntagResource and ListTagsForResource on every
backend, their limits and refusals, and their events in the log, the Outbox, verify
and ``lifecycle events``."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import attrs
import pytest

from lifecycle import (
    AccessDeniedException,
    ConflictException,
    RegistrationService,
    ResourceNotFoundException,
    TransitionEvent,
    ValidationException,
)
from lifecycle.audit import verify
from lifecycle.backends.sqlite import SqliteBackend
from lifecycle.cli import main
from lifecycle.errors import ServiceQuotaExceededException
from lifecycle.models import RESOURCE_TYPES, Tag
from lifecycle.outbox import Outbox
from lifecycle.testing.strategies import ARN, INVALID_REQUESTS
from tests.conftest import BRAND, BackendFactory, body, new_id, reviewing, snapshot


def _arn(service: RegistrationService, rid: str) -> str:
    return str(service.describe_registrations(RegistrationIds=[rid])["Registrations"][0][
        "RegistrationArn"])  # fmt: skip


def _tags(service: RegistrationService, rid: str) -> list[dict[str, str]]:
    return list(service.list_tags_for_resource(ResourceArn=_arn(service, rid))["Tags"])


def _tag(service: RegistrationService, rid: str, **tags: str) -> dict[str, Any]:
    pairs = [{"Key": k, "Value": v} for k, v in tags.items()]
    return service.tag_resource(ResourceArn=_arn(service, rid), Tags=pairs)


def test_tags_merge_by_key_and_untag_ignores_absent_keys(service: RegistrationService) -> None:
    rid = new_id(service, Tags=[{"Key": "Name", "Value": "Brand"}, {"Key": "team", "Value": "a"}])
    arn = _arn(service, rid)
    assert body(_tag(service, rid, env="prod", Name="Acme brand")) == {}
    # A key set again keeps its place with the new value; a new key goes last.
    assert _tags(service, rid) == [
        {"Key": "Name", "Value": "Acme brand"}, {"Key": "team", "Value": "a"},
        {"Key": "env", "Value": "prod"},
    ]  # fmt: skip
    assert body(service.untag_resource(ResourceArn=arn, TagKeys=["team", "absent", "team"])) == {}
    listed = service.list_tags_for_resource(ResourceArn=arn)
    assert body(listed) == {
        "ResourceArn": arn,
        "Tags": [{"Key": "Name", "Value": "Acme brand"}, {"Key": "env", "Value": "prod"}],
    }
    service.untag_resource(ResourceArn=arn, TagKeys=["Name", "env"])
    assert _tags(service, rid) == []


def test_tags_change_in_every_status_but_deleted(service: RegistrationService) -> None:
    rid = reviewing(service)
    service.reviewer.require_authentication(rid)
    _tag(service, rid, Name="in review")  # no status moves
    registration = service.describe_registrations(RegistrationIds=[rid])["Registrations"][0]
    assert registration["RegistrationStatus"] == "REQUIRES_AUTHENTICATION"
    service.reviewer.complete_authentication(rid)
    service.reviewer.approve(rid)
    service.reviewer.complete_provisioning(rid)
    service.delete_registration(RegistrationId=rid)
    before = snapshot(service)
    with pytest.raises(ResourceNotFoundException):
        _tag(service, rid, Name="gone")
    with pytest.raises(ResourceNotFoundException):
        service.untag_resource(ResourceArn=_arn(service, rid), TagKeys=["Name"])
    assert snapshot(service) == before
    # A deleted registration is still described, tags included.
    assert _tags(service, rid) == [{"Key": "Name", "Value": "in review"}]


def test_a_refusal_names_no_tag_operation_among_the_allowed(service: RegistrationService) -> None:
    rid = new_id(service, filled=False)
    service.discard_registration_version(RegistrationId=rid)
    with pytest.raises(ConflictException) as info:
        service.discard_registration_version(RegistrationId=rid)
    assert "Allowed from here: CreateRegistrationVersion, DeleteRegistration." in str(info.value)


def test_tags_persist(make_backend: BackendFactory) -> None:
    first = RegistrationService(make_backend())
    rid = new_id(first, Tags=[{"Key": "a", "Value": "1"}])
    _tag(first, rid, b="2", a="3")
    first.submit_registration_version(RegistrationId=rid)  # a step that keeps them
    again = RegistrationService(make_backend())
    assert _tags(again, rid) == [{"Key": "a", "Value": "3"}, {"Key": "b", "Value": "2"}]
    stored = again.backend.get(again.account_id, again.region, rid)
    assert stored is not None and stored.tags == (Tag("a", "3"), Tag("b", "2"))


def test_tags_per_resource(service: RegistrationService) -> None:
    limited = RegistrationService(service.backend, quotas={"TAGS_PER_RESOURCE": 3})
    rid = new_id(
        limited, filled=False, Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]
    )
    before = snapshot(limited)
    with pytest.raises(ServiceQuotaExceededException) as info:
        _tag(limited, rid, c="3", d="4")
    assert info.value.reason == "TAGS_PER_RESOURCE" and "3" in info.value.message
    assert snapshot(limited) == before
    assert [e.event.event for e in limited.backend.read_log(registration_id=rid)] == ["create"]
    _tag(limited, rid, a="new", c="3")  # overwriting a key adds no tag: exactly the limit
    _tag(limited, rid, c="again")
    assert len(_tags(limited, rid)) == 3
    with pytest.raises(ServiceQuotaExceededException):
        limited.create_registration(
            RegistrationType=BRAND, Tags=[{"Key": k, "Value": ""} for k in "wxyz"]
        )
    # The default is AWS's 50 tags.
    full = new_id(service, filled=False, Tags=[{"Key": f"k{i}", "Value": ""} for i in range(50)])
    with pytest.raises(ServiceQuotaExceededException):
        _tag(service, full, one="more")


@pytest.mark.parametrize(
    ("arn", "error", "resource_type"),
    [
        ("arn:aws:sms-voice:us-east-1:999999999999:registration/{rid}", AccessDeniedException,
         None),
        ("arn:aws:sms-voice:eu-west-1:123456789012:registration/{rid}", AccessDeniedException,
         None),
        ("arn:aws:sms-voice:us-east-1:123456789012:registration/registration-" + "0" * 32,
         ResourceNotFoundException, "registration"),
        # A resource type of the model that this library does not hold, and ARNs of
        # a number and an attachment naming none.
        ("arn:aws:sms-voice:us-east-1:123456789012:sender-id/{rid}",
         ResourceNotFoundException, "sender-id"),
        ("arn:aws:sms-voice:us-east-1:123456789012:phone-number/phone-" + "0" * 32,
         ResourceNotFoundException, "phone-number"),
        ("arn:aws:sms-voice:us-east-1:123456789012:registration-attachment/{rid}",
         ResourceNotFoundException, "registration-attachment"),
    ],
)  # fmt: skip
def test_arns_this_service_does_not_hold(
    service: RegistrationService, arn: str, error: type[Exception], resource_type: str | None
) -> None:
    rid = new_id(service, filled=False)
    arn = arn.format(rid=rid)
    before = snapshot(service)
    for call in (
        lambda: service.list_tags_for_resource(ResourceArn=arn),
        lambda: service.tag_resource(ResourceArn=arn, Tags=[{"Key": "k", "Value": "v"}]),
        lambda: service.untag_resource(ResourceArn=arn, TagKeys=["k"]),
    ):
        with pytest.raises(error) as info:
            call()
        assert getattr(info.value, "resource_type", None) == resource_type
        assert "ResourceArn" in str(info.value) or resource_type in (
            "registration",
            "registration-attachment",
            "phone-number",
        )
    assert snapshot(service) == before


_TAG_RULES = [r for r in INVALID_REQUESTS if r[0] in ("tag_resource", "untag_resource")]


@pytest.mark.parametrize(
    ("operation", "params", "field", "reason"),
    _TAG_RULES,
    ids=[f"{r[0]}-{r[2]}-{i}" for i, r in enumerate(_TAG_RULES)],
)
def test_bad_tag_requests_change_nothing(
    service: RegistrationService,
    operation: str,
    params: dict[str, Any],
    field: str,
    reason: str | None,
) -> None:
    """Each rule of the model, on a tagged registration that exists: the model's reason,
    the field named, and its tags as they were."""
    rid = new_id(service, filled=False, Tags=[{"Key": "k0", "Value": "v"}])
    if params.get("ResourceArn") == ARN:
        params = {**params, "ResourceArn": _arn(service, rid)}
    before = snapshot(service)
    with pytest.raises(ValidationException) as info:
        getattr(service, operation)(**params)
    assert info.value.fields[0]["Name"] == field
    assert info.value.reason == (reason or "FIELD_VALIDATION_FAILED")
    assert snapshot(service) == before


def test_tag_changes_are_events(service: RegistrationService) -> None:
    seen: list[TransitionEvent] = []
    service.subscribe(seen.append)
    rid = new_id(service, filled=False, Tags=[{"Key": "Name", "Value": "Brand"}])
    _tag(service, rid, Name="Acme")
    service.untag_resource(ResourceArn=_arn(service, rid), TagKeys=["Name"])
    logged = [e.event for e in service.backend.read_log(registration_id=rid)]
    assert logged == seen
    assert [(e.event, e.actor.value, e.version_number, e.registration_from, e.registration_to,
             e.detail) for e in logged] == [
        ("create", "user", 1, None, "CREATED", {"Tags": [{"Key": "Name", "Value": "Brand"}]}),
        ("tag_resource", "user", None, "CREATED", "CREATED",
         {"Tags": [{"Key": "Name", "Value": "Acme"}]}),
        ("untag_resource", "user", None, "CREATED", "CREATED", {"TagKeys": ["Name"]}),
    ]  # fmt: skip
    delivered: list[TransitionEvent] = []
    Outbox(service.backend, "tags").drain(delivered.append)
    assert delivered == logged
    assert verify(service.backend) == (1, 3, [])


def test_verify_finds_tampered_tags(service: RegistrationService) -> None:
    rid = new_id(service, filled=False, Tags=[{"Key": "Name", "Value": "Brand"}])
    _tag(service, rid, team="a")
    stored = service.backend.get(service.account_id, service.region, rid)
    assert stored is not None
    tampered = attrs.evolve(stored, tags=(Tag("Name", "Other"),), revision=stored.revision + 1)
    service.backend.commit(tampered, expected_revision=stored.revision, events=(), versions=())
    (problem,) = verify(service.backend)[2]
    assert problem.registration_id == rid
    assert problem.problem == (
        "stored tags [{'Key': 'Name', 'Value': 'Other'}], replayed "
        "[{'Key': 'Name', 'Value': 'Brand'}, {'Key': 'team', 'Value': 'a'}]"
    )


def test_lifecycle_events_and_verify_show_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "store.db"
    service = RegistrationService(SqliteBackend(db))
    rid = new_id(service, filled=False)
    _tag(service, rid, Name="Acme brand")
    service.untag_resource(ResourceArn=_arn(service, rid), TagKeys=["Name"])
    assert main(["events", "--db", str(db), "--registration", rid]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[2] for line in lines] == ["create", "tag_resource", "untag_resource"]
    assert lines[1].endswith(
        'registration: CREATED -> CREATED  {"Tags": [{"Key": "Name", "Value": "Acme brand"}]}'
    )
    assert lines[2].endswith('{"TagKeys": ["Name"]}')
    assert main(["verify", "--db", str(db)]) == 0
    with closing(sqlite3.connect(db)) as conn:  # the tags column, behind the log's back
        conn.execute('UPDATE registrations SET tags = \'[{"Key": "x", "Value": "y"}]\'')
        conn.commit()
    capsys.readouterr()
    assert main(["verify", "--db", str(db)]) == 1
    assert f"MISMATCH {rid}: stored tags [{{'Key': 'x'" in capsys.readouterr().out


def test_resource_types_are_the_model_s() -> None:
    botocore_loaders = pytest.importorskip("botocore.loaders", reason="botocore is not installed")
    model = botocore_loaders.Loader().load_service_model("pinpoint-sms-voice-v2", "service-2")
    assert set(RESOURCE_TYPES) == set(model["shapes"]["ResourceType"]["enum"])
