"""Workflows with planted bugs, run as a user runs them: a test file using the
``lifecycle_harness`` fixture of the installed pytest plugin, under ``python -m
pytest`` in a subprocess. Each bug must come out as a plain failure (the workflow's
own exception or assertion, never hypothesis's Flaky errors) with a short, readable
failing example, the same one on every run with the same seed; the corrected
workflow must pass.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

PREAMBLE = """\
from hypothesis.stateful import invariant, precondition, rule
from lifecycle import ConflictException
from lifecycle.outbox import Outbox
from lifecycle.testing import LifecycleStateMachine, harness_settings
from lifecycle.testing.forms import fill_form

BRAND = "US_TEN_DLC_BRAND_REGISTRATION"


def status(service, rid):
    return service.describe_registrations(RegistrationIds=[rid])["Registrations"][0][
        "RegistrationStatus"]


def resubmit(service, rid):  # the harness may have emptied a field: fill the form again
    fill_form(service, rid)
    service.submit_registration_version(RegistrationId=rid)


class Brands(LifecycleStateMachine):  # registers brands; on_review_result comes below
    registration_kinds = (BRAND,)  # the harness makes brands too, and only brands
    @precondition(lambda self: len(self.reference) < 3)
    @rule(target=LifecycleStateMachine.registrations)
    def start(self):
        rid = self.service.create_registration(RegistrationType=BRAND)["RegistrationId"]
        fill_form(self.service, rid)
        self.service.submit_registration_version(RegistrationId=rid)
        return rid

    @rule(rid=LifecycleStateMachine.registrations)
    def review_result_arrives(self, rid):
        on_review_result(self.service, rid)


class Texts(LifecycleStateMachine):  # welcome texts from the outbox; WelcomeTexts below
    def __init__(self):
        super().__init__()
        self.texts = WelcomeTexts()
        self.outbox = Outbox(self.service.backend, "welcome-texts")

    @rule()
    def deliver(self):
        self.outbox.drain(self.texts.handle)

    @rule()
    def crash_after_sending(self):  # the worker dies before it moves its cursor
        for logged in self.outbox.pending():
            self.texts.handle(logged.event)

    @invariant()
    def one_text_per_approval(self):
        assert len(self.texts.sent) == len(set(self.texts.sent)), self.texts.sent
"""

WRONG_CALL = """
def on_review_result(service, rid):
    if status(service, rid) == "REQUIRES_UPDATES":
        service.create_registration_version(RegistrationId=rid)  # a draft may be open
        resubmit(service, rid)


class Workflow(Brands):
    pass
"""

MISSED_OUTCOME = """
WAITING = {"CREATED", "SUBMITTED", "AWS_REVIEWING", "REVIEWING", "PROVISIONING"}
DONE = {"COMPLETE", "CLOSED", "DELETED"}  # forgot REQUIRES_AUTHENTICATION


def on_review_result(service, rid):
    current = status(service, rid)
    if current == "REQUIRES_UPDATES":
        try:
            service.create_registration_version(RegistrationId=rid)
        except ConflictException:
            pass
        resubmit(service, rid)
    else:
        assert current in WAITING | DONE, f"unexpected status {current}"


class Workflow(Brands):
    pass
"""

DOUBLE_SEND = """
class WelcomeTexts:
    def __init__(self):
        self.sent = []

    def handle(self, event):  # one welcome SMS per approved version, it says
        if event.event == "approve":
            self.sent.append((event.registration_id, event.version_number))


class Workflow(Texts):
    pass
"""

SKIPPED_FORM_CHECK = """
import lifecycle.operations.versions

# A service whose submit no longer checks that the form is complete.
lifecycle.operations.versions.check_complete = lambda fields, values: None


class Workflow(LifecycleStateMachine):  # the harness alone, no workflow rules
    pass
"""

CORRECT = """
def on_review_result(service, rid):
    if status(service, rid) == "REQUIRES_UPDATES":
        try:
            service.create_registration_version(RegistrationId=rid)
        except ConflictException:
            pass  # a draft is already open
        resubmit(service, rid)


class WelcomeTexts:
    def __init__(self):
        self.sent = []

    def handle(self, event):
        key = (event.registration_id, event.version_number)
        if event.event == "approve" and key not in self.sent:
            self.sent.append(key)


class Workflow(Brands, Texts):
    pass
"""

TEST = """

