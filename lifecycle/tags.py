"""A resource's tags and how TagResource and UntagResource change them.

A :class:`TagChange` is the change of one call: tags to set (a key already present
takes the new value in its place; a new key goes last) or keys to remove (absent keys
are ignored). Its :meth:`~TagChange.detail` is what the change's log event records
and its :meth:`~TagChange.of_detail` reads that back, so ``lifecycle verify`` replays
the tags with the same rule the aggregate applied.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from lifecycle.errors import ValidationException
from lifecycle.models import Tag


@attrs.frozen
class TagChange:
    """Tags to set, or tag keys to remove: one of the two, as one call gives them."""

    put: tuple[Tag, ...] = ()
    remove: tuple[str, ...] = ()

    def __attrs_post_init__(self) -> None:
        if bool(self.put) == bool(self.remove):
            raise ValueError("a TagChange sets tags or removes tag keys: one of the two")

    def applied_to(self, tags: Sequence[Tag]) -> tuple[Tag, ...]:
        """``tags`` after this change."""
        if self.remove:
            gone = frozenset(self.remove)
            return tuple(t for t in tags if t.key not in gone)
        new = {t.key: t for t in self.put}
        kept = tuple(new.pop(t.key, t) for t in tags)
        return kept + tuple(new.values())

    def detail(self) -> dict[str, Any]:
        """The change as its event records it: the request's ``{"Tags": [...]}`` or
        ``{"TagKeys": [...]}``."""
        if self.remove:
            return {"TagKeys": list(self.remove)}
        return {"Tags": [t.to_dict() for t in self.put]}

    @classmethod
    def of_detail(cls, detail: Mapping[str, Any]) -> TagChange:
        """The change an event's :meth:`detail` records.

        Raises:
            ValidationException: the detail holds no ``Tags`` and no ``TagKeys``, or a
                malformed tag.
        """
        if "TagKeys" in detail:
            return cls(remove=tuple(detail["TagKeys"]))
        if "Tags" in detail:
            return cls(put=tuple(Tag.from_dict(t) for t in detail["Tags"]))
        raise ValidationException.for_field("detail", "records no Tags and no TagKeys")
