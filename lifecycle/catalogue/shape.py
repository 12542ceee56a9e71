"""Frozen attrs records declared as botocore structures: one declaration gives the
record, the rule that checks its JSON, and its exact JSON.

Each attribute of a :class:`Shape` is made by :func:`member`: a scalar with its
:data:`~lifecycle.validation.Rule`, or a nested shape, optionally as a list. The JSON
key is the attribute's name in PascalCase (``short_description`` is
``ShortDescription``), as in the model; optional members are ``None`` when absent.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any, Self

import attrs

from lifecycle.validation import Rule, list_of, structure

_MANY_MAX = 1 << 31
"""The item bound of a list the model leaves unbounded."""


def member(
    rule: Rule | type[Shape],
    *,
    optional: bool = False,
    many: tuple[int, int | None] | None = None,
) -> Any:
    """An attribute of a :class:`Shape`.

    Args:
        rule: checks a scalar value, or the :class:`Shape` of a nested structure.
        optional: the member may be absent (its attribute is then ``None``).
        many: the member is a list of ``(min, max)`` items (``max`` ``None``:
            unbounded), held as a tuple.
    """
    return attrs.field(
        default=None if optional else attrs.NOTHING,
        metadata={"rule": rule, "many": many},
    )


def _key(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def _attributes(cls: type[Shape]) -> tuple[attrs.Attribute[Any], ...]:
    """The attrs attributes of ``cls`` (every Shape subclass is an attrs class)."""
    fields: tuple[attrs.Attribute[Any], ...] = attrs.fields(cls)  # type: ignore[arg-type]
    return fields


def _nested(rule: Rule | type[Shape]) -> type[Shape] | None:
    return rule if isinstance(rule, type) and issubclass(rule, Shape) else None


class Shape:
    """Base of the records read from and written as the model's JSON structures."""

    @classmethod
    @functools.cache
    def rule(cls) -> Rule:
        """The rule that checks this structure's JSON: every member's rule, required
        members present, no unknown key. It returns the value with lists as tuples."""
        members: dict[str, tuple[Rule, bool]] = {}
        for field in _attributes(cls):
            rule: Rule | type[Shape] = field.metadata["rule"]
            nested = _nested(rule)
            check = nested.rule() if nested is not None else rule
            many = field.metadata["many"]
            if many is not None:
                check = list_of(check, many[0], _MANY_MAX if many[1] is None else many[1])
            members[_key(field.name)] = (check, field.default is attrs.NOTHING)
        return structure(members)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """The record of ``data``, JSON that :meth:`rule` has accepted."""
        values: dict[str, Any] = {}
        for field in _attributes(cls):
            value = data.get(_key(field.name))
            nested = _nested(field.metadata["rule"])
            if value is not None and nested is not None:
                many = field.metadata["many"] is not None
                value = tuple(map(nested.from_dict, value)) if many else nested.from_dict(value)
            elif isinstance(value, list | tuple):
                value = tuple(value)
            values[field.name] = value
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """The JSON of this record, in the model's member order; absent members omitted."""
        out: dict[str, Any] = {}
        for field in _attributes(type(self)):
            value = getattr(self, field.name)
            if value is None:
                continue
            if isinstance(value, tuple):
                value = [v.to_dict() if isinstance(v, Shape) else v for v in value]
            elif isinstance(value, Shape):
                value = value.to_dict()
            out[_key(field.name)] = value
        return out
