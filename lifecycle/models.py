"""The data model: registrations, their versions and the values they hold.

All records are ``attrs`` classes with slots, and the values among them (``Tag``,
``DeniedReason``, ``Filter``) are frozen; ``VersionStatusHistory``, which every step
copies, is an immutable named tuple (see :mod:`lifecycle.records`). The entities
(``Registration``, ``RegistrationVersion``) are not frozen, but the library never
changes one it has handed out: a transition builds new records (copy on write), so a
backend can give the same object to many threads without copying it. Treat records as
read-only.

Each converts to and from the exact boto3 response dictionaries (PascalCase keys,
``datetime`` values, optional keys omitted when unset).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple, ParamSpec, TypeVar

import attrs

from lifecycle import records
from lifecycle.errors import AccessDeniedException, ValidationException
from lifecycle.statuses import RegistrationStatus, VersionStatus

_P = ParamSpec("_P")
_R = TypeVar("_R")


def _parser(shape: str) -> Callable[[Callable[_P, _R]], Callable[_P, _R]]:
    """Turn the errors of reading a malformed ``shape`` dictionary into ValidationException."""

    def decorate(parse: Callable[_P, _R]) -> Callable[_P, _R]:
        @functools.wraps(parse)
        def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
            try:
                return parse(*args, **kwargs)
            except ValidationException:
                raise
            except KeyError as exc:
                raise ValidationException.for_field(
                    f"{shape}.{exc.args[0]}", "is required"
                ) from None
            except (TypeError, ValueError, AttributeError, IndexError) as exc:
                raise ValidationException.for_field(shape, f"is malformed: {exc}") from None

        return wrapper

    return decorate


@attrs.frozen(slots=True)
class Tag:
    """A key and value pair attached to a registration."""

    key: str
    value: str

    def to_dict(self) -> dict[str, str]:
        """``{"Key": ..., "Value": ...}``."""
        return {"Key": self.key, "Value": self.value}

    @classmethod
    @_parser("Tag")
    def from_dict(cls, data: Mapping[str, Any]) -> Tag:
        """The tag of a boto3 ``Tag`` dictionary."""
        return cls(data["Key"], data["Value"])


@attrs.frozen(slots=True)
class DeniedReason:
    """Why a reviewer denied a version (``RegistrationDeniedReasonInformation``)."""

    reason: str
    short_description: str
    long_description: str | None = None
    documentation_title: str | None = None
    documentation_link: str | None = None

    def to_dict(self) -> dict[str, str]:
        """The boto3 dictionary; unset optional keys are omitted."""
        return _omit_none(
            {
                "Reason": self.reason,
                "ShortDescription": self.short_description,
                "LongDescription": self.long_description,
                "DocumentationTitle": self.documentation_title,
                "DocumentationLink": self.documentation_link,
            }
        )

    @classmethod
    @_parser("RegistrationDeniedReasonInformation")
    def from_dict(cls, data: Mapping[str, Any]) -> DeniedReason:
        """The reason of a boto3 ``RegistrationDeniedReasonInformation`` dictionary."""
        return cls(
            data["Reason"],
            data["ShortDescription"],
            data.get("LongDescription"),
            data.get("DocumentationTitle"),
            data.get("DocumentationLink"),
        )


@attrs.frozen(slots=True)
class Filter:
    """A describe filter: an item matches if its attribute ``name`` is one of ``values``."""

    name: str
    values: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """``{"Name": ..., "Values": [...]}``."""
        return {"Name": self.name, "Values": list(self.values)}

    @classmethod
    @_parser("Filter")
    def from_dict(cls, data: Mapping[str, Any]) -> Filter:
        """The filter of a boto3 filter dictionary."""
        return cls(data["Name"], tuple(data["Values"]))


HISTORY_KEYS: Mapping[str, str] = {
    "draft": "DraftTimestamp",
    "submitted": "SubmittedTimestamp",
    "aws_reviewing": "AwsReviewingTimestamp",
    "reviewing": "ReviewingTimestamp",
    "requires_authentication": "RequiresAuthenticationTimestamp",
    "approved": "ApprovedTimestamp",
    "discarded": "DiscardedTimestamp",
    "denied": "DeniedTimestamp",
    "revoked": "RevokedTimestamp",
    "archived": "ArchivedTimestamp",
}
"""History attribute name to its boto3 key, in the API's order."""

