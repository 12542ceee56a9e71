"""The in-memory backend: a complete, thread-safe implementation of the port.

It keeps everything in process memory and loses it on exit. Tests use it as the
fake of the port, and users run it for the same reason: it behaves exactly as a
durable backend does, only faster.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterable, Iterator, Sequence

from lifecycle.errors import ConflictException
from lifecycle.events import TransitionEvent
from lifecycle.models import Registration, RegistrationVersion
from lifecycle.ports import (
    BeforeCommit,
    IdempotencyRecord,
    LoggedEvent,
    LogPosition,
    Page,
    QuotaCharge,
    RegistrationQuery,
    VersionQuery,
)


class _Partition:
    """The registrations of one account and region, in creation (keyset) order, and
    the versions of each (``versions[position][n - 1]`` is version ``n``)."""

    __slots__ = ("index", "quotas", "registrations", "tokens", "versions")

    def __init__(self) -> None:
        self.quotas: dict[tuple[str, str], int] = {}
        self.registrations: list[Registration] = []
        self.versions: list[list[RegistrationVersion]] = []
        self.index: dict[str, int] = {}
        self.tokens: dict[str, IdempotencyRecord] = {}


class InMemoryBackend:
    """Registrations in process memory. Safe to share between threads.

    Reads of registrations take no lock (they see whole snapshots); commits are
    serialised by one lock, under which the revision is compared, the snapshot swapped
    in and the versions written. Version reads take the lock too, so that they never
    see half of a commit.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._partitions: dict[tuple[str, str], _Partition] = {}
        self._key = secrets.token_bytes(32)
        self._log: list[TransitionEvent] = []
        self._cursors: dict[str, LogPosition] = {}

    @property
    def pagination_key(self) -> bytes:
        """A random key: tokens are valid for this backend object only."""
        return self._key

    def get(self, account_id: str, region: str, registration_id: str) -> Registration | None:
        """The registration, or ``None``."""
        part = self._partitions.get((account_id, region))
        if part is None:
            return None
        position = part.index.get(registration_id)
        return None if position is None else part.registrations[position]

    def commit(
        self,
        registration: Registration,
        *,
        expected_revision: int | None,
        events: Sequence[TransitionEvent],
        versions: Sequence[RegistrationVersion],
        idempotency: IdempotencyRecord | None = None,
        quotas: Sequence[QuotaCharge] = (),
        before_commit: BeforeCommit | None = None,
    ) -> Registration:
        """Store ``registration`` atomically; see :meth:`lifecycle.ports.Backend.commit`."""
        key = (registration.account_id, registration.region)
        with self._lock:
            part = self._partitions.get(key)
            if part is None:
                part = self._partitions[key] = _Partition()
            position = part.index.get(registration.registration_id)
            if expected_revision is None:
                if position is not None:
                    raise _conflict(registration, "already exists", "RESOURCE_ALREADY_EXISTS")
                if idempotency is not None and idempotency.token in part.tokens:
                    raise _conflict(
                        registration, "ClientToken already used", "RESOURCE_ALREADY_EXISTS"
                    )
            elif position is None or part.registrations[position].revision != expected_revision:
                raise _conflict(
                    registration,
                    "was changed by another call since it was read; read it again and retry",
                    "RESOURCE_MODIFICATION_NOT_ALLOWED",
                )
            usage: dict[tuple[str, str], int] = {}
            for charge in quotas:
                key = (charge.quota, charge.period)
                used = usage.get(key, part.quotas.get(key, 0))
                charge.check(registration.account_id, registration.region, used)
                usage[key] = used + charge.amount
            if before_commit is not None:
                before_commit(events)
            part.quotas.update(usage)
            if position is None:
                position = len(part.registrations)
                part.registrations.append(registration)
                part.versions.append([])
                part.index[registration.registration_id] = position  # visible last
                if idempotency is not None:
                    part.tokens[idempotency.token] = idempotency
            else:
                part.registrations[position] = registration
            stored = part.versions[position]
            for version in versions:
                if version.version_number > len(stored):
                    stored.append(version)
                else:
                    stored[version.version_number - 1] = version
            self._log.extend(events)
        return registration

    def query_registrations(self, query: RegistrationQuery) -> Page[Registration]:
        """One page of matching registrations, in creation order."""
        part = self._partitions.get((query.account_id, query.region))
        if part is None:
            return Page((), None)
        start = -1 if query.after is None else query.after
        regs = part.registrations
        if query.registration_ids is not None:
            positions: Sequence[int] = sorted(
                p
                for p in (part.index.get(i) for i in query.registration_ids)
                if p is not None and p > start
            )
        else:
            positions = range(start + 1, len(regs))
        found: list[Registration] = []
        last = -1
        types, statuses = query.registration_types, query.statuses
        for position in positions:
            reg = regs[position]
            if types is not None and reg.registration_type not in types:
                continue
            if statuses is not None and reg.status not in statuses:
                continue
            if len(found) == query.limit:
                return Page(tuple(found), last)
            found.append(reg)
            last = position
        return Page(tuple(found), None)

    def query_versions(self, query: VersionQuery) -> Page[RegistrationVersion]:
        """One page of matching versions, in version-number order."""
        part = self._partitions.get((query.account_id, query.region))
        position = None if part is None else part.index.get(query.registration_id)
        if part is None or position is None:
            return Page((), None)
        found: list[RegistrationVersion] = []
        after = 0 if query.after is None else query.after
        statuses = query.statuses
        # Under the lock: a commit changes several versions together (approve and archive).
        with self._lock:
            stored = part.versions[position]
            numbers: Iterable[int] = (
                range(after + 1, len(stored) + 1)
                if query.version_numbers is None
                else sorted(n for n in query.version_numbers if after < n <= len(stored))
            )
            for number in numbers:
                version = stored[number - 1]
                if statuses is not None and version.status not in statuses:
                    continue
                if len(found) == query.limit:
                    return Page(tuple(found), found[-1].version_number)
                found.append(version)
        return Page(tuple(found), None)

    def find_idempotency(
        self, account_id: str, region: str, token: str
    ) -> IdempotencyRecord | None:
        """The record of ``token``, if claimed."""
        part = self._partitions.get((account_id, region))
        return None if part is None else part.tokens.get(token)

    def read_log(
        self,
        *,
        after: LogPosition | None = None,
        limit: int = 1000,
        registration_id: str | None = None,
    ) -> list[LoggedEvent]:
        """Committed events after ``after`` in commit order; positions are ``(0, n)``."""
        start = 0 if after is None else after[1]
        log = self._log
        out = []
        for n in range(start, len(log)):
            event = log[n]
            if registration_id is None or event.registration_id == registration_id:
                out.append(LoggedEvent((0, n + 1), event))
                if len(out) == limit:
                    break
        return out

    def registrations(self) -> Iterator[Registration]:
        """Every registration of every account and region."""
        for part in list(self._partitions.values()):
            yield from list(part.registrations)

    def quota_usage(self, account_id: str, region: str, quota: str, period: str) -> int:
        """How much of ``quota`` this account and region uses in ``period``."""
        part = self._partitions.get((account_id, region))
        return 0 if part is None else part.quotas.get((quota, period), 0)

    def get_cursor(self, name: str) -> LogPosition | None:
        """The position reader ``name`` has processed up to."""
        return self._cursors.get(name)

    def set_cursor(self, name: str, position: LogPosition) -> None:
        """Record reader ``name``'s position."""
        with self._lock:
            self._cursors[name] = position


def _conflict(registration: Registration, what: str, reason: str) -> ConflictException:
    return ConflictException(
        f"Registration {registration.registration_id} {what}.",
        reason=reason,
        resource_type="registration",
        resource_id=registration.registration_id,
    )
