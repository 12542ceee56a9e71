"""The reviewer: what AWS, the carriers and The Campaign Registry do to a registration
(and what AWS's systems do to an attachment uploaded from a URL).

:class:`Reviewer` (``service.reviewer``) offers one method per reviewer event of the
machines, each documented from them, and validates their arguments (``DeniedReasons``
and the flagged fields of a deny among them); it then applies the event through the
service's own load, step and commit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from lifecycle import attachments, media
from lifecycle.errors import ReentrantCallError, ValidationException, inside_commit
from lifecycle.machines import FOLLOW_UPS, MACHINES, VERSION
from lifecycle.models import DeniedReason, Registration
from lifecycle.validation import (
    MISSING,
    REGISTRATION_ID,
    Blob,
    reject_unknown,
    string,
    structure,
)

if TYPE_CHECKING:
    from lifecycle.aggregate import Step
    from lifecycle.service import RegistrationService

Flags = dict[str, tuple[str, str]]
"""A deny's flagged fields: ``(DeniedReason, Feedback)`` by field path."""


_REASON_TEXT = string(1, 2048)
_FEEDBACK = string(1, 10_000)
_REASON_MEMBERS = {
    "Reason": ("reason", True),
    "ShortDescription": ("short_description", True),
    "LongDescription": ("long_description", False),
    "DocumentationTitle": ("documentation_title", False),
    "DocumentationLink": ("documentation_link", False),
}
_FLAG = structure({"DeniedReason": (_REASON_TEXT, True), "Feedback": (_FEEDBACK, True)})


def _denied_reasons(reasons: object) -> tuple[DeniedReason, ...]:
    if not isinstance(reasons, list | tuple) or not reasons:
        raise ValidationException.for_field(
            "DeniedReasons", "must be a non-empty list of DeniedReason or dictionaries"
        )
    out = []
    for i, reason in enumerate(reasons):
        if isinstance(reason, DeniedReason):
            reason = reason.to_dict()
        if not isinstance(reason, Mapping):
            raise ValidationException.for_field(
                f"DeniedReasons[{i}]", "must be a DeniedReason or a dictionary"
            )
        unknown = set(reason) - set(_REASON_MEMBERS)
        if unknown:
            raise ValidationException.for_field(
                f"DeniedReasons[{i}]",
                f"unknown key(s) {sorted(map(str, unknown))}; the keys are "
                f"{', '.join(_REASON_MEMBERS)}",
            )
        kwargs = {}
        for key, (attr, required) in _REASON_MEMBERS.items():
            if key in reason:
                kwargs[attr] = _REASON_TEXT(f"DeniedReasons[{i}].{key}", reason[key])
            elif required:
                raise ValidationException.for_field(
                    f"DeniedReasons[{i}].{key}", "is required", reason="MISSING_PARAMETER"
                )
        out.append(DeniedReason(**kwargs))
    return tuple(out)


def _flag_name(path: str) -> str:
    """How errors name the flag of field ``path``."""
    return f'fields["{path}"]'


def _flags(fields: object) -> Flags:
    """``fields`` of a deny, checked: each a field path (a string) with a
    ``DeniedReason`` and ``Feedback`` and nothing else."""
    if fields is None:
        return {}
    if not isinstance(fields, Mapping):
        raise ValidationException.for_field(
            "fields", "must be a dictionary of field path to {DeniedReason, Feedback}"
        )
    flags = {}
    for path, flag in fields.items():
        if type(path) is not str:
            raise ValidationException.for_field(
                "fields", f"its keys must be field paths, got {type(path).__name__} {path!r}"
            )
        checked = _FLAG(_flag_name(path), flag)
        flags[path] = (checked["DeniedReason"], checked["Feedback"])
    return flags


def _check_paths(service: RegistrationService, registration: Registration, flags: Flags) -> None:
    """Each flagged path must be a field of the registration's type."""
    for path in flags:
        try:
            service.registration_types.field(registration.registration_type, path)
        except ValidationException as exc:
            if exc.reason != "UNKNOWN_REGISTRATION_FIELD":
                raise
            raise ValidationException.for_field(
                _flag_name(path), exc.fields[0]["Message"], reason=exc.reason
            ) from None


