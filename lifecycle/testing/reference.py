"""An independent reference model of the lifecycle, written as plain tables.

Nothing here reads :mod:`lifecycle.machines`: these tables restate the reference
semantics (``docs: registration-lifecycle.md``) by hand, so that testing the library
against them can find a wrong machine definition. :class:`ReferenceRegistration`
predicts, for any call, whether it is legal and what every describe call shows
afterwards, timestamps included.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

SAME = "(unchanged)"
"""A table entry: the status does not change (an internal move)."""
REFUSED = "(refused)"
"""A table entry: the event is not allowed from this status."""

OPEN = frozenset({"DRAFT", "SUBMITTED", "AWS_REVIEWING", "REVIEWING", "REQUIRES_AUTHENTICATION",
                  "REQUIRES_OFFLINE_REVIEW"})  # fmt: skip
"""Version statuses of a version still being worked on."""
IN_REVIEW = OPEN - {"DRAFT"}
TERMINAL = frozenset({"DISCARDED", "DENIED", "REVOKED", "ARCHIVED"})
"""Version statuses that never change again."""

HISTORY_KEY = {
    "DRAFT": "DraftTimestamp", "SUBMITTED": "SubmittedTimestamp",
    "AWS_REVIEWING": "AwsReviewingTimestamp", "REVIEWING": "ReviewingTimestamp",
    "REQUIRES_AUTHENTICATION": "RequiresAuthenticationTimestamp",
    "APPROVED": "ApprovedTimestamp", "DISCARDED": "DiscardedTimestamp",
    "DENIED": "DeniedTimestamp", "REVOKED": "RevokedTimestamp",
    "ARCHIVED": "ArchivedTimestamp",
}  # fmt: skip
"""The history field each version status records (REQUIRES_OFFLINE_REVIEW has none)."""

USER_EVENTS = ("create_version", "submit", "discard", "delete")
REVIEWER_EVENTS = ("begin_review", "require_authentication", "complete_authentication",
                   "require_offline_review", "approve", "deny", "revoke",
                   "complete_provisioning", "close")  # fmt: skip
ALL_EVENTS = ("create", *USER_EVENTS, *REVIEWER_EVENTS, "archive")
"""Every event of the vocabulary; ``archive`` is the system's, fired with approve."""

REFUSAL_REASONS = {
    "create_version": "CREATE_REGISTRATION_VERSION_NOT_ALLOWED",
    "submit": "SUBMIT_REGISTRATION_VERSION_NOT_ALLOWED",
    "discard": "DISCARD_REGISTRATION_VERSION_NOT_ALLOWED",
    "delete": "RESOURCE_DELETION_NOT_ALLOWED",
}


def version_table(event: str, state: str, flags: dict[str, bool]) -> str | None:
    """Where the version machine takes ``state`` on ``event``; ``None``: it has no such
    event."""
    if event in ("complete_provisioning", "close", "delete"):
        return None
    table: dict[tuple[str, str], str] = {
        ("create", "new"): "DRAFT",
        ("create_version", "new"): "DRAFT",
        ("submit", "DRAFT"): "AWS_REVIEWING" if flags["aws_review"] else "SUBMITTED",
        ("discard", "DRAFT"): "DISCARDED",
        ("discard", "SUBMITTED"): "DISCARDED",
        ("begin_review", "SUBMITTED"): "REVIEWING",
        ("begin_review", "AWS_REVIEWING"): "REVIEWING",
        ("require_authentication", "REVIEWING"): "REQUIRES_AUTHENTICATION",
        ("complete_authentication", "REQUIRES_AUTHENTICATION"): "REVIEWING",
        ("require_offline_review", "REVIEWING"): "REQUIRES_OFFLINE_REVIEW",
        ("approve", "REVIEWING"): "APPROVED",
        ("approve", "REQUIRES_OFFLINE_REVIEW"): "APPROVED",
        ("archive", "APPROVED"): "ARCHIVED",
        ("deny", "AWS_REVIEWING"): "DENIED",
        ("deny", "REVIEWING"): "DENIED",
        ("deny", "REQUIRES_AUTHENTICATION"): "DENIED",
        ("deny", "REQUIRES_OFFLINE_REVIEW"): "DENIED",
        ("revoke", "APPROVED"): "REVOKED",
    }
    return table.get((event, state), REFUSED)


def registration_table(event: str, state: str, flags: dict[str, bool]) -> str | None:
    """Where the registration machine takes ``state`` on ``event``; ``None``: it has no
    such event."""
    if event == "archive":
        return None
    editable = ("CREATED", "REQUIRES_UPDATES", "COMPLETE")
    if event == "create":
        return "CREATED" if state == "new" else REFUSED
    if event == "create_version":
        return SAME if state in editable and flags["no_open_version"] else REFUSED
    if event == "submit":
        if state in editable:
            return "AWS_REVIEWING" if flags["aws_review"] else "SUBMITTED"
        return REFUSED
    if event == "discard":
        if state == "SUBMITTED":
            if flags["has_approved_version"]:
                return "COMPLETE"
            return "REQUIRES_UPDATES" if flags["has_denied_or_revoked_version"] else "CREATED"
        return SAME if state in editable else REFUSED
    if event == "approve":
        if state != "REVIEWING":
            return REFUSED
        return "COMPLETE" if flags["has_approved_version"] else "PROVISIONING"
    table = {
        ("begin_review", "SUBMITTED"): "REVIEWING",
        ("begin_review", "AWS_REVIEWING"): "REVIEWING",
        ("require_authentication", "REVIEWING"): "REQUIRES_AUTHENTICATION",
        ("complete_authentication", "REQUIRES_AUTHENTICATION"): "REVIEWING",
        ("require_offline_review", "REVIEWING"): SAME,
        ("deny", "AWS_REVIEWING"): "REQUIRES_UPDATES",
        ("deny", "REVIEWING"): "REQUIRES_UPDATES",
        ("deny", "REQUIRES_AUTHENTICATION"): "REQUIRES_UPDATES",
        ("complete_provisioning", "PROVISIONING"): "COMPLETE",
        ("revoke", "COMPLETE"): "REQUIRES_UPDATES",
        ("close", "COMPLETE"): "CLOSED",
        ("delete", "CREATED"): "DELETED",
        ("delete", "REQUIRES_UPDATES"): "DELETED",
        ("delete", "CLOSED"): "DELETED",
    }
    return table.get((event, state), REFUSED)


