"""The shipped harness, run against every backend, and the coverage it reaches."""

from __future__ import annotations

import re
from typing import Any

import attrs
import pytest
from hypothesis import Phase, settings
from hypothesis.stateful import rule

from lifecycle import ConflictException, InMemoryBackend, LifecycleError, phone_numbers
from lifecycle.form import FormChange
from lifecycle.operations import versions
from lifecycle.testing import (
    LifecycleStateMachine,
    TransitionCoverage,
    harness_settings,
    run_harness,
)
from lifecycle.testing.forms import fill_form
from tests.conftest import BRAND, OWN_FORMS, BackendFactory

NAME = "companyInfo.companyName"

EXAMPLES = {"memory": 200, "sqlite": 60, "postgres": 30}


def test_harness_on_every_backend(
    request: pytest.FixtureRequest, make_backend: BackendFactory
) -> None:
    """One store per backend; every example runs in an account of its own on it."""
    backend = make_backend()
    kind = request.node.callspec.params["make_backend"]
    run_harness(
        lambda: backend,
        settings=settings(max_examples=EXAMPLES[kind], stateful_step_count=50, deadline=None),
    )


def test_standard_run_covers_every_transition() -> None:
    # 800 examples (20 s) leave a margin: the rarest transitions need a registration
    # with no approved or denied version (discard back to CREATED), or a toll-free one
    # with its number in REQUIRES_AUTHENTICATION (disassociate there), which 500 can miss.
    coverage = run_harness(
        settings=settings(max_examples=800, stateful_step_count=50, deadline=None, derandomize=True)
    )
    # Every transition, the form edits' included.
    assert coverage.missing() == [], coverage.report()


class OwnForms(LifecycleStateMachine):
    """The harness on a service given a catalogue of the user's."""

    def __init__(self) -> None:
        super().__init__()
        self.service.registration_types = OWN_FORMS


def test_harness_on_a_catalogue_of_its_own() -> None:
    """The reference's form follows the service's catalogue: DISALLOWED rules, every
    condition operator, and a rule's own limits, which may refuse a drawn value."""
    run_harness(machine=OwnForms, settings=settings(max_examples=60, deadline=None,
                                                    derandomize=True))  # fmt: skip


def test_coverage_reports_what_is_missing() -> None:
    coverage = run_harness(
        settings=settings(max_examples=1, stateful_step_count=1, deadline=None, derandomize=True)
    )
    assert coverage.ratio() < 1.0
    assert "missing: registration close: COMPLETE -> CLOSED" in coverage.report()


class BrokenWorkflow(LifecycleStateMachine):
    """A workflow rule that skips the reviewer: the harness must catch it."""

    @rule(rid=LifecycleStateMachine.registrations)
    def sneak_approval(self, rid: str) -> None:
        backend = self.service.backend
        stored = backend.get(self.service.account_id, self.service.region, rid)
        assert stored is not None
        import attrs

        from lifecycle.statuses import RegistrationStatus

        forged = attrs.evolve(
            stored, status=RegistrationStatus.COMPLETE, revision=stored.revision + 1
        )
        backend.commit(forged, expected_revision=stored.revision, events=(), versions=())


def test_harness_catches_a_workflow_that_breaks_the_lifecycle() -> None:
    with pytest.raises(AssertionError):
        run_harness(
            machine=BrokenWorkflow,
            settings=settings(max_examples=50, stateful_step_count=10, deadline=None,
                              derandomize=True, database=None),
        )  # fmt: skip


class ForgetfulStore(InMemoryBackend):
    """A store whose new versions start without their predecessor's values."""

    def commit(self, *args: Any, form: FormChange | None = None, **kwargs: Any) -> Any:
        if form is not None and form.copy_from is not None:
            form = attrs.evolve(form, copy_from=None)
        return super().commit(*args, form=form, **kwargs)


def test_harness_catches_a_store_that_does_not_copy_values() -> None:
    store = ForgetfulStore()
    # Either symptom of the uncopied form: the new version read back empty, or a legal
    # submit of it refused as incomplete (which comes first depends on the steps drawn).
    with pytest.raises(
        AssertionError,
        match=r"version \d of registration-\w+ holds \{\}|submit refused from \w+/DRAFT: "
        r"The registration form is incomplete",
    ):
        run_harness(lambda: store, settings=settings(
            max_examples=50, deadline=None, derandomize=True, database=None,
            phases=[Phase.generate]))  # fmt: skip