def _values_held(service: RegistrationService, flags: Flags) -> Callable[[Step], None]:
    """The check of a deny step: each flagged path holds a value in the denied version.

    That version is in review, so its values cannot change before the commit (which
    compares revisions anyway)."""

    def check(step: Step) -> None:
        assert step.version is not None  # deny moves the version in review
        number, r = step.version.version_number, step.registration
        held = service.backend.field_values(
            r.account_id, r.region, r.registration_id, number, list(flags)
        )
        for path in flags:
            if path not in held:
                raise ValidationException.for_field(
                    _flag_name(path), f"has no value in version {number}"
                )

    return check


def _once(name: str, positional: Any, keyword: Any) -> Any:
    """The one value given for ``name``, positionally or as a keyword."""
    if positional is not MISSING and keyword is not MISSING:
        raise ValidationException.for_field(
            name, f"is given twice: pass it positionally or as {name}=, not both"
        )
    value = keyword if positional is MISSING else positional
    if value is MISSING:
        raise ValidationException.for_field(name, "is required", reason="MISSING_PARAMETER")
    return value


class _ReviewerEvent(Protocol):
    """The signature of a reviewer event other than deny."""

    def __call__(
        self,
        registration_id: str = ...,
        *,
        RegistrationId: str = ...,
        feedback: str | None = None,
        **unknown: Any,
    ) -> dict[str, Any]: ...


def _moves(event: str) -> str:
    """What ``event`` does, read from the machines: ``version A, B -> C; registration ...``."""
    parts = []
    for machine in MACHINES:
        moves: dict[str, list[str]] = {}
        guarded: set[str] = set()
        for spec in machine.transitions:
            if spec.event == event:
                dest = "unchanged" if spec.dest is None else str(spec.dest)
                if spec.conditions:
                    dest += f" if {' and '.join(spec.conditions).replace('_', ' ')}"
                    guarded.add(spec.source)
                elif spec.source in guarded:
                    dest += " otherwise"
                moves.setdefault(dest, []).append(spec.source)
        if moves:
            shown = "; ".join(
                f"{', '.join(dict.fromkeys(sources))} -> {dest}" for dest, sources in moves.items()
            )
            parts.append(f"{machine.name} {shown}")
    return ". ".join(parts) + "."


def _reviewer_event(event: str) -> _ReviewerEvent:
    """The :class:`Reviewer` method that fires ``event``."""
    moves_version = VERSION.defines(event)

    def fire(
        self: Reviewer,
        registration_id: str = MISSING,
        *,
        RegistrationId: str = MISSING,
        feedback: str | None = None,
        **unknown: Any,
    ) -> dict[str, Any]:
        reject_unknown(unknown, ["RegistrationId", *(["feedback"] if moves_version else [])])
        if feedback is not None and not moves_version:
            raise ValidationException.for_field(
                "feedback", f"{event} moves no version, so it takes no feedback"
            )
        return self._apply(event, registration_id, RegistrationId, feedback=feedback)

    fire.__name__ = event
    fire.__qualname__ = f"Reviewer.{event}"
    follow_up = FOLLOW_UPS.get(event)
    also = (
        f" In the same step, {follow_up} on the previously approved version." if follow_up else ""
    )
    fire.__doc__ = f"The reviewer's ``{event}``: {_moves(event)}{also}"
    return fire  # type: ignore[return-value]  # bound as a method: ``self`` is supplied


