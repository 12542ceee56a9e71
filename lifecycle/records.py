"""Equality for the immutable records that are named tuples (``TransitionEvent``,
``VersionStatusHistory``)."""

from __future__ import annotations


def equal(record: tuple[object, ...], other: object) -> bool:
    """Whether ``other`` is a record of ``record``'s class with equal fields: a record,
    unlike a tuple, is never equal to a plain tuple. (Its ``__eq__`` answers False,
    not NotImplemented, for another class: Python would then ask ``other``, and a
    tuple compares items.)"""
    return type(other) is type(record) and tuple.__eq__(record, other)
