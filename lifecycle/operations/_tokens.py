"""What the creating operations share: the ``ClientToken`` an earlier call claimed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lifecycle.errors import ConflictException

if TYPE_CHECKING:
    from lifecycle.service import RegistrationService


def earlier_claim(
    service: RegistrationService, key: str, token: str, fingerprint: str, resource_type: str
) -> str | None:
    """The id of the resource an earlier call with ``token`` (stored as ``key``) created
    in this account and region, or ``None`` if there was none.

    Raises:
        ConflictException: ``RESOURCE_ALREADY_EXISTS``: that call had other parameters
            (another ``fingerprint``).
    """
    record = service.backend.find_idempotency(service.account_id, service.region, key)
    if record is None:
        return None
    if record.fingerprint != fingerprint:
        raise ConflictException(
            f"ClientToken {token!r} was already used with different parameters.",
            reason="RESOURCE_ALREADY_EXISTS",
            resource_type=resource_type,
            resource_id=record.registration_id,
        )
    return record.registration_id
