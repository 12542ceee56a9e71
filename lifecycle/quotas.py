"""The account quotas the service enforces, named by the model's
``ServiceQuotaExceededExceptionReason`` values.

Each quota is per account and region (AWS: "each quota is Region-specific"). Usage
is charged inside the commit of the call that uses it, so racing calls can never
take an account past its limit, and a refused call changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from lifecycle.errors import ValidationException
from lifecycle.ports import QuotaCharge

REGISTRATIONS_PER_ACCOUNT = "REGISTRATIONS_PER_ACCOUNT"
"""Registrations that exist (are not DELETED) in the account and region."""
REGISTRATION_VERSIONS_CREATED_PER_DAY = "REGISTRATION_VERSIONS_CREATED_PER_DAY"
"""Calls of CreateRegistrationVersion in the account and region on one UTC day."""

REGISTRATION_ATTACHMENTS_PER_ACCOUNT = "REGISTRATION_ATTACHMENTS_PER_ACCOUNT"
"""Attachments that exist (are not DELETED) in the account and region."""
REGISTRATION_ATTACHMENTS_CREATED_PER_DAY = "REGISTRATION_ATTACHMENTS_CREATED_PER_DAY"
"""Calls of CreateRegistrationAttachment in the account and region on one UTC day."""

DEFAULT_QUOTAS: Mapping[str, int] = {
    REGISTRATIONS_PER_ACCOUNT: 1_000_000,
    REGISTRATION_VERSIONS_CREATED_PER_DAY: 100_000,
    REGISTRATION_ATTACHMENTS_PER_ACCOUNT: 1_000_000,
    REGISTRATION_ATTACHMENTS_CREATED_PER_DAY: 100_000,
}
"""The limits when none are given: far above AWS's, so that only a test that sets a
quota meets one."""


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

    def charges(self, event: str, now: datetime) -> tuple[QuotaCharge, ...]:
        """What committing ``event`` at ``now`` (UTC) uses or gives back."""
        if event == "create":
            limit = self.limits[REGISTRATIONS_PER_ACCOUNT]
            return (QuotaCharge(REGISTRATIONS_PER_ACCOUNT, "", 1, limit),)
        if event == "delete":
            return (QuotaCharge(REGISTRATIONS_PER_ACCOUNT, "", -1, None),)
        day = now.date().isoformat()
        if event == "create_version":
            limit = self.limits[REGISTRATION_VERSIONS_CREATED_PER_DAY]
            return (QuotaCharge(REGISTRATION_VERSIONS_CREATED_PER_DAY, day, 1, limit),)
        if event == "create_attachment":
            return (
                QuotaCharge(
                    REGISTRATION_ATTACHMENTS_PER_ACCOUNT,
                    "",
                    1,
                    self.limits[REGISTRATION_ATTACHMENTS_PER_ACCOUNT],
                ),
                QuotaCharge(
                    REGISTRATION_ATTACHMENTS_CREATED_PER_DAY,
                    day,
                    1,
                    self.limits[REGISTRATION_ATTACHMENTS_CREATED_PER_DAY],
                ),
            )
        if event == "delete_attachment":
            return (QuotaCharge(REGISTRATION_ATTACHMENTS_PER_ACCOUNT, "", -1, None),)
        return ()
