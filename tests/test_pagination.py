"""Describe calls: filters, keyset pagination, tokens, and botocore-style paginators."""

from __future__ import annotations

import base64
import importlib.util
import json
import sys

import pytest

from lifecycle import InMemoryBackend, RegistrationService, ValidationException
from lifecycle.errors import OperationNotPageableError
from lifecycle.pagination import Paginator
from lifecycle.testing.forms import fill_form
from tests.conftest import BRAND, new_id

TOLL_FREE = "US_TOLL_FREE_REGISTRATION"


def ids(page: dict[str, object]) -> list[str]:
    return [r["RegistrationId"] for r in page["Registrations"]]  # type: ignore[attr-defined]


def all_ids(service: RegistrationService, **kwargs: object) -> list[str]:
    out: list[str] = []
    token = None
    while True:
        page = service.describe_registrations(**kwargs, **({"NextToken": token} if token else {}))
        out += ids(page)
        token = page.get("NextToken")
        if token is None:
            return out


@pytest.fixture
def populated(service: RegistrationService) -> list[str]:
    created = []
    for i in range(7):
        created.append(
            service.create_registration(RegistrationType=BRAND if i % 2 else TOLL_FREE)[
                "RegistrationId"
            ]
        )
    for rid in created[1:3]:
        fill_form(service, rid)
        if rid == created[2]:  # a toll-free registration is submitted with its number
            service.request_phone_number(
                IsoCountryCode="US", MessageType="TRANSACTIONAL", NumberCapabilities=["SMS"],
                NumberType="TOLL_FREE", RegistrationId=rid,
            )  # fmt: skip
        service.submit_registration_version(RegistrationId=rid)
    return created


def test_pages_in_creation_order(service: RegistrationService, populated: list[str]) -> None:
    first = service.describe_registrations(MaxResults=3)
    assert ids(first) == populated[:3] and "NextToken" in first
    assert all_ids(service, MaxResults=3) == populated
    last = service.describe_registrations(MaxResults=7)
    assert "NextToken" not in last


def test_filters_and_or(service: RegistrationService, populated: list[str]) -> None:
    brand = all_ids(service, Filters=[{"Name": "registration-type", "Values": [BRAND]}])
    assert brand == populated[1::2]
    submitted_or_created = all_ids(
        service,
        Filters=[{"Name": "registration-status", "Values": ["SUBMITTED", "CREATED"]}],
    )
    assert submitted_or_created == populated
    both = all_ids(
        service,
        MaxResults=1,
        Filters=[
            {"Name": "registration-type", "Values": [BRAND]},
            {"Name": "registration-status", "Values": ["SUBMITTED"]},
        ],
    )
    assert both == [populated[1]]
    assert all_ids(service, Filters=[{"Name": "registration-status", "Values": ["X"]}]) == []


def test_registration_ids_and_arns(service: RegistrationService, populated: list[str]) -> None:
    arn = service.describe_registrations(RegistrationIds=[populated[4]])["Registrations"][0][
        "RegistrationArn"
    ]
    got = all_ids(service, RegistrationIds=[arn, populated[0], populated[0]], MaxResults=1)
    assert got == [populated[0], populated[4]]


def test_no_skips_or_repeats_while_creating_and_deleting(
    service: RegistrationService, populated: list[str]
) -> None:
    seen: list[str] = []
    page = service.describe_registrations(MaxResults=2)
    seen += ids(page)
    service.delete_registration(RegistrationId=populated[0])
    extra = new_id(service, filled=False)
    service.delete_registration(RegistrationId=populated[3])
    while "NextToken" in page:
        page = service.describe_registrations(MaxResults=2, NextToken=page["NextToken"])
        seen += ids(page)
        new_id(service, filled=False) if len(seen) < 6 else None
    assert seen[: len(populated)] == populated
    assert extra in seen
    assert len(seen) == len(set(seen))


def test_token_is_bound_to_query_account_and_backend(
    service: RegistrationService, populated: list[str]
) -> None:
    token = service.describe_registrations(MaxResults=2)["NextToken"]
    with pytest.raises(ValidationException) as info:
        service.describe_registrations(
            MaxResults=2,
            NextToken=token,
            Filters=[{"Name": "registration-type", "Values": [BRAND]}],
        )
    assert info.value.reason == "INVALID_NEXT_TOKEN"
    other_account = RegistrationService(service.backend, account_id="999999999999")
    other_backend = RegistrationService(InMemoryBackend())
    for other in (other_account, other_backend):
        with pytest.raises(ValidationException) as info:
            other.describe_registrations(NextToken=token)
        assert info.value.reason == "INVALID_NEXT_TOKEN"
    with pytest.raises(ValidationException) as info:
        service.describe_registration_versions(RegistrationId=populated[0], NextToken=token)
    assert info.value.reason == "INVALID_NEXT_TOKEN"


