"""The status vocabularies of the machines and the actors that move them.

Values are the exact AWS strings. Members marked *extension* come from botocore's
current service model rather than the seed documents; they are supported so that
current boto3 clients get valid answers.
"""

from __future__ import annotations

from enum import StrEnum


class RegistrationStatus(StrEnum):
    """Status of a registration (``RegistrationStatus`` in the API)."""

    CREATED = "CREATED"
    SUBMITTED = "SUBMITTED"
    AWS_REVIEWING = "AWS_REVIEWING"  # extension
    REVIEWING = "REVIEWING"
    REQUIRES_AUTHENTICATION = "REQUIRES_AUTHENTICATION"
    PROVISIONING = "PROVISIONING"
    COMPLETE = "COMPLETE"
    REQUIRES_UPDATES = "REQUIRES_UPDATES"
    CLOSED = "CLOSED"
    DELETED = "DELETED"


class VersionStatus(StrEnum):
    """Status of one registration version (``RegistrationVersionStatus``)."""

    DRAFT = "DRAFT"
    SUBMITTED = "SUBMITTED"
    AWS_REVIEWING = "AWS_REVIEWING"  # extension
    REVIEWING = "REVIEWING"
    REQUIRES_AUTHENTICATION = "REQUIRES_AUTHENTICATION"
    REQUIRES_OFFLINE_REVIEW = "REQUIRES_OFFLINE_REVIEW"  # extension
    APPROVED = "APPROVED"
    DISCARDED = "DISCARDED"
    DENIED = "DENIED"
    REVOKED = "REVOKED"
    ARCHIVED = "ARCHIVED"


class AttachmentStatus(StrEnum):
    """Status of a registration attachment (``AttachmentStatus``)."""

    UPLOAD_IN_PROGRESS = "UPLOAD_IN_PROGRESS"
    UPLOAD_COMPLETE = "UPLOAD_COMPLETE"
    UPLOAD_FAILED = "UPLOAD_FAILED"
    DELETED = "DELETED"


class PhoneNumberStatus(StrEnum):
    """Status of a phone number (``NumberStatus``)."""

    PENDING = "PENDING"
    ACTIVE = "ACTIVE"
    ASSOCIATING = "ASSOCIATING"
    DISASSOCIATING = "DISASSOCIATING"
    DELETED = "DELETED"


class Actor(StrEnum):
    """Who fires a transition."""

    USER = "user"
    """Calls the AWS API."""
    REVIEWER = "reviewer"
    """AWS, the carriers and The Campaign Registry: review, authenticate, decide, provision."""
    SYSTEM = "system"
    """A consequence of another transition in the same atomic step."""


EXTENSION_STATUSES: frozenset[str] = frozenset({"AWS_REVIEWING", "REQUIRES_OFFLINE_REVIEW"})
"""Statuses in botocore's current model but not in the seed documents (starred in the docs)."""

IN_REVIEW: frozenset[VersionStatus] = frozenset(
    {
        VersionStatus.SUBMITTED,
        VersionStatus.AWS_REVIEWING,
        VersionStatus.REVIEWING,
        VersionStatus.REQUIRES_AUTHENTICATION,
        VersionStatus.REQUIRES_OFFLINE_REVIEW,
    }
)
"""Version statuses in which a submitted version waits for a decision."""

OPEN_VERSION_STATUSES: frozenset[VersionStatus] = IN_REVIEW | {VersionStatus.DRAFT}
"""A version in one of these is still being worked on: at most one exists, the current one."""
