"""Conformance to botocore's service model: :func:`conforms` checks a value against a
shape (required members, no unknown member, types, enums, string and list bounds and
patterns), as the real service's answers satisfy them."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any


def conforms(shape: Any, value: Any, path: str = "") -> None:
    """Assert ``value`` fits botocore's ``shape``; the message names the path."""
    kind = shape.type_name
    if kind == "structure":
        assert isinstance(value, dict), path
        for name in shape.required_members:
            assert name in value, f"{path}.{name} is required"
        for name, member in value.items():
            if name == "ResponseMetadata":
                continue
            assert name in shape.members, f"{path}.{name} is not in the model"
            conforms(shape.members[name], member, f"{path}.{name}")
    elif kind == "list":
        assert isinstance(value, list), path
        _within(shape, len(value), path)
        for i, item in enumerate(value):
            conforms(shape.member, item, f"{path}[{i}]")
    elif kind == "map":
        assert isinstance(value, dict), path
    elif kind == "string":
        assert isinstance(value, str), path
        if shape.enum:
            assert value in shape.enum, f"{path}={value!r} is not one of the model's values"
        _within(shape, len(value), path)
        pattern = shape.metadata.get("pattern")
        assert pattern is None or re.fullmatch(pattern, value), f"{path}={value!r} !~ {pattern}"
    elif kind in ("integer", "long"):
        assert type(value) is int, path
        _within(shape, value, path)
    elif kind == "boolean":
        assert type(value) is bool, path
    elif kind == "timestamp":
        assert isinstance(value, datetime) and value.tzinfo is not None, path


def _within(shape: Any, size: int, path: str) -> None:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    assert low is None or size >= low, f"{path}: {size} < min {low}"
    assert high is None or size <= high, f"{path}: {size} > max {high}"