HISTORY_FIELD_OF_STATUS: Mapping[VersionStatus, str] = {
    VersionStatus(status): name
    for name, status in [
        ("draft", "DRAFT"),
        ("submitted", "SUBMITTED"),
        ("aws_reviewing", "AWS_REVIEWING"),
        ("reviewing", "REVIEWING"),
        ("requires_authentication", "REQUIRES_AUTHENTICATION"),
        ("approved", "APPROVED"),
        ("discarded", "DISCARDED"),
        ("denied", "DENIED"),
        ("revoked", "REVOKED"),
        ("archived", "ARCHIVED"),
    ]
}
"""The history field each version status records; REQUIRES_OFFLINE_REVIEW has none."""


_POSITION = {name: i for i, name in enumerate(HISTORY_KEYS)}
_BOTO3_KEYS = tuple(HISTORY_KEYS.values())


@records.record
class VersionStatusHistory(NamedTuple):
    """When a version last entered each status (``RegistrationVersionStatusHistory``):
    ``None`` where it never did.

    Built as ``VersionStatusHistory(draft, submitted=None, ...)``, fields in
    :data:`HISTORY_KEYS` order. An immutable record held as a named tuple: every
    lifecycle step copies the history it stamps, and a copy is then one tuple. It is
    equal only to a history with the same times.
    """

    draft: datetime
    """``DraftTimestamp``."""
    submitted: datetime | None = None
    """``SubmittedTimestamp``."""
    aws_reviewing: datetime | None = None
    """``AwsReviewingTimestamp``."""
    reviewing: datetime | None = None
    """``ReviewingTimestamp``."""
    requires_authentication: datetime | None = None
    """``RequiresAuthenticationTimestamp``."""
    approved: datetime | None = None
    """``ApprovedTimestamp``."""
    discarded: datetime | None = None
    """``DiscardedTimestamp``."""
    denied: datetime | None = None
    """``DeniedTimestamp``."""
    revoked: datetime | None = None
    """``RevokedTimestamp``."""
    archived: datetime | None = None
    """``ArchivedTimestamp``."""

    def __repr__(self) -> str:
        set_times = ", ".join(
            f"{name}={time!r}"
            for name, time in zip(HISTORY_KEYS, self, strict=True)
            if time is not None
        )
        return f"VersionStatusHistory({set_times})"

    def latest(self) -> datetime:
        """The latest time recorded in this history."""
        times: Iterable[datetime] = filter(None, self)  # a datetime is never false
        return max(times)

    def stamped(self, fields: tuple[str, ...], when: datetime) -> VersionStatusHistory:
        """A copy with each of ``fields`` (names of :data:`HISTORY_KEYS`) set to ``when``."""
        if not fields:
            return self
        times = list(self)
        for name in fields:
            times[_POSITION[name]] = when
        return tuple.__new__(VersionStatusHistory, times)

    def to_dict(self) -> dict[str, datetime]:
        """The boto3 dictionary of the set timestamps."""
        out = {}  # a plain loop: a comprehension costs a fifth more, on every response
        for key, time in zip(_BOTO3_KEYS, self, strict=True):
            if time is not None:
                out[key] = time
        return out

    @classmethod
    @_parser("RegistrationVersionStatusHistory")
    def from_dict(cls, data: Mapping[str, Any]) -> VersionStatusHistory:
        """The history of a boto3 ``RegistrationVersionStatusHistory`` dictionary."""
        values: dict[str, Any] = {}
        for name, key in HISTORY_KEYS.items():
            value = data.get(key)
            if value is None and name == "draft":
                raise KeyError(key)
            if value is not None and not isinstance(value, datetime):
                raise TypeError(f"{key} must be a datetime, got {type(value).__name__}")
            values[name] = value
        return cls(**values)


