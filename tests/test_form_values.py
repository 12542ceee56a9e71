"""Put, delete and describe field values: checked against the catalogue, legal only on
a DRAFT, logged, copied into a new version, on every backend."""

from __future__ import annotations

from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lifecycle import ConflictException, RegistrationService, ValidationException
from lifecycle.audit import verify
from lifecycle.catalogue import Catalogue
from lifecycle.errors import ResourceNotFoundException
from lifecycle.form import FieldValue, FormChange, check_complete
from lifecycle.testing.forms import example_values, fill_form
from lifecycle.testing.strategies import field_values, invalid_field_values
from tests.conftest import BRAND, new_id, reviewing, snapshot

NAME = "companyInfo.companyName"
LEGAL = "companyInfo.legalType"


def _denied_with_a_name(service: RegistrationService) -> str:
    """A registration whose version 1, a complete form with the company name Acme, was
    denied."""
    rid = new_id(service)
    service.put_registration_field_value(RegistrationId=rid, FieldPath=NAME, TextValue="Acme")
    service.submit_registration_version(RegistrationId=rid)
    service.reviewer.begin_review(rid)
    service.reviewer.deny(rid, [{"Reason": "R", "ShortDescription": "s"}])
    return rid


def values(service: RegistrationService, rid: str, **params: Any) -> list[dict[str, Any]]:
    answer = service.describe_registration_field_values(RegistrationId=rid, **params)
    return list(answer["RegistrationFieldValues"])


def test_put_answers_and_describe_shows_the_values_in_form_order(
    service: RegistrationService,
) -> None:
    rid = new_id(service, filled=False)
    put = service.put_registration_field_value(RegistrationId=rid, FieldPath=LEGAL,
                                               SelectChoices=["PUBLIC_PROFIT"])  # fmt: skip
    assert put["FieldPath"] == LEGAL and put["SelectChoices"] == ["PUBLIC_PROFIT"]
    assert put["VersionNumber"] == 1 and put["RegistrationId"] == rid
    service.put_registration_field_value(RegistrationId=rid, FieldPath=NAME, TextValue="Acme")
    service.put_registration_field_value(RegistrationId=rid, FieldPath=NAME, TextValue="Acme 2")
    assert values(service, rid) == [  # companyName comes before legalType in the form
        {"FieldPath": NAME, "TextValue": "Acme 2"},
        {"FieldPath": LEGAL, "SelectChoices": ["PUBLIC_PROFIT"]},
    ]
    assert values(service, rid, FieldPaths=[LEGAL]) == [
        {"FieldPath": LEGAL, "SelectChoices": ["PUBLIC_PROFIT"]}
    ]
    assert values(service, rid, SectionPath="contactInfo") == []


def test_delete_removes_the_value_and_answers_it(service: RegistrationService) -> None:
    rid = new_id(service, filled=False)
    service.put_registration_field_value(RegistrationId=rid, FieldPath=NAME, TextValue="Acme")
    deleted = service.delete_registration_field_value(RegistrationId=rid, FieldPath=NAME)
    assert deleted["TextValue"] == "Acme" and values(service, rid) == []
    again = service.delete_registration_field_value(RegistrationId=rid, FieldPath=NAME)
    assert "TextValue" not in again and again["FieldPath"] == NAME  # absent: nothing to remove


