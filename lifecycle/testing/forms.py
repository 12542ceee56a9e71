"""Filled-in registration forms from any catalogue, for tests, demos and benchmarks.

:func:`example_values` gives one valid value for every TEXT and SELECT field of a
registration type, as ``PutRegistrationFieldValue`` parameters: the field's example
text when it fits, else a value built from its limits. With them a form is complete
unless it requires an ATTACHMENT (those need an uploaded attachment).
"""

from __future__ import annotations

from typing import Any

from lifecycle.catalogue import Catalogue
from lifecycle.catalogue.definitions import (
    ATTACHMENT,
    DISALLOWED,
    SELECT,
    RegistrationFieldDefinition,
)
from lifecycle.errors import ValidationException
from lifecycle.form import FieldValue, resolve, validate_value

_TEXT_FOR_PATTERN = {r"\+[1-9][0-9]{1,14}": "+12065550100", "[A-Z]{2}": "US"}
"""Values of the patterns that free text does not match."""


def example_values(catalogue: Catalogue, registration_type: str) -> list[dict[str, Any]]:
    """``{"FieldPath": ..., "TextValue" | "SelectChoices": ...}`` for every TEXT and
    SELECT field of ``registration_type``, in form order, each valid given the ones
    before it; fields the earlier values make DISALLOWED are left out.

    Raises:
        ValueError: a field's limits admit no value this function can build (a user
            catalogue's pattern it does not know); the message names the field.
    """
    chosen: dict[str, FieldValue] = {}
    out = []
    for field in catalogue.fields(registration_type):
        if field.field_type == ATTACHMENT or resolve(field, chosen)[0] == DISALLOWED:
            continue
        params = {"FieldPath": field.field_path, **_example(field)}
        try:
            chosen[field.field_path] = validate_value(field, params, chosen)
        except ValidationException as exc:
            raise ValueError(f"no example value for {field.field_path}: {exc}") from None
        out.append(params)
    return out


def _example(field: RegistrationFieldDefinition) -> dict[str, Any]:
    if field.field_type == SELECT:
        rules = field.select_validation
        assert rules is not None
        return {"SelectChoices": list(rules.options[: max(1, rules.min_choices)])}
    hints, limits = field.display_hints, field.text_validation
    example = hints.example_text_value if hints is not None else None
    if example is not None:
        return {"TextValue": example}
    pattern = limits.pattern if limits is not None else None
    if pattern in _TEXT_FOR_PATTERN:
        return {"TextValue": _TEXT_FOR_PATTERN[pattern]}
    low = limits.min_length if limits is not None else 1
    high = limits.max_length if limits is not None else 2048
    text = f"Example {field.field_path.rpartition('.')[2]}"
    size = max(low, min(len(text), high))
    return {"TextValue": (text * (1 + size // len(text)))[:size]}
