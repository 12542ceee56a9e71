"""Every constraint of the reference's Requests table, one case each, and a fuzz test
that throws arbitrary values at every parameter of every operation."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lifecycle import LifecycleError, RegistrationService, ValidationException
from lifecycle.testing.strategies import INVALID_REQUESTS as RULES
from lifecycle.testing.strategies import RID
from tests.conftest import BRAND, snapshot


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
        (lambda s: s.reviewer.approve(""), "RegistrationId"),
        (lambda s: s.reviewer.approve(RegistrationId=""), "RegistrationId"),
        (lambda s: s.reviewer.begin_review(None), "RegistrationId"),
        (lambda s: s.reviewer.begin_review(), "RegistrationId"),
        (lambda s: s.reviewer.approve(RID, RegistrationId=RID), "RegistrationId"),
        (lambda s: s.reviewer.approve(RID, feedback=""), "feedback"),
        (lambda s: s.reviewer.approve(RID, Feedback="x"), "Feedback"),
        (lambda s: s.reviewer.close(RID, RegistrationID=RID), "RegistrationID"),
        (lambda s: s.reviewer.deny(RID, [{"Reason": "r", "ShortDescription": "s"}], Reasons=[]),
         "Reasons"),
        (lambda s: s.reviewer.approve(RID, feedback=b"fine"), "feedback"),
        (lambda s: s.reviewer.deny(RID, []), "DeniedReasons"),
        (lambda s: s.reviewer.deny(RID), "DeniedReasons"),
        (lambda s: s.reviewer.deny(RID, [{"Reason": "x"}]), "DeniedReasons[0].ShortDescription"),
        (lambda s: s.reviewer.deny(RID, [{"Reason": 1, "ShortDescription": "s"}]),
         "DeniedReasons[0].Reason"),
        (lambda s: s.reviewer.deny(RID, ["why"]), "DeniedReasons[0]"),
        (lambda s: s.reviewer.deny(RID, [{"Reason": "r", "ShortDescription": "s", "Link": "x"}]),
         "DeniedReasons[0]"),
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
    | st.sampled_from([BRAND, "CREATED", "registration-status", RID, "x" * 2000, "US",
                       "TOLL_FREE", "LONG_CODE", "TRANSACTIONAL", "SMS", "status"]),
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
    "request_phone_number": [
        "IsoCountryCode", "MessageType", "NumberCapabilities", "NumberType", "OptOutListName",
        "PoolId", "RegistrationId", "NumberPreference", "InternationalSendingEnabled",
        "DeletionProtectionEnabled", "Tags", "ClientToken",
    ],
    "describe_phone_numbers": ["PhoneNumberIds", "Filters", "NextToken", "MaxResults", "Owner"],
    "release_phone_number": ["PhoneNumberId"],
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
    shown = lambda: (snapshot(service), service.describe_phone_numbers()["PhoneNumbers"])  # noqa: E731
    before = shown()
    operation, params = data.draw(requests(rid))
    try:
        getattr(service, operation)(**params)
    except LifecycleError:
        assert shown() == before
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
