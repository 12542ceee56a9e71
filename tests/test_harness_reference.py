"""The reference model reads its moves from the machines: a change to the machine
definitions reaches it with no edit, and a condition it cannot compute is an error."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lifecycle import ValidationException
from lifecycle.catalogue import BUILT_IN_REGISTRATION_TYPES
from lifecycle.catalogue.definitions import RegistrationFieldDefinition
from lifecycle.form import FieldValue, check_complete
from lifecycle.machines import CONDITIONS, EVENTS
from lifecycle.statuses import Actor, VersionStatus
from lifecycle.testing.reference import (
    EDITABLE,
    FORM_EDITS,
    HISTORY_KEY,
    REVIEWER_EVENTS,
    USER_EVENTS,
    ReferenceRegistration,
    UnknownConditionError,
    Values,
    _dispatch,
    condition,
    form_problems,
    plan,
)
from tests.conftest import OWN_FORMS, VETTING

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

# What a change of the machines to AWS's user guide adds, written as machines.py
# would write it; run before the reference is first imported.
USER_GUIDE = """
import lifecycle.machines as m
from lifecycle.statuses import Actor

user = {"actor": Actor.USER, "operations": ["DiscardRegistrationVersion"]}
m.VERSION_MACHINE.add_transition("discard", ["AWS_REVIEWING", "REQUIRES_AUTHENTICATION"],
                                 "DISCARDED", stamps=["discarded"], **user)
for source in ("AWS_REVIEWING", "REQUIRES_AUTHENTICATION"):
    m.REGISTRATION_MACHINE.add_transition("discard", source, "COMPLETE",
                                          conditions="has_approved_version", **user)
    m.REGISTRATION_MACHINE.add_transition("discard", source, "REQUIRES_UPDATES",
                                          conditions="has_denied_or_revoked_version", **user)
    m.REGISTRATION_MACHINE.add_transition("discard", source, "CREATED", **user)
m.REGISTRATION_MACHINE.add_transition("delete", "COMPLETE", "DELETED", actor=Actor.USER,
                                      operations=["DeleteRegistration"])
"""

FOLLOWS = """
from datetime import UTC, datetime, timedelta
from typing import Any
from lifecycle.testing.reference import ReferenceRegistration

t = datetime(2026, 1, 5, tzinfo=UTC)
ref = ReferenceRegistration(t, "T")
assert ref.apply("submit", t, aws_review=True)
assert ref.apply("discard", t + timedelta(hours=1))
assert (ref.status, ref.versions) == ("CREATED", ["DISCARDED"]), (ref.status, ref.versions)
assert ref.history[0]["DiscardedTimestamp"] == t + timedelta(hours=1)
for event in ("create_version", "submit", "begin_review", "approve", "complete_provisioning"):
    assert ref.apply(event, t), event
assert ref.apply("create_version", t) and ref.apply("submit", t, aws_review=True)
assert ref.apply("discard", t)
assert (ref.status, ref.versions) == ("COMPLETE", ["DISCARDED", "APPROVED", "DISCARDED"])
assert ref.apply("delete", t) and ref.status == "DELETED"
print("followed")
"""

UNKNOWN_CONDITION = """
import lifecycle.machines as m
from lifecycle.statuses import Actor

m.REGISTRATION_MACHINE.add_transition("close", "COMPLETE", "CLOSED", conditions="has_tags",
                                      actor=Actor.REVIEWER)
m.CONDITIONS = (*m.CONDITIONS, "has_tags")
from datetime import UTC, datetime
from lifecycle.testing.reference import ReferenceRegistration, UnknownConditionError

try:
    ReferenceRegistration(datetime(2026, 1, 5, tzinfo=UTC), "T")
except UnknownConditionError as exc:
    print(exc)