@pytest.mark.parametrize(
    ("params", "reason", "field"),
    [
        ({"FieldPath": "companyInfo.nope", "TextValue": "x"}, "UNKNOWN_REGISTRATION_FIELD",
         "FieldPath"),
        ({"FieldPath": LEGAL, "TextValue": "x"}, "INVALID_PARAMETER", LEGAL),
        ({"FieldPath": LEGAL, "SelectChoices": ["NOPE"]}, "FIELD_VALIDATION_FAILED", LEGAL),
        ({"FieldPath": NAME, "TextValue": "x", "SelectChoices": ["y"]},
         "PARAMETERS_CANNOT_BE_USED_TOGETHER", NAME),
        ({"FieldPath": NAME}, "MISSING_PARAMETER", NAME),
        ({"FieldPath": NAME, "TextValue": "x" * 101}, "FIELD_VALIDATION_FAILED", NAME),
        ({"FieldPath": "companyInfo.taxIdIssuingCountry", "TextValue": "us"},
         "FIELD_VALIDATION_FAILED", "companyInfo.taxIdIssuingCountry"),
        ({"FieldPath": "a b", "TextValue": "x"}, "FIELD_VALIDATION_FAILED", "FieldPath"),
    ],
)  # fmt: skip
def test_a_bad_value_is_refused_naming_the_field_and_changes_nothing(
    service: RegistrationService, params: dict[str, Any], reason: str, field: str
) -> None:
    rid = new_id(service, filled=False)
    before = snapshot(service)
    with pytest.raises(ValidationException) as info:
        service.put_registration_field_value(RegistrationId=rid, **params)
    assert info.value.reason == reason and info.value.fields[0]["Name"] == field
    assert snapshot(service) == before and values(service, rid) == []


def test_an_attachment_must_exist(service: RegistrationService) -> None:
    rid = service.create_registration(RegistrationType="US_TOLL_FREE_REGISTRATION")[
        "RegistrationId"
    ]
    with pytest.raises(ResourceNotFoundException):
        service.put_registration_field_value(
            RegistrationId=rid, FieldPath="messagingUseCase.optInImage",
            RegistrationAttachmentId="attachment-" + "0" * 32,
        )  # fmt: skip


@pytest.mark.parametrize("edit", ["put", "delete"])
def test_edits_are_refused_once_the_version_is_no_draft(
    service: RegistrationService, edit: str
) -> None:
    rid = reviewing(service)
    before = snapshot(service)
    with pytest.raises(ConflictException) as info:
        if edit == "put":
            service.put_registration_field_value(RegistrationId=rid, FieldPath=NAME,
                                                 TextValue="Acme")  # fmt: skip
        else:
            service.delete_registration_field_value(RegistrationId=rid, FieldPath=NAME)
    assert info.value.reason == "EDIT_REGISTRATION_FIELD_VALUES_NOT_ALLOWED"
    assert "REVIEWING" in info.value.message
    assert snapshot(service) == before


def test_a_new_version_starts_with_the_values_of_the_last_and_the_old_stay(
    service: RegistrationService,
) -> None:
    rid = _denied_with_a_name(service)
    assert service.create_registration_version(RegistrationId=rid)["VersionNumber"] == 2
    assert values(service, rid) == values(service, rid, VersionNumber=1)
    assert values(service, rid, FieldPaths=[NAME]) == [{"FieldPath": NAME, "TextValue": "Acme"}]
    service.put_registration_field_value(RegistrationId=rid, FieldPath=NAME, TextValue="Fixed")
    assert values(service, rid, FieldPaths=[NAME]) == [{"FieldPath": NAME, "TextValue": "Fixed"}]
    assert values(service, rid, VersionNumber=1, FieldPaths=[NAME]) == [
        {"FieldPath": NAME, "TextValue": "Acme"}
    ]
    with pytest.raises(ValidationException) as info:
        values(service, rid, VersionNumber=3)
    assert info.value.reason == "UNKNOWN_REGISTRATION_VERSION"


def test_edits_are_logged_with_their_values(service: RegistrationService) -> None:
    rid = new_id(service, filled=False)
    service.put_registration_field_value(RegistrationId=rid, FieldPath=NAME, TextValue="Acme")
    service.delete_registration_field_value(RegistrationId=rid, FieldPath=NAME)
    logged = [e.event for e in service.backend.read_log(registration_id=rid)]
    assert [(e.event, e.version_from, e.version_to, e.detail) for e in logged[1:]] == [
        ("put_field_value", "DRAFT", "DRAFT", {"FieldPath": NAME, "TextValue": "Acme"}),
        ("delete_field_value", "DRAFT", "DRAFT", {"FieldPath": NAME}),
    ]


