"""The scripted reviewer: policies as data (validated), moves by time, by describe
calls or at once, through the same machines as a manual reviewer; on the service, in
the mock and in ``lifecycle serve``."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from lifecycle import ConflictException, RegistrationService, ValidationException
from lifecycle.clock import ManualClock
from lifecycle.policy import Policy
from lifecycle.scripted import ScriptedReviewer
from lifecycle.testing.forms import fill_form

BRAND = "US_TEN_DLC_BRAND_REGISTRATION"
DENIAL = [{"Reason": "BRAND_INFO_MISMATCH", "ShortDescription": "Check the name."}]
BRANDS: dict[str, Any] = {
    "rules": [
        {"tag": {"Key": "review", "Value": "deny-once"},
         "submissions": [
             [{"event": "begin_review"},
              {"event": "deny", "reasons": DENIAL, "after": "1d",
               "fields": {"companyInfo.companyName": {"DeniedReason": "Not the legal name.",
                                                      "Feedback": "Use the tax records'."}}}],
             [{"event": "begin_review", "after_describes": 2},
              {"event": "approve"}, {"event": "complete_provisioning", "after": "1h"}]]},
        {"registration_type": BRAND,
         "submissions": [[{"event": "begin_review", "after": "1h"},
                          {"event": "approve", "after": "2d"},
                          {"event": "complete_provisioning", "after": "1h"}]]},
    ]
}  # fmt: skip


def _status(service: RegistrationService, rid: str) -> str:
    return str(service.describe_registrations(RegistrationIds=[rid])["Registrations"][0][
        "RegistrationStatus"])  # fmt: skip


def _submitted(service: RegistrationService, **create: Any) -> str:
    rid = str(service.create_registration(RegistrationType=BRAND, **create)["RegistrationId"])
    fill_form(service, rid)
    service.submit_registration_version(RegistrationId=rid)
    return rid


def test_a_brand_approved_after_two_days_of_the_clock() -> None:
    clock = ManualClock()
    service = RegistrationService(clock=clock)
    scripted = ScriptedReviewer(service, Policy.from_dict(BRANDS))
    rid = _submitted(service)
    assert _status(service, rid) == "SUBMITTED"
    clock.advance(timedelta(hours=1))
    assert _status(service, rid) == "REVIEWING"  # a describe makes the due move first
    clock.advance(timedelta(days=1))
    assert _status(service, rid) == "REVIEWING"
    clock.advance(timedelta(days=1, hours=1))
    assert scripted.advance() == 2  # approve, then complete_provisioning an hour later
    assert _status(service, rid) == "COMPLETE"
    history = [(e.event.event, e.event.actor.value) for e in service.backend.read_log()][-3:]
    assert history == [("begin_review", "reviewer"), ("approve", "reviewer"),
                       ("complete_provisioning", "reviewer")]  # fmt: skip


def test_denied_once_on_a_field_then_approved_on_version_2() -> None:
    clock = ManualClock()
    service = RegistrationService(clock=clock)
    ScriptedReviewer(service, BRANDS)  # a dictionary will do
    rid = _submitted(service, Tags=[{"Key": "review", "Value": "deny-once"}])
    assert _status(service, rid) == "REVIEWING"  # at once, in the step that submits
    clock.advance(timedelta(days=1))
    assert _status(service, rid) == "REQUIRES_UPDATES"
    flagged = service.describe_registration_field_values(
        RegistrationId=rid, VersionNumber=1, FieldPaths=["companyInfo.companyName"]
    )["RegistrationFieldValues"][0]
    assert flagged["DeniedReason"] == "Not the legal name."
    service.create_registration_version(RegistrationId=rid)
    service.submit_registration_version(RegistrationId=rid)  # the second script
    assert _status(service, rid) == "SUBMITTED"  # 1st describe: not yet
    assert _status(service, rid) == "PROVISIONING"  # the 2nd: review, then approve
    clock.advance(timedelta(hours=1))
    assert _status(service, rid) == "COMPLETE"


def test_an_illegal_move_fails_loudly_naming_the_rule() -> None:
    service = RegistrationService()
    ScriptedReviewer(service, {"rules": [
        {"submissions": [[{"event": "approve"}]]}]})  # fmt: skip
    with pytest.raises(ConflictException) as refused:
        _submitted(service)
    message = str(refused.value)
    assert "Review policy rule 0 (any registration), submission 1, move 0 (approve)" in message
    assert "reviewer:approve is not allowed" in message


@pytest.mark.parametrize(
    ("policy", "named"),
    [
        ({}, "rules"),
        ({"rules": [{"submissions": [[{"event": "approve_all"}]]}]},
         "rules[0].submissions[0][0].event"),
        ({"rules": [{"submissions": [[{"event": "approve", "after": "2 days"}]]}]},
         "rules[0].submissions[0][0].after"),
        ({"rules": [{"submissions": [[{"event": "deny"}]]}]}, "rules[0].submissions[0][0].reasons"),
        ({"rules": [{"submissions": []}]}, "rules[0].submissions"),
        ({"rules": [{"submissions": [[]], "colour": "red"}]}, "rules[0].colour"),
        ({"rules": [{"tag": {"Key": "k"}, "submissions": [[]]}]}, "rules[0].tag.Value"),
        ({"rules": [{"submissions": [[{"event": "approve", "after_describes": -1}]]}]},
         "rules[0].submissions[0][0].after_describes"),
    ],
)  # fmt: skip
def test_a_malformed_policy_names_the_member(policy: Any, named: str) -> None:
    with pytest.raises(ValidationException) as info:
        Policy.from_dict(policy)
    assert info.value.fields[0]["Name"] == named


def test_json_and_toml_files(tmp_path: Path) -> None:
    as_json = tmp_path / "policy.json"
    as_json.write_text(json.dumps(BRANDS))
    as_toml = tmp_path / "policy.toml"
    as_toml.write_text(
        '[[rules]]\nregistration_type = "US_TEN_DLC_BRAND_REGISTRATION"\n'
        'submissions = [[{event = "begin_review"}, {event = "approve", after = "2d"}]]\n'
    )
    assert Policy.load(as_json) == Policy.from_dict(BRANDS)
    assert Policy.load(as_toml).rules[0].script(1)[1].after == timedelta(days=2)
    broken = tmp_path / "broken.toml"
    broken.write_text("[[rules]\n")
    with pytest.raises(ValidationException, match=r"broken\.toml cannot be read"):
        Policy.load(broken)
    bad = tmp_path / "bad.json"
    bad.write_text('{"rules": [{"submissions": [[{"event": "x"}]]}]}')
    with pytest.raises(ValidationException, match=r"bad\.json: rules\[0\]"):
        Policy.load(bad)


def test_the_mock_takes_a_policy(tmp_path: Path) -> None:
    boto3 = pytest.importorskip("boto3", reason="the aws extra is not installed")
    import lifecycle.aws

    clock = ManualClock()
    with lifecycle.aws.mock(service=RegistrationService(clock=clock), policy=BRANDS) as mocked:
        client = boto3.client("pinpoint-sms-voice-v2", region_name="us-east-1")
        rid = client.create_registration(RegistrationType=BRAND)["RegistrationId"]
        fill_form(mocked.service, rid)
        client.submit_registration_version(RegistrationId=rid)
        clock.advance(timedelta(days=3))
        assert mocked.advance() == 3
        found = client.describe_registrations(RegistrationIds=[rid])["Registrations"]
        assert found[0]["RegistrationStatus"] == "COMPLETE"
    with pytest.raises(ValidationException, match="rules: must be a list"):
        lifecycle.aws.mock(policy={"rules": "all"})


def test_serve_takes_a_review_policy(tmp_path: Path) -> None:
    pytest.importorskip("waitress", reason="the server extra is not installed")
    from tests.served import Server

    policy = tmp_path / "policy.json"
    policy.write_text(
        json.dumps(
            {
                "rules": [
                    {
                        "submissions": [
                            [
                                {"event": "begin_review"},
                                {"event": "approve"},
                                {"event": "complete_provisioning"},
                            ]
                        ]
                    }
                ]
            }
        )
    )
    server = Server(tmp_path / "serve", "--log-level", "warning", "--review-policy", str(policy))
    try:
        client = server.client()
        rid = client.create_registration(RegistrationType=BRAND)["RegistrationId"]
        service = RegistrationService()
        for value in fill_form(service, service.create_registration(RegistrationType=BRAND)[
                "RegistrationId"]):  # fmt: skip
            client.put_registration_field_value(RegistrationId=rid, **value)
        client.submit_registration_version(RegistrationId=rid)
        found = client.describe_registrations(RegistrationIds=[rid])["Registrations"]
        assert found[0]["RegistrationStatus"] == "COMPLETE"
    finally:
        server.stop()


def test_serve_refuses_a_bad_policy_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from lifecycle.cli import main

    bad = tmp_path / "policy.json"
    bad.write_text('{"rules": [{"submissions": [[{"event": "approve", "after": "soon"}]]}]}')
    assert main(["serve", "--review-policy", str(bad)]) == 2
    assert "after: must be a number of days" in capsys.readouterr().err


def test_uploads_finish_or_fail_by_policy() -> None:
    clock = ManualClock()
    service = RegistrationService(clock=clock)
    ScriptedReviewer(service, {"rules": [], "uploads": {"event": "complete_upload",
                                                         "after": "10m"}})  # fmt: skip
    made = service.create_registration_attachment(AttachmentUrl="s3://bucket/opt-in.png")
    aid = made["RegistrationAttachmentId"]
    assert made["AttachmentStatus"] == "UPLOAD_IN_PROGRESS"
    clock.advance(timedelta(minutes=10))
    shown = service.describe_registration_attachments(RegistrationAttachmentIds=[aid])
    assert shown["RegistrationAttachments"][0]["AttachmentStatus"] == "UPLOAD_COMPLETE"
    failing = RegistrationService()
    ScriptedReviewer(failing, {"rules": [], "uploads": {"event": "fail_upload"}})
    made = failing.create_registration_attachment(AttachmentUrl="s3://bucket/opt-in.png")
    assert made["AttachmentStatus"] == "UPLOAD_IN_PROGRESS"  # the answer of the create
    shown = failing.describe_registration_attachments()["RegistrationAttachments"][0]
    assert shown["AttachmentStatus"] == "UPLOAD_FAILED"
    with pytest.raises(ValidationException) as info:
        Policy.from_dict({"rules": [], "uploads": {"event": "approve"}})
    assert info.value.fields[0]["Name"] == "uploads.event"


def test_a_scripted_reviewer_needs_a_service() -> None:
    with pytest.raises(ValidationException, match="service"):
        ScriptedReviewer("service", BRANDS)  # type: ignore[arg-type]
