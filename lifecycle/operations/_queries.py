"""What the describe operations share: the default page size and ``Filters`` as sets."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

DEFAULT_MAX_RESULTS = 100
"""Page size of the describe calls when ``MaxResults`` is not given."""


def filter_sets(filters: Iterable[Mapping[str, Any]]) -> dict[str, frozenset[str]]:
    """Filters by name: values of one filter ORed, repeated names ANDed (intersected)."""
    sets: dict[str, frozenset[str]] = {}
    for f in filters:
        values = frozenset(f["Values"])
        sets[f["Name"]] = sets[f["Name"]] & values if f["Name"] in sets else values
    return sets


def sorted_or_none(values: Iterable[Any] | None) -> list[Any] | None:
    """``values`` sorted, for a query fingerprint; ``None`` (no such condition) kept."""
    return None if values is None else sorted(values)
