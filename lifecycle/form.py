"""The rules of a registration form's values: pure functions over the catalogue's
field definitions.

:func:`validate_value` checks one value against its field (the kind of value, then
``TextValidation`` or ``SelectValidation``); :func:`resolve` says whether a field is
REQUIRED, OPTIONAL or DISALLOWED given the form's other values; :func:`check_complete`
refuses a form with a missing required value or a disallowed one, listing every
offending field path at once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, cast

import attrs

from lifecycle.catalogue.definitions import (
    ATTACHMENT,
    CONDITIONAL,
    DISALLOWED,
    OPTIONAL,
    REQUIRED,
    SELECT,
    TEXT,
    ConditionalValidation,
    FieldCondition,
    RegistrationFieldDefinition,
)
from lifecycle.errors import ValidationException

PARAMETER_OF_TYPE: Mapping[str, str] = {
    TEXT: "TextValue",
    SELECT: "SelectChoices",
    ATTACHMENT: "RegistrationAttachmentId",
}
"""The one request parameter that carries a value of each ``FieldType``."""


FLAG_MEMBERS = ("DeniedReason", "Feedback")
"""The members a reviewer's flag adds to a value that DescribeRegistrationFieldValues
shows."""


@attrs.frozen
class FieldValue:
    """The value of one field: exactly one of its three value members is set. A value
    of a denied version may also carry the reviewer's flag: a ``denied_reason`` and
    ``feedback``, both or neither."""

    text: str | None = None
    choices: tuple[str, ...] | None = None
    attachment_id: str | None = None
    denied_reason: str | None = None
    feedback: str | None = None

    def __attrs_post_init__(self) -> None:
        if [self.text, self.choices, self.attachment_id].count(None) != 2:
            raise ValueError("a FieldValue holds exactly one of text, choices, attachment_id")
        if (self.denied_reason is None) != (self.feedback is None):
            raise ValueError("a FieldValue's flag needs both a denied_reason and feedback")

    def to_dict(self, *, flag: bool = False) -> dict[str, Any]:
        """The value as the API carries it: ``{"TextValue": ...}``, ``{"SelectChoices":
        [...]}`` or ``{"RegistrationAttachmentId": ...}``; with ``flag``, also its
        ``DeniedReason`` and ``Feedback`` when flagged, as DescribeRegistrationFieldValues
        shows it."""
        if self.text is not None:
            out: dict[str, Any] = {"TextValue": self.text}
        elif self.choices is not None:
            out = {"SelectChoices": list(self.choices)}
        else:
            out = {"RegistrationAttachmentId": self.attachment_id}
        if flag and self.denied_reason is not None:
            out.update(DeniedReason=self.denied_reason, Feedback=self.feedback)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FieldValue:
        """The value of :meth:`to_dict`'s dictionary, flag included (other keys are
        ignored)."""
        choices = data.get("SelectChoices")
        return cls(
            data.get("TextValue"),
            None if choices is None else tuple(choices),
            data.get("RegistrationAttachmentId"),
            data.get("DeniedReason"),
            data.get("Feedback"),
        )

    def unflagged(self) -> FieldValue:
        """This value without the reviewer's flag (itself, if it has none)."""
        if self.denied_reason is None:
            return self
        return attrs.evolve(self, denied_reason=None, feedback=None)

    def items(self) -> tuple[str, ...]:
        """What conditions compare: the text, the choices, or the attachment id."""
        if self.choices is not None:
            return self.choices
        return (self.text if self.text is not None else cast(str, self.attachment_id),)


@attrs.frozen
class FormChange:
    """What one commit writes to the field values of one version of its registration."""

    version_number: int
    copy_from: int | None = None
    """Copy every value of this version first (a new version starts as its predecessor)."""
    put: Mapping[str, FieldValue] = attrs.field(factory=dict)
    """Values to set, by field path."""
    delete: frozenset[str] = frozenset()
    """Field paths whose values to remove (absent ones are ignored)."""
    flags: Mapping[str, tuple[str, str]] = attrs.field(factory=dict)
    """The reviewer's flags to set, last, by field path: ``(DeniedReason, Feedback)``
    (a path without a value is ignored). A copied value never keeps its source's flag."""


