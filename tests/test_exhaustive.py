"""Every sequence of events up to depth 6 from a new registration, legal and illegal,
compared with the reference model at each step, full describe output and the current
version's field values included. The form edits delete and put back one required
value, so that submits meet an incomplete form too.

A branch is pruned where it reaches an observable state (statuses, which history
fields are set, denied reasons, tags, which fields have a value) that was already
checked.

The 10DLC chain too: from three points of it (a brand and a campaign just created; the
brand COMPLETE and the campaign associated with it; the campaign COMPLETE with a
number), every sequence up to depth 6 of the events of both registrations and of the
chain's moves (associate, request a number for the campaign or not, release), each
checked by the shipped harness (its reference and every invariant). About 52,000
steps over 3,500 states, in some 15 seconds.
"""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

from lifecycle import (
    ConflictException,
    InMemoryBackend,
    Registration,
    RegistrationService,
    RegistrationVersion,
    ResourceNotFoundException,
    ValidationException,
)
from lifecycle.clock import ManualClock
from lifecycle.form import FieldValue
from lifecycle.models import registration_arn
from lifecycle.ports import FormChange, all_versions
from lifecycle.testing import invariants
from lifecycle.testing.forms import fill_form
from lifecycle.testing.machine import LifecycleStateMachine
from lifecycle.testing.reference import REVIEWER_EVENTS, USER_EVENTS, ReferenceRegistration
from lifecycle.testing.strategies import BRAND

DEPTH = 6
CHAIN_DEPTH = 6
CAMPAIGN = "US_TEN_DLC_CAMPAIGN_REGISTRATION"
MOVES = [(e, False) for e in (*USER_EVENTS, *REVIEWER_EVENTS)] + [("submit", True)]
DENIAL = [{"Reason": "R", "ShortDescription": "denied"}]
CALLS = {"create_version": "create_registration_version",
         "discard": "discard_registration_version", "delete": "delete_registration",
         "put_field_value": "put_registration_field_value",
         "delete_field_value": "delete_registration_field_value"}  # fmt: skip
TAG_CALLS = {"tag_resource": {"Tags": [{"Key": "Name", "Value": "n"}]},
             "untag_resource": {"TagKeys": ["Name"]}}  # fmt: skip
FORM_CALLS = {"put_field_value": {"FieldPath": "companyInfo.companyName", "TextValue": "Acme"},
              "delete_field_value": {"FieldPath": "companyInfo.companyName"}}  # fmt: skip
REQUESTS = {**TAG_CALLS, **FORM_CALLS}
"""What the tag and form edits ask for, as the reference takes it."""


def _fire(service: RegistrationService, rid: str, event: str, aws_review: bool) -> None:
    if event == "submit":
        service.submit_registration_version(RegistrationId=rid, AwsReview=aws_review)
    elif event in CALLS:
        getattr(service, CALLS[event])(RegistrationId=rid, **FORM_CALLS.get(event, {}))
    elif event in TAG_CALLS:
        arn = registration_arn(service.region, service.account_id, rid)
        getattr(service, event)(ResourceArn=arn, **TAG_CALLS[event])
    elif event == "deny":
        service.reviewer.deny(rid, DENIAL)
    else:
        getattr(service.reviewer, event)(rid)


def _observable(model: ReferenceRegistration) -> tuple[Any, ...]:
    return (model.status, tuple(model.versions),
            tuple(tuple(sorted(h)) for h in model.history), str(model.tags),
            tuple(sorted(model.values[-1] or ())))  # fmt: skip


Snapshot = tuple[Registration, list[RegistrationVersion], dict[str, FieldValue]]
"""A registration, its versions and its current version's form."""


def _snapshot(service: RegistrationService, rid: str) -> Snapshot:
    registration = service.backend.get(service.account_id, service.region, rid)
    assert registration is not None
    form = service.backend.field_values(
        service.account_id, service.region, rid, registration.current_version_number
    )
    return registration, all_versions(service.backend, registration), form


