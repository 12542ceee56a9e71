"""Hypothesis drives user and reviewer operations in any order, with a clock that also
runs backwards, and checks the reference's eight invariants after every step.

Legality and resulting statuses are predicted by a plain reference model built on the
independent tables of ``test_machines`` (not on the library's machines).
"""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from lifecycle import ConflictException, RegistrationService, ResourceNotFoundException
from lifecycle.clock import ManualClock
from lifecycle.ports import Backend
from tests import invariants
from tests.conftest import BackendFactory
from tests.test_machines import REFUSED, SAME, registration_expected, version_expected

USER_CALLS = {
    "create_version": "create_registration_version",
    "discard": "discard_registration_version",
    "delete": "delete_registration",
}
REVIEWER_EVENTS = ["begin_review", "require_authentication", "complete_authentication",
                   "require_offline_review", "approve", "revoke", "complete_provisioning",
                   "close"]  # fmt: skip
ALL_MOVES = ["submit", "deny", *USER_CALLS, *REVIEWER_EVENTS]
TYPES = ["US_TEN_DLC_BRAND_REGISTRATION", "US_TEN_DLC_CAMPAIGN_REGISTRATION",
         "US_TOLL_FREE_REGISTRATION"]  # fmt: skip


class Expected:
    """The reference model of one registration: its status and its versions' statuses."""

    def __init__(self) -> None:
        self.status = "CREATED"
        self.versions = ["DRAFT"]

    def copy(self) -> Expected:
        twin = Expected()
        twin.status, twin.versions = self.status, list(self.versions)
        return twin

    def predict(self, event: str, aws_review: bool = False) -> bool:
        """Apply ``event`` if the reference tables allow it; whether they did."""
        if self.status == "DELETED":
            return False
        flags = {
            "aws_review": aws_review,
            "has_approved_version": "APPROVED" in self.versions,
            "has_denied_or_revoked_version": any(v in ("DENIED", "REVOKED") for v in self.versions),
            "no_open_version": not any(v in invariants.OPEN for v in self.versions),
        }
        r = registration_expected(event, self.status, flags)
        if event == "create_version":
            index, state = None, "new"
        elif event == "revoke":
            if "APPROVED" not in self.versions:
                return False
            index = self.versions.index("APPROVED")
            state = "APPROVED"
        else:
            index, state = len(self.versions) - 1, self.versions[-1]
        v = version_expected(event, state, flags)
        if REFUSED in (r, v):
            return False
        if v is not None:
            previously_approved = (
                self.versions.index("APPROVED") if "APPROVED" in self.versions else None
            )
            if index is None:
                self.versions.append(v)
            else:
                self.versions[index] = v
            if event == "approve" and previously_approved is not None:
                self.versions[previously_approved] = "ARCHIVED"
        if r not in (None, SAME):
            self.status = r
        return True