def validate_value(
    field: RegistrationFieldDefinition,
    params: Mapping[str, Any],
    values: Mapping[str, FieldValue] | None = None,
) -> FieldValue:
    """The value ``params`` gives ``field``, checked.

    Args:
        field: the field's definition.
        params: a ``PutRegistrationFieldValue`` request, already checked against its
            shape: the value is its ``TextValue``, ``SelectChoices`` or
            ``RegistrationAttachmentId``.
        values: the form's other values by field path; when a conditional rule of
            ``field`` matches them, that rule's ``ConditionalValidation`` replaces the
            field's own limits.

    Raises:
        ValidationException: naming the field path, with Reason
            ``MISSING_PARAMETER`` (no value), ``PARAMETERS_CANNOT_BE_USED_TOGETHER``
            (more than one), ``INVALID_PARAMETER`` (the kind does not match the
            ``FieldType``) or ``FIELD_VALIDATION_FAILED`` (a limit is broken).
    """
    path, wanted = field.field_path, PARAMETER_OF_TYPE[field.field_type]
    given = [p for p in PARAMETER_OF_TYPE.values() if params.get(p) is not None]
    if not given:
        raise _error(path, f"a {field.field_type} field takes {wanted}", "MISSING_PARAMETER")
    if len(given) > 1:
        raise _error(path, f"give one of {', '.join(given)}", "PARAMETERS_CANNOT_BE_USED_TOGETHER")
    if given != [wanted]:
        raise _error(path, f"a {field.field_type} field takes {wanted}, not {given[0]}",
                     "INVALID_PARAMETER")  # fmt: skip
    limits = resolve(field, values or {})[1] or ConditionalValidation()
    if field.field_type == TEXT:
        _check_text(field, params["TextValue"], limits)
        return FieldValue(text=params["TextValue"])
    if field.field_type == SELECT:
        choices = tuple(params["SelectChoices"])
        _check_choices(field, choices, limits)
        return FieldValue(choices=choices)
    return FieldValue(attachment_id=params["RegistrationAttachmentId"])


def _check_text(
    field: RegistrationFieldDefinition, text: str, limits: ConditionalValidation
) -> None:
    rules = field.text_validation
    low, high, pattern = limits.min_length, limits.max_length, limits.pattern
    if rules is not None:
        low = rules.min_length if low is None else low
        high = rules.max_length if high is None else high
        pattern = pattern or rules.pattern
    if low is not None and len(text) < low:
        raise _error(field.field_path, f"must be at least {low} characters, got {len(text)}")
    if high is not None and len(text) > high:
        raise _error(field.field_path, f"must be at most {high} characters, got {len(text)}")
    if pattern and re.fullmatch(pattern, text) is None:
        raise _error(field.field_path, f"must match the pattern {pattern}")


def _check_choices(
    field: RegistrationFieldDefinition, choices: tuple[str, ...], limits: ConditionalValidation
) -> None:
    rules = field.select_validation
    options = limits.allowed_values
    if options is None and rules is not None:
        options = rules.options
    if rules is not None and not rules.min_choices <= len(choices) <= rules.max_choices:
        limit = f"{rules.min_choices} to {rules.max_choices}"
        raise _error(field.field_path, f"must have {limit} choices, got {len(choices)}")
    if len(set(choices)) != len(choices):
        raise _error(field.field_path, "must not repeat a choice")
    for choice in choices:
        if options is not None and choice not in options:
            shown = ", ".join(options)
            raise _error(field.field_path, f"{choice!r} is not one of the options: {shown}")


def resolve(
    field: RegistrationFieldDefinition, values: Mapping[str, FieldValue]
) -> tuple[str, ConditionalValidation | None]:
    """What ``field`` requires given the form's ``values`` (by field path): REQUIRED,
    OPTIONAL or DISALLOWED, and the ``ConditionalValidation`` of the rule that decided,
    if any.

    A CONDITIONAL field takes the behaviour of its first rule whose conditions all
    hold, else its ``DefaultBehavior``; one without ``ConditionalBehavior`` (answers
    saved before the model had it) is OPTIONAL.
    """
    if field.field_requirement != CONDITIONAL:
        return field.field_requirement, None
    behavior = field.conditional_behavior
    if behavior is None:
        return OPTIONAL, None
    # Plain loops rather than all()/any() over generators: submit checks every field.
    for rule in behavior.rules:
        for condition in rule.conditions:
            if not holds(condition, values):
                break
        else:
            return rule.rule_behavior, rule.conditional_validation
    return behavior.default_behavior, None


