"""Admission of state-changing requests to ``lifecycle serve``'s thread pool.

A write can wait on the database: on SQLite, for up to the backend's timeout while
another connection holds the write lock. If writes could take every thread, health
checks and reads would wait behind them. :class:`WriteSlots` lets at most ``limit``
writes run at once and refuses one more at once with the retryable
``ThrottlingException`` (SDKs retry it with backoff), so the other threads stay free
for everything else.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from lifecycle.errors import ThrottlingException


class WriteSlots:
    """At most ``limit`` writes at once."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit}")
        self.limit = limit
        self._free = threading.BoundedSemaphore(limit)

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one slot for the block.

        Raises:
            ThrottlingException: every slot is taken; nothing was done.
        """
        if not self._free.acquire(blocking=False):
            raise ThrottlingException(
                f"{self.limit} state-changing requests are already in progress, the most "
                "this server runs at once; retry with backoff."
            )
        try:
            yield
        finally:
            self._free.release()