def _branch(snapshot: Snapshot, clock_time: Any) -> tuple[RegistrationService, ManualClock]:
    """A service on a new store holding exactly ``snapshot``."""
    backend = InMemoryBackend()
    registration, versions, form = snapshot
    backend.commit(registration, expected_revision=None, events=(), versions=versions,
                   form=FormChange(registration.current_version_number, put=form))  # fmt: skip
    clock = ManualClock(clock_time)
    return RegistrationService(backend, clock=clock), clock


def test_every_sequence_up_to_depth_six() -> None:
    clock = ManualClock()
    service = RegistrationService(clock=clock)
    model = ReferenceRegistration(clock.now(), BRAND, service.registration_types.fields(BRAND))
    rid = service.create_registration(RegistrationType=BRAND)["RegistrationId"]
    for value in fill_form(service, rid):
        assert model.apply("put_field_value", clock.now(), request=value)
    frontier = [(_snapshot(service, rid), model, clock.now())]
    checked = {_observable(model)}
    steps = 0
    for _ in range(DEPTH):
        following = []
        for snapshot, state, now in frontier:
            for event, aws_review in MOVES:
                steps += 1
                branch, branch_clock = _branch(snapshot, now + timedelta(hours=5))
                expected = state.copy()
                legal = expected.allows(event, aws_review)
                problems = expected.problems() if event == "submit" else []
                try:
                    _fire(branch, rid, event, aws_review)
                except ResourceNotFoundException:
                    assert expected.status == "DELETED", (event, expected.status)
                    continue
                except ConflictException as refused:
                    assert not legal and not problems, (event, expected.status, expected.versions)
                    if event in USER_EVENTS:
                        assert refused.reason == expected.refusal_reason(event)
                except ValidationException as refused:
                    assert [field["Name"] for field in refused.fields] == problems != [], event
                else:
                    assert legal, (event, expected.status, expected.versions)
                    expected.apply(event, branch_clock.now(), aws_review=aws_review,
                                   reasons=DENIAL, request=REQUESTS.get(event))  # fmt: skip
                reg = branch.describe_registrations(RegistrationIds=[rid])["Registrations"][0]
                versions = branch.describe_registration_versions(RegistrationId=rid)
                assert (reg, versions["RegistrationVersions"]) == expected.describe(
                    rid, reg["RegistrationArn"]
                ), (event, aws_review)
                tags = branch.list_tags_for_resource(ResourceArn=reg["RegistrationArn"])
                assert tags["Tags"] == expected.tag_list(), event
                current = invariants.field_values(branch, rid, reg["CurrentVersionNumber"])
                assert current == expected.values[-1], event
                key = _observable(expected)
                if key not in checked:
                    checked.add(key)
                    following.append((_snapshot(branch, rid), expected, branch_clock.now()))
        frontier = following
    assert len(checked) > 50 and steps > 1000


# -- the 10DLC chain: a brand, a campaign and its numbers, checked by the harness --------

CHAIN_MOVES = [(e, False) for e in (*USER_EVENTS, *REVIEWER_EVENTS)
               if e not in FORM_CALLS and e not in TAG_CALLS] + [("submit", True)]  # fmt: skip
MAX_NUMBERS = 2


