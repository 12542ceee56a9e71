"""Request validation: the constraints of botocore's service model, as data.

:data:`OPERATIONS` lists, per operation, each parameter's rule and whether it is
required. :func:`validate` checks a request against it and returns the parameters
with lists turned into tuples; any breach raises
:class:`~lifecycle.errors.ValidationException` naming the field (``Tags[3].Key``)
and the rule. Nothing else ever escapes for bad input.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

from lifecycle.errors import ValidationException

Rule = Callable[[str, object], Any]
"""Checks the value of the field named by the first argument; returns it cleaned."""


class _Missing:
    """The value of a parameter the caller did not pass."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Final[Any] = _Missing()
"""Default of every optional API parameter: "not given" (``None`` is a bad value)."""


def _type_error(field: str, value: object, expected: str) -> ValidationException:
    shown = repr(value)
    if len(shown) > 80:
        shown = shown[:77] + "..."
    return ValidationException.for_field(
        field, f"must be {expected}, got {type(value).__name__} {shown}"
    )


def string(min_len: int, max_len: int, pattern: str | None = None) -> Rule:
    """A ``str`` of ``min_len``..``max_len`` characters matching ``pattern`` whole."""
    regex = re.compile(pattern) if pattern is not None else None

    def check(field: str, value: object) -> str:
        if type(value) is not str:
            raise _type_error(field, value, "a string")
        if not min_len <= len(value) <= max_len:
            raise ValidationException.for_field(
                field, f"length must be {min_len} to {max_len} characters, got {len(value)}"
            )
        if regex is not None and regex.fullmatch(value) is None:
            raise ValidationException.for_field(field, f"must match the pattern {pattern}")
        return value

    return check


def integer(minimum: int, maximum: int) -> Rule:
    """An ``int`` (not a ``bool``) from ``minimum`` to ``maximum``."""

    def check(field: str, value: object) -> int:
        if type(value) is not int:
            raise _type_error(field, value, "an integer")
        if not minimum <= value <= maximum:
            raise ValidationException.for_field(
                field, f"must be from {minimum} to {maximum}, got {value}"
            )
        return value

    return check


class Blob:
    """A byte string (``bytes``, ``bytearray`` or ``memoryview``) of ``min_len`` to
    ``max_len`` bytes, returned as ``bytes``. On the wire a blob travels as base64
    text; the protocol decodes it before the rule sees it."""

    def __init__(self, min_len: int, max_len: int) -> None:
        self.min_len, self.max_len = min_len, max_len

    def __call__(self, field: str, value: object) -> bytes:
        if not isinstance(value, bytes | bytearray | memoryview):
            raise _type_error(field, value, "bytes")
        data = bytes(value)
        if not self.min_len <= len(data) <= self.max_len:
            raise ValidationException.for_field(
                field,
                f"length must be {self.min_len} to {self.max_len:,} bytes, got {len(data):,}",
            )
        return data


def boolean(field: str, value: object) -> bool:
    """A ``bool``."""
    if type(value) is not bool:
        raise _type_error(field, value, "a boolean")
    return value