def test_tokens_reveal_nothing(service: RegistrationService, populated: list[str]) -> None:
    """Neither the account, the region, the query nor the store-wide position can be
    read from a token, and two tokens for the same page differ."""
    first = service.describe_registrations(MaxResults=2)["NextToken"]
    again = service.describe_registrations(MaxResults=2)["NextToken"]
    assert first != again
    for token in (first, again):
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        for secret in (service.account_id, service.region, "describe_registrations"):
            assert secret.encode() not in raw
        assert len(raw) == 36  # fixed size: the position's magnitude does not show
    # Both resume at the same place.
    assert ids(service.describe_registrations(MaxResults=2, NextToken=first)) == ids(
        service.describe_registrations(MaxResults=2, NextToken=again)
    )


@pytest.mark.parametrize("junk", ["!!!", "=", "==", "A", "+", "/", ".", ":"])
def test_decoding_is_strict(service: RegistrationService, populated: list[str], junk: str) -> None:
    """Base64 decoding that skips junk would accept ``token + "!!!"``; it is refused.
    (Whitespace never gets this far: the model's pattern for NextToken refuses it.)"""
    token = service.describe_registrations(MaxResults=2)["NextToken"]
    for bad in (token + junk, junk + token, token[:20] + junk + token[20:]):
        with pytest.raises(ValidationException) as info:
            service.describe_registrations(MaxResults=2, NextToken=bad)
        assert info.value.reason == "INVALID_NEXT_TOKEN"


@pytest.mark.parametrize("mangle", ["flip", "truncate", "garbage", "extend"])
def test_altered_or_forged_tokens(
    service: RegistrationService, populated: list[str], mangle: str
) -> None:
    token = service.describe_registrations(MaxResults=2)["NextToken"]
    bad = {
        "flip": token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:],
        "truncate": token[:10],
        "garbage": "!!not-a-token!!",
        "extend": token + "AAAA",
    }[mangle]
    with pytest.raises(ValidationException) as info:
        service.describe_registrations(MaxResults=2, NextToken=bad)
    assert info.value.reason == "INVALID_NEXT_TOKEN"
    assert info.value.fields[0]["Name"] == "NextToken"


def test_versions_pagination_and_filters(service: RegistrationService) -> None:
    rid = new_id(service, filled=False)
    for _ in range(4):
        service.discard_registration_version(RegistrationId=rid)
        service.create_registration_version(RegistrationId=rid)
    page = service.describe_registration_versions(RegistrationId=rid, MaxResults=2)
    assert [v["VersionNumber"] for v in page["RegistrationVersions"]] == [1, 2]
    page = service.describe_registration_versions(
        RegistrationId=rid, MaxResults=2, NextToken=page["NextToken"]
    )
    assert [v["VersionNumber"] for v in page["RegistrationVersions"]] == [3, 4]
    drafts = service.describe_registration_versions(
        RegistrationId=rid,
        Filters=[{"Name": "registration-version-status", "Values": ["DRAFT"]}],
    )
    assert [v["VersionNumber"] for v in drafts["RegistrationVersions"]] == [5]
    chosen = service.describe_registration_versions(RegistrationId=rid, VersionNumbers=[4, 2])
    assert [v["VersionNumber"] for v in chosen["RegistrationVersions"]] == [2, 4]
    with pytest.raises(ValidationException) as info:
        service.describe_registration_versions(RegistrationId=rid, VersionNumbers=[9])
    assert info.value.reason == "UNKNOWN_REGISTRATION_VERSION"
    assert info.value.fields[0]["Name"] == "VersionNumbers[0]"


# -- paginators ----------------------------------------------------------------------


def test_paginator_pages_and_full_result(
    service: RegistrationService, populated: list[str]
) -> None:
    paginator = service.get_paginator("describe_registrations")
    pages = list(paginator.paginate(PaginationConfig={"PageSize": 3}))
    assert [len(p["Registrations"]) for p in pages] == [3, 3, 1]
    full = paginator.paginate(PaginationConfig={"PageSize": 2}).build_full_result()
    assert [r["RegistrationId"] for r in full["Registrations"]] == populated
    assert "NextToken" not in full


