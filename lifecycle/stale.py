"""Registrations that have sat in a status too long: the 30- and 60-day timeouts real
workflows watch (an authentication e-mail expires after 30 days; a registration left
in REQUIRES_UPDATES is abandoned).

When a registration entered its status is read from its versions' status-history
timestamps (:func:`entered`), so the view needs no event log.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from datetime import datetime, timedelta
from typing import NamedTuple

from lifecycle.errors import ValidationException
from lifecycle.models import Registration, RegistrationVersion
from lifecycle.ports import Snapshot, VersionQuery
from lifecycle.statuses import RegistrationStatus

WAITING: frozenset[RegistrationStatus] = frozenset(
    RegistrationStatus(s)
    for s in ("CREATED", "SUBMITTED", "AWS_REVIEWING", "REVIEWING", "REQUIRES_AUTHENTICATION",
              "PROVISIONING", "REQUIRES_UPDATES")
)  # fmt: skip
"""The statuses in which a registration waits for someone: the view's default."""

_STAMP_OF_CURRENT = {
    "CREATED": "draft", "SUBMITTED": "submitted", "AWS_REVIEWING": "aws_reviewing",
    "REVIEWING": "reviewing", "REQUIRES_AUTHENTICATION": "requires_authentication",
}  # fmt: skip
"""The statuses the current version's history dates (the version entered the same one)."""


class Stale(NamedTuple):
    """One registration that has sat in its status longer than the threshold."""

    registration_id: str
    registration_type: str
    status: RegistrationStatus
    since: datetime
    """When it entered the status, by its history timestamps."""
    age: timedelta


def entered(snapshot: Snapshot, registration: Registration) -> datetime | None:
    """When ``registration`` entered its status, read from the history timestamps: the
    current version's for CREATED and the statuses of review; the approval of the
    approved version for PROVISIONING and COMPLETE (COMPLETE from a provisioning is
    dated by its approval: the end of provisioning has no timestamp); the latest
    denial or revocation for REQUIRES_UPDATES; ``None`` for CLOSED and DELETED, which
    no timestamp dates."""
    status = registration.status.value
    stamp = _STAMP_OF_CURRENT.get(status)
    if stamp is not None:
        when: datetime | None = getattr(registration.current_version.history, stamp)
        return when
    if status in ("PROVISIONING", "COMPLETE"):
        approved = registration.approved_version
        return None if approved is None else approved.history.approved
    if status == "REQUIRES_UPDATES":
        times = [
            getattr(version.history, stamp)
            for number, stamp in ((registration.latest_denied_version_number, "denied"),
                                  (registration.latest_revoked_version_number, "revoked"))
            if number is not None
            for version in _version(snapshot, registration, number)
        ]  # fmt: skip
        return max((t for t in times if t is not None), default=None)
    return None


def _version(
    snapshot: Snapshot, registration: Registration, number: int
) -> Iterable[RegistrationVersion]:
    query = VersionQuery(registration.account_id, registration.region,
                         registration.registration_id, frozenset({number}))  # fmt: skip
    return snapshot.query_versions(query).items


def stale(
    snapshot: Snapshot,
    older_than: timedelta,
    now: datetime,
    statuses: Collection[RegistrationStatus] = WAITING,
) -> list[Stale]:
    """Every registration of ``snapshot`` (every account and region) in one of
    ``statuses`` that entered it more than ``older_than`` before ``now``, the longest
    waiting first.

    Raises:
        ValidationException: ``older_than`` is not a timedelta, or ``now`` not an
            aware datetime.
    """
    if not isinstance(older_than, timedelta):
        raise ValidationException.for_field("older_than", "must be a timedelta (or see duration)")
    if not isinstance(now, datetime) or now.utcoffset() is None:
        raise ValidationException.for_field("now", "must be a timezone-aware datetime")
    found = []
    for registration in snapshot.registrations():
        if registration.status not in statuses:
            continue
        since = entered(snapshot, registration)
        if since is not None and now - since > older_than:
            found.append(
                Stale(registration.registration_id, registration.registration_type,
                      registration.status, since, now - since)
            )  # fmt: skip
    return sorted(found, key=lambda s: s.since)


_DURATION = re.compile(r"(\d{1,6})([dhm])")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


def duration(text: str) -> timedelta:
    """``30d``, ``12h`` or ``90m`` as a timedelta.

    Raises:
        ValidationException: anything else, naming ``older_than``.
    """
    match = _DURATION.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise ValidationException.for_field(
            "older_than",
            f"must be a number of days, hours or minutes (30d, 12h, 90m), got {text!r}",
        )
    return timedelta(**{_UNITS[match[2]]: int(match[1])})