def seconds(field: str, value: object) -> float:
    """A positive, finite number of seconds (an ``int`` or a ``float``, not a ``bool``)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < math.inf:
        raise ValidationException.for_field(field, "must be a positive, finite number of seconds")
    return float(value)


def one_of(choices: tuple[str, ...]) -> Rule:
    """One of the strings ``choices``."""

    def check(field: str, value: object) -> str:
        if type(value) is not str:
            raise _type_error(field, value, "a string")
        if value not in choices:
            raise ValidationException.for_field(field, f"must be one of {', '.join(choices)}")
        return value

    return check


def list_of(member: Rule, min_items: int, max_items: int) -> Rule:
    """A list (or tuple) of ``min_items``..``max_items`` items, each checked by ``member``."""

    def check(field: str, value: object) -> tuple[Any, ...]:
        if not isinstance(value, list | tuple):
            raise _type_error(field, value, "a list")
        if not min_items <= len(value) <= max_items:
            raise ValidationException.for_field(
                field, f"must have {min_items} to {max_items} items, got {len(value)}"
            )
        return tuple(member(f"{field}[{i}]", item) for i, item in enumerate(value))

    return check


def structure(members: Mapping[str, tuple[Rule, bool]]) -> Rule:
    """A dict with exactly the keys of ``members`` (``name: (rule, required)``)."""

    def check(field: str, value: object) -> dict[str, Any]:
        if not isinstance(value, Mapping):
            raise _type_error(field, value, "a dictionary")
        return _check_members(value, members, prefix=f"{field}.")

    return check


def reject_unknown(given: Iterable[Any], valid: Iterable[str], prefix: str = "") -> None:
    """Raise ValidationException ``INVALID_PARAMETER`` naming each of ``given`` that is
    not one of ``valid``."""
    valid = list(valid)
    unknown = sorted(str(k) for k in given if k not in valid)
    if unknown:
        names = ", ".join(f"{prefix}{k}" for k in unknown)
        raise ValidationException(
            f"Unknown parameter(s): {names}; valid parameters are {', '.join(valid) or 'none'}",
            reason="INVALID_PARAMETER",
            fields=[{"Name": f"{prefix}{k}", "Message": "unknown parameter"} for k in unknown],
        )


def _check_members(
    params: Mapping[Any, object], members: Mapping[str, tuple[Rule, bool]], prefix: str = ""
) -> dict[str, Any]:
    if not params.keys() <= members.keys():
        reject_unknown(params, members, prefix)
    out = {}
    for name, (rule, required) in members.items():
        value = params.get(name, MISSING)
        if value is MISSING:
            if required:
                raise ValidationException.for_field(
                    prefix + name, "is required", reason="MISSING_PARAMETER"
                )
            continue
        out[name] = rule(prefix + name if prefix else name, value)
    return out


ID_OR_ARN: Final = string(1, 256, r"[A-Za-z0-9_:/-]+")
"""The model's ``...IdOrArn`` and ``...NameOrArn`` shapes."""
REGISTRATION_ID: Final = ID_OR_ARN
REGISTRATION_TYPE: Final = string(1, 64, r"[A-Za-z0-9_]+")
CLIENT_TOKEN: Final = string(1, 64, r"[!-~]+")
SECTION_PATH: Final = string(1, 100, r"[A-Za-z0-9_]+")
FIELD_PATH: Final = string(1, 100, r"[A-Za-z0-9_\.]+")
TAG_KEY: Final = string(1, 128, r".+")
TAG: Final = structure({"Key": (TAG_KEY, True), "Value": (string(0, 256, r".*"), True)})
RESOURCE_ARN: Final = string(20, 256, r"arn:[A-Za-z0-9_:/-]+")
FILTER_VALUES: Final = list_of(string(1, 128, r"[/\.:A-Za-z0-9+_-]+"), 1, 20)
NEXT_TOKEN: Final = string(1, 1024, r".+")
MAX_RESULTS: Final = integer(1, 100)
ISO_COUNTRY_CODE: Final = string(2, 2, r"[A-Z]{2}")
PHONE_NUMBER_FILTERS: Final = (
    "status", "iso-country-code", "message-type", "number-capability", "number-type",
    "two-way-enabled", "self-managed-opt-outs-enabled", "opt-out-list-name",
    "deletion-protection-enabled", "two-way-channel-arn",
)  # fmt: skip
"""The model's ``PhoneNumberFilterName`` values."""


def _filters(names: tuple[str, ...]) -> Rule:
    return list_of(
        structure({"Name": (one_of(names), True), "Values": (FILTER_VALUES, True)}), 0, 20
    )


def _unique_tags(min_items: int) -> Rule:
    """A list of ``min_items`` to 200 tags, no two with the same key."""
    tag_list = list_of(TAG, min_items, 200)

    def check(field: str, value: object) -> tuple[dict[str, str], ...]:
        tags: tuple[dict[str, str], ...] = tag_list(field, value)
        seen: set[str] = set()
        for i, tag in enumerate(tags):
            if tag["Key"] in seen:
                raise ValidationException.for_field(f"{field}[{i}].Key", "duplicate tag key")
            seen.add(tag["Key"])
        return tags

    return check


