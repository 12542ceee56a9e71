"""Waiters for registrations and phone numbers, as botocore waiter models.

botocore ships no waiters for ``pinpoint-sms-voice-v2``. :data:`WAITER_MODEL` is one
in botocore's own format (``waiters-2.json``), so the waiters run on any boto3 client
of the service, the real one included (:func:`lifecycle.aws.waiter`), and on a
:class:`~lifecycle.service.RegistrationService` (``service.get_waiter(name)``). A
failure state ends the wait at once with botocore's ``WaiterError``. Needs botocore
(the ``aws`` extra).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

DELAY = 30
"""Seconds between two describe calls, unless ``WaiterConfig`` says otherwise."""
MAX_ATTEMPTS = 120
"""Describe calls before a wait gives up, unless ``WaiterConfig`` says otherwise."""


def _acceptors(
    path: str, successes: tuple[str, ...], failures: tuple[str, ...]
) -> list[dict[str, Any]]:
    return [
        *({"state": "success", "matcher": "pathAll", "argument": path, "expected": success}
          for success in successes),
        *({"state": "failure", "matcher": "pathAny", "argument": path, "expected": failure}
          for failure in failures),
    ]  # fmt: skip


_REGISTRATION = "Registrations[].RegistrationStatus"

WAITER_MODEL: dict[str, Any] = {
    "version": 2,
    "waiters": {
        "RegistrationComplete": {
            "operation": "DescribeRegistrations", "delay": DELAY, "maxAttempts": MAX_ATTEMPTS,
            "acceptors": _acceptors(_REGISTRATION, ("COMPLETE",),
                                    ("REQUIRES_UPDATES", "CLOSED", "DELETED")),
        },
        "RegistrationRequiresUpdates": {
            "operation": "DescribeRegistrations", "delay": DELAY, "maxAttempts": MAX_ATTEMPTS,
            "acceptors": _acceptors(_REGISTRATION, ("REQUIRES_UPDATES",), ("CLOSED", "DELETED")),
        },
        "RegistrationVersionApproved": {
            "operation": "DescribeRegistrationVersions", "delay": DELAY,
            "maxAttempts": MAX_ATTEMPTS,
            "acceptors": _acceptors("RegistrationVersions[].RegistrationVersionStatus",
                                    ("APPROVED", "ARCHIVED"), ("DENIED", "DISCARDED", "REVOKED")),
        },
        "PhoneNumberActive": {
            "operation": "DescribePhoneNumbers", "delay": DELAY, "maxAttempts": MAX_ATTEMPTS,
            "acceptors": _acceptors("PhoneNumbers[].Status", ("ACTIVE",), ("DELETED",)),
        },
    },
}  # fmt: skip
"""The waiters, in botocore's ``waiters-2.json`` format. ``registration_complete``
fails on REQUIRES_UPDATES, CLOSED or DELETED; ``registration_requires_updates`` on
CLOSED or DELETED; ``registration_version_approved`` (give ``VersionNumbers``: the
versions waited for) succeeds on APPROVED (or ARCHIVED: approved, then replaced) and
fails on DENIED, DISCARDED or REVOKED; ``phone_number_active`` fails on DELETED."""

WAITER_NAMES: tuple[str, ...] = (
    "registration_complete", "registration_requires_updates",
    "registration_version_approved", "phone_number_active",
)  # fmt: skip
"""The waiters by the snake-case names boto3's ``get_waiter`` takes."""


def waiter(name: str, operation: Callable[[str], Callable[..., Any]]) -> Any:
    """The botocore ``Waiter`` called ``name`` (snake case, as :data:`WAITER_NAMES`, or
    the model's CamelCase), calling the method ``operation(method_name)`` returns.

    Raises:
        ValidationException: an unknown name (naming the known ones).
        ImportError: botocore is not installed.
    """
    from lifecycle.errors import ValidationException

    model_name = "".join(part.capitalize() for part in str(name).split("_"))
    if model_name not in WAITER_MODEL["waiters"] and name in WAITER_MODEL["waiters"]:
        model_name = name
    if model_name not in WAITER_MODEL["waiters"]:
        raise ValidationException.for_field(
            "waiter_name", f"{name!r} is no waiter; one of {', '.join(WAITER_NAMES)}"
        )
    try:
        from botocore import xform_name
        from botocore.waiter import NormalizedOperationMethod, Waiter, WaiterModel
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise ImportError("waiters need botocore: pip install 'lifecycle[aws]'") from exc
    config = WaiterModel(WAITER_MODEL).get_waiter(model_name)
    method = NormalizedOperationMethod(operation(xform_name(config.operation)))
    return Waiter(model_name, config, method)
