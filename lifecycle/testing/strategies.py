"""Hypothesis strategies for the lifecycle: requests, bad requests, reviewers, sequences.

All of them produce plain values (dicts, strings, tuples) to pass to a
:class:`~lifecycle.RegistrationService` or to your own workflow code.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from hypothesis import strategies as st

from lifecycle.catalogue import BUILT_IN_REGISTRATION_TYPES, Catalogue
from lifecycle.catalogue.definitions import SELECT, RegistrationFieldDefinition
from lifecycle.form import PARAMETER_OF_TYPE, resolve
from lifecycle.machines import TAG_EDITS
from lifecycle.models import registration_arn
from lifecycle.phone_numbers import FICTIONAL_RANGES
from lifecycle.testing.reference import FORM_EDITS, REVIEWER_EVENTS, USER_EVENTS

BRAND = "US_TEN_DLC_BRAND_REGISTRATION"
RID = "registration-" + "a" * 32
ARN = registration_arn("us-east-1", "123456789012", RID)
ATTACHMENT_ID = "attachment-" + "a" * 32
PHONE_NUMBER_ID = "phone-" + "a" * 32


def _tags(n: int) -> list[dict[str, str]]:
    return [{"Key": f"k{i}", "Value": "v"} for i in range(n)]


def _filters(n: int, name: str = "registration-status", values: Any = ("CREATED",)) -> Any:
    return [{"Name": name, "Values": list(values)} for _ in range(n)]


INVALID_REQUESTS: list[tuple[str, dict[str, Any], str, str | None]] = [
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
    ("create_registration", {"RegistrationType": BRAND, "Tags": _tags(201)}, "Tags", None),
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
    ("create_registration", {"RegistrationType": BRAND, "Tags": [*_tags(1), *_tags(1)]},
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
    ("describe_registrations", {"Filters": _filters(21)}, "Filters", None),
    ("describe_registrations", {"Filters": _filters(1, name="registration-version-status")},
     "Filters[0].Name", None),
    ("describe_registrations", {"Filters": _filters(1, values=())}, "Filters[0].Values", None),
    ("describe_registrations", {"Filters": _filters(1, values=["A"] * 21)}, "Filters[0].Values",
     None),
    ("describe_registrations", {"Filters": _filters(1, values=["A" * 129])},
     "Filters[0].Values[0]", None),
    ("describe_registrations", {"Filters": _filters(1, values=["a b"])}, "Filters[0].Values[0]",
     None),
    ("describe_registrations", {"Filters": [{"Name": "registration-status"}]},
     "Filters[0].Values", "MISSING_PARAMETER"),
    ("describe_registration_versions", {"RegistrationId": RID,
                                        "Filters": _filters(1, name="registration-type")},
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
    # ResourceArn
    ("list_tags_for_resource", {}, "ResourceArn", "MISSING_PARAMETER"),
    ("list_tags_for_resource", {"ResourceArn": 7}, "ResourceArn", None),
    ("list_tags_for_resource", {"ResourceArn": "arn:aws:sms-voice"}, "ResourceArn", None),
    ("list_tags_for_resource", {"ResourceArn": ARN + "x" * (257 - len(ARN))}, "ResourceArn",
     None),
    ("list_tags_for_resource", {"ResourceArn": RID}, "ResourceArn", None),
    ("list_tags_for_resource", {"ResourceArn": ARN.replace("/", " ")}, "ResourceArn", None),
    ("list_tags_for_resource", {"ResourceArn": ARN.replace("sms-voice", "sns")}, "ResourceArn",
     "INVALID_ARN"),
    ("list_tags_for_resource", {"ResourceArn": ARN.replace("registration/", "bogus/")},
     "ResourceArn", "INVALID_ARN"),
    ("list_tags_for_resource", {"ResourceArn": ARN.replace("/" + RID, "/")}, "ResourceArn",
     "INVALID_ARN"),
    ("tag_resource", {"Tags": _tags(1)}, "ResourceArn", "MISSING_PARAMETER"),
    ("untag_resource", {"ResourceArn": ARN.replace("aws:", "aws-cn:", 1), "TagKeys": ["k"]},
     "ResourceArn", "INVALID_ARN"),
    # Tags of TagResource
    ("tag_resource", {"ResourceArn": ARN}, "Tags", "MISSING_PARAMETER"),
    ("tag_resource", {"ResourceArn": ARN, "Tags": []}, "Tags", None),
    ("tag_resource", {"ResourceArn": ARN, "Tags": _tags(201)}, "Tags", None),
    ("tag_resource", {"ResourceArn": ARN, "Tags": {"k": "v"}}, "Tags", None),
    ("tag_resource", {"ResourceArn": ARN, "Tags": [{"Key": "", "Value": ""}]}, "Tags[0].Key",
     None),
    ("tag_resource", {"ResourceArn": ARN, "Tags": [{"Key": "k" * 129, "Value": ""}]},
     "Tags[0].Key", None),
    ("tag_resource", {"ResourceArn": ARN, "Tags": [{"Key": "a\nb", "Value": ""}]},
     "Tags[0].Key", None),
    ("tag_resource", {"ResourceArn": ARN, "Tags": [{"Key": "k", "Value": "v" * 257}]},
     "Tags[0].Value", None),
    ("tag_resource", {"ResourceArn": ARN, "Tags": [{"Key": "k", "Value": None}]},
     "Tags[0].Value", None),
    ("tag_resource", {"ResourceArn": ARN, "Tags": [{"Value": "v"}]}, "Tags[0].Key",
     "MISSING_PARAMETER"),
    ("tag_resource", {"ResourceArn": ARN, "Tags": [*_tags(2), *_tags(1)]}, "Tags[2].Key", None),
    # TagKeys
    ("untag_resource", {"ResourceArn": ARN}, "TagKeys", "MISSING_PARAMETER"),
    ("untag_resource", {"ResourceArn": ARN, "TagKeys": []}, "TagKeys", None),
    ("untag_resource", {"ResourceArn": ARN, "TagKeys": ["k"] * 201}, "TagKeys", None),
    ("untag_resource", {"ResourceArn": ARN, "TagKeys": "k"}, "TagKeys", None),
    ("untag_resource", {"ResourceArn": ARN, "TagKeys": [""]}, "TagKeys[0]", None),
    ("untag_resource", {"ResourceArn": ARN, "TagKeys": ["k" * 129]}, "TagKeys[0]", None),
    ("untag_resource", {"ResourceArn": ARN, "TagKeys": ["k", 5]}, "TagKeys[1]", None),
    # unknown parameters
    ("create_registration", {"RegistrationType": BRAND, "Bogus": 1}, "Bogus", "INVALID_PARAMETER"),
    ("tag_resource", {"ResourceArn": ARN, "Tags": _tags(1), "TagKeys": ["k"]}, "TagKeys",
     "INVALID_PARAMETER"),
    ("describe_registrations", {"registrationIds": []}, "registrationIds", "INVALID_PARAMETER"),
]  # fmt: skip
"""One bad request per validation rule: (operation, parameters, the field a
ValidationException must name, its Reason; ``None`` means FIELD_VALIDATION_FAILED)."""


def registration_types(
    types: Sequence[str] = BUILT_IN_REGISTRATION_TYPES,
) -> st.SearchStrategy[str]:
    """A registration type of ``types`` (default: the built-in ones)."""
    return st.sampled_from(list(types))


def tags(
    max_size: int = 5, *, min_size: int = 0, keys: st.SearchStrategy[str] | None = None
) -> st.SearchStrategy[list[dict[str, str]]]:
    """Valid ``Tags``: ``min_size`` to ``max_size`` tags with unique keys (of ``keys``;
    by default any of 1-128 characters) and values of 0-256 characters."""
    if keys is None:
        keys = tag_keys()
    value = st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\n\r"),
                    max_size=256)  # fmt: skip
    return st.lists(
        st.tuples(keys, value), min_size=min_size, max_size=max_size, unique_by=lambda kv: kv[0]
    ).map(lambda pairs: [{"Key": k, "Value": v} for k, v in pairs])


def tag_keys() -> st.SearchStrategy[str]:
    """A valid tag key: 1-128 characters, none a line break."""
    return st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\n\r"),
                   min_size=1, max_size=128)  # fmt: skip


def client_tokens() -> st.SearchStrategy[str]:
    """A valid ``ClientToken``: 1-64 printable ASCII characters."""
    return st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=64)


def attachment_bodies() -> st.SearchStrategy[bytes]:
    """Files a registration takes: a PNG, JPEG, GIF or PDF header and up to 2 KB more."""
    headers = [b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF89a", b"%PDF-1.7\n"]
    return st.builds(bytes.__add__, st.sampled_from(headers), st.binary(max_size=2048))


def valid_requests(
    operation: str,
    registration_ids: Sequence[str] = (),
    registration_type: str = "US_TEN_DLC_BRAND_REGISTRATION",
    attachment_ids: Sequence[str] = (),
    *,
    account_id: str = "123456789012",
    region: str = "us-east-1",
    phone_number_ids: Sequence[str] = (),
) -> st.SearchStrategy[dict[str, Any]]:
    """Valid parameters of ``operation`` (an API name such as ``CreateRegistration``);
    ``registration_ids`` are the ids to draw ``RegistrationId`` from, registrations of
    ``registration_type`` (whose form the field operations fill), in ``account_id`` and
    ``region`` (what their ``ResourceArn`` names), ``attachment_ids`` those to draw
    ``RegistrationAttachmentId`` from and ``phone_number_ids`` those to draw
    ``PhoneNumberId`` (and an association's ``ResourceId``, as registrations) from."""
    ids = st.sampled_from(list(registration_ids)) if registration_ids else st.just(RID)
    arns = ids.map(lambda rid: registration_arn(region, account_id, rid))
    files = st.sampled_from(list(attachment_ids)) if attachment_ids else st.just(ATTACHMENT_ID)
    statuses = st.sampled_from(["CREATED", "SUBMITTED", "REVIEWING", "COMPLETE", "DELETED"])
    if operation == "CreateRegistration":
        return st.fixed_dictionaries(
            {"RegistrationType": registration_types()},
            optional={"Tags": tags(), "ClientToken": client_tokens()},
        )
    if operation == "SubmitRegistrationVersion":
        return st.fixed_dictionaries({"RegistrationId": ids}, optional={"AwsReview": st.booleans()})
    if operation in (
        "CreateRegistrationVersion",
        "DiscardRegistrationVersion",
        "DeleteRegistration",
    ):
        return st.fixed_dictionaries({"RegistrationId": ids})
    if operation == "DescribeRegistrations":
        return st.fixed_dictionaries({}, optional={
            "RegistrationIds": st.lists(ids, max_size=5),
            "Filters": st.lists(st.fixed_dictionaries({
                "Name": st.sampled_from(["registration-status", "registration-type"]),
                "Values": st.lists(statuses | registration_types(), min_size=1, max_size=3),
            }), max_size=2),
            "MaxResults": st.integers(1, 100),
        })  # fmt: skip
    if operation == "DescribeRegistrationVersions":
        return st.fixed_dictionaries({"RegistrationId": ids}, optional={
            "MaxResults": st.integers(1, 100),
            "Filters": st.lists(st.fixed_dictionaries({
                "Name": st.just("registration-version-status"),
                "Values": st.lists(st.sampled_from(["DRAFT", "SUBMITTED", "APPROVED"]),
                                   min_size=1, max_size=3),
            }), max_size=1),
        })  # fmt: skip
    if operation in _DEFINITIONS:
        return _definitions_request(operation)
    if operation == "DeleteRegistrationFieldValue":
        paths = [f.field_path for f in Catalogue().fields(registration_type)]
        return st.fixed_dictionaries({"RegistrationId": ids, "FieldPath": st.sampled_from(paths)})
    if operation == "DescribeRegistrationFieldValues":
        return st.fixed_dictionaries({"RegistrationId": ids}, optional={
            "VersionNumber": st.just(1), "MaxResults": st.integers(1, 100)})  # fmt: skip
    if operation == "PutRegistrationFieldValue":
        return st.builds(lambda rid, value: {"RegistrationId": rid, **value}, ids,
                         field_values(registration_type))  # fmt: skip
    if operation == "TagResource":
        return st.fixed_dictionaries({"ResourceArn": arns, "Tags": tags(min_size=1)})
    if operation == "UntagResource":
        return st.fixed_dictionaries(
            {"ResourceArn": arns, "TagKeys": st.lists(tag_keys(), min_size=1, max_size=5)}
        )
    if operation == "ListTagsForResource":
        return st.fixed_dictionaries({"ResourceArn": arns})
    if operation == "CreateRegistrationAttachment":
        source = st.one_of(
            attachment_bodies().map(lambda body: {"AttachmentBody": body}),
            st.from_regex(r"s3://[a-z0-9]{3,20}/[A-Za-z0-9_./-]{1,40}", fullmatch=True).map(
                lambda url: {"AttachmentUrl": url}
            ),
        )
        extra = st.fixed_dictionaries({}, optional={"Tags": tags(), "ClientToken": client_tokens()})
        return st.builds(lambda a, b: {**a, **b}, source, extra)
    if operation == "DescribeRegistrationAttachments":
        return st.fixed_dictionaries({}, optional={
            "RegistrationAttachmentIds": st.lists(files, max_size=5),
            "Filters": st.lists(st.fixed_dictionaries({
                "Name": st.just("attachment-status"),
                "Values": st.lists(st.sampled_from(["UPLOAD_COMPLETE", "UPLOAD_FAILED"]),
                                   min_size=1, max_size=2),
            }), max_size=1),
            "MaxResults": st.integers(1, 100),
        })  # fmt: skip
    if operation == "DeleteRegistrationAttachment":
        return st.fixed_dictionaries({"RegistrationAttachmentId": files})
    phones = (
        st.sampled_from(list(phone_number_ids)) if phone_number_ids else st.just(PHONE_NUMBER_ID)
    )
    if operation == "RequestPhoneNumber":
        return st.builds(lambda where, rest: {**where, **rest}, phone_number_kinds(),
                         st.fixed_dictionaries({
            "MessageType": st.sampled_from(["TRANSACTIONAL", "PROMOTIONAL"]),
            "NumberCapabilities": st.lists(st.sampled_from(["SMS", "VOICE", "MMS", "RCS"]),
                                           min_size=1, max_size=4, unique=True),
        }, optional={
            "DeletionProtectionEnabled": st.booleans(),
            "InternationalSendingEnabled": st.booleans(),
            "Tags": tags(), "ClientToken": client_tokens(),
        }))  # fmt: skip
    if operation == "DescribePhoneNumbers":
        return st.fixed_dictionaries({}, optional={
            "PhoneNumberIds": st.lists(phones, max_size=5),
            "Filters": st.lists(st.fixed_dictionaries({
                "Name": st.sampled_from(["status", "number-type", "iso-country-code"]),
                "Values": st.lists(st.sampled_from(["ACTIVE", "PENDING", "TOLL_FREE", "US"]),
                                   min_size=1, max_size=3),
            }), max_size=2),
            "MaxResults": st.integers(1, 100),
        })  # fmt: skip
    if operation == "ReleasePhoneNumber":
        return st.fixed_dictionaries({"PhoneNumberId": phones})
    if operation == "CreateRegistrationAssociation":
        return st.fixed_dictionaries({"RegistrationId": ids, "ResourceId": phones | ids})
    if operation == "ListRegistrationAssociations":
        return st.fixed_dictionaries({"RegistrationId": ids}, optional={
            "Filters": st.lists(st.fixed_dictionaries({
                "Name": st.sampled_from(["resource-type", "iso-country-code"]),
                "Values": st.lists(st.sampled_from(["TEN_DLC", "TOLL_FREE", "US", "CA"]),
                                   min_size=1, max_size=3),
            }), max_size=2),
            "MaxResults": st.integers(1, 100),
        })  # fmt: skip
    raise ValueError(f"unknown operation {operation!r}")


def phone_number_kinds() -> st.SearchStrategy[dict[str, str]]:
    """An ``IsoCountryCode`` and a ``NumberType`` this library has numbers of (see
    :data:`lifecycle.phone_numbers.FICTIONAL_RANGES`)."""
    return st.sampled_from(sorted(FICTIONAL_RANGES)).map(
        lambda kind: {"IsoCountryCode": kind[0], "NumberType": kind[1]}
    )


_TEXT_VALUE = 2048
"""The most characters a ``TextValue`` has (PutRegistrationFieldValue's limit)."""


def field_values(
    registration_type: str, catalogue: Catalogue | None = None
) -> st.SearchStrategy[dict[str, Any]]:
    """A valid ``PutRegistrationFieldValue`` value of a TEXT or SELECT field of
    ``registration_type`` in ``catalogue`` (default: the built-in one), with its
    ``FieldPath``, within the field's own limits (ATTACHMENT fields need an attachment,
    and conditional limits depend on the other values: neither is drawn)."""
    catalogue = Catalogue() if catalogue is None else catalogue
    fields = [f for f in catalogue.fields(registration_type) if f.field_type != "ATTACHMENT"]

    def value(field: RegistrationFieldDefinition) -> st.SearchStrategy[dict[str, Any]]:
        path = {"FieldPath": field.field_path}
        if field.field_type == SELECT:
            rules = field.select_validation
            choices = (
                # No SelectValidation: any choices the request takes, a few of them.
                st.lists(st.text(min_size=1, max_size=256), unique=True, min_size=1, max_size=3)
                if rules is None
                else st.lists(st.sampled_from(list(rules.options)), unique=True,
                              min_size=rules.min_choices, max_size=rules.max_choices)
            )  # fmt: skip
            return choices.map(lambda c: {**path, "SelectChoices": c})  # fmt: skip
        limits = field.text_validation
        # A TextValue has 1 to 2,048 characters, whatever the field's own limits.
        low = 1 if limits is None else max(limits.min_length, 1)
        high = _TEXT_VALUE if limits is None else min(limits.max_length, _TEXT_VALUE)
        pattern = None if limits is None else limits.pattern
        text: st.SearchStrategy[str]
        if pattern and re.fullmatch(pattern, "x" * low) is None:
            # Text seldom matches: the pattern's strings, of the lengths allowed.
            text = st.from_regex(pattern, fullmatch=True).filter(lambda t: low <= len(t) <= high)
        else:
            # The pattern's strings seldom have the lengths allowed (such as 40 at least).
            text = st.text(min_size=low, max_size=high)
            if pattern:
                text = text.filter(lambda t: re.fullmatch(pattern, t) is not None)
        return text.map(lambda t: {**path, "TextValue": t})

    return st.sampled_from(fields).flatmap(value)


_DEFINITIONS = (
    "DescribeRegistrationTypeDefinitions",
    "DescribeRegistrationSectionDefinitions",
    "DescribeRegistrationFieldDefinitions",
)


@st.composite
def _definitions_request(draw: st.DrawFn, operation: str) -> dict[str, Any]:
    """Valid parameters of a describe-definitions call on the built-in catalogue."""
    catalogue = Catalogue()
    request: dict[str, Any] = {}
    if draw(st.booleans()):
        request["MaxResults"] = draw(st.integers(1, 100))
    if operation == "DescribeRegistrationTypeDefinitions":
        if draw(st.booleans()):
            request["RegistrationTypes"] = draw(st.lists(st.sampled_from(list(catalogue)),
                                                         max_size=5))  # fmt: skip
        return request
    name = draw(st.sampled_from([t for t in catalogue if catalogue.sections(t)]))
    request["RegistrationType"] = name
    sections = [s.section_path for s in catalogue.sections(name)]
    if operation == "DescribeRegistrationSectionDefinitions":
        if draw(st.booleans()):
            request["SectionPaths"] = draw(st.lists(st.sampled_from(sections), max_size=5))
        return request
    if draw(st.booleans()):
        request["SectionPath"] = draw(st.sampled_from(sections))
    fields = [f.field_path for f in catalogue.fields(name, request.get("SectionPath"))]
    if draw(st.booleans()):
        request["FieldPaths"] = draw(st.lists(st.sampled_from(fields), max_size=5))
    return request


def invalid_requests() -> st.SearchStrategy[tuple[str, dict[str, Any], str, str | None]]:
    """One of :data:`INVALID_REQUESTS`: (method name, parameters, field, reason)."""
    return st.sampled_from(INVALID_REQUESTS)


def denied_reasons(max_size: int = 3) -> st.SearchStrategy[list[dict[str, str]]]:
    """Valid reasons for a denial (at least one)."""
    text = st.text(st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=40)
    reason = st.fixed_dictionaries(
        {"Reason": text, "ShortDescription": text},
        optional={"LongDescription": text, "DocumentationLink": text},
    )
    return st.lists(reason, min_size=1, max_size=max_size)


def reviewer_outcomes() -> st.SearchStrategy[tuple[str, list[dict[str, str]] | None]]:
    """What a reviewer does next: an event, with reasons when it is ``deny``."""
    return st.one_of(
        st.tuples(st.sampled_from([e for e in REVIEWER_EVENTS if e != "deny"]), st.none()),
        st.tuples(st.just("deny"), denied_reasons()),
    )


def event_sequences(max_size: int = 12) -> st.SearchStrategy[list[tuple[str, bool]]]:
    """Sequences of user and reviewer events, legal or not: ``(event, aws_review)``.
    The form and tag edits, whose calls need a value (a FieldPath and its value, tags),
    are not among them."""
    events = [e for e in (*USER_EVENTS, *REVIEWER_EVENTS) if e not in FORM_EDITS | TAG_EDITS]
    return st.lists(
        st.tuples(st.sampled_from(events), st.booleans()),
        max_size=max_size,
    )


Refusal = tuple[dict[str, Any], str]
"""A request's parameters and the Reason of the ValidationException that refuses it."""


def invalid_field_values(
    registration_type: str, catalogue: Catalogue | None = None
) -> st.SearchStrategy[Refusal]:
    """A ``PutRegistrationFieldValue`` value that a field of ``registration_type`` in
    ``catalogue`` (default: the built-in one) refuses, with its ``FieldPath``, and
    the refusal's Reason: no value (``MISSING_PARAMETER``), two
    (``PARAMETERS_CANNOT_BE_USED_TOGETHER``), the wrong kind (``INVALID_PARAMETER``),
    or a value of the right kind that breaks the field's own limits: length, pattern,
    options, choice count, a repeated choice (``FIELD_VALIDATION_FAILED``).

    Each is well formed for the request's shape, so the field's rule is what refuses
    it. Fields whose limits a conditional rule replaces on an empty form are left out
    (their limits depend on the other values)."""
    catalogue = Catalogue() if catalogue is None else catalogue
    fields = [f for f in catalogue.fields(registration_type) if resolve(f, {})[1] is None]
    kinds = PARAMETER_OF_TYPE
    example = {"TextValue": "x", "SelectChoices": ["x"],
               "RegistrationAttachmentId": ATTACHMENT_ID}  # fmt: skip

    def refused(field: RegistrationFieldDefinition) -> st.SearchStrategy[Refusal]:
        path, own = field.field_path, kinds[field.field_type]
        others = [k for k in kinds.values() if k != own]
        cases: list[st.SearchStrategy[Refusal]] = [
            st.just(({"FieldPath": path}, "MISSING_PARAMETER")),
            st.sampled_from([({"FieldPath": path, own: example[own], k: example[k]},
                              "PARAMETERS_CANNOT_BE_USED_TOGETHER") for k in others]),
            st.sampled_from([({"FieldPath": path, k: example[k]}, "INVALID_PARAMETER")
                             for k in others]),
        ]  # fmt: skip
        broken = _broken_limits(field)
        if broken is not None:
            cases.append(
                broken.map(lambda v: ({"FieldPath": path, own: v}, "FIELD_VALIDATION_FAILED"))
            )
        return st.one_of(cases)

    return st.sampled_from(fields).flatmap(refused)


def _broken_limits(field: RegistrationFieldDefinition) -> st.SearchStrategy[Any] | None:
    """Values of ``field``'s kind, within the request's shape (text of 1 to 2,048
    characters, choices of 1 to 256), that break its own limits; ``None`` if none can."""
    cases: list[st.SearchStrategy[Any]] = []
    text = field.text_validation
    if text is not None:
        if text.max_length < _TEXT_VALUE:
            cases.append(st.integers(text.max_length + 1, _TEXT_VALUE).map(lambda n: "a" * n))
        if text.min_length > 1:
            cases.append(st.integers(1, text.min_length - 1).map(lambda n: "a" * n))
        if text.pattern:
            pattern = text.pattern
            cases.append(
                st.text(min_size=max(1, text.min_length), max_size=text.max_length)
                .filter(lambda t: t.strip() and re.fullmatch(pattern, t) is None)
            )  # fmt: skip
    select = field.select_validation
    if select is not None:
        options = list(select.options)
        outside = st.text(min_size=1, max_size=256).filter(lambda c: c not in options)
        cases.append(outside.map(lambda c: [c]))
        cases.append(st.sampled_from(options).map(lambda c: [c, c]))
        if select.max_choices < len(options):
            cases.append(st.permutations(options).map(lambda o: o[: select.max_choices + 1]))
        if select.min_choices > 1:
            cases.append(st.permutations(options).map(lambda o: o[: select.min_choices - 1]))
    return st.one_of(cases) if cases else None
