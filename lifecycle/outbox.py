"""Side effects from the event log, at least once.

A subscriber registered on the service runs in the calling process; if that process
dies between the commit and the side effect, the effect is lost. An :class:`Outbox`
reads the committed log instead, with a cursor stored in the backend under its name.
The cursor moves past an event only after its handler returned, so after a crash the
event is delivered again rather than lost. Handlers must therefore tolerate
duplicates (be idempotent).
"""

from __future__ import annotations

from collections.abc import Callable

from lifecycle.errors import ValidationException
from lifecycle.events import TransitionEvent
from lifecycle.ports import Backend, LoggedEvent

Handler = Callable[[TransitionEvent], None]


class Outbox:
    """A named reader of the event log that delivers each event at least once, in order.

    Args:
        backend: the store whose log is read, and where the cursor is kept.
        name: the reader's name; readers with different names progress independently.
        batch: how many events one :meth:`process` call reads at most.
    """

    def __init__(self, backend: Backend, name: str, *, batch: int = 100) -> None:
        if not isinstance(name, str) or not name:
            raise ValidationException.for_field("name", "must be a non-empty string")
        if type(batch) is not int or batch < 1:
            raise ValidationException.for_field("batch", "must be a positive integer")
        self.backend = backend
        self.name = name
        self.batch = batch

    def pending(self) -> list[LoggedEvent]:
        """The next events not yet handled (at most ``batch``)."""
        return self.backend.read_log(after=self.backend.get_cursor(self.name), limit=self.batch)

    def process(self, handler: Handler) -> int:
        """Hand the next events to ``handler`` in order; returns how many it handled.

        If ``handler`` raises, the cursor stays before that event and the exception
        propagates: the event comes again on the next call.
        """
        handled = 0
        for logged in self.pending():
            handler(logged.event)
            self.backend.set_cursor(self.name, logged.position)
            handled += 1
        return handled

    def drain(self, handler: Handler) -> int:
        """:meth:`process` until nothing is pending; returns how many were handled."""
        total = 0
        while True:
            handled = self.process(handler)
            total += handled
            if handled == 0:
                return total