@attrs.define(slots=True)
class RegistrationVersion:
    """One version of a registration, with its status and history."""

    version_number: int
    status: VersionStatus
    history: VersionStatusHistory
    denied_reasons: tuple[DeniedReason, ...] = ()
    feedback: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The boto3 ``RegistrationVersionInformation`` dictionary."""
        out: dict[str, Any] = {
            "VersionNumber": self.version_number,
            "RegistrationVersionStatus": self.status.value,
            "RegistrationVersionStatusHistory": self.history.to_dict(),
        }
        if self.denied_reasons:
            out["DeniedReasons"] = [r.to_dict() for r in self.denied_reasons]
        if self.feedback is not None:
            out["Feedback"] = self.feedback
        return out

    @classmethod
    @_parser("RegistrationVersionInformation")
    def from_dict(cls, data: Mapping[str, Any]) -> RegistrationVersion:
        """The version of a boto3 ``RegistrationVersionInformation`` dictionary."""
        return cls(
            int(data["VersionNumber"]),
            VersionStatus(data["RegistrationVersionStatus"]),
            VersionStatusHistory.from_dict(data["RegistrationVersionStatusHistory"]),
            tuple(DeniedReason.from_dict(r) for r in data.get("DeniedReasons", ())),
            data.get("Feedback"),
        )


_PARTITIONS = (("cn-", "aws-cn"), ("us-gov-", "aws-us-gov"), ("us-iso-", "aws-iso"))


@functools.cache  # a handful of regions, asked on every answer
def partition_of(region: str) -> str:
    """The ARN partition of ``region`` (``aws`` for commercial regions)."""
    for prefix, partition in _PARTITIONS:
        if region.startswith(prefix):
            return partition
    return "aws"


def resource_arn(region: str, account_id: str, resource_type: str, resource_id: str) -> str:
    """``arn:PARTITION:sms-voice:REGION:ACCOUNT:RESOURCE_TYPE/ID``."""
    return (
        f"arn:{partition_of(region)}:sms-voice:{region}:{account_id}:{resource_type}/{resource_id}"
    )


RESOURCE_TYPES: tuple[str, ...] = (
    "account", "phone-number", "sender-id", "pool", "configuration-set", "opt-out-list",
    "event-destination", "keyword", "opted-out-number", "registration",
    "registration-attachment", "verified-destination-number", "protect-configuration",
    "notify-configuration", "notify-template", "message-template", "policy", "message",
    "rcs-agent",
)  # fmt: skip
"""The model's ``ResourceType`` values: the kinds of resource an ``sms-voice`` ARN names."""


def resource_of_arn(
    value: str, field: str, account_id: str, region: str, resource_types: Sequence[str]
) -> tuple[str, str]:
    """The resource type and id named by ``value``, the ARN of a resource of one of
    ``resource_types`` (``arn:PARTITION:sms-voice:REGION:ACCOUNT:TYPE/ID``) in
    ``account_id`` and ``region``; ``field`` names the parameter in errors.

    Raises:
        ValidationException: ``value`` is not such an ARN (INVALID_ARN).
        AccessDeniedException: the ARN names another account or region.
    """
    parts = value.split(":", 5)
    resource_type, _, resource_id = parts[-1].partition("/")
    if (
        len(parts) != 6
        or parts[0] != "arn"
        or parts[2] != "sms-voice"
        or not parts[3]  # the region
        or not parts[4]  # the account
        or parts[1] != partition_of(parts[3])
        or resource_type not in resource_types
        or not resource_id
    ):
        one = len(resource_types) == 1
        raise ValidationException.for_field(
            field,
            f"is not the ARN of {f'a {resource_types[0]}' if one else 'an sms-voice resource'} "
            f"(arn:aws:sms-voice:REGION:ACCOUNT:{resource_types[0] if one else 'TYPE'}/ID)",
            reason="INVALID_ARN",
        )
    if parts[4] != account_id or parts[3] != region:
        raise AccessDeniedException(
            f"{field} {value} belongs to account {parts[4]} in {parts[3]}; this service "
            f"is account {account_id} in {region}."
        )
    return resource_type, resource_id


