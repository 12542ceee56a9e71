"""The record of one committed transition, delivered to subscribers for side effects."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, NamedTuple

from lifecycle import records
from lifecycle.statuses import Actor


@records.record
class TransitionEvent(NamedTuple):
    """One transition that was committed: an immutable record (a named tuple, as
    every step builds one or more; ``event._replace(...)`` copies it with changes).

    Most events are a registration's (``resource_type`` ``"registration"``). An
    attachment's event (``resource_type`` ``"registration-attachment"``) names the
    attachment in ``registration_id`` and carries its statuses in
    ``registration_from`` and ``registration_to``; its version fields are ``None``.

    A machine that does not take part in the event has ``None`` for both of its
    statuses (``close`` moves no version, ``archive`` no registration). For an
    internal transition, from and to are equal. ``create`` comes from ``None``.
    Statuses are the str enum members of :mod:`lifecycle.statuses`.
    """

    account_id: str
    region: str
    registration_id: str
    event: str
    actor: Actor
    version_number: int | None
    version_from: str | None
    version_to: str | None
    registration_from: str | None
    registration_to: str | None
    timestamp: datetime
    detail: Mapping[str, Any] | None = None
    """What the event changed besides statuses, as JSON-ready data: for
    ``put_field_value`` the ``FieldPath`` and the value (``TextValue``,
    ``SelectChoices`` or ``RegistrationAttachmentId``), for ``delete_field_value`` the
    ``FieldPath``, for ``tag_resource`` (and a ``create`` with tags) the ``Tags``, for
    ``untag_resource`` the ``TagKeys``, for a ``deny`` that flags fields ``Fields``: each
    flagged path's ``DeniedReason`` and ``Feedback``; ``None`` for the other events."""
    resource_type: str = "registration"
    """The model's ``ResourceType`` of what moved: ``"registration"`` or
    ``"registration-attachment"``."""

    def __hash__(self) -> int:
        # ``detail`` is a mapping: the event hashes by the other fields.
        return hash((self[:_DETAIL], self[_DETAIL + 1 :]))

    @property
    def resource_id(self) -> str:
        """The id of what moved: the registration's, or the attachment's."""
        return self.registration_id

    def to_dict(self) -> dict[str, Any]:
        """A plain dictionary, for logs and JSON: ``json.dumps`` takes it as it is.

        Statuses and the actor are plain strings, and the timestamp is ISO 8601 with
        its UTC offset (``2024-05-01T12:00:00+00:00``).
        """
        if self.resource_type != "registration":
            return {
                "AccountId": self.account_id,
                "Region": self.region,
                "ResourceType": self.resource_type,
                "ResourceId": self.registration_id,
                "Event": self.event,
                "Actor": self.actor.value,
                "StatusFrom": _plain(self.registration_from),
                "StatusTo": _plain(self.registration_to),
                "Timestamp": self.timestamp.isoformat(),
                **({} if self.detail is None else {"Detail": dict(self.detail)}),
            }
        return {
            "AccountId": self.account_id,
            "Region": self.region,
            "RegistrationId": self.registration_id,
            "Event": self.event,
            "Actor": self.actor.value,
            "VersionNumber": self.version_number,
            "VersionFrom": _plain(self.version_from),
            "VersionTo": _plain(self.version_to),
            "RegistrationFrom": _plain(self.registration_from),
            "RegistrationTo": _plain(self.registration_to),
            "Timestamp": self.timestamp.isoformat(),
            **({} if self.detail is None else {"Detail": dict(self.detail)}),
        }


_DETAIL = TransitionEvent._fields.index("detail")


def _plain(status: str | None) -> str | None:
    """A status as a plain ``str`` (the enum members' ``str`` is their value)."""
    return None if status is None else str(status)