"""


def _python(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_change_of_the_machines_reaches_the_reference_with_no_edit() -> None:
    assert _python(USER_GUIDE + FOLLOWS).strip() == "followed"


def test_a_condition_the_reference_cannot_compute_is_an_error() -> None:
    message = _python(UNKNOWN_CONDITION)
    assert "'has_tags'" in message and "cannot compute" in message
    with pytest.raises(UnknownConditionError, match="has_tags"):
        condition("has_tags", ["DRAFT"])


def test_every_condition_of_the_machines_is_computed_from_the_versions() -> None:
    for name in CONDITIONS:
        assert condition(name, ["DENIED", "APPROVED", "DRAFT"], aws_review=True) in (True, False)
    assert condition("no_open_version", ["DENIED", "APPROVED"])
    assert not condition("no_open_version", ["APPROVED", "REQUIRES_OFFLINE_REVIEW"])
    assert condition("has_denied_or_revoked_version", ["REVOKED"])
    assert not condition("has_approved_version", ["ARCHIVED", "DRAFT"])


def test_event_groups_and_history_keys_come_from_the_machines() -> None:
    users = {n for n, e in EVENTS.items() if e.actor is Actor.USER}
    # associations are driven by the harness's own rules, with the resource to associate
    assert set(USER_EVENTS) == users - {"create", "associate"}
    reviewers = {n for n, e in EVENTS.items() if e.actor is Actor.REVIEWER}
    assert set(REVIEWER_EVENTS) == reviewers | {"close"}  # AWS closes when asked to
    assert "REQUIRES_OFFLINE_REVIEW" not in HISTORY_KEY  # no transition stamps it
    assert HISTORY_KEY["AWS_REVIEWING"] == "AwsReviewingTimestamp"


def test_approve_archives_the_approved_version_in_the_same_step() -> None:
    ref = ReferenceRegistration(T0, "T")
    for event in ("submit", "begin_review", "approve", "complete_provisioning",
                  "create_version", "submit", "begin_review"):  # fmt: skip
        assert ref.apply(event, T0 + timedelta(hours=1)), event
    moves = plan(ref.status, tuple(ref.versions), "approve")
    assert moves is not None
    assert [(m.machine, m.event, m.source, m.dest, m.position) for m in moves] == [
        ("registration", "approve", "REVIEWING", "COMPLETE", None),
        ("version", "approve", "REVIEWING", "APPROVED", 1),
        ("version", "archive", "APPROVED", "ARCHIVED", 0),
    ]
    # the clock went back: each version's history stays in order
    assert ref.apply("approve", T0)
    assert ref.versions == ["ARCHIVED", "APPROVED"]
    assert ref.history[0]["ArchivedTimestamp"] == T0 + timedelta(hours=1)
    assert ref.describe("r", "arn")[0]["ApprovedVersionNumber"] == 2


def test_the_machines_keep_the_reference_s_rule_of_form_edits() -> None:
    """The reference states the rule of the form edits itself; the machines agree: an
    edit is an internal transition of a DRAFT version, for any conditions, and the
    registration machine takes no part."""
    flags = [frozenset(c for n, c in enumerate(CONDITIONS) if bits >> n & 1)
             for bits in range(1 << len(CONDITIONS))]  # fmt: skip
    for event in sorted(FORM_EDITS):
        assert _dispatch("registration", event, "CREATED", frozenset()) is None
        for status in VersionStatus:
            for held in flags:
                want = "(unchanged)" if status == EDITABLE else "(refused)"
                assert _dispatch("version", event, str(status), held) == want, (event, status)


def test_a_form_edit_moves_only_the_current_draft_and_no_status() -> None:
    ref = ReferenceRegistration(T0, "T")
    for event in sorted(FORM_EDITS):
        assert plan(ref.status, tuple(ref.versions), event) == (
            ("version", event, "DRAFT", "DRAFT", 0),
        )
        assert ref.apply(event, T0 + timedelta(hours=1))
        assert (ref.status, ref.versions, list(ref.history[0])) == (
            "CREATED", ["DRAFT"], ["DraftTimestamp"],
        )  # fmt: skip
    assert ref.apply("submit", T0)
    assert not any(ref.allows(event) for event in FORM_EDITS)
    assert ref.refusal_reason("put_field_value") == "EDIT_REGISTRATION_FIELD_VALUES_NOT_ALLOWED"


@st.composite
def _forms(draw: st.DrawFn) -> tuple[tuple[RegistrationFieldDefinition, ...], Values]:
    """The fields of a built-in form or of :data:`OWN_FORMS`' vetting form, and values
    for some of them (choices among the options, so that the conditions vary)."""
    fields = OWN_FORMS.fields(draw(st.sampled_from(BUILT_IN_REGISTRATION_TYPES)))
    values: Values = {}
    for field in fields:
        if not draw(st.booleans()):
            continue
        if field.select_validation is not None:
            options = st.sampled_from(field.select_validation.options)
            choices = draw(st.lists(options, min_size=1, max_size=2, unique=True))
            values[field.field_path] = {"SelectChoices": choices}
        elif field.field_type == "ATTACHMENT":
            values[field.field_path] = {"RegistrationAttachmentId": "attachment-1"}
        else:
            values[field.field_path] = {"TextValue": "x"}
    return fields, values


@given(_forms())
def test_the_reference_s_completeness_rule_agrees_with_the_service_s(
    form: tuple[tuple[RegistrationFieldDefinition, ...], Values],
) -> None:
    """Written again from the definitions, it names the paths lifecycle.form names."""
    fields, values = form
    try:
        check_complete(fields, {path: FieldValue.from_dict(v) for path, v in values.items()})
    except ValidationException as refused:
        named = [field["Name"] for field in refused.fields]
    else:
        named = []
    assert form_problems(fields, values) == named


def test_the_reference_keeps_each_version_s_values_and_submits_a_complete_form_only() -> None:
    ref = ReferenceRegistration(T0, VETTING, OWN_FORMS.fields(VETTING))
    assert ref.values == [{}]
    assert ref.problems() == ["s.kind", "s.note"]
    assert not ref.allows("submit") and not ref.apply("submit", T0)

    def edit(event: str, path: str, **value: Any) -> None:
        assert ref.apply(event, T0, request={"FieldPath": path, **value}), (event, path)

    edit("put_field_value", "s.kind", SelectChoices=["A"])
    edit("put_field_value", "s.note", TextValue="n")
    assert ref.problems() == ["s.code", "s.proof"]
    assert ref.limits_vary("s.code") and not ref.limits_vary("s.note")
    edit("put_field_value", "s.kind", SelectChoices=["B"])
    assert ref.problems() == ["s.note", "s.proof"]  # the note is disallowed now
    edit("delete_field_value", "s.note")
    edit("delete_field_value", "s.note")  # absent: nothing changes
    assert ref.problems() == [] and ref.values == [{"s.kind": {"SelectChoices": ["B"]}}]
    for event in ("submit", "begin_review", "deny"):
        assert ref.apply(event, T0), event
    assert not ref.apply("delete_field_value", T0, request={"FieldPath": "s.kind"})
    assert ref.apply("create_version", T0)
    assert ref.values == [{"s.kind": {"SelectChoices": ["B"]}}] * 2
    edit("delete_field_value", "s.kind")
    assert ref.values == [{"s.kind": {"SelectChoices": ["B"]}}, {}]
    assert ref.problems() == ["s.kind", "s.note"]
    # an edit by code outside the harness: the values are unknown until read back
    assert ref.apply("put_field_value", T0)
    assert ref.values[1] is None and ref.problems() == [] and ref.allows("submit")
    assert ref.copy().values == ref.values