class ReferenceRegistration:
    """What one registration should look like, kept by hand from the tables.

    ``versions`` holds each version's status; ``history`` each version's timestamps
    by boto3 key; ``denied`` each version's denied reasons.
    """

    def __init__(self, created: datetime, registration_type: str) -> None:
        self.registration_type = registration_type
        self.status = "CREATED"
        self.versions = ["DRAFT"]
        self.history: list[dict[str, datetime]] = [{"DraftTimestamp": created}]
        self.denied: list[list[dict[str, str]] | None] = [[]]
        """Per version: its denied reasons; ``None`` while unknown (denied by code
        outside the harness)."""

    def copy(self) -> ReferenceRegistration:
        """An independent copy."""
        twin = ReferenceRegistration.__new__(ReferenceRegistration)
        twin.registration_type, twin.status = self.registration_type, self.status
        twin.versions = list(self.versions)
        twin.history = [dict(h) for h in self.history]
        twin.denied = [None if d is None else list(d) for d in self.denied]
        return twin

    def flags(self, aws_review: bool = False) -> dict[str, bool]:
        """The conditions the tables read, for the current state."""
        return {
            "aws_review": aws_review,
            "has_approved_version": "APPROVED" in self.versions,
            "has_denied_or_revoked_version": any(v in ("DENIED", "REVOKED") for v in self.versions),
            "no_open_version": not any(v in OPEN for v in self.versions),
        }

    def allows(self, event: str, aws_review: bool = False) -> bool:
        """Whether ``event`` is legal now."""
        return self.apply(event, None, aws_review=aws_review)

    def apply(
        self,
        event: str,
        now: datetime | None,
        *,
        aws_review: bool = False,
        reasons: list[dict[str, str]] | None = None,
    ) -> bool:
        """Apply ``event`` at ``now`` if the tables allow it; whether they did.

        With ``now=None`` nothing changes: only whether it would be allowed.
        """
        if self.status == "DELETED":
            return False
        flags = self.flags(aws_review)
        r = registration_table(event, self.status, flags)
        if event == "create_version":
            index: int | None = None
            state = "new"
        elif event == "revoke":
            if "APPROVED" not in self.versions:
                return False
            index, state = self.versions.index("APPROVED"), "APPROVED"
        else:
            index, state = len(self.versions) - 1, self.versions[-1]
        v = version_table(event, state, flags)
        if REFUSED in (r, v):
            return False
        if now is None:
            return True
        if v is not None:
            previously_approved = (
                self.versions.index("APPROVED") if "APPROVED" in self.versions else None
            )
            if index is None:
                self.versions.append(v)
                self.history.append({})
                self.denied.append([])
                index = len(self.versions) - 1
            else:
                self.versions[index] = v
            stamps = [HISTORY_KEY[v]] if v in HISTORY_KEY else []
            if event == "submit" and aws_review:
                stamps.append("SubmittedTimestamp")
            self._stamp(index, stamps, now)
            if event == "deny":
                self.denied[index] = None if reasons is None else list(reasons)
            if event == "approve" and previously_approved is not None:
                self.versions[previously_approved] = "ARCHIVED"
                self._stamp(previously_approved, ["ArchivedTimestamp"], now)
        if r not in (None, SAME):
            self.status = r
        return True

    def _stamp(self, index: int, keys: list[str], now: datetime) -> None:
        history = self.history[index]
        when = max([now, *history.values()])  # a version's history never goes back
        for key in keys:
            history[key] = when

    def refusal_reason(self, event: str) -> str | None:
        """The ConflictException Reason the reference gives for a refused ``event``."""
        if event == "submit" and self.versions[-1] in IN_REVIEW:
            return "REGISTRATION_ALREADY_SUBMITTED"
        return REFUSAL_REASONS.get(event)

    def describe(self, registration_id: str, arn: str) -> tuple[dict[str, Any], list[Any]]:
        """What ``describe_registrations`` and ``describe_registration_versions`` show."""
        registration: dict[str, Any] = {
            "RegistrationArn": arn,
            "RegistrationId": registration_id,
            "RegistrationType": self.registration_type,
            "RegistrationStatus": self.status,
            "CurrentVersionNumber": len(self.versions),
        }
        if "APPROVED" in self.versions:
            registration["ApprovedVersionNumber"] = self.versions.index("APPROVED") + 1
        denied = [n for n, v in enumerate(self.versions, 1) if v == "DENIED"]
        if denied:
            registration["LatestDeniedVersionNumber"] = max(denied)
        registration["CreatedTimestamp"] = self.history[0]["DraftTimestamp"]
        versions = []
        order = list(HISTORY_KEY.values())
        for n, (status, history, reasons) in enumerate(
            zip(self.versions, self.history, self.denied, strict=True), 1
        ):
            version: dict[str, Any] = {
                "VersionNumber": n,
                "RegistrationVersionStatus": status,
                "RegistrationVersionStatusHistory": {
                    k: history[k] for k in sorted(history, key=order.index)
                },
            }
            if reasons:
                version["DeniedReasons"] = reasons
            versions.append(version)
        return registration, versions