class Lifecycle(RuleBasedStateMachine):
    registrations = Bundle("registrations")

    def __init__(self, backend: Backend | None = None, account_id: str = "123456789012") -> None:
        super().__init__()
        self.clock = ManualClock()
        self.service = RegistrationService(backend, clock=self.clock, account_id=account_id)
        self.expected: dict[str, Expected] = {}
        self.terminal: dict[tuple[str, int], dict[str, Any]] = {}
        self.deleted: set[str] = set()

    # -- rules -----------------------------------------------------------------------

    @precondition(lambda self: len(self.expected) < 3)
    @rule(target=registrations, kind=st.sampled_from(TYPES))
    def create(self, kind: str) -> str:
        rid = self.service.create_registration(RegistrationType=kind)["RegistrationId"]
        self.expected[rid] = Expected()
        return str(rid)

    @rule(minutes=st.integers(-600, 6000))
    def tick(self, minutes: int) -> None:
        self.clock.advance(timedelta(minutes=minutes))

    @rule(rid=registrations, aws_review=st.booleans())
    def submit(self, rid: str, aws_review: bool) -> None:
        self._attempt(
            rid,
            "submit",
            lambda: self.service.submit_registration_version(
                RegistrationId=rid, AwsReview=aws_review
            ),
            aws_review,
        )

    @rule(rid=registrations, event=st.sampled_from(sorted(USER_CALLS)))
    def user_call(self, rid: str, event: str) -> None:
        method = getattr(self.service, USER_CALLS[event])
        self._attempt(rid, event, lambda: method(RegistrationId=rid))

    @rule(rid=registrations, event=st.sampled_from(REVIEWER_EVENTS))
    def review(self, rid: str, event: str) -> None:
        self._attempt(rid, event, lambda: getattr(self.service.reviewer, event)(rid))

    @rule(rid=registrations, reason=st.text(min_size=1, max_size=20))
    def deny(self, rid: str, reason: str) -> None:
        reasons = [{"Reason": reason, "ShortDescription": "denied"}]
        self._attempt(rid, "deny", lambda: self.service.reviewer.deny(rid, reasons))

    @rule(rid=registrations, choice=st.integers(0, 1000), aws_review=st.booleans())
    def legal_move(self, rid: str, choice: int, aws_review: bool) -> None:
        """A move the reference model allows, so that runs reach the deep states;
        moves that end a lifecycle early (delete, discard) are taken rarely."""
        model = self.expected[rid]
        moves = [e for e in ALL_MOVES if model.copy().predict(e, aws_review)]
        forward = [e for e in moves if e not in ("delete", "discard")]
        if forward and choice % 10:
            moves = forward
        if not moves:
            return
        event = moves[choice % len(moves)]
        if event == "submit":
            self.submit(rid, aws_review)
        elif event == "deny":
            self.deny(rid, "reason")
        elif event in USER_CALLS:
            self.user_call(rid, event)
        else:
            self.review(rid, event)

    # Two more entries of the same rule weight the walk toward legal moves.
    legal_move_again = rule(
        rid=registrations, choice=st.integers(0, 1000), aws_review=st.booleans()
    )(legal_move.__wrapped__)  # type: ignore[attr-defined]
    legal_move_once_more = rule(
        rid=registrations, choice=st.integers(0, 1000), aws_review=st.booleans()
    )(legal_move.__wrapped__)  # type: ignore[attr-defined]

    def _attempt(self, rid: str, event: str, call: Any, aws_review: bool = False) -> None:
        model = self.expected[rid]
        deleted = model.status == "DELETED"
        before = self._describe(rid)
        legal = model.predict(event, aws_review)
        try:
            call()
        except ResourceNotFoundException:
            assert deleted, f"{event} on {model.status}: ResourceNotFound"
        except ConflictException:
            assert not legal, f"{event} refused, but the reference allows it"
            assert self._describe(rid) == before, "a refused call changed something"
        else:
            assert legal, f"{event} accepted from {before[0]['RegistrationStatus']}"

    # -- invariants ------------------------------------------------------------------

    def _describe(self, rid: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        return invariants.describe(self.service, rid)

    @invariant()
    def invariants_hold(self) -> None:
        for rid, model in self.expected.items():
            # 1, 2, 3, 4 and 7
            reg, versions = invariants.check(self.service, rid)
            for v in versions:
                # 5. a terminal version never changes again
                ident = (rid, v["VersionNumber"])
                if ident in self.terminal:
                    assert v == self.terminal[ident]
                elif v["RegistrationVersionStatus"] in invariants.TERMINAL:
                    self.terminal[ident] = v
            # 6. the coupling: statuses are those of the reference tables
            assert reg["RegistrationStatus"] == model.status
            assert [v["RegistrationVersionStatus"] for v in versions] == model.versions
            # 8. DELETED is terminal (and every mutating call on it raised
            #    ResourceNotFound in _attempt).
            if rid in self.deleted:
                assert reg["RegistrationStatus"] == "DELETED"
            elif reg["RegistrationStatus"] == "DELETED":
                self.deleted.add(rid)


EXAMPLES = {"memory": 200, "sqlite": 60, "postgres": 30}


def test_invariants_hold_on_every_backend(
    request: pytest.FixtureRequest, make_backend: BackendFactory
) -> None:
    """Each example runs in an account of its own on the one store of this test."""
    backend = make_backend()
    accounts = itertools.count(100_000_000_000)
    kind = request.node.callspec.params["make_backend"]
    run_state_machine_as_test(
        lambda: Lifecycle(backend, str(next(accounts))),
        settings=settings(max_examples=EXAMPLES[kind], stateful_step_count=50, deadline=None),
    )