@pytest.mark.parametrize(("page_size", "max_items"), [(3, 4), (2, 4), (5, 1), (1, 7), (7, 3)])
def test_paginator_max_items_and_resume(
    service: RegistrationService, populated: list[str], page_size: int, max_items: int
) -> None:
    paginator = service.get_paginator("describe_registrations")
    got: list[str] = []
    token = None
    rounds = 0
    while True:
        config: dict[str, object] = {"PageSize": page_size, "MaxItems": max_items}
        if token:
            config["StartingToken"] = token
        result = paginator.paginate(PaginationConfig=config).build_full_result()
        chunk = [r["RegistrationId"] for r in result["Registrations"]]
        assert len(chunk) <= max_items
        got += chunk
        token = result.get("NextToken")
        rounds += 1
        if token is None:
            break
    assert got == populated
    assert rounds == -(-len(populated) // max_items)


def test_resume_token_is_in_botocore_format(
    service: RegistrationService, populated: list[str]
) -> None:
    iterator = service.get_paginator("describe_registrations").paginate(
        PaginationConfig={"PageSize": 3, "MaxItems": 2}
    )
    list(iterator)
    decoded = json.loads(base64.b64decode(iterator.resume_token or ""))
    assert set(decoded) == {"NextToken", "boto_truncate_amount"}
    assert decoded["boto_truncate_amount"] == 2


def test_versions_paginator_keeps_non_aggregate_keys(service: RegistrationService) -> None:
    rid = new_id(service, filled=False)
    service.discard_registration_version(RegistrationId=rid)
    service.create_registration_version(RegistrationId=rid)
    full = (
        service.get_paginator("describe_registration_versions")
        .paginate(RegistrationId=rid, PaginationConfig={"PageSize": 1})
        .build_full_result()
    )
    assert full["RegistrationId"] == rid and full["RegistrationArn"].endswith(rid)
    assert [v["VersionNumber"] for v in full["RegistrationVersions"]] == [1, 2]


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({"MaxItems": 0}, "PaginationConfig.MaxItems"),
        ({"PageSize": "x"}, "PaginationConfig.PageSize"),
        ({"PageSize": 101}, "MaxResults"),
        ({"StartingToken": 5}, "PaginationConfig.StartingToken"),
        ({"Bogus": 1}, "PaginationConfig"),
        ("nope", "PaginationConfig"),
    ],
)
def test_bad_pagination_config(service: RegistrationService, config: object, field: str) -> None:
    with pytest.raises(ValidationException) as info:
        list(service.get_paginator("describe_registrations").paginate(PaginationConfig=config))
    assert info.value.fields[0]["Name"] == field


@pytest.mark.parametrize("name", ["describe_registrations", "describe_registration_versions"])
def test_paginators_by_method_name(service: RegistrationService, name: str) -> None:
    assert service.can_paginate(name)
    assert isinstance(service.get_paginator(name), Paginator)


@pytest.mark.parametrize(
    ("name", "hint"),
    [
        ("create_registration", None),  # an operation that does not page
        ("describe_pools", None),  # botocore pages it; the service does not have it
        ("nope", None),
        ("DescribeRegistrations", "describe_registrations"),  # botocore takes method names
        ("describeRegistrationVersions", "describe_registration_versions"),
    ],
)
def test_names_without_a_paginator(
    service: RegistrationService, name: str, hint: str | None
) -> None:
    assert service.can_paginate(name) is False
    with pytest.raises(OperationNotPageableError) as info:
        service.get_paginator(name)
    assert isinstance(info.value, ValidationException)
    assert info.value.fields[0]["Name"] == "operation_name"
    assert f"{name!r} cannot be paginated" in info.value.message
    assert (f"(the method name is {hint})" in info.value.message) is (hint is not None)


@pytest.mark.parametrize("call", ["can_paginate", "get_paginator"])
def test_a_name_that_is_not_a_string(service: RegistrationService, call: str) -> None:
    with pytest.raises(ValidationException) as info:
        getattr(service, call)(["describe_registrations"])
    assert info.value.fields[0] == {"Name": "operation_name", "Message": "must be a string"}


# -- search --------------------------------------------------------------------------

needs_jmespath = pytest.mark.skipif(
    importlib.util.find_spec("jmespath") is None,
    reason="jmespath is not installed (boto3, the aws extra, brings it)",
)


@needs_jmespath
def test_search_flattens_lists_and_yields_other_results(
    service: RegistrationService, populated: list[str]
) -> None:
    pages = service.get_paginator("describe_registrations").paginate(
        PaginationConfig={"PageSize": 3}
    )
    assert list(pages.search("Registrations[].RegistrationId")) == populated
    assert [t is None for t in pages.search("NextToken")] == [False, False, True]
    submitted = "Registrations[?RegistrationStatus=='SUBMITTED'].RegistrationId"
    assert list(pages.search(submitted)) == populated[1:3]


@pytest.mark.parametrize(("expression", "rule"), [
    ("Registrations[", "is not a JMESPath expression"), (5, "must be a string")])  # fmt: skip
@needs_jmespath
def test_search_refuses_what_is_not_an_expression(
    service: RegistrationService, expression: object, rule: str
) -> None:
    pages = service.get_paginator("describe_registrations").paginate()
    with pytest.raises(ValidationException) as info:
        pages.search(expression)  # type: ignore[arg-type]
    assert info.value.fields[0]["Name"] == "expression"
    assert rule in info.value.fields[0]["Message"]


def test_search_without_jmespath_names_it(
    service: RegistrationService, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "jmespath", None)  # as if not installed
    pages = service.get_paginator("describe_registrations").paginate()
    with pytest.raises(ImportError, match="needs jmespath: pip install jmespath"):
        pages.search("Registrations")
