"""The scripted reviewer: AWS's reviewers played by a :class:`~lifecycle.policy.Policy`.

:class:`ScriptedReviewer` attaches to a service. Each submission of a registration
that a rule matches starts that rule's script for it; a move happens once it is due
(its ``after`` on the service's clock, its ``after_describes`` describe calls), at the
first of: the submit itself, a DescribeRegistrations or DescribeRegistrationVersions
call naming the registration, or :meth:`ScriptedReviewer.advance`. With the policy's
``uploads``, each attachment created from a URL completes or fails the same way
(counting DescribeRegistrationAttachments calls naming it). A move's ``after``
counts from when the previous one was due (by time), so a clock moved on by days makes
every move due by then at once. Every move is the
reviewer's own call (``service.reviewer``): the same machines, one atomic commit,
logged with actor reviewer. A move the machines refuse raises ConflictException at
once, naming the policy's rule, submission and move, and ends that script.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

import attrs

from lifecycle.errors import ConflictException, LifecycleError, ValidationException
from lifecycle.machines import VERSION
from lifecycle.policy import UPLOAD_MOVES, Move, Policy, Rule
from lifecycle.service import RegistrationService


@attrs.define
class _Run:
    """One registration's script in progress."""

    rule_index: int
    submission: int
    moves: tuple[Move, ...]
    anchor: datetime
    """When the previous move (or the submit) was due."""
    done: int = 0
    describes: int = 0


class ScriptedReviewer:
    """Plays the reviewer of ``service`` by ``policy``; it installs itself on the
    service's SubmitRegistrationVersion and describe calls (those of the object, so
    every caller of it: the in-process client, ``lifecycle serve``, the mock)."""

    def __init__(self, service: RegistrationService, policy: Policy) -> None:
        if not isinstance(service, RegistrationService):
            raise ValidationException.for_field("service", "must be a RegistrationService")
        if not isinstance(policy, Policy):
            policy = Policy.from_dict(policy)
        self.service = service
        self.policy = policy
        self._runs: dict[str, _Run] = {}
        self._submissions: dict[str, int] = {}
        self._lock = threading.RLock()
        submit = service.submit_registration_version
        describe = service.describe_registrations
        versions = service.describe_registration_versions
        upload = service.create_registration_attachment
        attachments = service.describe_registration_attachments

        def uploaded(**params: Any) -> dict[str, Any]:
            answer = upload(**params)
            if policy.uploads is not None and answer["AttachmentStatus"] == "UPLOAD_IN_PROGRESS":
                with self._lock:
                    aid = answer["RegistrationAttachmentId"]
                    self._runs[aid] = _Run(-1, 1, (policy.uploads,), service._now())
                    self._advance(aid)
            return answer

        def attachments_described(**params: Any) -> dict[str, Any]:
            named = params.get("RegistrationAttachmentIds")
            self._described(None if named is None else [_id(v) for v in named])
            return attachments(**params)

        def submitted(**params: Any) -> dict[str, Any]:
            answer = submit(**params)
            self._start(answer["RegistrationId"])
            return answer

        def described(**params: Any) -> dict[str, Any]:
            named = params.get("RegistrationIds")
            self._described(None if named is None else [_id(v) for v in named])
            return describe(**params)

        def versions_described(**params: Any) -> dict[str, Any]:
            if isinstance(params.get("RegistrationId"), str):
                self._described([_id(params["RegistrationId"])])
            return versions(**params)

        service.submit_registration_version = submitted  # type: ignore[method-assign]
        service.describe_registrations = described  # type: ignore[method-assign]
        service.describe_registration_versions = versions_described  # type: ignore[method-assign]
        service.create_registration_attachment = uploaded  # type: ignore[method-assign]
        service.describe_registration_attachments = attachments_described  # type: ignore[method-assign]

    def advance(self) -> int:
        """Make every move that is due now; returns how many were made."""
        with self._lock:
            return sum(self._advance(rid) for rid in list(self._runs))

    def _start(self, registration_id: str) -> None:
        service = self.service
        registration = service.backend.get(service.account_id, service.region, registration_id)
        if registration is None:  # pragma: no cover - it was just submitted
            return
        with self._lock:
            submission = self._submissions.get(registration_id, 0) + 1
            self._submissions[registration_id] = submission
            tags = {tag.key: tag.value for tag in registration.tags}
            found = self.policy.rule_for(registration_id, registration.registration_type, tags)
            if found is None:
                self._runs.pop(registration_id, None)
                return
            index, rule = found
            self._runs[registration_id] = _Run(
                index, submission, rule.script(submission), service._now()
            )
            self._advance(registration_id)

    def _described(self, named: list[str] | None) -> None:
        with self._lock:
            for rid in list(self._runs) if named is None else named:
                run = self._runs.get(rid)
                if run is not None:
                    run.describes += 1
                    self._advance(rid)

    def _advance(self, registration_id: str) -> int:
        run = self._runs[registration_id]
        made = 0
        while run.done < len(run.moves):
            move = run.moves[run.done]
            now = self.service._now()
            if now - run.anchor < move.after or run.describes < move.after_describes:
                break
            try:
                _fire(self.service, registration_id, move)
            except LifecycleError as exc:
                del self._runs[registration_id]
                rule = (
                    "uploads" if run.rule_index < 0
                    else _rule_name(self.policy.rules[run.rule_index])
                )  # fmt: skip
                raise ConflictException(
                    f"Review policy rule {run.rule_index} ({rule}), submission "
                    f"{run.submission}, move {run.done} ({move.event}) on registration "
                    f"{registration_id} was refused: {exc.message}",
                    reason=getattr(exc, "reason", None),
                    resource_type="registration",
                    resource_id=registration_id,
                ) from exc
            # The next move counts from when this one was due: a clock moved on by days
            # makes every move due by then, as a reviewer working meanwhile would have.
            run.anchor = run.anchor + move.after if move.after_describes == 0 else now
            run.done, run.describes = run.done + 1, 0
            made += 1
        if run.done == len(run.moves):
            self._runs.pop(registration_id, None)
        return made


def attach(policy: Policy) -> Callable[[RegistrationService], ScriptedReviewer]:
    """A function attaching a :class:`ScriptedReviewer` of ``policy`` to a service (as
    :class:`~lifecycle.aws.accounts.Accounts` takes it for each account's service)."""
    return lambda service: ScriptedReviewer(service, policy)


def _fire(service: RegistrationService, registration_id: str, move: Move) -> None:
    reviewer = service.reviewer
    if move.event in UPLOAD_MOVES:
        getattr(reviewer, move.event)(registration_id)  # an attachment's id
    elif move.event == "deny":
        reviewer.deny(registration_id, [dict(r) for r in move.reasons], fields=move.fields,
                      feedback=move.feedback)  # fmt: skip
    elif VERSION.defines(move.event):
        getattr(reviewer, move.event)(registration_id, feedback=move.feedback)
    else:
        getattr(reviewer, move.event)(registration_id)


def _rule_name(rule: Rule) -> str:
    if rule.registration_id is not None:
        return f"registration_id {rule.registration_id}"
    if rule.tag is not None:
        return f"tag {rule.tag[0]}={rule.tag[1]}"
    if rule.registration_type is not None:
        return f"registration_type {rule.registration_type}"
    return "any registration"


def _id(value: str) -> str:
    """A registration id named by id or ARN."""
    return value.rsplit("/", 1)[-1] if isinstance(value, str) else value
