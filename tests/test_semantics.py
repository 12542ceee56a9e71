"""The lifecycle as AWS's user guide documents it, through the API on every backend:
discard during review and authentication, delete from COMPLETE, close never orphans a
version. Each refused call changes nothing."""

from __future__ import annotations

import pytest

from lifecycle import ConflictException, RegistrationService
from tests.conftest import new_id, reviewing, snapshot

DENIAL = [{"Reason": "R", "ShortDescription": "denied"}]


def _status(service: RegistrationService, rid: str) -> tuple[str, str]:
    reg = service.describe_registrations(RegistrationIds=[rid])["Registrations"][0]
    current = service.describe_registration_versions(
        RegistrationId=rid, VersionNumbers=[reg["CurrentVersionNumber"]]
    )["RegistrationVersions"][0]
    return reg["RegistrationStatus"], current["RegistrationVersionStatus"]


def _complete(service: RegistrationService) -> str:
    rid = reviewing(service)
    service.reviewer.approve(rid)
    service.reviewer.complete_provisioning(rid)
    return rid


def test_an_expired_brand_authentication_is_discarded_and_resubmitted(
    service: RegistrationService,
) -> None:
    """The user guide's recovery after 30 days without the brand's email 2FA."""
    rid = reviewing(service)
    service.reviewer.require_authentication(rid)
    discarded = service.discard_registration_version(RegistrationId=rid)
    assert discarded["RegistrationVersionStatus"] == "DISCARDED"
    assert "DiscardedTimestamp" in discarded["RegistrationVersionStatusHistory"]
    assert _status(service, rid) == ("CREATED", "DISCARDED")
    service.create_registration_version(RegistrationId=rid)
    service.submit_registration_version(RegistrationId=rid)
    assert _status(service, rid) == ("SUBMITTED", "SUBMITTED")


def test_an_aws_review_can_be_discarded(service: RegistrationService) -> None:
    rid = new_id(service)
    service.submit_registration_version(RegistrationId=rid, AwsReview=True)
    assert _status(service, rid) == ("AWS_REVIEWING", "AWS_REVIEWING")
    service.discard_registration_version(RegistrationId=rid)
    assert _status(service, rid) == ("CREATED", "DISCARDED")


@pytest.mark.parametrize(
    ("history", "after"),
    [("approved", "COMPLETE"), ("denied", "REQUIRES_UPDATES"), ("revoked", "REQUIRES_UPDATES")],
)
def test_a_discarded_update_returns_the_registration_to_its_last_outcome(
    service: RegistrationService, history: str, after: str
) -> None:
    if history == "denied":
        rid = new_id(service)
        service.submit_registration_version(RegistrationId=rid)
        service.reviewer.begin_review(rid)
        service.reviewer.deny(rid, DENIAL)
    else:
        rid = _complete(service)
    if history == "revoked":
        service.reviewer.revoke(rid)
    service.create_registration_version(RegistrationId=rid)
    service.submit_registration_version(RegistrationId=rid, AwsReview=True)
    service.reviewer.begin_review(rid)
    service.reviewer.require_authentication(rid)
    service.discard_registration_version(RegistrationId=rid)
    assert _status(service, rid) == (after, "DISCARDED")


@pytest.mark.parametrize("review", ["begin_review", "require_offline_review"])
def test_a_version_under_the_carriers_review_cannot_be_discarded(
    service: RegistrationService, review: str
) -> None:
    rid = reviewing(service)
    if review == "require_offline_review":
        service.reviewer.require_offline_review(rid)
    before = snapshot(service)
    with pytest.raises(ConflictException) as refused:
        service.discard_registration_version(RegistrationId=rid)
    assert refused.value.reason == "DISCARD_REGISTRATION_VERSION_NOT_ALLOWED"
    assert snapshot(service) == before


def test_a_complete_registration_can_be_deleted(service: RegistrationService) -> None:
    rid = _complete(service)
    deleted = service.delete_registration(RegistrationId=rid)
    assert deleted["RegistrationStatus"] == "DELETED"
    assert deleted["ApprovedVersionNumber"] == 1


def test_a_complete_registration_with_an_open_draft_can_be_deleted(
    service: RegistrationService,
) -> None:
    rid = _complete(service)
    service.create_registration_version(RegistrationId=rid)
    assert service.delete_registration(RegistrationId=rid)["RegistrationStatus"] == "DELETED"


@pytest.mark.parametrize("where", ["submitted", "authenticating", "provisioning", "update"])
def test_delete_is_refused_while_in_review_or_provisioning(
    service: RegistrationService, where: str
) -> None:
    if where == "update":
        rid = _complete(service)
        service.create_registration_version(RegistrationId=rid)
        service.submit_registration_version(RegistrationId=rid)
    else:
        rid = new_id(service)
        service.submit_registration_version(RegistrationId=rid)
    if where in ("authenticating", "provisioning"):
        service.reviewer.begin_review(rid)
    if where == "authenticating":
        service.reviewer.require_authentication(rid)
    if where == "provisioning":
        service.reviewer.approve(rid)
    before = snapshot(service)
    with pytest.raises(ConflictException) as refused:
        service.delete_registration(RegistrationId=rid)
    assert refused.value.reason == "RESOURCE_DELETION_NOT_ALLOWED"
    assert snapshot(service) == before


@pytest.mark.parametrize("open_version", ["draft", "in_review"])
def test_close_never_orphans_a_version(service: RegistrationService, open_version: str) -> None:
    rid = _complete(service)
    service.create_registration_version(RegistrationId=rid)
    if open_version == "in_review":
        service.submit_registration_version(RegistrationId=rid)
    before = snapshot(service)
    with pytest.raises(ConflictException, match="close is not allowed"):
        service.reviewer.close(rid)
    assert snapshot(service) == before
    if open_version == "draft":
        service.discard_registration_version(RegistrationId=rid)
        assert service.reviewer.close(rid)["RegistrationStatus"] == "CLOSED"
