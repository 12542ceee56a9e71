"""Side effects from the event log, at least once, by one consumer at a time.

A subscriber registered on the service runs in the calling process; if that process
dies between the commit and the side effect, the effect is lost. An :class:`Outbox`
reads the committed log instead, with a cursor stored in the backend under its name.
The cursor moves past an event only after its handler returned, so after a crash the
event is delivered again rather than lost. Handlers must therefore tolerate
duplicates (be idempotent).

Consumers of one name may run in many threads, processes and machines: a lease on the
cursor lets one of them deliver at a time, so events arrive in log order. Each thread
of each process is a consumer of its own, even on one shared Outbox object (or one
inherited across ``fork()``). A consumer
that crashes or hangs keeps the lease until it expires; then another takes over and
delivers again the event that was in flight.
"""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Callable

from lifecycle.errors import ValidationException
from lifecycle.events import TransitionEvent
from lifecycle.ports import Backend, LoggedEvent
from lifecycle.validation import seconds, string

Handler = Callable[[TransitionEvent], None]

DEFAULT_LEASE = 30.0
"""Seconds a consumer holds the cursor after its last step: how long the others wait
when it crashed."""

_NAME = string(1, 255)


class Outbox:
    """A named reader of the event log that delivers each event at least once, in order.

    Args:
        backend: the store whose log is read, and where the cursor is kept.
        name: the reader's name; readers with different names progress independently.
        batch: how many events one :meth:`process` call reads at most.
        lease: seconds this consumer holds the cursor after taking it and after each
            delivered event. A handler that runs longer than that is taken for
            crashed: another consumer may take over and deliver its event again.

    Each thread of each process that uses this object is a consumer of its own, with
    its own lease (:attr:`holder`).

    Raises:
        ValidationException: ``name`` is not 1 to 255 characters of text (no NUL, no
            lone surrogate), ``batch`` not a positive integer, or ``lease`` not a
            positive, finite number.
    """

    def __init__(
        self, backend: Backend, name: str, *, batch: int = 100, lease: float = DEFAULT_LEASE
    ) -> None:
        _NAME("name", name)
        if "\x00" in name:
            raise ValidationException.for_field("name", "must not contain NUL characters")
        try:
            name.encode()
        except UnicodeEncodeError:
            raise ValidationException.for_field(
                "name", "must be text that UTF-8 can encode (no lone surrogates)"
            ) from None
        if type(batch) is not int or batch < 1:
            raise ValidationException.for_field("batch", "must be a positive integer")
        self.backend = backend
        self.name = name
        self.batch = batch
        self.lease = seconds("lease", lease)
        self._token = secrets.token_hex(8)

    @property
    def holder(self) -> str:
        """The calling thread's consumer id, as stored with the lease it holds: this
        object's, this process's and this thread's."""
        return f"{os.getpid()}-{threading.get_ident()}-{self._token}"

    def pending(self) -> list[LoggedEvent]:
        """The next events not yet handled (at most ``batch``), whoever holds the cursor."""
        return self.backend.read_log(after=self.backend.get_cursor(self.name), limit=self.batch)

    def process(self, handler: Handler) -> int:
        """Take (or keep) the cursor and hand the next events to ``handler`` in order;
        returns how many it handled: 0 when nothing is pending or another consumer
        holds the cursor.

        The cursor stays taken after the call, until :meth:`release` or its lease
        expires. If ``handler`` raises, the cursor stays before that event and the
        exception propagates: the event comes again on the next call.

        Raises:
            ConflictException: this consumer's lease expired and another consumer
                took the cursor over (ResourceType ``cursor``, ResourceId the name);
                the event just handled will be delivered again.
        """
        holder = self.holder
        lease = self.backend.claim_cursor(self.name, holder, self.lease)
        if lease is None:
            return 0
        handled = 0
        for logged in self.backend.read_log(after=lease.position, limit=self.batch):
            handler(logged.event)
            self.backend.advance_cursor(self.name, holder, logged.position, self.lease)
            handled += 1
        return handled

    def drain(self, handler: Handler) -> int:
        """:meth:`process` until nothing is pending (or another consumer holds the
        cursor), then :meth:`release`; returns how many were handled."""
        total = 0
        try:
            while handled := self.process(handler):
                total += handled
        finally:
            self.release()
        return total

    def release(self) -> None:
        """Give the calling thread's lease of the cursor up, so that another consumer
        can take it at once."""
        self.backend.release_cursor(self.name, self.holder)
