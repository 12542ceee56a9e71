"""The exceptions of the library, one per AWS error code of ``pinpoint-sms-voice-v2``.

Each carries the AWS fields of its error shape, so it converts one to one into the
error a boto3 client would raise. Every refused call raises one of these and changes
nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar


class LifecycleError(Exception):
    """Base class of every error the library raises on purpose.

    Attributes mirror the AWS error shapes: ``code`` is the AWS error name, and
    ``reason``, ``resource_type``, ``resource_id`` and ``fields`` are set where the
    AWS shape has them.
    """

    code: ClassVar[str] = "LifecycleError"
    http_status: ClassVar[int] = 400
    """The HTTP status of this error: 400 for client errors, 500 for the one fault.

    botocore's model sets no status codes for this service, so the JSON protocol's
    defaults apply."""

    def __init__(
        self,
        message: str,
        *,
        reason: str | None = None,
        resource_type: str | None = None,
        resource_id: str | None = None,
        fields: Sequence[Mapping[str, str]] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason
        self.resource_type = resource_type
        self.resource_id = resource_id
        self.fields: tuple[dict[str, str], ...] = tuple(dict(f) for f in fields)

    def to_dict(self) -> dict[str, Any]:
        """The error as AWS's JSON body: ``Message`` plus the set AWS fields."""
        body: dict[str, Any] = {"Message": self.message}
        if self.reason is not None:
            body["Reason"] = self.reason
        if self.resource_type is not None:
            body["ResourceType"] = self.resource_type
        if self.resource_id is not None:
            body["ResourceId"] = self.resource_id
        if self.fields:
            body["Fields"] = [dict(f) for f in self.fields]
        return body

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, reason={self.reason!r})"


class ValidationException(LifecycleError):
    """A request parameter breaks a rule; ``fields`` names each one and its rule."""

    code = "ValidationException"

    @classmethod
    def for_field(
        cls, name: str, rule: str, *, reason: str = "FIELD_VALIDATION_FAILED"
    ) -> ValidationException:
        """One offending field ``name`` that breaks ``rule``."""
        return cls(
            f"Invalid parameter {name}: {rule}",
            reason=reason,
            fields=[{"Name": name, "Message": rule}],
        )


class ConflictException(LifecycleError):
    """The action is not legal in the resource's current state."""

    code = "ConflictException"


class ResourceNotFoundException(LifecycleError):
    """No such resource in this account and region (or it is deleted, for mutations)."""

    code = "ResourceNotFoundException"


class ServiceQuotaExceededException(LifecycleError):
    """An account quota would be exceeded."""

    code = "ServiceQuotaExceededException"


class AccessDeniedException(LifecycleError):
    """The resource belongs to another account or region."""

    code = "AccessDeniedException"


class ThrottlingException(LifecycleError):
    """Too many requests; retry with backoff."""

    code = "ThrottlingException"


class InternalServerException(LifecycleError):
    """The backend failed; the call changed nothing."""

    code = "InternalServerException"
    http_status = 500


ERRORS_BY_CODE: Mapping[str, type[LifecycleError]] = {
    cls.code: cls
    for cls in (
        ValidationException,
        ConflictException,
        ResourceNotFoundException,
        ServiceQuotaExceededException,
        AccessDeniedException,
        ThrottlingException,
        InternalServerException,
    )
}
"""Each error class by its AWS code."""

__all__ = [
    "ERRORS_BY_CODE",
    "AccessDeniedException",
    "ConflictException",
    "InternalServerException",
    "LifecycleError",
    "ResourceNotFoundException",
    "ServiceQuotaExceededException",
    "ThrottlingException",
    "ValidationException",
]
