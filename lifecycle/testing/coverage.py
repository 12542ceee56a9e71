"""Which transitions of the two machines a test run exercised."""

from __future__ import annotations

import threading

from lifecycle.events import TransitionEvent
from lifecycle.machines import MACHINES, NEW, TransitionSpec


def _key(spec: TransitionSpec) -> tuple[str, str, str, str]:
    dest = spec.source if spec.dest is None else str(spec.dest)
    return (spec.machine, spec.event, spec.source, dest)


class TransitionCoverage:
    """Collects committed events and reports the transitions no event exercised.

    Conditional transitions that share machine, event, source and destination count
    as one: an event cannot tell them apart.
    """

    def __init__(self) -> None:
        self._seen: set[tuple[str, str, str, str]] = set()
        self._lock = threading.Lock()

    def record(self, event: TransitionEvent) -> None:
        """Note the transitions of both machines that ``event`` took (a subscriber)."""
        keys = []
        if event.version_to is not None:
            keys.append(("version", event.event, str(event.version_from or NEW),
                         str(event.version_to)))  # fmt: skip
        if event.registration_to is not None:
            keys.append(("registration", event.event, str(event.registration_from or NEW),
                         str(event.registration_to)))  # fmt: skip
        with self._lock:
            self._seen.update(keys)

    def update(self, other: TransitionCoverage) -> None:
        """Add the transitions ``other`` recorded."""
        with other._lock:
            seen = set(other._seen)
        with self._lock:
            self._seen.update(seen)

    def covers(self, machine: str, event: str, source: str, dest: str) -> bool:
        """Whether an event took ``machine`` from ``source`` to ``dest`` on ``event``."""
        return (machine, event, source, dest) in self._seen

    def all(self) -> list[TransitionSpec]:
        """Every transition of both machines (one per distinct key)."""
        found: dict[tuple[str, str, str, str], TransitionSpec] = {}
        for machine in MACHINES:
            for spec in machine.transitions:
                found.setdefault(_key(spec), spec)
        return list(found.values())

    def missing(self) -> list[TransitionSpec]:
        """The transitions no recorded event took."""
        return [spec for spec in self.all() if _key(spec) not in self._seen]

    def ratio(self) -> float:
        """The share of transitions exercised, from 0.0 to 1.0."""
        every = self.all()
        return (len(every) - len(self.missing())) / len(every)

    def report(self) -> str:
        """A readable summary: the share covered and each missing transition."""
        missing = self.missing()
        lines = [f"{self.ratio():.0%} of {len(self.all())} transitions exercised"]
        lines += [f"  missing: {s.machine} {s.event}: {s.source} -> "
                  f"{s.source if s.dest is None else s.dest}" for s in missing]  # fmt: skip
        return "\n".join(lines)