class Chain(LifecycleStateMachine):
    """The harness, driven step by step rather than by hypothesis, and branched."""

    def branch(self) -> Chain:
        """An independent copy: its store, clock and reference models."""
        twin = copy.copy(self)
        backend = self.service.backend
        assert isinstance(backend, InMemoryBackend)
        twin.clock = ManualClock(self.clock.now())
        twin.service = RegistrationService(
            backend.copy(), clock=twin.clock, account_id=self.service.account_id
        )
        twin.service.subscribe(twin._follow, transactional=True)
        models = {rid: model.copy() for rid, model in self.reference.items()}
        for model in models.values():
            if model.linked is not None:
                linked = next(k for k, v in self.reference.items() if v is model.linked)
                model.linked = models[linked]
        twin.reference = models
        twin.numbers = {n: dict(model) for n, model in self.numbers.items()}
        twin.terminal, twin.sealed = dict(self.terminal), dict(self.sealed)
        twin.deleted = set(self.deleted)
        return twin

    def moves(self, brand: str, campaign: str) -> list[tuple[str, Any]]:
        """Every move from here: each event on either registration, legal or not, and
        the chain's: associate the brand (or the campaign with itself), request a
        number (for the campaign or not), associate and release each number."""
        found: list[tuple[str, Any]] = [
            ("attempt", (rid, event, aws_review))
            for rid in (brand, campaign) for event, aws_review in CHAIN_MOVES
        ]  # fmt: skip
        found += [("associate_registration", (campaign, brand)),
                  ("associate_registration", (campaign, campaign))]  # fmt: skip
        if len(self.numbers) < MAX_NUMBERS:
            found += [("request", campaign), ("request", None)]
        for number in self.numbers:
            found += [("associate_number", (campaign, number)), ("release_number", (number,))]
        return found

    def make(self, move: tuple[str, Any]) -> None:
        """Make ``move``, checked against the reference; then every invariant."""
        name, arguments = move
        self.clock.advance(timedelta(hours=5))
        if name == "attempt":
            rid, event, aws_review = arguments
            self.attempt(rid, event, aws_review=aws_review)
        elif name == "request":
            self._request("US", "TEN_DLC", False, [], arguments)
        else:
            getattr(self, name)(*arguments)
        self.matches_reference_and_invariants()

    def observable(self) -> tuple[Any, ...]:
        """What a branch is pruned by: each registration's statuses and associations,
        each number's status and registration."""
        return (
            tuple((m.status, tuple(m.versions), m.identities, m.linked is not None)
                  for m in self.reference.values()),
            tuple((n["Status"], n["Registration"]) for n in self.numbers.values()),
        )  # fmt: skip


def _chain_seeds() -> tuple[str, str, list[Chain]]:
    """Where the chain is explored from: a campaign and a brand just created (the
    campaign first, so that it is not yet associated); the brand COMPLETE and the
    campaign associated with it; the campaign COMPLETE with a number."""
    start = Chain()
    campaign = start._create(CAMPAIGN)
    brand = start._create(BRAND)
    linked = start.branch()
    for event in ("submit", "begin_review", "approve", "complete_provisioning"):
        linked.make(("attempt", (brand, event, False)))
    linked.make(("associate_registration", (campaign, brand)))
    numbered = linked.branch()
    for event in ("submit", "begin_review", "approve", "complete_provisioning"):
        numbered.make(("attempt", (campaign, event, False)))
    numbered.make(("request", campaign))
    assert [n["Status"] for n in numbered.numbers.values()] == ["ACTIVE"]
    return brand, campaign, [start, linked, numbered]


def test_every_sequence_of_the_ten_dlc_chain() -> None:
    brand, campaign, seeds = _chain_seeds()
    checked = {seed.observable() for seed in seeds}
    steps = 0
    for seed in seeds:
        frontier = [seed]
        for _ in range(CHAIN_DEPTH):
            following = []
            for state in frontier:
                for move in state.moves(brand, campaign):
                    steps += 1
                    branch = state.branch()
                    branch.make(move)
                    key = branch.observable()
                    if key not in checked:
                        checked.add(key)
                        following.append(branch)
            frontier = following
    # Both registrations went everywhere: CLOSED is a toll-free registration's alone.
    statuses = {key[0][i][0] for key in checked for i in (0, 1)}
    assert statuses >= {"CREATED", "SUBMITTED", "REVIEWING", "COMPLETE", "DELETED"}, statuses
    assert {number[0] for key in checked for number in key[1]} == {"ACTIVE", "DELETED"}
    assert steps > 1000, steps
