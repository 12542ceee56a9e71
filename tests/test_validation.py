"""Every constraint of the reference's Requests table, one case each, and a fuzz test
that throws arbitrary values at every parameter of every operation."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lifecycle import LifecycleError, RegistrationService, ValidationException
from tests.conftest import BRAND, snapshot

RID = "registration-" + "a" * 32
FV = "registration-version-status"


def tags(n: int) -> list[dict[str, str]]:
    return [{"Key": f"k{i}", "Value": "v"} for i in range(n)]


def filters(n: int, name: str = "registration-status", values: Any = ("CREATED",)) -> Any:
    return [{"Name": name, "Values": list(values)} for _ in range(n)]


# (operation, parameters, offending field, reason)
RULES = [
    # RegistrationType
    ("create_registration", {}, "RegistrationType", "MISSING_PARAMETER"),
    ("create_registration", {"RegistrationType": None}, "RegistrationType", None),
    ("create_registration", {"RegistrationType": 7}, "RegistrationType", None),
    ("create_registration", {"RegistrationType": ""}, "RegistrationType", None),
    ("create_registration", {"RegistrationType": "A" * 65}, "RegistrationType", None),
    ("create_registration", {"RegistrationType": "US-TEN"}, "RegistrationType", None),
    ("create_registration", {"RegistrationType": "ÜS_TEN"}, "RegistrationType", None),
    ("create_registration", {"RegistrationType": "NOT_A_TYPE"}, "RegistrationType",
     "UNKNOWN_REGISTRATION_TYPE"),
    # Tags
    ("create_registration", {"RegistrationType": BRAND, "Tags": tags(201)}, "Tags", None),
    ("create_registration", {"RegistrationType": BRAND, "Tags": "k=v"}, "Tags", None),
    ("create_registration", {"RegistrationType": BRAND, "Tags": ["k"]}, "Tags[0]", None),
    ("create_registration", {"RegistrationType": BRAND, "Tags": [{"Key": "", "Value": ""}]},
     "Tags[0].Key", None),
    ("create_registration", {"RegistrationType": BRAND, "Tags": [{"Key": "k" * 129, "Value": ""}]},
     "Tags[0].Key", None),
    ("create_registration", {"RegistrationType": BRAND, "Tags": [{"Key": "k", "Value": "v" * 257}]},
     "Tags[0].Value", None),
    ("create_registration", {"RegistrationType": BRAND, "Tags": [{"Key": "k"}]},
     "Tags[0].Value", "MISSING_PARAMETER"),
    ("create_registration", {"RegistrationType": BRAND,
                             "Tags": [{"Key": "k", "Value": "", "Extra": 1}]},
     "Tags[0].Extra", "INVALID_PARAMETER"),
    ("create_registration", {"RegistrationType": BRAND, "Tags": [*tags(1), *tags(1)]},
     "Tags[1].Key", None),
    # ClientToken
    ("create_registration", {"RegistrationType": BRAND, "ClientToken": ""}, "ClientToken", None),
    ("create_registration", {"RegistrationType": BRAND, "ClientToken": "t" * 65}, "ClientToken",
     None),
    ("create_registration", {"RegistrationType": BRAND, "ClientToken": "has space"},
     "ClientToken", None),
    ("create_registration", {"RegistrationType": BRAND, "ClientToken": "tøken"}, "ClientToken",
     None),
    # RegistrationId
    ("submit_registration_version", {}, "RegistrationId", "MISSING_PARAMETER"),
    ("submit_registration_version", {"RegistrationId": ""}, "RegistrationId", None),
    ("submit_registration_version", {"RegistrationId": "r" * 257}, "RegistrationId", None),
    ("submit_registration_version", {"RegistrationId": "reg id"}, "RegistrationId", None),
    ("create_registration_version", {"RegistrationId": None}, "RegistrationId", None),
    ("discard_registration_version", {"RegistrationId": b"registration-x"}, "RegistrationId",
     None),
    ("delete_registration", {"RegistrationId": ["x"]}, "RegistrationId", None),
    ("describe_registration_versions", {}, "RegistrationId", "MISSING_PARAMETER"),
    # AwsReview
    ("submit_registration_version", {"RegistrationId": RID, "AwsReview": "yes"}, "AwsReview",
     None),
    ("submit_registration_version", {"RegistrationId": RID, "AwsReview": 1}, "AwsReview", None),
    # RegistrationIds
    ("describe_registrations", {"RegistrationIds": [RID] * 6}, "RegistrationIds", None),
    ("describe_registrations", {"RegistrationIds": [""]}, "RegistrationIds[0]", None),
    ("describe_registrations", {"RegistrationIds": RID}, "RegistrationIds", None),
    # Filters
    ("describe_registrations", {"Filters": filters(21)}, "Filters", None),
    ("describe_registrations", {"Filters": filters(1, name="registration-version-status")},
     "Filters[0].Name", None),
    ("describe_registrations", {"Filters": filters(1, values=())}, "Filters[0].Values", None),
    ("describe_registrations", {"Filters": filters(1, values=["A"] * 21)}, "Filters[0].Values",
     None),
    ("describe_registrations", {"Filters": filters(1, values=["A" * 129])},
     "Filters[0].Values[0]", None),
    ("describe_registrations", {"Filters": filters(1, values=["a b"])}, "Filters[0].Values[0]",
     None),
    ("describe_registrations", {"Filters": [{"Name": "registration-status"}]},
     "Filters[0].Values", "MISSING_PARAMETER"),
    ("describe_registration_versions", {"RegistrationId": RID,
                                        "Filters": filters(1, name="registration-type")},
     "Filters[0].Name", None),
    # VersionNumbers
    ("describe_registration_versions", {"RegistrationId": RID, "VersionNumbers": [1] * 6},
     "VersionNumbers", None),
    ("describe_registration_versions", {"RegistrationId": RID, "VersionNumbers": [0]},
     "VersionNumbers[0]", None),
    ("describe_registration_versions", {"RegistrationId": RID, "VersionNumbers": [100001]},
     "VersionNumbers[0]", None),
    ("describe_registration_versions", {"RegistrationId": RID, "VersionNumbers": [True]},
     "VersionNumbers[0]", None),
    # MaxResults
    ("describe_registrations", {"MaxResults": 0}, "MaxResults", None),
    ("describe_registrations", {"MaxResults": 101}, "MaxResults", None),
    ("describe_registrations", {"MaxResults": True}, "MaxResults", None),
    ("describe_registrations", {"MaxResults": "5"}, "MaxResults", None),
    ("describe_registration_versions", {"RegistrationId": RID, "MaxResults": 2.0}, "MaxResults",
     None),
    # NextToken
    ("describe_registrations", {"NextToken": ""}, "NextToken", None),
    ("describe_registrations", {"NextToken": "t" * 1025}, "NextToken", None),
    ("describe_registrations", {"NextToken": "opaque"}, "NextToken", "INVALID_NEXT_TOKEN"),
    # unknown parameters
    ("create_registration", {"RegistrationType": BRAND, "Bogus": 1}, "Bogus", "INVALID_PARAMETER"),
    ("describe_registrations", {"registrationIds": []}, "registrationIds", "INVALID_PARAMETER"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("operation", "params", "field", "reason"),
    RULES,
    ids=[f"{r[0]}-{r[2]}-{i}" for i, r in enumerate(RULES)],
)
def test_rule(
    service: RegistrationService,
    operation: str,
    params: dict[str, Any],
    field: str,
    reason: str | None,
) -> None:
    service.create_registration(RegistrationType=BRAND)
    before = snapshot(service)
    with pytest.raises(ValidationException) as info:
        getattr(service, operation)(**params)
    error = info.value
    assert error.code == "ValidationException"
    assert error.fields and error.fields[0]["Name"] == field
    assert field in error.message
    assert error.reason == (reason or "FIELD_VALIDATION_FAILED")
    assert snapshot(service) == before


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda s: s.reviewer.approve(""), "registration_id"),
        (lambda s: s.reviewer.begin_review(None), "registration_id"),
        (lambda s: s.reviewer.deny(RID, []), "reasons"),
        (lambda s: s.reviewer.deny(RID, [{"Reason": "x"}]), "reasons[0].ShortDescription"),
        (lambda s: s.reviewer.deny(RID, [{"Reason": 1, "ShortDescription": "s"}]),
         "reasons[0].Reason"),
        (lambda s: s.reviewer.deny(RID, ["why"]), "reasons[0]"),
        (lambda s: s.subscribe("not callable"), "subscriber"),
    ],
)  # fmt: skip
def test_reviewer_and_subscriber_arguments(
    service: RegistrationService, call: Any, field: str
) -> None:
    with pytest.raises(ValidationException) as info:
        call(service)
    assert info.value.fields[0]["Name"] == field


# -- fuzz ----------------------------------------------------------------------------

anything = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text()
    | st.binary()
    | st.sampled_from([BRAND, "CREATED", "registration-status", RID, "x" * 2000]),
    lambda inner: st.lists(inner, max_size=6)
    | st.dictionaries(st.sampled_from(["Key", "Value", "Name", "Values", "Reason", "x"]), inner,
                      max_size=4),
    max_leaves=12,
)  # fmt: skip

OPERATIONS = {
    "create_registration": ["RegistrationType", "Tags", "ClientToken"],
    "create_registration_version": ["RegistrationId"],
    "submit_registration_version": ["RegistrationId", "AwsReview"],
    "discard_registration_version": ["RegistrationId"],
    "delete_registration": ["RegistrationId"],
    "describe_registrations": ["RegistrationIds", "Filters", "NextToken", "MaxResults"],
    "describe_registration_versions": [
        "RegistrationId", "VersionNumbers", "Filters", "NextToken", "MaxResults",
    ],
}  # fmt: skip
REVIEWER = [
    "begin_review", "require_authentication", "complete_authentication",
    "require_offline_review", "approve", "revoke", "complete_provisioning", "close",
]  # fmt: skip


@st.composite
def requests(draw: st.DrawFn, rid: str) -> tuple[str, dict[str, Any]]:
    operation = draw(st.sampled_from(sorted(OPERATIONS)))
    names = OPERATIONS[operation] + ["Unknown", "registrationid"]
    chosen = draw(st.lists(st.sampled_from(names), unique=True, max_size=4))
    params = {name: draw(anything | st.just(rid)) for name in chosen}
    return operation, params


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_fuzz_only_lifecycle_errors(data: st.DataObject) -> None:
    service = RegistrationService()
    rid = service.create_registration(RegistrationType=BRAND)["RegistrationId"]
    before = snapshot(service)
    operation, params = data.draw(requests(rid))
    try:
        getattr(service, operation)(**params)
    except LifecycleError:
        assert snapshot(service) == before
    except Exception as exc:  # pragma: no cover - the assertion reports it
        raise AssertionError(f"{operation}({params!r}) leaked {exc!r}") from exc


@settings(max_examples=200, deadline=None)
@given(
    event=st.sampled_from([*REVIEWER, "deny"]),
    registration_id=anything,
    reasons=anything,
)
def test_fuzz_reviewer_only_lifecycle_errors(
    event: str, registration_id: Any, reasons: Any
) -> None:
    service = RegistrationService()
    service.create_registration(RegistrationType=BRAND)
    method = getattr(service.reviewer, event)
    with contextlib.suppress(LifecycleError):
        method(registration_id, reasons) if event == "deny" else method(registration_id)