def test_values_are_paged(service: RegistrationService) -> None:
    rid = new_id(service, filled=False)
    for path, text in [(NAME, "Acme"), ("companyInfo.taxId", "12"), ("companyInfo.city", "X"),
                       ("contactInfo.dbaName", "A")]:  # fmt: skip
        service.put_registration_field_value(RegistrationId=rid, FieldPath=path, TextValue=text)
    pages = service.get_paginator("describe_registration_field_values").paginate(
        RegistrationId=rid, PaginationConfig={"PageSize": 3}
    )
    assert [len(p["RegistrationFieldValues"]) for p in pages] == [3, 1]


def test_describe_refuses_unknown_paths(service: RegistrationService) -> None:
    rid = new_id(service, filled=False)
    with pytest.raises(ValidationException) as info:
        values(service, rid, SectionPath="nope")
    assert info.value.reason == "UNKNOWN_REGISTRATION_SECTION"
    with pytest.raises(ValidationException) as info:
        values(service, rid, FieldPaths=["companyInfo.nope"])
    assert info.value.reason == "UNKNOWN_REGISTRATION_FIELD"


def test_through_a_boto3_client(service: RegistrationService) -> None:
    pytest.importorskip("boto3", reason="the aws extra is not installed")
    import lifecycle.aws

    client = lifecycle.aws.client(service)
    rid = client.create_registration(RegistrationType=BRAND)["RegistrationId"]
    client.put_registration_field_value(RegistrationId=rid, FieldPath=NAME, TextValue="Acme")
    answer = client.describe_registration_field_values(RegistrationId=rid)
    assert answer["RegistrationFieldValues"] == [{"FieldPath": NAME, "TextValue": "Acme"}]
    with pytest.raises(client.exceptions.ValidationException):
        client.put_registration_field_value(RegistrationId=rid, FieldPath=LEGAL, TextValue="x")


def test_verify_replays_the_values_and_finds_a_value_written_without_its_event(
    service: RegistrationService,
) -> None:
    rid = _denied_with_a_name(service)
    service.create_registration_version(RegistrationId=rid)
    service.delete_registration_field_value(RegistrationId=rid, FieldPath=NAME)
    assert verify(service.backend)[2] == []
    stored = service.backend.get(service.account_id, service.region, rid)
    assert stored is not None
    service.backend.commit(  # a value no event explains
        attrs.evolve(stored, revision=stored.revision + 1),
        expected_revision=stored.revision, events=(), versions=(),
        form=FormChange(1, put={NAME: FieldValue(text="Forged")}),
    )  # fmt: skip
    found = verify(service.backend)[2]
    assert len(found) == 1 and "version 1 field values" in found[0].problem


# A user's form: a short text with a pattern, a select of 2 to 3 of 4 options, and a
# text and a select without limits.
MINE = Catalogue(sources=[
    {"RegistrationTypeDefinitions": [{"RegistrationType": "MY_TYPE",
                                      "DisplayHints": {"Title": "Mine"}}]},
    {"RegistrationType": "MY_TYPE", "RegistrationSectionDefinitions": [
        {"SectionPath": "s", "DisplayHints": {"Title": "S", "ShortDescription": "s"}}]},
    {"RegistrationType": "MY_TYPE", "RegistrationFieldDefinitions": [
        {"SectionPath": "s", "FieldPath": "s.code", "FieldType": "TEXT",
         "FieldRequirement": "REQUIRED",
         "DisplayHints": {"Title": "C", "ShortDescription": "c", "ExampleTextValue": "AB12"},
         "TextValidation": {"MinLength": 3, "MaxLength": 11, "Pattern": "[A-Z0-9]+"}},
        {"SectionPath": "s", "FieldPath": "s.pick", "FieldType": "SELECT",
         "FieldRequirement": "OPTIONAL", "DisplayHints": {"Title": "P", "ShortDescription": "p"},
         "SelectValidation": {"MinChoices": 2, "MaxChoices": 3,
                              "Options": ["A", "B", "C", "D"]}},
        # The model makes both validations optional: fields without them take any value.
        {"SectionPath": "s", "FieldPath": "s.note", "FieldType": "TEXT",
         "FieldRequirement": "REQUIRED", "DisplayHints": {"Title": "N", "ShortDescription": "n"}},
        {"SectionPath": "s", "FieldPath": "s.tags", "FieldType": "SELECT",
         "FieldRequirement": "REQUIRED", "DisplayHints": {"Title": "T", "ShortDescription": "t"}},
    ]}], builtins=False)  # fmt: skip


