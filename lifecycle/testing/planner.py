"""Routes through the lifecycle, along which the harness steers its legal moves (toward
transitions an example has not exercised yet, or to one hypothesis chose).

The routes are computed once per process from the reference model alone, over
*shapes*: a registration's status, its current version's status and the set of its
version statuses, which is all that the machines' conditions and targets read. They
are a pure function of the machine definitions, so steering by them never depends on
what other examples did.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Sequence

from lifecycle.machines import NEW
from lifecycle.testing.reference import CREATE, REVIEWER_EVENTS, USER_EVENTS, plan, settle

Key = tuple[str, str, str, str]
"""A transition as coverage counts it: ``(machine, event, source, destination)``."""
Offer = tuple[str, bool]
"""A move offered to a registration: ``(event, aws_review)``."""
Shape = tuple[str, str, frozenset[str]]
"""A registration's status, its current version's status and its versions' statuses."""

RELEASE = "disassociate"
"""The registration's move when one of its phone numbers is released: the harness
offers it as a move of the registration, so that steering reaches it in every status."""

OFFERS: tuple[Offer, ...] = tuple(
    (event, aws_review)
    for event in (*USER_EVENTS, *REVIEWER_EVENTS, RELEASE)
    for aws_review in ((False, True) if event == "submit" else (False,))
)
"""Every move a registration can be offered, in the machines' event order."""


def shape(status: str, versions: Sequence[str]) -> Shape:
    """The shape of a registration in ``status`` whose versions have ``versions``."""
    return status, versions[-1], frozenset(versions)


class Routes:
    """Every shape a new registration can reach, the moves between them, and how far
    each transition is from each shape."""

    def __init__(self) -> None:
        self.moves: dict[Shape, list[tuple[Offer, frozenset[Key], Shape]]] = {}
        """Per shape: each legal offer, the transitions it takes and the shape it leads to."""
        created = settle(NEW, (), plan(NEW, (), CREATE) or ())
        todo = [shape(*created)]
        while todo:
            here = todo.pop()
            if here in self.moves:
                continue
            status, current, statuses = here
            versions = (*sorted(statuses - {current}), current)
            self.moves[here] = []
            for offer in OFFERS:
                taken = plan(status, versions, *offer)
                if taken is not None:
                    there = shape(*settle(status, versions, taken))
                    self.moves[here].append((offer, frozenset(m.key for m in taken), there))
                    todo.append(there)
        self.distance: dict[Key, dict[Shape, int]] = {}
        """Per transition: from each shape, how many moves come before one that takes it."""
        sources: dict[Shape, list[Shape]] = {here: [] for here in self.moves}
        for here, moves in self.moves.items():
            for _, _, there in moves:
                sources[there].append(here)
        for key in sorted(
            {k for moves in self.moves.values() for _, keys, _ in moves for k in keys}
        ):
            distance = {here: 0 for here, moves in self.moves.items()
                        if any(key in keys for _, keys, _ in moves)}  # fmt: skip
            frontier = list(distance)
            while frontier:
                following = []
                for there in frontier:
                    for here in sources[there]:
                        if here not in distance:
                            distance[here] = distance[there] + 1
                            following.append(here)
                frontier = following
            self.distance[key] = distance

    def toward(self, here: Shape, wanted: Collection[Key]) -> list[Offer]:
        """The offers from ``here`` that start a shortest route to the nearest
        transition of ``wanted``, in :data:`OFFERS` order (empty if none is reachable)."""
        reachable = self._reachable(here, wanted)
        if not reachable:
            return []
        goal = min(reachable.values())
        aims = [key for key, d in reachable.items() if d == goal]
        return [
            offer
            for offer, keys, there in self.moves[here]
            if any(
                key in keys if goal == 0 else self.distance[key].get(there) == goal - 1
                for key in aims
            )
        ]

    def far(self, here: Shape, wanted: Sequence[Key], rank: int = 0) -> Key | None:
        """The transition of ``wanted`` whose shortest route from ``here`` is the longest
        (``rank`` 0), the second longest (``rank`` 1), and so on, wrapping around; ties
        in ``wanted`` order. ``None`` if none is reachable."""
        reachable = self._reachable(here, wanted)
        ranked = sorted(reachable, key=lambda key: -reachable[key])
        return ranked[rank % len(ranked)] if ranked else None

    def _reachable(self, here: Shape, wanted: Collection[Key]) -> dict[Key, int]:
        return {key: self.distance[key][here]
                for key in wanted if here in self.distance.get(key, {})}  # fmt: skip


@functools.cache
def routes() -> Routes:
    """The routes of the current machine definitions (computed on first use)."""
    return Routes()
