"""The catalogue: the built-in forms against botocore's model and the reference tables,
loading saved answers, and the errors of bad ones."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lifecycle import BUILT_IN_REGISTRATION_TYPES, Catalogue, RegistrationService
from lifecycle.errors import ValidationException
from tests.shapes import conforms

DATA = Path(__file__).parents[1] / "lifecycle" / "catalogue" / "data"
REFERENCE = Path(__file__).parent / "data" / "registration-forms.md"
"""A copy of the project's reference facts (/work/shared/reference)."""
DASH = "\u2013"
"""The en dash of the reference's ranges (1\u2013100)."""
OPERATION_OF_KEY = {
    "RegistrationTypeDefinitions": "DescribeRegistrationTypeDefinitions",
    "RegistrationSectionDefinitions": "DescribeRegistrationSectionDefinitions",
    "RegistrationFieldDefinitions": "DescribeRegistrationFieldDefinitions",
}
BRAND, VETTING = "US_TEN_DLC_BRAND_REGISTRATION", "US_TEN_DLC_BRAND_VETTING"
CAMPAIGN, TOLL_FREE = "US_TEN_DLC_CAMPAIGN_REGISTRATION", "US_TOLL_FREE_REGISTRATION"
SENDER_ID = "JO_SENDER_ID_REGISTRATION"
CATALOGUE = Catalogue()


def _output_shape(operation: str) -> Any:
    botocore = pytest.importorskip("botocore.loaders", reason="botocore is not installed")
    from botocore.model import ServiceModel

    loader = botocore.Loader()
    model = ServiceModel(loader.load_service_model("pinpoint-sms-voice-v2", "service-2"))
    return model.operation_model(operation).output_shape


# -- the built-ins against the model -------------------------------------------------


@pytest.mark.parametrize("path", sorted(DATA.glob("*.json")), ids=lambda p: p.name)
def test_every_builtin_file_is_an_answer_of_its_call(path: Path) -> None:
    document = json.loads(path.read_text())
    (key,) = [k for k in OPERATION_OF_KEY if k in document]
    conforms(_output_shape(OPERATION_OF_KEY[key]), document, path.name)


@pytest.mark.parametrize("name", BUILT_IN_REGISTRATION_TYPES)
def test_describe_answers_conform_and_give_back_the_files(name: str) -> None:
    sections = {
        "RegistrationType": name,
        "RegistrationSectionDefinitions": CATALOGUE.describe_sections(name),
    }
    fields = {"RegistrationType": name,
              "RegistrationFieldDefinitions": CATALOGUE.describe_fields(name)}  # fmt: skip
    types = {"RegistrationTypeDefinitions": CATALOGUE.describe_types([name])}
    for answer in (types, sections, fields):
        key = next(k for k in OPERATION_OF_KEY if k.endswith("Definitions") and k in answer)
        conforms(_output_shape(OPERATION_OF_KEY[key]), answer, name)
    for kind, answer in (("sections", sections), ("fields", fields)):
        saved = DATA / f"{name}.{kind}.json"
        if saved.exists():
            assert answer == json.loads(saved.read_text())
        else:
            assert not answer[next(iter(k for k in answer if k != "RegistrationType"))]


def test_the_builtin_types_are_the_reference_four_and_a_sender_id_type() -> None:
    assert BUILT_IN_REGISTRATION_TYPES == (BRAND, VETTING, CAMPAIGN, TOLL_FREE, SENDER_ID)
    assert [d["RegistrationType"] for d in CATALOGUE.describe_types()] == list(
        BUILT_IN_REGISTRATION_TYPES
    )


# -- the built-ins against the reference tables --------------------------------------


def _reference() -> dict[str, tuple[str, list[list[str]]]]:
    """Each type's prose and its table rows (cells), from the reference."""
    text = REFERENCE.read_text().split("## Built-in registration types")[1].split("\n## ")[0]
    out = {}
    for block in text.split("\n### ")[1:]:
        name, _, body = block.partition("\n")
        lines = [line for line in body.splitlines() if line.startswith("| ")]
        rows = [[c.strip() for c in line.strip("|").split("|")] for line in lines[1:]]
        out[name.strip()] = (body, rows)
    return out