def registration_arn(region: str, account_id: str, registration_id: str) -> str:
    """``arn:PARTITION:sms-voice:REGION:ACCOUNT:registration/ID``."""
    return resource_arn(region, account_id, "registration", registration_id)


def resource_id_of(value: str, field: str, account_id: str, region: str, resource_type: str) -> str:
    """The id named by ``value``: an id, or the ARN of a ``resource_type`` (the model's
    ``ResourceType``, e.g. ``registration-attachment``) of ``account_id`` in ``region``;
    ``field`` names the parameter in errors (see :func:`resource_of_arn`)."""
    if not value.startswith("arn:"):
        return value
    return resource_of_arn(value, field, account_id, region, (resource_type,))[1]


# Read by every step: on Python 3.11 naming an enum member (``VersionStatus.APPROVED``)
# goes through the enum class's __getattr__, four times the cost of a global.
_APPROVED, _DENIED, _REVOKED = VersionStatus.APPROVED, VersionStatus.DENIED, VersionStatus.REVOKED


@attrs.define(slots=True)
class Registration:
    """A registration as one lifecycle step needs it: the aggregate that moves as one.

    It holds the registration's own fields, its current version, its approved
    version and the derived numbers, never the whole version history: a step costs
    the same at version 1 and at version 1,000. The versions live in the backend
    (``Backend.query_versions``). ``revision`` counts committed changes and is what
    optimistic concurrency compares.
    """

    registration_id: str
    account_id: str
    region: str
    registration_type: str
    status: RegistrationStatus
    current_version: RegistrationVersion
    """The highest-numbered version."""
    created_timestamp: datetime
    """``CreatedTimestamp``: the ``DraftTimestamp`` of version 1."""
    approved_version: RegistrationVersion | None = None
    """The version now APPROVED, if any."""
    latest_denied_version_number: int | None = None
    """``LatestDeniedVersionNumber``: the highest DENIED version; ``None`` when none is."""
    latest_revoked_version_number: int | None = None
    """The highest REVOKED version; ``None`` when none is (not shown by the API)."""
    tags: tuple[Tag, ...] = ()
    revision: int = 1
    identities: int = 0
    """How many origination identities (phone numbers, sender IDs) are associated."""
    associated_registration_id: str | None = None
    """The registration this one is associated with (a campaign's brand), if any."""
    sender_id: str | None = None
    """The sender ID its approval provisioned and associated (ASSOCIATE_ON_APPROVAL)."""

    @property
    def arn(self) -> str:
        """The registration's ARN."""
        return resource_arn(self.region, self.account_id, "registration", self.registration_id)

    @property
    def current_version_number(self) -> int:
        """``CurrentVersionNumber``: the highest version number."""
        return self.current_version.version_number

    @property
    def approved_version_number(self) -> int | None:
        """``ApprovedVersionNumber``: the version now APPROVED; ``None`` when none is."""
        v = self.approved_version
        return None if v is None else v.version_number

    def with_version(self, version: RegistrationVersion) -> Registration:
        """A copy in which ``version`` (changed, or the next one) is recorded: the
        current and approved versions and the derived numbers follow it."""
        return self.with_versions((version,), status=self.status, revision=self.revision)

    def with_versions(
        self,
        versions: Iterable[RegistrationVersion],
        *,
        status: RegistrationStatus,
        revision: int,
        tags: tuple[Tag, ...] | None = None,
    ) -> Registration:
        """A copy with ``status``, ``revision`` and ``tags`` (``None``: these tags) in
        which ``versions`` are recorded, in order, as :meth:`with_version` records one."""
        current, approved = self.current_version, self.approved_version
        denied, revoked = self.latest_denied_version_number, self.latest_revoked_version_number
        for version in versions:
            number = version.version_number
            if number >= current.version_number:
                current = version
            entered = version.status
            if entered is _APPROVED:
                approved = version
            elif approved is not None and approved.version_number == number:
                approved = None
            if entered is _DENIED and (denied or 0) < number:
                denied = number
            if entered is _REVOKED and (revoked or 0) < number:
                revoked = number
        # Built directly, by position, on every step's path: attrs.evolve, or keywords,
        # cost a class call three times as much (the keywords travel as a dict).
        return Registration(
            self.registration_id, self.account_id, self.region, self.registration_type,
            status, current, self.created_timestamp, approved, denied, revoked,
            self.tags if tags is None else tags, revision, self.identities,
            self.associated_registration_id, self.sender_id,
        )  # fmt: skip

    @classmethod
    def from_versions(
        cls,
        versions: Sequence[RegistrationVersion],
        *,
        registration_id: str,
        account_id: str,
        region: str,
        registration_type: str,
        status: RegistrationStatus,
        tags: tuple[Tag, ...] = (),
        revision: int = 1,
    ) -> Registration:
        """The registration whose versions are ``versions``: all of versions 1..N, in any
        order (the lowest gives ``created_timestamp``, the highest is current)."""
        ordered = sorted(versions, key=lambda v: v.version_number)
        registration = cls(
            registration_id=registration_id,
            account_id=account_id,
            region=region,
            registration_type=registration_type,
            status=status,
            current_version=ordered[0],
            created_timestamp=ordered[0].history.draft,
            tags=tags,
            revision=revision,
        )
        return registration.with_versions(ordered, status=status, revision=revision)

    def _summary(self) -> dict[str, Any]:
        """The members every registration response starts with."""
        return {
            "RegistrationArn": self.arn,
            "RegistrationId": self.registration_id,
            "RegistrationType": self.registration_type,
            "RegistrationStatus": self.status.value,
            "CurrentVersionNumber": self.current_version_number,
        }

    def to_dict(self) -> dict[str, Any]:
        """The boto3 ``RegistrationInformation`` dictionary (as describe returns it)."""
        out = self._summary()
        approved = self.approved_version_number
        if approved is not None:
            out["ApprovedVersionNumber"] = approved
        denied = self.latest_denied_version_number
        if denied is not None:
            out["LatestDeniedVersionNumber"] = denied
        out["CreatedTimestamp"] = self.created_timestamp
        return out

    def to_create_dict(self) -> dict[str, Any]:
        """The boto3 ``create_registration`` response dictionary."""
        out = self._summary()
        if self.tags:
            out["Tags"] = [t.to_dict() for t in self.tags]
        out["CreatedTimestamp"] = self.created_timestamp
        return out

    def version_dict(self, version: RegistrationVersion) -> dict[str, Any]:
        """The boto3 response of the version operations (create, submit, discard)."""
        return {
            "RegistrationArn": self.arn,
            "RegistrationId": self.registration_id,
            "VersionNumber": version.version_number,
            # _value_, the member's own attribute: .value is a Python property.
            "RegistrationVersionStatus": version.status._value_,
            "RegistrationVersionStatusHistory": version.history.to_dict(),
        }

    @classmethod
    @_parser("RegistrationInformation")
    def from_dicts(
        cls,
        registration: Mapping[str, Any],
        versions: Sequence[Mapping[str, Any]],
        *,
        tags: Sequence[Mapping[str, Any]] = (),
        revision: int = 1,
    ) -> Registration:
        """A registration rebuilt from a boto3 registration dictionary and all its
        versions. Account and region are read from ``RegistrationArn``."""
        arn_parts = registration["RegistrationArn"].split(":")
        if not versions:
            raise ValidationException.for_field("RegistrationVersions", "must not be empty")
        return cls.from_versions(
            [RegistrationVersion.from_dict(v) for v in versions],
            registration_id=registration["RegistrationId"],
            account_id=arn_parts[4],
            region=arn_parts[3],
            registration_type=registration["RegistrationType"],
            status=RegistrationStatus(registration["RegistrationStatus"]),
            tags=tuple(Tag.from_dict(t) for t in tags),
            revision=revision,
        )


def _omit_none(d: dict[str, str | None]) -> dict[str, str]:
    return {k: v for k, v in d.items() if v is not None}