class Reviewer:
    """What AWS, the carriers and The Campaign Registry do to a registration.

    Each method applies one reviewer event of the machines (its docstring says the
    moves, read from them) and returns the registration as ``describe_registrations``
    shows it. The registration is named positionally or boto3-style
    (``RegistrationId=``), by id or ARN. Events that move a version take
    ``feedback``: the version's ``Feedback`` text (1 to 10,000 characters), kept until
    another event replaces it.

    All raise ConflictException when the machines refuse the event,
    ResourceNotFoundException for an unknown or deleted registration, and
    ValidationException for a malformed argument (nothing changes).
    """

    def __init__(self, service: RegistrationService) -> None:
        self._service = service

    def _apply(
        self,
        event: str,
        registration_id: Any,
        RegistrationId: Any,
        *,
        feedback: Any = None,
        denied_reasons: Sequence[DeniedReason] = (),
        flags: Flags | None = None,
    ) -> dict[str, Any]:
        if inside_commit.active:
            raise ReentrantCallError.refuse(f"reviewer.{event}")
        value = REGISTRATION_ID("RegistrationId", _once("RegistrationId", registration_id,
                                                        RegistrationId))  # fmt: skip
        if feedback is not None:
            feedback = _FEEDBACK("feedback", feedback)
        service = self._service
        registration = service._live(value)
        if flags:
            _check_paths(service, registration, flags)
        step = service._step(
            value, event, denied_reasons=denied_reasons, feedback=feedback, flags=flags,
            registration=registration, check=_values_held(service, flags) if flags else None,
        )  # fmt: skip
        return step.registration.to_dict()

    begin_review = _reviewer_event("begin_review")
    require_authentication = _reviewer_event("require_authentication")
    complete_authentication = _reviewer_event("complete_authentication")
    require_offline_review = _reviewer_event("require_offline_review")
    approve = _reviewer_event("approve")
    revoke = _reviewer_event("revoke")
    complete_provisioning = _reviewer_event("complete_provisioning")
    # The system's close, which AWS also makes when asked to (logged with actor system).
    close = _reviewer_event("close")

    def deny(
        self,
        registration_id: str = MISSING,
        reasons: Sequence[DeniedReason | Mapping[str, str]] = MISSING,
        *,
        RegistrationId: str = MISSING,
        DeniedReasons: Sequence[DeniedReason | Mapping[str, str]] = MISSING,
        feedback: str | None = None,
        fields: Mapping[str, Mapping[str, str]] | None = None,
        **unknown: Any,
    ) -> dict[str, Any]:
        """Deny the version in review with at least one reason: a
        :class:`~lifecycle.models.DeniedReason` or a dictionary with ``Reason`` and
        ``ShortDescription``, and optionally ``LongDescription``,
        ``DocumentationTitle`` and ``DocumentationLink``.

        ``fields`` flags values of that version: by field path, a ``DeniedReason``
        (1 to 2,048 characters) and ``Feedback`` (1 to 10,000), both required.
        ``describe_registration_field_values`` shows them on that version only: a new
        version copies the values without them. Each path must be a field of the
        registration's type (else ValidationException
        ``UNKNOWN_REGISTRATION_FIELD``) holding a value in the version denied."""
        reject_unknown(unknown, ["RegistrationId", "DeniedReasons", "feedback", "fields"])
        registration_id = _once("RegistrationId", registration_id, RegistrationId)
        denied = _denied_reasons(_once("DeniedReasons", reasons, DeniedReasons))
        return self._apply(
            "deny", registration_id, MISSING, feedback=feedback, denied_reasons=denied,
            flags=_flags(fields),
        )  # fmt: skip

    def complete_upload(
        self,
        attachment_id: str = MISSING,
        body: bytes | None = None,
        *,
        RegistrationAttachmentId: str = MISSING,
        **unknown: Any,
    ) -> dict[str, Any]:
        """The system's ``complete_upload`` of an attachment created from a URL:
        UPLOAD_IN_PROGRESS -> UPLOAD_COMPLETE. ``body`` is the file the system fetched,
        checked as an ``AttachmentBody`` is (:func:`lifecycle.media.check_body`);
        ``None`` completes it without bytes. Returns the attachment as
        ``describe_registration_attachments`` shows it."""
        reject_unknown(unknown, ["RegistrationAttachmentId", "body"])
        media_type = None
        if body is not None:
            body = Blob(1, media.MAX_BODY)("body", body)
            media_type = media.check_body(body, "body")
        return self._upload("complete_upload", attachment_id, RegistrationAttachmentId, body,
                            media_type)  # fmt: skip

    def fail_upload(
        self, attachment_id: str = MISSING, *, RegistrationAttachmentId: str = MISSING,
        **unknown: Any,
    ) -> dict[str, Any]:  # fmt: skip
        """The system's ``fail_upload`` of an attachment created from a URL:
        UPLOAD_IN_PROGRESS -> UPLOAD_FAILED (``AttachmentUploadErrorReason``
        ``INTERNAL_ERROR``). Returns the attachment as describe shows it."""
        reject_unknown(unknown, ["RegistrationAttachmentId"])
        return self._upload("fail_upload", attachment_id, RegistrationAttachmentId, None, None)

    def _upload(
        self,
        event: str,
        attachment_id: Any,
        RegistrationAttachmentId: Any,
        body: bytes | None,
        media_type: str | None,
    ) -> dict[str, Any]:
        if inside_commit.active:
            raise ReentrantCallError.refuse(f"reviewer.{event}")
        field = "RegistrationAttachmentId"
        value = REGISTRATION_ID(field, _once(field, attachment_id, RegistrationAttachmentId))
        service = self._service
        attachment = service._attachment(value, field)
        step = attachments.step(attachment, event, service._now(), body=body, media_type=media_type)
        return service._commit_attachment(step, attachment.revision, body=body).to_dict()