def test_workflow(lifecycle_harness):
    lifecycle_harness(machine=Workflow, settings={settings})
"""
# Hypothesis stops at the first failure: a budget this large finds each planted bug
# whatever the seed, at no cost once it is found.
HUNT = "harness_settings(max_examples=1000)"

HEADER = re.compile(r"^E?\s*(Falsifying example|Failing test case):?.*$", re.M)


def _start(
    directory: Path, workflow: str, seed: int, settings: str = HUNT
) -> subprocess.Popen[str]:
    directory.mkdir(exist_ok=True)
    (directory / "test_workflow.py").write_text(
        PREAMBLE + workflow + TEST.format(settings=settings)
    )
    return subprocess.Popen(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         f"--hypothesis-seed={seed}", "test_workflow.py"],
        cwd=directory, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def _finish(process: subprocess.Popen[str]) -> tuple[int, str]:
    out, _ = process.communicate(timeout=120)
    return process.returncode, out


def _failing_example(output: str) -> list[str]:
    """The steps of the reported failing example: rule calls and the harness's
    comments, without the invariant checks hypothesis prints between them."""
    header = HEADER.search(output)
    assert header, output
    steps = []
    for line in output[header.end() :].splitlines():
        line = re.sub(r"^E?\s+", "", line)
        if not line:
            continue
        if line == "state.teardown()":
            return steps
        if not re.match(r"state\.(matches_reference_and_invariants|one_text_per_approval)\(\)$",
                        line):  # fmt: skip
            steps.append(line)
    raise AssertionError(f"no end of the failing example in:\n{output}")


def _assert_plain_failure(code: int, output: str, error: str, step: str) -> list[str]:
    assert code == 1, output
    assert "1 failed" in output, output
    assert "Flaky" not in output, output
    assert error in output, output
    example = _failing_example(output)
    calls = [line for line in example if "state" in line and not line.startswith("#")]
    assert calls[0] == "state = Workflow()", example
    assert any(step in line for line in calls), example
    assert 3 <= len(calls) <= 10, example  # shrunk: a few steps, not a whole run
    return example


@pytest.mark.parametrize(
    ("workflow", "seed", "error", "step"),
    [
        pytest.param(MISSED_OUTCOME, 0, "AssertionError: unexpected status REQUIRES_AUTHENTICATION",
                     "state.review_result_arrives(", id="missed-reviewer-outcome"),
        pytest.param(DOUBLE_SEND, 0, "AssertionError: [('registration-",
                     "state.crash_after_sending()", id="double-send-on-redelivery"),
        pytest.param(SKIPPED_FORM_CHECK, 0, "which an incomplete form forbids",
                     "state.edit_form(", id="submit-without-the-form-check"),
    ],
)  # fmt: skip
def test_planted_bug_is_a_plain_shrunk_failure(
    tmp_path: Path, workflow: str, seed: int, error: str, step: str
) -> None:
    code, output = _finish(_start(tmp_path, workflow, seed))
    _assert_plain_failure(code, output, error, step)


def test_wrong_call_fails_the_same_way_on_every_run_with_a_seed(tmp_path: Path) -> None:
    """Two runs in separate directories (no shared example database), one seed."""
    runs = [_start(tmp_path / name, WRONG_CALL, 0) for name in ("first", "second")]
    (code, output), (code_again, output_again) = map(_finish, runs)
    error = "ConflictException: CreateRegistrationVersion is not allowed for registration"
    example = _assert_plain_failure(code, output, error, "state.review_result_arrives(")
    assert _assert_plain_failure(code_again, output_again, error, "review_result") == example
    # the legal moves that led there, if it took any, are named in comments (the
    # shortest example found may take none: the deny and call rules reach it too)
    comments = [line for line in example if line.startswith("#")]
    steered = [line for line in example if re.match(r"state\.((more_)?legal_moves|tour)\(", line)]
    assert all(re.fullmatch(r"# \w+( \(AwsReview\))? from \w+/\w+", c) for c in comments)
    assert not comments or steered, example


def test_correct_workflow_passes_and_the_session_coverage_is_reported(tmp_path: Path) -> None:
    code, output = _finish(_start(tmp_path, CORRECT, 0, settings="None"))
    assert code == 0, output
    assert "1 passed" in output, output
    summary = output.split("lifecycle harness coverage (this session)")[-1]
    assert re.search(r"\d+% of \d+ transitions exercised", summary), output