def _paths(cell: str) -> list[str]:
    """``s.f2 … f5`` and ``s.f2, f3`` are several field paths."""
    section, _, names = cell.partition(".")
    ranged = re.fullmatch(r"(\w+?)(\d+) … \w+?(\d+)", names)
    if ranged:
        stem, first, last = ranged.groups()
        return [f"{section}.{stem}{i}" for i in range(int(first), int(last) + 1)]
    return [f"{section}.{n.strip()}" for n in names.split(",")]


def _options(constraint: str, by_path: dict[str, dict[str, Any]]) -> list[str]:
    constraint = re.sub(r" \(choice[^)]*\)$", "", constraint).removeprefix("one of ")
    if constraint == "the brand's vertical list":
        brand = CATALOGUE.field(BRAND, "contactInfo.vertical").select_validation
        return list(brand.options) if brand else []
    less = re.fullmatch(rf"1{DASH}5 of the use cases above less (.*)", constraint)
    if less:
        excluded = less.group(1).split(", ")
        return [o for o in by_path["campaignUseCase.useCase"]["SelectValidation"]["Options"]
                if o not in excluded]  # fmt: skip
    return [o.strip().strip('"') for o in constraint.split(", ")]


REFERENCE_TYPES = _reference()


@pytest.mark.parametrize("name", [BRAND, CAMPAIGN, TOLL_FREE, VETTING])
def test_every_reference_field_is_defined_with_its_constraints(name: str) -> None:
    body, rows = REFERENCE_TYPES[name]
    fields = CATALOGUE.describe_fields(name)
    by_path = {f["FieldPath"]: f for f in fields}
    expected_paths = [p for row in rows for p in _paths(row[0])]
    assert list(by_path) == expected_paths  # every field, in the reference's order
    sections = re.search(r"Sections((?:\s*`\w+`,?)+)", body)
    assert [s["SectionPath"] for s in CATALOGUE.describe_sections(name)] == (
        re.findall(r"`(\w+)`", sections.group(1)) if sections else []
    )
    for cell, kind, constraint, requirement in rows:
        for path in _paths(cell):
            field = by_path[path]
            assert field["FieldType"] == kind, path
            assert field["FieldRequirement"] == requirement.split(":")[0], path
            assert ("ConditionalBehavior" in field) == requirement.startswith("CONDITIONAL")
            if kind == "TEXT":
                text = field["TextValidation"]
                bounds = re.match(rf"(\d+){DASH}(\d+)|exactly (\d+)", constraint)
                assert bounds, path
                low, high, exact = bounds.groups()
                assert (text["MinLength"], text["MaxLength"]) == (
                    (int(exact), int(exact)) if exact else (int(low), int(high))
                ), path
                if "E.164" in constraint:
                    assert text["Pattern"] == r"\+[1-9][0-9]{1,14}", path
                if "exactly 2" in constraint:
                    assert text["Pattern"] == "[A-Z]{2}", path
            elif kind == "SELECT":
                select = field["SelectValidation"]
                assert select["Options"] == _options(constraint, by_path), path
                many = (1, 5) if constraint.startswith(f"1{DASH}5") else (1, 1)
                assert (select["MinChoices"], select["MaxChoices"]) == many, path
            else:
                assert "TextValidation" not in field and "SelectValidation" not in field


def _association(d: dict[str, Any]) -> tuple[str, str, str]:
    return d["ResourceType"], d["AssociationBehavior"], d["DisassociationBehavior"]


def test_the_supported_associations_are_the_reference_ones() -> None:
    by_type = {d["RegistrationType"]: [_association(a) for a in d.get("SupportedAssociations", [])]
               for d in CATALOGUE.describe_types()}  # fmt: skip
    brand = (BRAND, "ASSOCIATE_BEFORE_SUBMIT", "DELETE_REGISTRATION_DISASSOCIATES")
    assert by_type == {
        BRAND: [],
        VETTING: [brand],
        CAMPAIGN: [brand, ("TEN_DLC", "ASSOCIATE_AFTER_COMPLETE",
                           "DISASSOCIATE_ALL_ALLOWS_DELETE_REGISTRATION")],
        TOLL_FREE: [("TOLL_FREE", "ASSOCIATE_BEFORE_SUBMIT",
                     "DISASSOCIATE_ALL_CLOSES_REGISTRATION")],
        # ours (a choice): the reference has no sender-ID type
        SENDER_ID: [("SENDER_ID", "ASSOCIATE_ON_APPROVAL", "DELETE_REGISTRATION_DISASSOCIATES")],
    }  # fmt: skip


