"""A hypothesis state machine that drives the lifecycle and checks it at every step."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Any, ClassVar

from hypothesis import settings as Settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from lifecycle.clock import ManualClock
from lifecycle.errors import ConflictException, ResourceNotFoundException
from lifecycle.events import TransitionEvent
from lifecycle.ports import Backend
from lifecycle.service import RegistrationService
from lifecycle.testing import invariants
from lifecycle.testing.coverage import TransitionCoverage
from lifecycle.testing.reference import (
    HISTORY_KEY,
    REVIEWER_EVENTS,
    TERMINAL,
    USER_EVENTS,
    ReferenceRegistration,
)
from lifecycle.testing.strategies import denied_reasons, registration_types

USER_CALLS = {
    "create_version": "create_registration_version",
    "discard": "discard_registration_version",
    "delete": "delete_registration",
}
"""User events and the service method that fires each (submit is a rule of its own)."""


class LifecycleStateMachine(RuleBasedStateMachine):
    """Drives a :class:`~lifecycle.RegistrationService` through user and reviewer
    operations, legal and illegal, and after every step checks it against the
    independent :class:`~lifecycle.testing.reference.ReferenceRegistration` model and
    the reference's eight invariants.

    Subclass it to add rules that call your own workflow code on ``self.service``
    with registrations drawn from the ``registrations`` bundle. Every transition your
    code commits is checked against the reference as well. Set ``backend_factory`` to
    run on another backend; each example uses an account of its own, so one store can
    serve every example.

    ``coverage`` (shared by all examples of the class) records the transitions
    exercised.
    """

    registrations = Bundle("registrations")
    backend_factory: ClassVar[Callable[[], Backend] | None] = None
    coverage: ClassVar[TransitionCoverage] = TransitionCoverage()
    max_registrations: ClassVar[int] = 3

    def __init__(self) -> None:
        super().__init__()
        factory = type(self).backend_factory
        self.clock = ManualClock()
        self.service = RegistrationService(
            None if factory is None else factory(),
            clock=self.clock,
            account_id=f"{secrets.randbelow(10**12):012d}",
        )
        self.reference: dict[str, ReferenceRegistration] = {}
        self.terminal: dict[tuple[str, int], dict[str, Any]] = {}
        self.deleted: set[str] = set()
        self._pending_reasons: list[dict[str, str]] | None = None
        self._pending_type: str | None = None
        self.service.subscribe(self._follow, transactional=True)
        self.service.subscribe(type(self).coverage.record)

    # -- the reference follows every committed event --------------------------------

    def _follow(self, event: TransitionEvent) -> None:
        """Apply each committed event to the reference; fail if the tables forbid it."""
        if event.event == "archive":
            return  # the reference archives as part of approve
        now = self.clock.now()
        if event.event == "create":
            kind = self._pending_type or "UNKNOWN"
            self.reference[event.registration_id] = ReferenceRegistration(now, kind)
            return
        model = self.reference.get(event.registration_id)
        assert model is not None, f"{event.event} on a registration the harness never saw"
        reasons = self._pending_reasons if event.event == "deny" else None
        applied = model.apply(
            event.event, now, aws_review=event.version_to == "AWS_REVIEWING", reasons=reasons
        )
        assert applied, (
            f"the library committed {event.event} from {event.registration_from}/"
            f"{event.version_from}, which the reference tables forbid"
        )

    # -- rules -----------------------------------------------------------------------

    @precondition(lambda self: len(self.reference) < self.max_registrations)
    @rule(target=registrations, kind=registration_types())
    def create(self, kind: str) -> str:
        """CreateRegistration."""
        self._pending_type = kind
        try:
            return str(self.service.create_registration(RegistrationType=kind)["RegistrationId"])
        finally:
            self._pending_type = None  # creates by other code: read the type back

    @rule(minutes=st.integers(-600, 6000))
    def tick(self, minutes: int) -> None:
        """Time passes (or the clock goes back)."""
        self.clock.advance(timedelta(minutes=minutes))

    @rule(rid=registrations, aws_review=st.booleans())
    def submit(self, rid: str, aws_review: bool) -> None:
        """SubmitRegistrationVersion, with or without AwsReview."""
        self.attempt(rid, "submit", aws_review=aws_review)

    @rule(rid=registrations, event=st.sampled_from(sorted(USER_CALLS)))
    def user_call(self, rid: str, event: str) -> None:
        """CreateRegistrationVersion, DiscardRegistrationVersion or DeleteRegistration."""
        self.attempt(rid, event)

    @rule(rid=registrations, event=st.sampled_from([e for e in REVIEWER_EVENTS if e != "deny"]))
    def review(self, rid: str, event: str) -> None:
        """A reviewer event other than deny."""
        self.attempt(rid, event)

    @rule(rid=registrations, reasons=denied_reasons())
    def deny(self, rid: str, reasons: list[dict[str, str]]) -> None:
        """The reviewer denies, with generated reasons."""
        self.attempt(rid, "deny", reasons=reasons)

    @rule(rid=registrations, choice=st.integers(0, 1000), aws_review=st.booleans())
    def legal_move(self, rid: str, choice: int, aws_review: bool) -> None:
        """A move the reference allows, preferring one whose transitions no example
        took yet; moves that end a lifecycle early are taken rarely."""
        model = self.reference[rid]
        if choice % 3:
            step = self._towards_uncovered(model)
            if step is not None:
                self.attempt(rid, step[0], aws_review=step[1])
                return
        moves = [e for e in (*USER_EVENTS, *REVIEWER_EVENTS) if model.allows(e, aws_review)]
        forward = [e for e in moves if e not in ("delete", "discard")]
        pool = forward if forward and choice % 10 else moves
        if pool:
            self.attempt(rid, pool[choice % len(pool)], aws_review=aws_review)

    # A second entry of the same rule weights the walk toward legal moves.
    legal_move_again = rule(
        rid=registrations, choice=st.integers(0, 1000), aws_review=st.booleans()
    )(legal_move.__wrapped__)  # type: ignore[attr-defined]

    def _towards_uncovered(
        self, model: ReferenceRegistration, depth: int = 8
    ) -> tuple[str, bool] | None:
        """The first move of a shortest path (in the reference) to a transition no
        example took yet, or ``None``."""
        frontier: list[tuple[ReferenceRegistration, tuple[str, bool] | None]] = [(model, None)]
        seen = {(model.status, tuple(model.versions))}
        for _ in range(depth):
            following: list[tuple[ReferenceRegistration, tuple[str, bool] | None]] = []
            for state, first in frontier:
                for event in (*USER_EVENTS, *REVIEWER_EVENTS):
                    for aws_review in (False, True) if event == "submit" else (False,):
                        if not state.allows(event, aws_review):
                            continue
                        if not self._covered(state, event, aws_review):
                            return first or (event, aws_review)
                        after = state.copy()
                        after.apply(event, self.clock.now(), aws_review=aws_review)
                        key = (after.status, tuple(after.versions))
                        if key not in seen:
                            seen.add(key)
                            following.append((after, first or (event, aws_review)))
            frontier = following
        return None

    def _covered(self, model: ReferenceRegistration, event: str, aws_review: bool) -> bool:
        """Whether every transition ``event`` would take was exercised already."""
        after = model.copy()
        after.apply(event, self.clock.now(), aws_review=aws_review)
        keys = [("registration", event, model.status, after.status)]
        for n, status in enumerate(after.versions):
            before = model.versions[n] if n < len(model.versions) else "new"
            if before != status:
                moved_by = "archive" if status == "ARCHIVED" else event
                keys.append(("version", moved_by, before, status))
        return all(type(self).coverage.covers(*key) for key in keys)

    def attempt(
        self,
        rid: str,
        event: str,
        *,
        aws_review: bool = False,
        reasons: list[dict[str, str]] | None = None,
    ) -> None:
        """Fire ``event`` on ``rid`` and check legality and the refusal against the
        reference (what a refused call left behind is checked by the invariants)."""
        model = self.reference[rid]
        deleted = model.status == "DELETED"
        legal = model.allows(event, aws_review)
        expected_reason = model.refusal_reason(event)
        try:
            self._fire(rid, event, aws_review, reasons or _DENIAL)
        except ResourceNotFoundException:
            assert deleted, f"{event}: ResourceNotFound on a {model.status} registration"
        except ConflictException as refused:
            assert not legal, f"{event} refused from {model.status}, the reference allows it"
            if event in USER_EVENTS:
                assert refused.reason == expected_reason, (event, refused.reason)
        else:
            assert legal, f"{event} accepted from {model.status}, the reference forbids it"

    def _fire(self, rid: str, event: str, aws_review: bool, reasons: list[dict[str, str]]) -> None:
        service = self.service
        if event == "submit":
            service.submit_registration_version(RegistrationId=rid, AwsReview=aws_review)
        elif event in USER_CALLS:
            getattr(service, USER_CALLS[event])(RegistrationId=rid)
        elif event == "deny":
            self._pending_reasons = reasons
            try:
                service.reviewer.deny(rid, reasons)
            finally:
                self._pending_reasons = None
        else:
            getattr(service.reviewer, event)(rid)

    # -- invariants ------------------------------------------------------------------

    @invariant()
    def matches_reference_and_invariants(self) -> None:
        """All eight invariants, and the full describe output equals the reference."""
        for rid, model in self.reference.items():
            # 1, 2, 3, 4 and 7
            registration, versions = invariants.check(self.service, rid)
            # Payload the harness did not choose (your code's creates and denials) is
            # read back; every status and timestamp is predicted.
            if model.registration_type == "UNKNOWN":
                model.registration_type = registration["RegistrationType"]
            for n, version in enumerate(versions[: len(model.denied)]):
                if model.denied[n] is None:
                    model.denied[n] = version.get("DeniedReasons", [])
            # 6. the coupling, and everything else shown: exactly the reference
            assert (registration, versions) == model.describe(rid, registration["RegistrationArn"])
            for version in versions:
                # 5. a terminal version never changes again
                ident = (rid, version["VersionNumber"])
                if ident in self.terminal:
                    assert version == self.terminal[ident]
                elif version["RegistrationVersionStatus"] in TERMINAL:
                    self.terminal[ident] = version
            # 8. DELETED is terminal
            if rid in self.deleted:
                assert registration["RegistrationStatus"] == "DELETED"
            elif registration["RegistrationStatus"] == "DELETED":
                self.deleted.add(rid)


_DENIAL = [{"Reason": "BRAND_INFO_MISMATCH", "ShortDescription": "The brand does not match."}]


def run_harness(
    backend_factory: Callable[[], Backend] | None = None,
    *,
    machine: type[LifecycleStateMachine] = LifecycleStateMachine,
    settings: Settings | None = None,
) -> TransitionCoverage:
    """Run ``machine`` on stores from ``backend_factory`` (default: in memory).

    Returns:
        The coverage the run reached (also kept on ``machine.coverage``).
    """
    configured = type(machine.__name__, (machine,), {
        "backend_factory": staticmethod(backend_factory) if backend_factory else None,
        "coverage": TransitionCoverage(),
    })  # fmt: skip
    run_state_machine_as_test(
        configured,
        settings=settings or Settings(max_examples=200, stateful_step_count=50, deadline=None),
    )
    return configured.coverage  # type: ignore[no-any-return, attr-defined]


__all__ = ["HISTORY_KEY", "LifecycleStateMachine", "run_harness"]
