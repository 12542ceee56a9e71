"""Immutable records held as named tuples (``TransitionEvent``,
``VersionStatusHistory``: every step builds them, and a tuple is the cheapest record
Python builds). :func:`record` takes the tuple out of them: a record is equal only to a
record of its class with equal fields, never to a plain tuple, and has no order."""

from __future__ import annotations

from typing import TypeVar

R = TypeVar("R", bound=tuple[object, ...])


def record(cls: type[R]) -> type[R]:
    """Class decorator of a named tuple: record equality, no ordering. (Set on the
    class once made: a named tuple's body may only declare fields and methods, and an
    ``__eq__`` written there would clear the class's ``__hash__``.)"""
    for name, method in (("__eq__", _equal), ("__ne__", _unequal), ("__lt__", _unordered),
                         ("__le__", _unordered), ("__gt__", _unordered),
                         ("__ge__", _unordered)):  # fmt: skip
        setattr(cls, name, method)
    return cls


def _equal(self: tuple[object, ...], other: object) -> bool:
    if type(other) is type(self):
        return tuple.__eq__(self, other)
    # False for any other tuple (NotImplemented would let the tuple compare items);
    # NotImplemented for the rest, so that ``mock.ANY`` and its kind still match.
    return False if isinstance(other, tuple) else NotImplemented


def _unequal(self: tuple[object, ...], other: object) -> bool:
    equal = _equal(self, other)
    return equal if equal is NotImplemented else not equal


def _unordered(self: tuple[object, ...], other: object) -> bool:
    # Raise rather than answer NotImplemented: the other side's tuple order would run.
    raise TypeError(f"{type(self).__name__} records have no order")
