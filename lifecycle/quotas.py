"""The quotas the service enforces, named by the model's
``ServiceQuotaExceededExceptionReason`` values.

The account quotas are per account and region (AWS: "each quota is Region-specific").
Their usage is charged inside the commit of the call that uses it, so racing calls can
never take an account past its limit, and a refused call changes nothing.
``TAGS_PER_RESOURCE`` limits one resource: the call that would leave it with more tags
is refused before its commit, which compares the resource's revision, so a racing
change of the same resource cannot slip past it either.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import NamedTuple

from lifecycle.errors import ServiceQuotaExceededException, ValidationException
from lifecycle.models import Tag
from lifecycle.ports import QuotaCharge

REGISTRATIONS_PER_ACCOUNT = "REGISTRATIONS_PER_ACCOUNT"
"""Registrations that exist (are not DELETED) in the account and region."""
REGISTRATION_VERSIONS_CREATED_PER_DAY = "REGISTRATION_VERSIONS_CREATED_PER_DAY"
"""Calls of CreateRegistrationVersion in the account and region on one UTC day."""
TAGS_PER_RESOURCE = "TAGS_PER_RESOURCE"
"""Tags on one resource (a registration)."""

REGISTRATION_ATTACHMENTS_PER_ACCOUNT = "REGISTRATION_ATTACHMENTS_PER_ACCOUNT"
"""Attachments that exist (are not DELETED) in the account and region."""
REGISTRATION_ATTACHMENTS_CREATED_PER_DAY = "REGISTRATION_ATTACHMENTS_CREATED_PER_DAY"
"""Calls of CreateRegistrationAttachment in the account and region on one UTC day."""

PHONE_NUMBERS_PER_ACCOUNT = "PHONE_NUMBERS_PER_ACCOUNT"
"""Phone numbers that exist (are not DELETED) in the account and region."""

ASSOCIATIONS_PER_REGISTRATION = "ASSOCIATIONS_PER_REGISTRATION"
"""Resources (phone numbers, sender IDs, a registration) associated with one
registration."""
PHONE_NUMBERS_PER_REGISTRATION = "PHONE_NUMBERS_PER_REGISTRATION"
"""Phone numbers associated with one registration."""

DEFAULT_QUOTAS: Mapping[str, int] = {
    REGISTRATIONS_PER_ACCOUNT: 1_000_000,
    REGISTRATION_VERSIONS_CREATED_PER_DAY: 100_000,
    TAGS_PER_RESOURCE: 50,
    REGISTRATION_ATTACHMENTS_PER_ACCOUNT: 1_000_000,
    REGISTRATION_ATTACHMENTS_CREATED_PER_DAY: 100_000,
    PHONE_NUMBERS_PER_ACCOUNT: 100_000,
    ASSOCIATIONS_PER_REGISTRATION: 100_000,
    PHONE_NUMBERS_PER_REGISTRATION: 100_000,
}
"""The limits when none are given. The account quotas are far above AWS's, so that
only a test that sets one meets it; ``TAGS_PER_RESOURCE`` is AWS's own 50 ("Each
resource can have a maximum of 50 tags", the TagResource reference), which no
workflow should pass unnoticed."""


class Charge(NamedTuple):
    """What one event charges against one quota."""

    quota: str
    daily: bool
    """Counted per UTC day (else while the resource exists)."""
    amount: int
    """Negative: given back, as something is deleted."""


CHARGES: Mapping[str, tuple[Charge, ...]] = {
    "create": (Charge(REGISTRATIONS_PER_ACCOUNT, False, 1),),
    "delete": (Charge(REGISTRATIONS_PER_ACCOUNT, False, -1),),
    "create_version": (Charge(REGISTRATION_VERSIONS_CREATED_PER_DAY, True, 1),),
    "create_attachment": (Charge(REGISTRATION_ATTACHMENTS_PER_ACCOUNT, False, 1),
                          Charge(REGISTRATION_ATTACHMENTS_CREATED_PER_DAY, True, 1)),
    "delete_attachment": (Charge(REGISTRATION_ATTACHMENTS_PER_ACCOUNT, False, -1),),
    "request_phone_number": (Charge(PHONE_NUMBERS_PER_ACCOUNT, False, 1),),
    "release_phone_number": (Charge(PHONE_NUMBERS_PER_ACCOUNT, False, -1),),
}  # fmt: skip
"""What each event of the machines that counts against a quota charges."""


class Quotas:
    """The limits of one service, and what each lifecycle event charges against them.

    Args:
        limits: limits by quota name, overriding :data:`DEFAULT_QUOTAS`; ``None`` keeps
            the defaults.

    Raises:
        ValidationException: a name the library does not enforce, or a limit that is
            not a whole number of at least 0.
    """

    def __init__(self, limits: Mapping[str, int] | None = None) -> None:
        if limits is not None and not isinstance(limits, Mapping):
            raise ValidationException.for_field(
                "quotas", "must be a mapping of quota names to limits"
            )
        self.limits: dict[str, int] = dict(DEFAULT_QUOTAS)
        for name, limit in (limits or {}).items():
            if name not in DEFAULT_QUOTAS:
                raise ValidationException.for_field(
                    f"quotas[{name!r}]",
                    f"is not a quota this library enforces; one of {', '.join(DEFAULT_QUOTAS)}",
                )
            if type(limit) is not int or limit < 0:
                raise ValidationException.for_field(
                    f"quotas[{name!r}]", f"must be a whole number of at least 0, got {limit!r}"
                )
            self.limits[name] = limit

    def check_tags(self, tags: Sequence[Tag], resource: str) -> None:
        """Refuse ``tags`` on the resource named ``resource`` if they are more than
        ``TAGS_PER_RESOURCE``.

        Raises:
            ServiceQuotaExceededException: Reason ``TAGS_PER_RESOURCE``.
        """
        self.check_count(TAGS_PER_RESOURCE, len(tags), resource, "tags")

    def check_count(self, quota: str, count: int, resource: str, what: str) -> None:
        """Refuse leaving the resource named ``resource`` with ``count`` ``what`` (tags,
        associations) if that is more than the per-resource ``quota`` allows.

        Raises:
            ServiceQuotaExceededException: Reason ``quota``.
        """
        limit = self.limits[quota]
        if count > limit:
            raise ServiceQuotaExceededException(
                f"The {quota} quota of {limit} is exceeded: {resource} would have {count} {what}.",
                reason=quota,
            )

    def charges(self, event: str, now: datetime) -> tuple[QuotaCharge, ...]:
        """What committing ``event`` at ``now`` (UTC) uses or gives back."""
        charged = CHARGES.get(event)
        if charged is None:
            return ()  # every other step: submit, review, edits (the hot path)
        day = now.date().isoformat()
        return tuple(
            QuotaCharge(quota, day if daily else "", amount,
                        self.limits[quota] if amount > 0 else None)
            for quota, daily, amount in charged
        )  # fmt: skip