OPERATIONS: Final[Mapping[str, Mapping[str, tuple[Rule, bool]]]] = {
    "CreateRegistration": {
        "RegistrationType": (REGISTRATION_TYPE, True),
        "Tags": (_unique_tags(0), False),
        "ClientToken": (CLIENT_TOKEN, False),
    },
    "CreateRegistrationVersion": {"RegistrationId": (REGISTRATION_ID, True)},
    "SubmitRegistrationVersion": {
        "RegistrationId": (REGISTRATION_ID, True),
        "AwsReview": (boolean, False),
    },
    "DiscardRegistrationVersion": {"RegistrationId": (REGISTRATION_ID, True)},
    "DeleteRegistration": {"RegistrationId": (REGISTRATION_ID, True)},
    "DescribeRegistrations": {
        "RegistrationIds": (list_of(REGISTRATION_ID, 0, 5), False),
        "Filters": (_filters(("registration-type", "registration-status")), False),
        "NextToken": (NEXT_TOKEN, False),
        "MaxResults": (MAX_RESULTS, False),
    },
    "DescribeRegistrationVersions": {
        "RegistrationId": (REGISTRATION_ID, True),
        "VersionNumbers": (list_of(integer(1, 100000), 0, 5), False),
        "Filters": (_filters(("registration-version-status",)), False),
        "NextToken": (NEXT_TOKEN, False),
        "MaxResults": (MAX_RESULTS, False),
    },
    "DescribeRegistrationTypeDefinitions": {
        "RegistrationTypes": (list_of(REGISTRATION_TYPE, 0, 5), False),
        "Filters": (
            _filters(
                ("supported-association-resource-type", "supported-association-iso-country-code")
            ),
            False,
        ),
        "NextToken": (NEXT_TOKEN, False),
        "MaxResults": (MAX_RESULTS, False),
    },
    "DescribeRegistrationSectionDefinitions": {
        "RegistrationType": (REGISTRATION_TYPE, True),
        "SectionPaths": (list_of(SECTION_PATH, 0, 5), False),
        "NextToken": (NEXT_TOKEN, False),
        "MaxResults": (MAX_RESULTS, False),
    },
    "DescribeRegistrationFieldDefinitions": {
        "RegistrationType": (REGISTRATION_TYPE, True),
        "SectionPath": (SECTION_PATH, False),
        "FieldPaths": (list_of(FIELD_PATH, 0, 5), False),
        "NextToken": (NEXT_TOKEN, False),
        "MaxResults": (MAX_RESULTS, False),
    },
    "PutRegistrationFieldValue": {
        "RegistrationId": (REGISTRATION_ID, True),
        "FieldPath": (FIELD_PATH, True),
        "SelectChoices": (list_of(string(1, 256, r"[\s\S]+"), 0, 100), False),
        "TextValue": (string(1, 2048, r"[\s\S]+"), False),
        "RegistrationAttachmentId": (REGISTRATION_ID, False),
    },
    "DeleteRegistrationFieldValue": {
        "RegistrationId": (REGISTRATION_ID, True),
        "FieldPath": (FIELD_PATH, True),
    },
    "DescribeRegistrationFieldValues": {
        "RegistrationId": (REGISTRATION_ID, True),
        "VersionNumber": (integer(1, 100000), False),
        "SectionPath": (SECTION_PATH, False),
        "FieldPaths": (list_of(FIELD_PATH, 0, 5), False),
        "NextToken": (NEXT_TOKEN, False),
        "MaxResults": (MAX_RESULTS, False),
    },
    "TagResource": {"ResourceArn": (RESOURCE_ARN, True), "Tags": (_unique_tags(1), True)},
    "UntagResource": {
        "ResourceArn": (RESOURCE_ARN, True),
        "TagKeys": (list_of(TAG_KEY, 1, 200), True),
    },
    "ListTagsForResource": {"ResourceArn": (RESOURCE_ARN, True)},
    "CreateRegistrationAttachment": {
        "AttachmentBody": (Blob(1, 6990508), False),
        "AttachmentUrl": (string(1, 2048, r"\S+"), False),
        "Tags": (_unique_tags(0), False),
        "ClientToken": (CLIENT_TOKEN, False),
    },
    "DescribeRegistrationAttachments": {
        "RegistrationAttachmentIds": (list_of(REGISTRATION_ID, 0, 5), False),
        "Filters": (_filters(("attachment-status",)), False),
        "NextToken": (NEXT_TOKEN, False),
        "MaxResults": (MAX_RESULTS, False),
    },
    "DeleteRegistrationAttachment": {"RegistrationAttachmentId": (REGISTRATION_ID, True)},
    "RequestPhoneNumber": {
        "IsoCountryCode": (ISO_COUNTRY_CODE, True),
        "MessageType": (one_of(("TRANSACTIONAL", "PROMOTIONAL")), True),
        "NumberCapabilities": (list_of(one_of(("SMS", "VOICE", "MMS", "RCS")), 1, 4), True),
        "NumberType": (one_of(("LONG_CODE", "TOLL_FREE", "TEN_DLC", "SIMULATOR")), True),
        "OptOutListName": (ID_OR_ARN, False),
        "PoolId": (string(0, 256, r"[A-Za-z0-9_:/-]*"), False),
        "RegistrationId": (REGISTRATION_ID, False),
        "NumberPreference": (
            list_of(
                structure(
                    {
                        "PreferenceType": (
                            list_of(
                                one_of(("StartsWith", "EndsWith", "Contains", "ExactMatch")), 1, 1
                            ),
                            True,
                        ),
                        "Filter": (list_of(string(2, 16, r"\+?[0-9]{1,15}"), 1, 10), True),
                    }
                ),
                1,
                1,
            ),
            False,
        ),
        "InternationalSendingEnabled": (boolean, False),
        "DeletionProtectionEnabled": (boolean, False),
        "Tags": (_unique_tags(0), False),
        "ClientToken": (CLIENT_TOKEN, False),
    },
    "DescribePhoneNumbers": {
        "PhoneNumberIds": (list_of(ID_OR_ARN, 0, 5), False),
        "Filters": (_filters(PHONE_NUMBER_FILTERS), False),
        "NextToken": (NEXT_TOKEN, False),
        "MaxResults": (MAX_RESULTS, False),
        "Owner": (one_of(("SELF", "SHARED")), False),
    },
    "ReleasePhoneNumber": {"PhoneNumberId": (ID_OR_ARN, True)},
    "CreateRegistrationAssociation": {
        "RegistrationId": (REGISTRATION_ID, True),
        "ResourceId": (ID_OR_ARN, True),
    },
    "ListRegistrationAssociations": {
        "RegistrationId": (REGISTRATION_ID, True),
        "Filters": (_filters(("resource-type", "iso-country-code")), False),
        "NextToken": (NEXT_TOKEN, False),
        "MaxResults": (MAX_RESULTS, False),
    },
}
"""Per operation: each parameter's rule and whether it is required."""

BLOBS: Final[Mapping[str, frozenset[str]]] = {
    operation: frozenset(name for name, (rule, _) in members.items() if isinstance(rule, Blob))
    for operation, members in OPERATIONS.items()
}
"""Per operation, the parameters that are blobs (base64 text on the wire)."""


def validate(operation: str, params: Mapping[str, object]) -> dict[str, Any]:
    """The parameters of ``operation`` checked against :data:`OPERATIONS`.

    ``params`` may hold :data:`MISSING` for parameters not given. Returns only the
    given ones, cleaned (lists become tuples).

    Raises:
        ValidationException: a parameter is unknown, missing, of the wrong type, or
            breaks its rule.
    """
    return _check_members(params, OPERATIONS[operation])