def holds(condition: FieldCondition, values: Mapping[str, FieldValue]) -> bool:
    """Whether ``condition`` holds for the form's ``values`` (by field path).

    EQUALS and IN hold when the field has a value and one of its items (its text, a
    choice, its attachment id) is one of the condition's ``Values``; NOT_EQUALS and
    NOT_IN are their negations (so they hold for a field with no value); HAS_VALUE and
    NO_VALUE test presence. Any other operator is false, as the model says.
    """
    value = values.get(condition.depends_on_field_path)
    operator = condition.operator
    if operator in ("HAS_VALUE", "NO_VALUE"):
        return (value is not None) == (operator == "HAS_VALUE")
    if operator not in ("EQUALS", "IN", "NOT_EQUALS", "NOT_IN"):
        return False
    found = False
    if value is not None:
        wanted = condition.values or ()
        for item in value.items():
            if item in wanted:
                found = True
                break
    return found == (operator in ("EQUALS", "IN"))


def check_complete(
    fields: Sequence[RegistrationFieldDefinition], values: Mapping[str, FieldValue]
) -> None:
    """Refuse a form that misses a value it requires or holds one it disallows.

    Args:
        fields: the type's field definitions, in form order.
        values: the version's values by field path.

    Raises:
        ValidationException: Reason ``FIELD_VALIDATION_FAILED``, with one entry in
            ``fields`` per offending field path, in form order.
    """
    _Completeness.of(fields).check(values)


@attrs.frozen
class _Completeness:
    """A form's completeness rule, sorted once (submit's hot path): the paths always
    REQUIRED, the fields whose requirement depends on other values, and the paths
    those depend on. What the dependent fields require is remembered per combination
    of the depended-on values, so a submit usually costs two set comparisons."""

    required: frozenset[str]
    ruled: tuple[RegistrationFieldDefinition, ...]
    order: Mapping[str, int]
    depends_on: tuple[str, ...]
    outcomes: dict[tuple[tuple[str, ...] | None, ...], tuple[frozenset[str], frozenset[str]]]
    """(paths required, paths disallowed) by the items of the depended-on values."""

    @classmethod
    def of(cls, fields: Sequence[RegistrationFieldDefinition]) -> _Completeness:
        # Keyed by the tuple's identity (a catalogue hands out the same one each time).
        cached = _COMPLETENESS.get(id(fields))
        if cached is not None and cached[0] is fields:
            return cached[1]
        ruled = tuple(f for f in fields if f.field_requirement not in (REQUIRED, OPTIONAL))
        depends_on = {
            condition.depends_on_field_path: None
            for field in ruled
            if field.conditional_behavior is not None
            for rule in field.conditional_behavior.rules
            for condition in rule.conditions
        }
        rules = cls(
            frozenset(f.field_path for f in fields if f.field_requirement == REQUIRED),
            ruled,
            {f.field_path: i for i, f in enumerate(fields)},
            tuple(depends_on),
            {},
        )
        if len(_COMPLETENESS) >= 256:
            _COMPLETENESS.clear()
        _COMPLETENESS[id(fields)] = (fields, rules)
        return rules

    def check(self, values: Mapping[str, FieldValue]) -> None:
        items = []  # a plain loop: a generator costs more than the lookups
        for path in self.depends_on:
            value = values.get(path)
            items.append(None if value is None else value.items())
        key = tuple(items)
        outcome = self.outcomes.get(key)
        if outcome is None:
            outcome = self._outcome(values)
            if len(self.outcomes) >= 1024:  # free-text conditions: keep it bounded
                self.outcomes.clear()
            self.outcomes[key] = outcome
        required, disallowed = outcome
        present = values.keys()
        if present >= required and present.isdisjoint(disallowed):
            return
        problems = [(p, "is required") for p in self.required if p not in values]
        problems += [
            (p, "is required by its ConditionalBehavior")
            for p in required - self.required
            if p not in values
        ]
        problems += [(p, "is disallowed by its ConditionalBehavior") for p in disallowed & present]
        problems.sort(key=lambda problem: self.order[problem[0]])
        names = ", ".join(path for path, _ in problems)
        raise ValidationException(
            f"The registration form is incomplete: {names}",
            reason="FIELD_VALIDATION_FAILED",
            fields=[{"Name": path, "Message": message} for path, message in problems],
        )

    def _outcome(self, values: Mapping[str, FieldValue]) -> tuple[frozenset[str], frozenset[str]]:
        behaviors = [(field.field_path, resolve(field, values)[0]) for field in self.ruled]
        required = self.required | {path for path, b in behaviors if b == REQUIRED}
        return required, frozenset(path for path, b in behaviors if b == DISALLOWED)


_COMPLETENESS: dict[int, tuple[Sequence[RegistrationFieldDefinition], _Completeness]] = {}


def _error(path: str, rule: str, reason: str = "FIELD_VALIDATION_FAILED") -> ValidationException:
    return ValidationException.for_field(path, rule, reason=reason)