# -- queries -------------------------------------------------------------------------


def test_describe_filters_and_names() -> None:
    by_resource = CATALOGUE.describe_types(
        filters=[{"Name": "supported-association-resource-type", "Values": ["TEN_DLC"]}]
    )
    assert [d["RegistrationType"] for d in by_resource] == [CAMPAIGN]
    by_country = CATALOGUE.describe_types(
        filters=[{"Name": "supported-association-iso-country-code", "Values": ["US"]}]
    )
    assert [d["RegistrationType"] for d in by_country] == [VETTING, CAMPAIGN, TOLL_FREE]
    assert [d["RegistrationType"] for d in CATALOGUE.describe_types([TOLL_FREE, BRAND])] == [
        BRAND,
        TOLL_FREE,
    ]
    assert [s["SectionPath"] for s in CATALOGUE.describe_sections(BRAND, ["contactInfo"])] == [
        "contactInfo"
    ]
    in_section = CATALOGUE.describe_fields(CAMPAIGN, section_path="mmsFileSamples")
    assert [f["FieldPath"] for f in in_section] == [
        f"mmsFileSamples.mmsFileSample{i}" for i in range(1, 6)
    ]


@given(st.data())
def test_describe_fields_gives_the_named_fields_in_form_order(data: st.DataObject) -> None:
    name = data.draw(st.sampled_from([BRAND, CAMPAIGN, TOLL_FREE]))
    every = [f.field_path for f in CATALOGUE.fields(name)]
    named = data.draw(st.lists(st.sampled_from(every), max_size=5, unique=True))
    got = [f["FieldPath"] for f in CATALOGUE.describe_fields(name, field_paths=named)]
    assert got == [p for p in every if p in named or not named]


@pytest.mark.parametrize(
    ("call", "reason"),
    [
        (lambda c: c.describe_types(["NOPE"]), "UNKNOWN_REGISTRATION_TYPE"),
        (lambda c: c.describe_sections("NOPE"), "UNKNOWN_REGISTRATION_TYPE"),
        (lambda c: c.describe_sections(BRAND, ["nope"]), "UNKNOWN_REGISTRATION_SECTION"),
        (lambda c: c.describe_fields(BRAND, section_path="nope"), "UNKNOWN_REGISTRATION_SECTION"),
        (lambda c: c.describe_fields(BRAND, field_paths=["companyInfo.nope"]),
         "UNKNOWN_REGISTRATION_FIELD"),
        (lambda c: c.field(BRAND, "contactInfo.companyName"), "UNKNOWN_REGISTRATION_FIELD"),
        (lambda c: c.canonical("NOPE"), "UNKNOWN_REGISTRATION_TYPE"),
    ],
)  # fmt: skip
def test_unknown_names_have_their_reasons(call: Any, reason: str) -> None:
    with pytest.raises(ValidationException) as info:
        call(CATALOGUE)
    assert info.value.reason == reason


def test_register_adds_a_bare_type() -> None:
    catalogue = Catalogue(["MY_TYPE"])
    assert "MY_TYPE" in catalogue and len(catalogue) == len(BUILT_IN_REGISTRATION_TYPES) + 1
    assert list(catalogue)[-1] == "MY_TYPE"
    assert catalogue.describe_types(["MY_TYPE"]) == [
        {"RegistrationType": "MY_TYPE", "DisplayHints": {"Title": "MY_TYPE"}}
    ]
    assert catalogue.describe_sections("MY_TYPE") == catalogue.describe_fields("MY_TYPE") == []
    catalogue.register(BRAND)  # a known name keeps its form
    assert catalogue.fields(BRAND) == CATALOGUE.fields(BRAND)
    assert catalogue.canonical("MY_TYPE") is catalogue.canonical("".join("MY_TYPE"))


def test_an_empty_catalogue_stays_empty_in_a_service() -> None:
    service = RegistrationService(registration_types=Catalogue(builtins=False))
    assert len(service.registration_types) == 0
    with pytest.raises(ValidationException) as info:
        service.create_registration(RegistrationType=BRAND)
    assert info.value.reason == "UNKNOWN_REGISTRATION_TYPE"


# -- user catalogues -----------------------------------------------------------------

