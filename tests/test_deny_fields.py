"""The reviewer's deny flags fields: a DeniedReason and Feedback on values of the denied
version, shown there only, logged with the deny and replayed by verify; on every
backend."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from lifecycle import ConflictException, RegistrationService, ValidationException
from lifecycle.audit import verify
from lifecycle.events import TransitionEvent
from lifecycle.ports import FormChange
from tests.conftest import new_id, snapshot
from tests.shapes import conforms

NAME, TAX_ID = "companyInfo.companyName", "companyInfo.taxId"
SYMBOL = "companyInfo.stockSymbol"  # not required of a private company: no value
REASONS = [{"Reason": "BRAND_INFO_MISMATCH", "ShortDescription": "The EIN does not match."}]
FLAG = {"DeniedReason": "The EIN is not the IRS's.", "Feedback": "Enter the EIN on the IRS letter."}


def _in_review(service: RegistrationService) -> str:
    """A registration whose version 1, a complete form with the name Acme and the tax
    id 12, is in review."""
    rid = new_id(service)
    service.put_registration_field_value(RegistrationId=rid, FieldPath=NAME, TextValue="Acme")
    service.put_registration_field_value(RegistrationId=rid, FieldPath=TAX_ID, TextValue="12")
    service.submit_registration_version(RegistrationId=rid)
    service.reviewer.begin_review(rid)
    return rid


def _values(service: RegistrationService, rid: str, **params: Any) -> list[dict[str, Any]]:
    answer = service.describe_registration_field_values(RegistrationId=rid, **params)
    return list(answer["RegistrationFieldValues"])


def _log(service: RegistrationService) -> list[TransitionEvent]:
    """Every committed event (a snapshot's log: PostgreSQL's own shows only the settled
    ones, which another session's open transaction may hold back)."""
    with service.backend.snapshot() as snap:
        return [logged.event for logged in snap.read_log()]


def _output_shape() -> Any:
    loaders = pytest.importorskip("botocore.loaders", reason="botocore is not installed")
    from botocore.model import ServiceModel

    model = ServiceModel(loaders.Loader().load_service_model("pinpoint-sms-voice-v2", "service-2"))
    return model.operation_model("DescribeRegistrationFieldValues").output_shape


def test_flags_show_on_the_denied_version_only(service: RegistrationService) -> None:
    rid = _in_review(service)
    seen: list[TransitionEvent] = []
    service.subscribe(seen.append)
    service.reviewer.deny(rid, REASONS, fields={TAX_ID: FLAG})
    denied = service.describe_registration_field_values(RegistrationId=rid, VersionNumber=1)
    conforms(_output_shape(), denied, "DescribeRegistrationFieldValues")
    shown = denied["RegistrationFieldValues"]
    assert [v for v in shown if v["FieldPath"] in (NAME, TAX_ID)] == [
        {"FieldPath": NAME, "TextValue": "Acme"},
        {"FieldPath": TAX_ID, "TextValue": "12", **FLAG},
    ]
    assert [v["FieldPath"] for v in shown if "DeniedReason" in v] == [TAX_ID]
    (deny,) = seen
    assert deny.event == "deny" and deny.detail == {"Fields": {TAX_ID: FLAG}}
    assert _log(service)[-1] == deny

    # The new version copies the values, not the flags; fixing one there leaves v1 alone.
    service.create_registration_version(RegistrationId=rid)
    assert _values(service, rid, FieldPaths=[NAME, TAX_ID]) == [
        {"FieldPath": NAME, "TextValue": "Acme"},
        {"FieldPath": TAX_ID, "TextValue": "12"},
    ]
    assert not any("DeniedReason" in v for v in _values(service, rid))
    service.put_registration_field_value(RegistrationId=rid, FieldPath=TAX_ID, TextValue="34")
    assert _values(service, rid, FieldPaths=[TAX_ID]) == [{"FieldPath": TAX_ID, "TextValue": "34"}]
    assert _values(service, rid, VersionNumber=1, FieldPaths=[TAX_ID]) == [
        {"FieldPath": TAX_ID, "TextValue": "12", **FLAG}
    ]
    assert verify(service.backend)[2] == []


def test_a_deny_without_fields_flags_nothing(service: RegistrationService) -> None:
    rid = _in_review(service)
    service.reviewer.deny(RegistrationId=rid, DeniedReasons=REASONS, fields={})
    assert not any("DeniedReason" in v or "Feedback" in v for v in _values(service, rid))
    assert _log(service)[-1].detail is None


@pytest.mark.parametrize(
    ("fields", "name", "message"),
    [
        ([TAX_ID], "fields", "must be a dictionary"),
        ({3: FLAG}, "fields", "keys must be field paths, got int 3"),
        ({TAX_ID: "bad"}, f'fields["{TAX_ID}"]', "must be a dictionary"),
        ({TAX_ID: {"DeniedReason": "R"}}, f'fields["{TAX_ID}"].Feedback', "is required"),
        ({TAX_ID: {**FLAG, "Note": "n"}}, f'fields["{TAX_ID}"].Note', "unknown parameter"),
        ({TAX_ID: {**FLAG, "DeniedReason": ""}}, f'fields["{TAX_ID}"].DeniedReason',
         "length must be 1 to 2048"),
        ({TAX_ID: {**FLAG, "Feedback": "f" * 10_001}}, f'fields["{TAX_ID}"].Feedback',
         "length must be 1 to 10000"),
        ({TAX_ID: {**FLAG, "Feedback": 5}}, f'fields["{TAX_ID}"].Feedback', "must be a string"),
        ({TAX_ID: FLAG, "companyInfo.nope": FLAG}, 'fields["companyInfo.nope"]',
         "is not a FieldPath of US_TEN_DLC_BRAND_REGISTRATION"),
        ({TAX_ID: FLAG, SYMBOL: FLAG}, f'fields["{SYMBOL}"]', "has no value in version 1"),
    ],
)  # fmt: skip
def test_bad_fields_are_refused_naming_the_field_and_change_nothing(
    service: RegistrationService, fields: Any, name: str, message: str
) -> None:
    rid = _in_review(service)
    before = snapshot(service), _values(service, rid), _log(service)
    with pytest.raises(ValidationException) as info:
        service.reviewer.deny(rid, REASONS, fields=fields)
    assert info.value.fields[0]["Name"] == name
    assert message in info.value.fields[0]["Message"]
    if "FieldPath" in message:
        assert info.value.reason == "UNKNOWN_REGISTRATION_FIELD"
    assert (snapshot(service), _values(service, rid), _log(service)) == before


def test_a_deny_the_machines_refuse_is_a_conflict_before_the_values_are_read(
    service: RegistrationService,
) -> None:
    rid = new_id(service)  # a DRAFT: nothing to deny, and no value to flag either
    with pytest.raises(ConflictException):
        service.reviewer.deny(rid, REASONS, fields={TAX_ID: FLAG})


def test_verify_replays_the_flags_and_finds_a_flag_no_event_explains(
    service: RegistrationService,
) -> None:
    rid = _in_review(service)
    service.reviewer.deny(rid, REASONS, fields={TAX_ID: FLAG})
    service.create_registration_version(RegistrationId=rid)
    assert verify(service.backend)[2] == []
    stored = service.backend.get(service.account_id, service.region, rid)
    assert stored is not None
    service.backend.commit(  # a flag changed without an event
        attrs.evolve(stored, revision=stored.revision + 1),
        expected_revision=stored.revision, events=(), versions=(),
        form=FormChange(1, flags={TAX_ID: ("Forged", "Forged")}),
    )  # fmt: skip
    (found,) = verify(service.backend)[2]
    assert "version 1 field values" in found.problem and "Forged" in found.problem
