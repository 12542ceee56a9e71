"""Clocks: the service asks one for the time of every transition."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from lifecycle.errors import ValidationException


class ManualClock:
    """A clock that moves only when told: for tests, simulations and demos.

    Args:
        start: the first time it returns (timezone-aware).
        tick: how far it moves by itself after each reading (default: not at all).
    """

    def __init__(self, start: datetime | None = None, tick: timedelta = timedelta(0)) -> None:
        if start is None:
            start = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
        if not isinstance(start, datetime) or start.utcoffset() is None:
            raise ValidationException.for_field("start", "must be a timezone-aware datetime")
        if not isinstance(tick, timedelta):
            raise ValidationException.for_field("tick", "must be a timedelta")
        self._now = start.astimezone(UTC)
        self._tick = tick
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            now = self._now
            self._now = now + self._tick
            return now

    def now(self) -> datetime:
        """The time the next reading returns, without moving the clock."""
        return self._now

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        """Move forward (or back, with a negative delta) by ``delta`` or ``timedelta(**kwargs)``."""
        step = delta if delta is not None else timedelta(**kwargs)
        with self._lock:
            self._now += step
            return self._now

    def set(self, when: datetime) -> None:
        """Jump to ``when`` (timezone-aware)."""
        if not isinstance(when, datetime) or when.utcoffset() is None:
            raise ValidationException.for_field("when", "must be a timezone-aware datetime")
        with self._lock:
            self._now = when.astimezone(UTC)