MY_TYPES = {"RegistrationTypeDefinitions": [
    {"RegistrationType": "SG_SENDER_ID_REGISTRATION",
     "SupportedAssociations": [{"ResourceType": "SENDER_ID", "IsoCountryCode": "SG",
                                "AssociationBehavior": "ASSOCIATE_ON_APPROVAL",
                                "DisassociationBehavior": "DELETE_REGISTRATION_DISASSOCIATES"}],
     "DisplayHints": {"Title": "Singapore sender ID"}}]}  # fmt: skip
MY_SECTIONS = {"RegistrationType": "SG_SENDER_ID_REGISTRATION", "RegistrationSectionDefinitions": [
    {"SectionPath": "senderInfo",
     "DisplayHints": {"Title": "Sender", "ShortDescription": "s"}}]}  # fmt: skip


def _text_field(path: str, **extra: Any) -> dict[str, Any]:
    return {"SectionPath": path.split(".")[0], "FieldPath": path, "FieldType": "TEXT",
            "FieldRequirement": "REQUIRED",
            "TextValidation": {"MinLength": 1, "MaxLength": 11, "Pattern": "[A-Za-z0-9]+"},
            "DisplayHints": {"Title": "t", "ShortDescription": "s"}, **extra}  # fmt: skip


MY_FIELDS = {"RegistrationType": "SG_SENDER_ID_REGISTRATION",
             "RegistrationFieldDefinitions": [_text_field("senderInfo.senderId")]}  # fmt: skip


def _save(directory: Path, **documents: Any) -> Path:
    directory.mkdir(exist_ok=True)
    for name, document in documents.items():
        text = document if isinstance(document, str) else json.dumps(document)
        (directory / f"{name}.json").write_text(text)
    return directory


def test_a_user_directory_adds_types_and_replaces_forms(tmp_path: Path) -> None:
    brand_fields = {"RegistrationType": BRAND, "RegistrationFieldDefinitions": [
        _text_field("companyInfo.companyName")]}  # fmt: skip
    directory = _save(tmp_path / "mine", types=MY_TYPES, sections=MY_SECTIONS, fields=MY_FIELDS,
                      brand=brand_fields)  # fmt: skip
    (directory / "README.txt").write_text("not an answer: ignored")
    catalogue = Catalogue(sources=[directory])
    assert list(catalogue) == [*BUILT_IN_REGISTRATION_TYPES, "SG_SENDER_ID_REGISTRATION"]
    assert (
        catalogue.describe_types(["SG_SENDER_ID_REGISTRATION"])
        == (MY_TYPES["RegistrationTypeDefinitions"])
    )
    assert (
        catalogue.describe_fields("SG_SENDER_ID_REGISTRATION")
        == (MY_FIELDS["RegistrationFieldDefinitions"])
    )
    assert [f.field_path for f in catalogue.fields(BRAND)] == ["companyInfo.companyName"]
    assert catalogue.sections(BRAND) == CATALOGUE.sections(BRAND)  # not replaced
    service = RegistrationService(registration_types=catalogue)
    assert service.create_registration(RegistrationType="SG_SENDER_ID_REGISTRATION")


def test_parsed_answers_and_files_load_too(tmp_path: Path) -> None:
    _save(tmp_path, fields=MY_FIELDS)
    catalogue = Catalogue(sources=[MY_TYPES, MY_SECTIONS, tmp_path / "fields.json"],
                          builtins=False)  # fmt: skip
    assert list(catalogue) == ["SG_SENDER_ID_REGISTRATION"]
    assert catalogue.field("SG_SENDER_ID_REGISTRATION", "senderInfo.senderId").field_type == "TEXT"


def test_saved_describe_answers_load_back_to_the_same_catalogue(tmp_path: Path) -> None:
    documents: dict[str, Any] = {"types": {"RegistrationTypeDefinitions":
                                           CATALOGUE.describe_types()}}  # fmt: skip
    for name in CATALOGUE:
        documents[f"{name}.sections"] = {"RegistrationType": name,
            "RegistrationSectionDefinitions": CATALOGUE.describe_sections(name)}  # fmt: skip
        documents[f"{name}.fields"] = {"RegistrationType": name,
            "RegistrationFieldDefinitions": CATALOGUE.describe_fields(name)}  # fmt: skip
    loaded = Catalogue(sources=[_save(tmp_path, **documents)], builtins=False)
    assert list(loaded) == list(CATALOGUE)
    for name in CATALOGUE:
        assert loaded.definition(name) == CATALOGUE.definition(name)
        assert loaded.sections(name) == CATALOGUE.sections(name)
        assert loaded.fields(name) == CATALOGUE.fields(name)


