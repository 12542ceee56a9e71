"""DescribeRegistrationType/Section/FieldDefinitions: the catalogue through the API,
paged, filtered and refused as AWS does, through the service and a boto3 client."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from lifecycle import Catalogue, RegistrationService, ValidationException

BRAND = "US_TEN_DLC_BRAND_REGISTRATION"
CAMPAIGN = "US_TEN_DLC_CAMPAIGN_REGISTRATION"
TOLL_FREE = "US_TOLL_FREE_REGISTRATION"


@pytest.fixture
def service() -> RegistrationService:
    return RegistrationService()


def _paths(answer: dict[str, Any]) -> list[str]:
    return [f["FieldPath"] for f in answer["RegistrationFieldDefinitions"]]


def test_every_type_section_and_field_of_the_catalogue_is_described(
    service: RegistrationService,
) -> None:
    catalogue = service.registration_types
    types = service.describe_registration_type_definitions()["RegistrationTypeDefinitions"]
    assert [t["RegistrationType"] for t in types] == list(catalogue)
    for name in catalogue:
        sections = service.describe_registration_section_definitions(RegistrationType=name)
        assert sections["RegistrationType"] == name
        assert [s["SectionPath"] for s in sections["RegistrationSectionDefinitions"]] == [
            s.section_path for s in catalogue.sections(name)
        ]
        fields = service.describe_registration_field_definitions(RegistrationType=name)
        assert _paths(fields) == [f.field_path for f in catalogue.fields(name)]
        assert fields["RegistrationFieldDefinitions"] == catalogue.describe_fields(name)


def test_names_sections_and_paths_narrow_the_answer(service: RegistrationService) -> None:
    named = service.describe_registration_type_definitions(RegistrationTypes=[TOLL_FREE, BRAND])
    assert [t["RegistrationType"] for t in named["RegistrationTypeDefinitions"]] == [
        BRAND, TOLL_FREE,  # catalogue order, not the order asked
    ]  # fmt: skip
    one = service.describe_registration_section_definitions(
        RegistrationType=CAMPAIGN, SectionPaths=["messageSamples"]
    )
    assert [s["SectionPath"] for s in one["RegistrationSectionDefinitions"]] == ["messageSamples"]
    section = service.describe_registration_field_definitions(
        RegistrationType=CAMPAIGN, SectionPath="messageSamples"
    )
    assert _paths(section) == [f"messageSamples.messageSample{i}" for i in range(1, 6)]
    fields = service.describe_registration_field_definitions(
        RegistrationType=BRAND, FieldPaths=["companyInfo.taxId", "companyInfo.legalType"]
    )
    assert sorted(_paths(fields)) == ["companyInfo.legalType", "companyInfo.taxId"]


@pytest.mark.parametrize(
    ("name", "values", "expected"),
    [
        ("supported-association-resource-type", ["TOLL_FREE"], [TOLL_FREE]),
        ("supported-association-resource-type", ["TEN_DLC", "TOLL_FREE"], [CAMPAIGN, TOLL_FREE]),
        ("supported-association-iso-country-code", ["GB"], []),
    ],
)
def test_type_filters_match_supported_associations(
    service: RegistrationService, name: str, values: list[str], expected: list[str]
) -> None:
    answer = service.describe_registration_type_definitions(
        Filters=[{"Name": name, "Values": values}]
    )
    assert [t["RegistrationType"] for t in answer["RegistrationTypeDefinitions"]] == expected


def test_pages_cover_the_answer_once(service: RegistrationService) -> None:
    everything = _paths(service.describe_registration_field_definitions(RegistrationType=CAMPAIGN))
    seen: list[str] = []
    token = None
    while True:
        page = service.describe_registration_field_definitions(
            RegistrationType=CAMPAIGN, MaxResults=7, **({"NextToken": token} if token else {})
        )
        assert len(page["RegistrationFieldDefinitions"]) <= 7
        seen += _paths(page)
        token = page.get("NextToken")
        if token is None:
            break
    assert seen == everything and len(everything) > 7
    paginated = service.get_paginator("describe_registration_field_definitions").paginate(
        RegistrationType=CAMPAIGN, PaginationConfig={"PageSize": 5}
    )
    assert [p for page in paginated for p in _paths(page)] == everything


def test_a_token_is_bound_to_its_query(service: RegistrationService) -> None:
    token = service.describe_registration_field_definitions(
        RegistrationType=CAMPAIGN, MaxResults=2
    )["NextToken"]
    for other in (
        lambda: service.describe_registration_field_definitions(
            RegistrationType=TOLL_FREE, NextToken=token
        ),
        lambda: service.describe_registration_section_definitions(
            RegistrationType=CAMPAIGN, NextToken=token
        ),
    ):
        with pytest.raises(ValidationException) as info:
            other()
        assert info.value.reason == "INVALID_NEXT_TOKEN"


@pytest.mark.parametrize(
    ("call", "reason", "field"),
    [
        (lambda s: s.describe_registration_section_definitions(RegistrationType="NOPE"),
         "UNKNOWN_REGISTRATION_TYPE", "RegistrationType"),
        (lambda s: s.describe_registration_type_definitions(RegistrationTypes=["NOPE"]),
         "UNKNOWN_REGISTRATION_TYPE", "RegistrationType"),
        (lambda s: s.describe_registration_section_definitions(
            RegistrationType=BRAND, SectionPaths=["nope"]),
         "UNKNOWN_REGISTRATION_SECTION", "SectionPath"),
        (lambda s: s.describe_registration_field_definitions(
            RegistrationType=BRAND, SectionPath="nope"),
         "UNKNOWN_REGISTRATION_SECTION", "SectionPath"),
        (lambda s: s.describe_registration_field_definitions(
            RegistrationType=BRAND, FieldPaths=["companyInfo.nope"]),
         "UNKNOWN_REGISTRATION_FIELD", "FieldPath"),
        (lambda s: s.describe_registration_field_definitions(RegistrationType=BRAND,
                                                             FieldPaths=["a b"]),
         "FIELD_VALIDATION_FAILED", "FieldPaths[0]"),
        (lambda s: s.describe_registration_type_definitions(
            Filters=[{"Name": "registration-type", "Values": ["x"]}]),
         "FIELD_VALIDATION_FAILED", "Filters[0].Name"),
        (lambda s: s.describe_registration_field_definitions(),
         "MISSING_PARAMETER", "RegistrationType"),
        (lambda s: s.describe_registration_type_definitions(MaxResults=0),
         "FIELD_VALIDATION_FAILED", "MaxResults"),
    ],
)  # fmt: skip
def test_bad_requests_name_the_field_and_the_rule(
    service: RegistrationService, call: Any, reason: str, field: str
) -> None:
    with pytest.raises(ValidationException) as info:
        call(service)
    assert info.value.reason == reason
    assert info.value.fields[0]["Name"] == field


def test_a_users_catalogue_is_what_is_described() -> None:
    service = RegistrationService(registration_types=Catalogue(["MY_OWN_TYPE"], builtins=False))
    answer = service.describe_registration_type_definitions()
    assert [t["RegistrationType"] for t in answer["RegistrationTypeDefinitions"]] == ["MY_OWN_TYPE"]
    sections = service.describe_registration_section_definitions(RegistrationType="MY_OWN_TYPE")
    assert sections["RegistrationSectionDefinitions"] == []


def test_through_a_boto3_client(service: RegistrationService) -> None:
    pytest.importorskip("boto3", reason="the aws extra is not installed")
    import lifecycle.aws

    client = lifecycle.aws.client(service)
    paginator = client.get_paginator("describe_registration_field_definitions")
    pages = list(paginator.paginate(RegistrationType=BRAND, PaginationConfig={"PageSize": 4}))
    assert [p for page in pages for p in _paths(page)] == [
        f.field_path for f in service.registration_types.fields(BRAND)
    ]
    with pytest.raises(client.exceptions.ValidationException) as info:
        client.describe_registration_field_definitions(RegistrationType="NOPE")
    assert info.value.response["Reason"] == "UNKNOWN_REGISTRATION_TYPE"


def test_serve_describes_the_catalog_it_is_given(tmp_path: Path) -> None:
    """``lifecycle serve --catalog DIR`` answers the types of DIR's saved answers, and a
    malformed file in DIR is refused at start naming the file and the key."""
    pytest.importorskip("waitress", reason="the server extra is not installed")
    from tests.served import Server

    catalogue = tmp_path / "catalogue"
    catalogue.mkdir()
    own = Catalogue(sources=[]).describe_types([BRAND])[0] | {"RegistrationType": "MY_OWN"}
    (catalogue / "types.json").write_text(json.dumps({"RegistrationTypeDefinitions": [own]}))
    server = Server(tmp_path / "run", "--catalog", str(catalogue))
    try:
        answer = server.client().describe_registration_type_definitions()
        names = [t["RegistrationType"] for t in answer["RegistrationTypeDefinitions"]]
        assert names[-1] == "MY_OWN" and BRAND in names
        created = server.client().create_registration(RegistrationType="MY_OWN")
        assert created["RegistrationType"] == "MY_OWN"
    finally:
        server.stop()
    (catalogue / "bad.json").write_text(json.dumps({"RegistrationFieldDefinitions": [{}]}))
    refused = subprocess.run(
        [sys.executable, "-m", "lifecycle", "serve", "--port", "0", "--catalog", str(catalogue)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert str(catalogue / "bad.json") in refused.stderr and "RegistrationType" in refused.stderr
