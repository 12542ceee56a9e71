"""The shipped strategies produce what they promise."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from lifecycle import (
    ConflictException,
    RegistrationService,
    ResourceNotFoundException,
    ValidationException,
)
from lifecycle.clock import ManualClock
from lifecycle.operations import OPERATIONS as METHODS
from lifecycle.testing.forms import fill_form
from lifecycle.testing.reference import ReferenceRegistration
from lifecycle.testing.strategies import (
    BRAND,
    client_tokens,
    event_sequences,
    reviewer_outcomes,
    tags,
    valid_requests,
)
from lifecycle.validation import OPERATIONS
from tests.workers import operate


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_valid_requests_pass_validation(data: st.DataObject) -> None:
    service = RegistrationService()
    rid = service.create_registration(RegistrationType=BRAND)["RegistrationId"]
    fill_form(service, rid)  # so that a submit is valid
    png = b"\x89PNG\r\n\x1a\n"
    file = service.create_registration_attachment(AttachmentBody=png)["RegistrationAttachmentId"]
    number = service.request_phone_number(
        IsoCountryCode="US", MessageType="TRANSACTIONAL", NumberCapabilities=["SMS"],
        NumberType="LONG_CODE",
    )["PhoneNumberId"]  # fmt: skip
    operation = data.draw(st.sampled_from(sorted(OPERATIONS)))
    params = data.draw(
        valid_requests(operation, [rid], attachment_ids=[file], phone_number_ids=[number])
    )
    try:
        getattr(service, METHODS[operation])(**params)
    except ValidationException as exc:
        # Which resources a registration takes is its type's business, not the shape's.
        if exc.reason != "INVALID_REGISTRATION_ASSOCIATION":
            raise AssertionError(f"{operation}({params}) failed validation: {exc}") from exc
    except (ConflictException, ResourceNotFoundException):
        pass  # valid, but not legal now: that is the lifecycle's business


@settings(max_examples=60, deadline=None)
@given(tags=tags(), token=client_tokens())
def test_tags_and_tokens_are_accepted(tags: list[dict[str, str]], token: str) -> None:
    service = RegistrationService()
    created = service.create_registration(RegistrationType=BRAND, Tags=tags, ClientToken=token)
    assert created.get("Tags", []) == tags


@settings(max_examples=100, deadline=None)
@given(sequence=event_sequences(), outcome=reviewer_outcomes())
def test_event_sequences_follow_the_reference(
    sequence: list[tuple[str, bool]], outcome: tuple[str, object]
) -> None:
    clock = ManualClock()
    service = RegistrationService(clock=clock)
    model = ReferenceRegistration(clock.now(), BRAND)
    rid = service.create_registration(RegistrationType=BRAND)["RegistrationId"]
    fill_form(service, rid)
    event, reasons = outcome
    for name, aws_review in [*sequence, (event, False)]:
        legal = model.allows(name, aws_review)
        try:
            if name == "submit":
                service.submit_registration_version(RegistrationId=rid, AwsReview=aws_review)
            elif name == "deny" and reasons is not None:
                service.reviewer.deny(rid, reasons)  # type: ignore[arg-type]
            else:
                operate(service, name, rid)
        except (ConflictException, ResourceNotFoundException):
            assert not legal
        else:
            assert legal
            model.apply(name, clock.now(), aws_review=aws_review,
                        reasons=reasons if name == "deny" else None)  # type: ignore[arg-type]  # fmt: skip
            if name == "deny" and reasons is None:
                model.denied[-1] = None
        clock.advance(hours=1)
    registration = service.describe_registrations(RegistrationIds=[rid])["Registrations"][0]
    versions = service.describe_registration_versions(RegistrationId=rid)["RegistrationVersions"]
    for n, version in enumerate(versions):
        if model.denied[n] is None:
            model.denied[n] = version.get("DeniedReasons", [])
    assert (registration, versions) == model.describe(rid, registration["RegistrationArn"])