def _draft(data: st.DataObject) -> tuple[Catalogue, str, RegistrationService, str]:
    """A drawn type of the built-in catalogue or of ``MINE``, and a new draft of it."""
    catalogue, name = data.draw(st.sampled_from([
        (Catalogue(), "US_TEN_DLC_BRAND_REGISTRATION"),
        (Catalogue(), "US_TEN_DLC_CAMPAIGN_REGISTRATION"),
        (Catalogue(), "US_TOLL_FREE_REGISTRATION"), (MINE, "MY_TYPE")]))  # fmt: skip
    service = RegistrationService(registration_types=catalogue)
    rid = service.create_registration(RegistrationType=name)["RegistrationId"]
    return catalogue, name, service, rid


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_drawn_values_are_accepted(data: st.DataObject) -> None:
    """``lifecycle.testing.strategies.field_values`` draws values the service takes,
    from any catalogue."""
    catalogue, name, service, rid = _draft(data)
    value = data.draw(field_values(name, catalogue))
    answer = service.put_registration_field_value(RegistrationId=rid, **value)
    assert {k: answer[k] for k in value} == value


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_drawn_invalid_values_are_refused_and_change_nothing(data: st.DataObject) -> None:
    """``lifecycle.testing.strategies.invalid_field_values`` draws values the field
    refuses, with the Reason it refuses them for, from any catalogue."""
    catalogue, name, service, rid = _draft(data)
    params, reason = data.draw(invalid_field_values(name, catalogue))
    with pytest.raises(ValidationException) as info:
        service.put_registration_field_value(RegistrationId=rid, **params)
    assert info.value.reason == reason
    assert params["FieldPath"] in info.value.message
    assert service.describe_registration_field_values(RegistrationId=rid)[
        "RegistrationFieldValues"] == []  # fmt: skip


@pytest.mark.parametrize(
    ("registration_type", "missing"),
    [("US_TEN_DLC_BRAND_REGISTRATION", []), ("US_TEN_DLC_BRAND_VETTING", []),
     ("US_TEN_DLC_CAMPAIGN_REGISTRATION", []),
     ("US_TOLL_FREE_REGISTRATION", ["messagingUseCase.optInImage"])],
)  # fmt: skip
def test_example_values_fill_a_form_but_its_attachments(
    registration_type: str, missing: list[str]
) -> None:
    service = RegistrationService()
    rid = service.create_registration(RegistrationType=registration_type)["RegistrationId"]
    for params in example_values(service.registration_types, registration_type):
        service.put_registration_field_value(RegistrationId=rid, **params)
    stored = service.backend.field_values(service.account_id, service.region, rid, 1)
    fields = service.registration_types.fields(registration_type)
    if not missing:
        check_complete(fields, stored)
        return
    with pytest.raises(ValidationException) as info:
        check_complete(fields, stored)
    assert [f["Name"] for f in info.value.fields] == missing


def test_example_values_fill_a_user_form_whose_fields_have_no_limits() -> None:
    service = RegistrationService(registration_types=MINE)
    rid = service.create_registration(RegistrationType="MY_TYPE")["RegistrationId"]
    fill_form(service, rid)
    answer = service.submit_registration_version(RegistrationId=rid)
    assert answer["RegistrationVersionStatus"] == "SUBMITTED"
