"""The reviewer speaks like AWS: boto3-style keywords, Feedback and full DeniedReasons."""

from __future__ import annotations

from lifecycle import DeniedReason, RegistrationService
from tests.conftest import new_id

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
    rid = new_id(service)
    service.submit_registration_version(RegistrationId=rid)
    service.reviewer.begin_review(rid)
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
