"""The records convert to and from the exact boto3 dictionaries."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from unittest import mock

import attrs
import pytest

from lifecycle import (
    Backend,
    DeniedReason,
    Filter,
    InMemoryBackend,
    Registration,
    RegistrationService,
    RegistrationStatus,
    RegistrationVersion,
    Tag,
    TransitionEvent,
    ValidationException,
    VersionStatusHistory,
)
from lifecycle.testing.forms import fill_form
from tests.conftest import BRAND

# The response members of the seed documents and botocore's model, written out here.
REGISTRATION_KEYS = {
    "RegistrationArn", "RegistrationId", "RegistrationType", "RegistrationStatus",
    "CurrentVersionNumber", "ApprovedVersionNumber", "LatestDeniedVersionNumber",
    "AdditionalAttributes", "CreatedTimestamp",
}  # fmt: skip
CREATE_KEYS = {
    "RegistrationArn", "RegistrationId", "RegistrationType", "RegistrationStatus",
    "CurrentVersionNumber", "AdditionalAttributes", "Tags", "CreatedTimestamp",
}  # fmt: skip
VERSION_OPERATION_KEYS = {
    "RegistrationArn", "RegistrationId", "VersionNumber", "RegistrationVersionStatus",
    "RegistrationVersionStatusHistory",
}  # fmt: skip
VERSION_INFO_KEYS = {
    "VersionNumber", "RegistrationVersionStatus", "RegistrationVersionStatusHistory",
    "DeniedReasons", "Feedback",
}  # fmt: skip
HISTORY_KEYS = {
    "DraftTimestamp", "SubmittedTimestamp", "AwsReviewingTimestamp", "ReviewingTimestamp",
    "RequiresAuthenticationTimestamp", "ApprovedTimestamp", "DiscardedTimestamp",
    "DeniedTimestamp", "RevokedTimestamp", "ArchivedTimestamp",
}  # fmt: skip


def members(response: dict[str, Any]) -> set[str]:
    """The model members of an operation's ``response``, which also carries boto3's
    ``ResponseMetadata`` (not a member of any output shape)."""
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    return set(response) - {"ResponseMetadata"}


def _busy_registration(service: RegistrationService) -> str:
    rid = service.create_registration(RegistrationType=BRAND, Tags=[{"Key": "a", "Value": ""}])[
        "RegistrationId"
    ]
    fill_form(service, rid)
    service.submit_registration_version(RegistrationId=rid, AwsReview=True)
    service.reviewer.begin_review(rid)
    service.reviewer.require_authentication(rid)
    service.reviewer.deny(
        rid,
        [DeniedReason("R", "short", "long", "Doc", "https://example.com/doc"),
         {"Reason": "S", "ShortDescription": "other"}],
    )  # fmt: skip
    service.create_registration_version(RegistrationId=rid)
    return str(rid)


def test_responses_use_only_model_members(service: RegistrationService) -> None:
    created = service.create_registration(RegistrationType=BRAND, Tags=[{"Key": "k", "Value": "v"}])
    assert members(created) <= CREATE_KEYS
    rid = _busy_registration(service)
    reg = service.describe_registrations(RegistrationIds=[rid])["Registrations"][0]
    assert set(reg) <= REGISTRATION_KEYS
    submitted = service.submit_registration_version(RegistrationId=rid)
    assert members(submitted) == VERSION_OPERATION_KEYS | {"AwsReview"}
    for version in service.describe_registration_versions(RegistrationId=rid)[
        "RegistrationVersions"
    ]:
        assert set(version) <= VERSION_INFO_KEYS
        assert set(version["RegistrationVersionStatusHistory"]) <= HISTORY_KEYS
    assert members(service.delete_registration(RegistrationId=created["RegistrationId"])) <= (
        REGISTRATION_KEYS
    )


def test_round_trip_through_boto3_dictionaries(service: RegistrationService) -> None:
    rid = _busy_registration(service)
    stored = service.backend.get(service.account_id, service.region, rid)
    assert stored is not None
    reg_dict = service.describe_registrations(RegistrationIds=[rid])["Registrations"][0]
    versions = service.describe_registration_versions(RegistrationId=rid)["RegistrationVersions"]
    rebuilt = Registration.from_dicts(
        reg_dict, versions, tags=[t.to_dict() for t in stored.tags], revision=stored.revision
    )
    assert rebuilt == stored
    assert rebuilt.to_dict() == reg_dict
    assert [RegistrationVersion.from_dict(v).to_dict() for v in versions] == versions
    reason = RegistrationVersion.from_dict(versions[0]).denied_reasons[0]
    assert DeniedReason.from_dict(reason.to_dict()) == reason
    assert Tag.from_dict({"Key": "k", "Value": "v"}) == Tag("k", "v")
    flt = Filter.from_dict({"Name": "registration-status", "Values": ["CREATED"]})
    assert flt == Filter("registration-status", ("CREATED",))
    assert flt.to_dict() == {"Name": "registration-status", "Values": ["CREATED"]}


@pytest.mark.parametrize(
    ("parse", "data", "field"),
    [
        (Tag.from_dict, {"Key": "k"}, "Tag.Value"),
        (Filter.from_dict, {"Name": "x"}, "Filter.Values"),
        (Filter.from_dict, {"Name": "x", "Values": 5}, "Filter"),
        (DeniedReason.from_dict, {"Reason": "r"},
         "RegistrationDeniedReasonInformation.ShortDescription"),
        (VersionStatusHistory.from_dict, {}, "RegistrationVersionStatusHistory.DraftTimestamp"),
        (VersionStatusHistory.from_dict, {"DraftTimestamp": "2024"},
         "RegistrationVersionStatusHistory"),
        (RegistrationVersion.from_dict,
         {"VersionNumber": 1, "RegistrationVersionStatus": "NOPE",
          "RegistrationVersionStatusHistory": {}}, "RegistrationVersionInformation"),
        (Tag.from_dict, None, "Tag"),
    ],
)  # fmt: skip
def test_malformed_dictionaries(parse: Any, data: Any, field: str) -> None:
    with pytest.raises(ValidationException) as info:
        parse(data)
    assert info.value.fields[0]["Name"] == field


def test_in_memory_backend_implements_the_port() -> None:
    assert isinstance(InMemoryBackend(), Backend)


def test_transition_events_are_json_serialisable(service: RegistrationService) -> None:
    seen: list[TransitionEvent] = []
    service.subscribe(seen.append)
    _busy_registration(service)
    moves = [e.event for e in seen if e.event != "put_field_value"]
    assert moves[:3] == ["create", "submit", "begin_review"]
    for event in seen:
        data = json.loads(json.dumps(event.to_dict()))
        assert data == event.to_dict()
        assert datetime.fromisoformat(data["Timestamp"]) == event.timestamp
        assert data["Timestamp"].endswith("+00:00")
        for key in ("Actor", "VersionFrom", "VersionTo", "RegistrationFrom", "RegistrationTo"):
            assert data[key] is None or type(event.to_dict()[key]) is str
    create = seen[0].to_dict()
    assert (create["VersionFrom"], create["VersionTo"]) == (None, "DRAFT")
    assert (create["RegistrationTo"], create["Actor"]) == ("CREATED", "user")


def test_transition_events_and_histories_are_records(service: RegistrationService) -> None:
    """An event or a history is equal only to a record of its class with equal fields
    (not to the tuple it is built on, yet to ``mock.ANY``), has no order, and an event
    hashes without its detail, which is a mapping."""
    seen: list[TransitionEvent] = []
    service.subscribe(seen.append)
    _busy_registration(service)
    edit = next(e for e in seen if e.event == "put_field_value")
    assert edit.detail is not None
    assert edit == edit._replace() and edit != tuple(edit) and tuple(edit) != edit
    assert edit != edit._replace(detail={"FieldPath": "other"})
    assert hash(edit) == hash(edit._replace(detail={"FieldPath": "other"}))
    assert len(set(seen)) == len(seen)
    assert seen == [mock.ANY] * len(seen)
    history = VersionStatusHistory(edit.timestamp)
    assert history == VersionStatusHistory(edit.timestamp) != (edit.timestamp,) + (None,) * 9
    assert history == mock.ANY and len({history, VersionStatusHistory(edit.timestamp)}) == 1
    for a, b in ((edit, edit), (history, history), (edit, tuple(edit))):
        with pytest.raises(TypeError, match="no order"):
            sorted([a, b])


def test_a_step_copies_every_field_of_the_registration(service: RegistrationService) -> None:
    """with_versions builds the copy field by field, by position: each field must land
    where attrs.evolve would put it."""
    rid = _busy_registration(service)
    stored = service.backend.get(service.account_id, service.region, rid)
    assert stored is not None
    forged = attrs.evolve(
        stored,
        latest_denied_version_number=7,
        latest_revoked_version_number=9,
        tags=(Tag("Name", "x"),),
    )
    copy = forged.with_versions((), status=RegistrationStatus.REVIEWING, revision=42)
    assert copy == attrs.evolve(forged, status=RegistrationStatus.REVIEWING, revision=42)