# -- bad catalogues ------------------------------------------------------------------


def _fields_with(**changes: Any) -> dict[str, Any]:
    field = {**_text_field("senderInfo.senderId"), **changes}
    return {**MY_FIELDS, "RegistrationFieldDefinitions": [field]}


F0 = "RegistrationFieldDefinitions[0]"
_CONDITIONAL = {"Rules": [{"Conditions": [{"DependsOnFieldPath": "senderInfo.nope",
                                           "Operator": "HAS_VALUE"}],
                           "RuleBehavior": "REQUIRED"}], "DefaultBehavior": "OPTIONAL"}  # fmt: skip


@pytest.mark.parametrize(
    ("document", "key", "reason"),
    [
        ("{not json", "", "CANNOT_PARSE"),
        ({"Foo": []}, "", "INVALID_PARAMETER"),
        ([MY_FIELDS], "", "INVALID_PARAMETER"),
        ({**MY_TYPES, **MY_FIELDS}, "", "INVALID_PARAMETER"),
        (_fields_with(FieldType="NUMBER"), f"{F0}.FieldType", "FIELD_VALIDATION_FAILED"),
        (_fields_with(Bogus=1), f"{F0}.Bogus", "INVALID_PARAMETER"),
        (_fields_with(FieldPath="sender Id"), f"{F0}.FieldPath", "FIELD_VALIDATION_FAILED"),
        (_fields_with(FieldPath="otherInfo.senderId"), f"{F0}.FieldPath", None),
        (_fields_with(FieldType="SELECT"), f"{F0}.TextValidation", None),
        (_fields_with(TextValidation={"MinLength": 5, "MaxLength": 4, "Pattern": ".*"}),
         f"{F0}.TextValidation.MinLength", None),
        (_fields_with(TextValidation={"MinLength": 1, "MaxLength": 4, "Pattern": "("}),
         f"{F0}.TextValidation.Pattern", None),
        (_fields_with(TextValidation={"MinLength": 1, "MaxLength": 4}),
         f"{F0}.TextValidation.Pattern", "MISSING_PARAMETER"),
        (_fields_with(ConditionalBehavior=_CONDITIONAL), f"{F0}.ConditionalBehavior", None),
        (_fields_with(FieldRequirement="CONDITIONAL", ConditionalBehavior=_CONDITIONAL),
         f"{F0}.ConditionalBehavior.Rules[0].Conditions[0].DependsOnFieldPath", None),
        ({**MY_FIELDS, "RegistrationFieldDefinitions": [_text_field("senderInfo.senderId")] * 2},
         "RegistrationFieldDefinitions[1].FieldPath", None),
        ({**MY_FIELDS, "NextToken": "page-2"}, "NextToken", None),
        ({**MY_SECTIONS, "RegistrationType": "NOT_DEFINED"}, "RegistrationType", None),
        ({**MY_FIELDS, "RegistrationType": BRAND}, f"{F0}.SectionPath", None),
    ],
)  # fmt: skip
def test_a_bad_file_is_refused_naming_the_file_and_the_key(
    tmp_path: Path, document: Any, key: str, reason: str | None
) -> None:
    directory = _save(tmp_path / "mine", types=MY_TYPES, sections=MY_SECTIONS, zbad=document)
    with pytest.raises(ValidationException) as info:
        Catalogue(sources=[directory])
    error = info.value
    bad = str(directory / "zbad.json")
    assert bad in error.message and key in error.message
    assert error.fields[0]["Name"] == (key or bad)
    assert error.reason == (reason or "FIELD_VALIDATION_FAILED")


def test_one_source_must_not_define_a_form_twice(tmp_path: Path) -> None:
    directory = _save(tmp_path, a=MY_TYPES, b=MY_TYPES)
    with pytest.raises(ValidationException, match=r"b\.json.*also defined by .*a\.json"):
        Catalogue(sources=[directory])
    assert Catalogue(sources=[MY_TYPES, MY_TYPES])  # a later source replaces an earlier one


def test_a_missing_source_is_named(tmp_path: Path) -> None:
    with pytest.raises(ValidationException, match=r"nowhere\.json.*cannot be read"):
        Catalogue(sources=[tmp_path / "nowhere.json"])