class SubmitsAnEmptiedForm(LifecycleStateMachine):
    """Workflow code that empties a required field of a filled-in brand and submits it."""

    @rule()
    def submit_an_emptied_form(self) -> None:
        rid = self.service.create_registration(RegistrationType=BRAND)["RegistrationId"]
        fill_form(self.service, rid)
        self.service.delete_registration_field_value(RegistrationId=rid, FieldPath=NAME)
        self.service.submit_registration_version(RegistrationId=rid)


def test_harness_catches_a_submit_of_an_incomplete_form_by_other_code(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The reference does not know values your code put; read back, they must have been
    complete at the submit."""
    monkeypatch.setattr(versions, "check_complete", lambda fields, values: None)
    with pytest.raises(
        AssertionError, match=re.escape(f"submitted version 1 incomplete: {[NAME]}")
    ):
        run_harness(machine=SubmitsAnEmptiedForm, settings=settings(
            max_examples=20, deadline=None, derandomize=True, database=None,
            phases=[Phase.generate]))  # fmt: skip


class ResubmitsBlindly(LifecycleStateMachine):
    """Opens a new version whenever updates are required, even while a draft is open."""

    registration_kinds = (BRAND,)

    @rule(rid=LifecycleStateMachine.registrations)
    def resubmit(self, rid: str) -> None:
        reg = self.service.describe_registrations(RegistrationIds=[rid])["Registrations"][0]
        if reg["RegistrationStatus"] == "REQUIRES_UPDATES":
            self.service.create_registration_version(RegistrationId=rid)


def _failing_example(coverage: TransitionCoverage) -> str:
    with pytest.raises(ConflictException) as failure:
        run_harness(machine=ResubmitsBlindly, coverage=coverage, settings=settings(
            max_examples=200, stateful_step_count=30, deadline=None, derandomize=True,
            database=None, phases=[Phase.generate]))  # fmt: skip
    return "\n".join(failure.value.__notes__)


def test_what_earlier_runs_exercised_never_steers() -> None:
    """The class coverage adds up every run of a session; the examples must not read it."""
    fresh = _failing_example(TransitionCoverage())
    assert "state.resubmit(rid=registrations_" in fresh
    seasoned = run_harness(
        settings=settings(max_examples=20, stateful_step_count=30, deadline=None, derandomize=True)
    )
    assert seasoned.ratio() > 0.5
    assert _failing_example(seasoned) == fresh


def test_harness_settings_change_one_default_and_keep_the_others() -> None:
    changed = harness_settings(max_examples=7)
    assert (changed.max_examples, changed.stateful_step_count, changed.deadline) == (7, 30, None)
    assert Phase.explain not in changed.phases and Phase.shrink in changed.phases


class OwnNumbers(LifecycleStateMachine):
    """Workflow code that requests, tags and releases phone numbers of its own."""

    @rule()
    def request_a_support_line(self) -> None:
        self.service.request_phone_number(
            IsoCountryCode="US", MessageType="TRANSACTIONAL", NumberCapabilities=["SMS"],
            NumberType="TOLL_FREE", Tags=[{"Key": "Name", "Value": "support"}],
        )  # fmt: skip

    @rule(number=LifecycleStateMachine.phone_numbers)
    def retire(self, number: str) -> None:
        try:
            self.service.untag_resource(ResourceArn=self.numbers[number]["Arn"], TagKeys=["Name"])
            self.service.release_phone_number(PhoneNumberId=number)
        except LifecycleError:
            pass  # protected or released already: the harness checks that it had to be


def test_workflow_code_may_request_tag_and_release_numbers() -> None:
    run_harness(machine=OwnNumbers, settings=settings(
        max_examples=30, deadline=None, derandomize=True, database=None,
        phases=[Phase.generate]))  # fmt: skip


def test_harness_catches_a_toll_free_number_that_does_not_wait(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The harness's phone number rules are its own: a library that makes toll-free
    numbers ACTIVE at once is caught."""
    monkeypatch.setattr(phone_numbers, "AWAITS_REGISTRATION", frozenset())
    with pytest.raises(AssertionError, match=r"phone-\w+ \(TOLL_FREE\) requested ACTIVE"):
        run_harness(settings=settings(
            max_examples=50, deadline=None, derandomize=True, database=None,
            phases=[Phase.generate]))  # fmt: skip
