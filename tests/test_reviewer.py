"""The reviewer speaks like AWS: boto3-style keywords, Feedback and full DeniedReasons."""

from __future__ import annotations

import pytest

from lifecycle import DeniedReason, RegistrationService, ValidationException
from lifecycle.machines import EVENTS
from lifecycle.statuses import Actor
from tests.conftest import new_id, reviewing

FULL_REASON = {
    "Reason": "BRAND_INFO_MISMATCH",
    "ShortDescription": "The brand does not match the EIN.",
    "LongDescription": "The legal name differs from the IRS record.",
    "DocumentationTitle": "10DLC brand registration",
    "DocumentationLink": "https://docs.aws.amazon.com/sms-voice/latest/userguide/registrations.html",
}


def _versions(service: RegistrationService, rid: str) -> list[dict[str, object]]:
    return list(service.describe_registration_versions(RegistrationId=rid)["RegistrationVersions"])


def test_events_take_registration_id_as_a_keyword_or_an_arn(
    service: RegistrationService,
) -> None:
    rid = new_id(service)
    arn = service.describe_registrations(RegistrationIds=[rid])["Registrations"][0][
        "RegistrationArn"
    ]
    service.submit_registration_version(RegistrationId=rid)
    assert service.reviewer.begin_review(RegistrationId=rid)["RegistrationStatus"] == "REVIEWING"
    assert service.reviewer.approve(RegistrationId=arn)["RegistrationStatus"] == "PROVISIONING"
    done = service.reviewer.complete_provisioning(RegistrationId=rid)
    assert done["RegistrationStatus"] == "COMPLETE"
    assert service.reviewer.close(RegistrationId=rid)["RegistrationStatus"] == "CLOSED"


def test_feedback_is_recorded_on_the_version_and_kept(service: RegistrationService) -> None:
    rid = new_id(service)
    service.submit_registration_version(RegistrationId=rid)
    service.reviewer.begin_review(rid, feedback="Looking at the opt-in flow.")
    assert _versions(service, rid)[0]["Feedback"] == "Looking at the opt-in flow."
    service.reviewer.require_authentication(RegistrationId=rid)
    assert _versions(service, rid)[0]["Feedback"] == "Looking at the opt-in flow."
    service.reviewer.complete_authentication(rid)
    service.reviewer.deny(
        RegistrationId=rid, DeniedReasons=[FULL_REASON], feedback="Add the privacy policy URL."
    )
    (version,) = _versions(service, rid)
    assert version["Feedback"] == "Add the privacy policy URL."
    assert version["DeniedReasons"] == [FULL_REASON]


def test_denied_reasons_as_records_and_positional(service: RegistrationService) -> None:
    rid = new_id(service)
    service.submit_registration_version(RegistrationId=rid, AwsReview=True)
    service.reviewer.deny(rid, [DeniedReason.from_dict(FULL_REASON)])
    assert _versions(service, rid)[0]["DeniedReasons"] == [FULL_REASON]


def test_approving_an_update_with_feedback_leaves_the_archived_version_alone(
    service: RegistrationService,
) -> None:
    rid = reviewing(service)
    service.reviewer.approve(rid, feedback="first")
    service.reviewer.complete_provisioning(rid)
    service.create_registration_version(RegistrationId=rid)
    service.submit_registration_version(RegistrationId=rid)
    service.reviewer.begin_review(rid)
    service.reviewer.approve(rid, feedback="second")
    versions = _versions(service, rid)
    assert [v["RegistrationVersionStatus"] for v in versions] == ["ARCHIVED", "APPROVED"]
    assert [v["Feedback"] for v in versions] == ["first", "second"]
    service.reviewer.revoke(rid, feedback="revoked")
    assert _versions(service, rid)[1]["Feedback"] == "revoked"


def test_every_reviewer_event_of_the_machines_is_a_method_documented_from_them() -> None:
    reviewer = RegistrationService().reviewer
    for name, spec in EVENTS.items():
        if spec.actor is Actor.REVIEWER:
            assert callable(getattr(reviewer, name)), name
    assert reviewer.approve.__doc__ is not None
    assert "REVIEWING -> PROVISIONING otherwise" in reviewer.approve.__doc__
    assert "COMPLETE -> CLOSED if no open version" in (reviewer.close.__doc__ or "")


def test_feedback_on_an_event_that_moves_no_version_is_refused(
    service: RegistrationService,
) -> None:
    rid = reviewing(service)
    service.reviewer.approve(rid)
    with pytest.raises(ValidationException) as refused:
        service.reviewer.complete_provisioning(rid, feedback="done")
    assert refused.value.fields[0]["Name"] == "feedback"
    assert _versions(service, rid)[0]["RegistrationVersionStatus"] == "APPROVED"
    reg = service.describe_registrations(RegistrationIds=[rid])["Registrations"][0]
    assert reg["RegistrationStatus"] == "PROVISIONING"
