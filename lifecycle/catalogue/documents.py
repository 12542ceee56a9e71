"""Reading saved describe-definitions answers: from JSON files, directories or dicts.

Each document is checked whole against its model shape and against the rules the
shape cannot say (a field's path lies in its section, its validation matches its type,
its patterns compile, its conditions name fields of the same form). Every error is a
ValidationException naming the source and the key (``RegistrationFieldDefinitions[3].
FieldType``).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from lifecycle.catalogue.definitions import (
    ATTACHMENT,
    CONDITIONAL,
    DOCUMENTS,
    SELECT,
    TEXT,
    Document,
    FieldDefinitions,
    RegistrationFieldDefinition,
    SectionDefinitions,
    TypeDefinitions,
)
from lifecycle.errors import ValidationException

Source = str | os.PathLike[str] | Mapping[str, Any]
"""A catalogue source: a directory of ``*.json`` answers, one such file, or one
answer already parsed."""


def invalid(
    source: str, problems: Sequence[tuple[str, str]], reason: str = "FIELD_VALIDATION_FAILED"
) -> ValidationException:
    """The error of a catalogue ``source`` whose keys break rules: ``(key, rule)`` pairs."""
    shown = "; ".join(f"{key}: {rule}" if key else rule for key, rule in problems)
    return ValidationException(
        f"Invalid registration catalogue {source}: {shown}",
        reason=reason,
        fields=[{"Name": key or source, "Message": f"{source}: {rule}"} for key, rule in problems],
    )


def read_document(source: str, data: object) -> Document:
    """The document of one parsed answer ``data`` read from ``source``.

    Raises:
        ValidationException: ``data`` is not a whole answer of one of the three calls,
            or breaks a rule; the error names ``source`` and the key.
    """
    kinds = [key for key in DOCUMENTS if isinstance(data, Mapping) and key in data]
    if not isinstance(data, Mapping) or len(kinds) != 1:
        raise invalid(
            source,
            [("", "is not a saved answer of describe-registration-type-definitions, "
                  "-section-definitions or -field-definitions: it needs exactly one of the "
                  f"keys {', '.join(DOCUMENTS)}")],
            reason="INVALID_PARAMETER",
        )  # fmt: skip
    if "NextToken" in data:
        rule = "the answer is one page of several: save it whole (the AWS CLI pages by itself)"
        raise invalid(source, [("NextToken", rule)])
    shape = DOCUMENTS[kinds[0]]
    try:
        checked = shape.rule()("", data)
    except ValidationException as exc:
        problems = [(f["Name"].removeprefix("."), f["Message"]) for f in exc.fields]
        raise invalid(source, problems, exc.reason or "FIELD_VALIDATION_FAILED") from None
    document = shape.from_dict(checked)
    problems = list(_problems(document))
    if problems:
        raise invalid(source, problems)
    return document


def _problems(document: Document) -> Iterator[tuple[str, str]]:
    """The keys of ``document`` that break a rule its shape cannot say, and the rule."""
    if isinstance(document, TypeDefinitions):
        names = [d.registration_type for d in document.registration_type_definitions]
        yield from _duplicates("RegistrationTypeDefinitions", "RegistrationType", names)
    elif isinstance(document, SectionDefinitions):
        paths = [s.section_path for s in document.registration_section_definitions]
        yield from _duplicates("RegistrationSectionDefinitions", "SectionPath", paths)
    else:
        yield from _field_problems(document)


def _duplicates(key: str, member: str, values: Sequence[str]) -> Iterator[tuple[str, str]]:
    for i, value in enumerate(values):
        if value in values[:i]:
            yield f"{key}[{i}].{member}", f"{value!r} appears twice"


def _field_problems(document: FieldDefinitions) -> Iterator[tuple[str, str]]:
    definitions = document.registration_field_definitions
    paths = [f.field_path for f in definitions]
    yield from _duplicates("RegistrationFieldDefinitions", "FieldPath", paths)
    for i, field in enumerate(definitions):
        for key, rule in _one_field_problems(field, paths):
            yield f"RegistrationFieldDefinitions[{i}].{key}", rule


_VALIDATION_OF_TYPE = {TEXT: "TextValidation", SELECT: "SelectValidation", ATTACHMENT: None}


def _one_field_problems(
    field: RegistrationFieldDefinition, paths: Sequence[str]
) -> Iterator[tuple[str, str]]:
    if not field.field_path.startswith(f"{field.section_path}."):
        yield "FieldPath", f"must start with its SectionPath and a dot ({field.section_path}.)"
    given = {"TextValidation": field.text_validation, "SelectValidation": field.select_validation}
    for key, validation in given.items():
        if validation is not None and _VALIDATION_OF_TYPE[field.field_type] != key:
            yield key, f"does not apply to a {field.field_type} field"
    text, select = field.text_validation, field.select_validation
    if text is not None and text.min_length > text.max_length:
        yield "TextValidation.MinLength", "must not exceed MaxLength"
    if select is not None and select.min_choices > select.max_choices:
        yield "SelectValidation.MinChoices", "must not exceed MaxChoices"
    if text is not None:
        yield from _pattern_problems("TextValidation.Pattern", text.pattern)
    behavior = field.conditional_behavior
    if behavior is not None and field.field_requirement != CONDITIONAL:
        yield "ConditionalBehavior", "applies only to a CONDITIONAL field"
    for r, rule in enumerate(() if behavior is None else behavior.rules):
        for c, condition in enumerate(rule.conditions):
            if condition.depends_on_field_path not in paths:
                key = f"ConditionalBehavior.Rules[{r}].Conditions[{c}].DependsOnFieldPath"
                yield key, f"{condition.depends_on_field_path!r} is not a field of this form"
        if rule.conditional_validation is not None and rule.conditional_validation.pattern:
            key = f"ConditionalBehavior.Rules[{r}].ConditionalValidation.Pattern"
            yield from _pattern_problems(key, rule.conditional_validation.pattern)


def _pattern_problems(key: str, pattern: str) -> Iterator[tuple[str, str]]:
    try:
        re.compile(pattern)
    except re.error as exc:
        yield key, f"is not a regular expression: {exc}"


def read_source(source: Source, name: str) -> Iterator[tuple[str, Document]]:
    """Each document of ``source`` with the name its errors use: a file's path, or
    ``name`` for a parsed answer. A directory gives its ``*.json`` files by name.

    Raises:
        ValidationException: a file is missing, unreadable, not JSON, or not a valid
            answer (named with its path and key).
    """
    if isinstance(source, Mapping):
        yield name, read_document(name, source)
        return
    path = Path(source)
    files = sorted(path.glob("*.json")) if path.is_dir() else [path]
    for file in files:
        yield str(file), read_document(str(file), _load_json(str(file), file.read_text))


def builtin_documents() -> Iterator[tuple[str, Document]]:
    """The documents shipped in ``lifecycle/catalogue/data``, by file name."""
    data = resources.files("lifecycle.catalogue").joinpath("data")
    for file in sorted(data.iterdir(), key=lambda f: f.name):
        if file.name.endswith(".json"):
            name = f"lifecycle/catalogue/data/{file.name}"
            yield name, read_document(name, _load_json(name, file.read_text))


def _load_json(name: str, read: Callable[..., str]) -> object:
    try:
        return json.loads(read(encoding="utf-8"))
    except OSError as exc:
        raise invalid(name, [("", f"cannot be read: {exc.strerror or exc}")]) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise invalid(name, [("", f"is not JSON: {exc}")], reason="CANNOT_PARSE") from None
