"""The in-memory backend: a complete, thread-safe implementation of the port.

It keeps everything in process memory and loses it on exit. Tests use it as the
fake of the port, and users run it for the same reason: it behaves exactly as a
durable backend does, only faster.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import TypeVar

import attrs

from lifecycle import attachments, phone_numbers
from lifecycle.attachments import RegistrationAttachment
from lifecycle.errors import (
    ConflictException,
    InternalServerException,
    inside_commit,
    outside_commit,
)
from lifecycle.events import TransitionEvent
from lifecycle.form import FieldValue, FormChange
from lifecycle.models import Registration, RegistrationVersion
from lifecycle.phone_numbers import PhoneNumber
from lifecycle.ports import (
    AttachmentQuery,
    BeforeCommit,
    CursorLease,
    IdempotencyRecord,
    LoggedEvent,
    LogPosition,
    NumberWrite,
    Page,
    PhoneNumberQuery,
    QuotaCharge,
    RegistrationQuery,
    Snapshot,
    VersionQuery,
    cursor_lost,
)
from lifecycle.statuses import AttachmentStatus, PhoneNumberStatus, RegistrationStatus
from lifecycle.validation import seconds


class _Partition:
    """The registrations of one account and region, in creation (keyset) order, and
    the versions of each (``versions[position][n - 1]`` is version ``n``); its
    attachments in creation order, with the bodies of those that have one."""

    __slots__ = ("attachment_index", "attachments", "bodies", "held", "index", "number_index",
                 "numbers", "quotas", "registrations", "tokens", "values", "versions")  # fmt: skip

    def __init__(self) -> None:
        self.quotas: dict[tuple[str, str], int] = {}
        self.registrations: list[Registration] = []
        self.versions: list[list[RegistrationVersion]] = []
        self.values: list[dict[int, dict[str, FieldValue]]] = []
        """Per registration, each version's field values; a commit replaces a version's
        dictionary rather than changing it, so a copy of the partition stays as it was."""
        self.index: dict[str, int] = {}
        self.tokens: dict[str, IdempotencyRecord] = {}
        self.attachments: list[RegistrationAttachment] = []
        self.attachment_index: dict[str, int] = {}
        self.bodies: dict[str, bytes] = {}
        self.numbers: list[PhoneNumber] = []
        self.number_index: dict[str, int] = {}
        self.held: dict[str, str] = {}
        """The id of the number (not DELETED) that holds each E.164 number."""

    def copy(self) -> _Partition:
        """A copy that later commits to this partition leave as it is."""
        other = _Partition()
        other.quotas = dict(self.quotas)
        other.registrations = list(self.registrations)
        other.versions = [list(versions) for versions in self.versions]
        other.values = [dict(values) for values in self.values]
        other.index = dict(self.index)
        other.tokens = dict(self.tokens)
        other.attachments = list(self.attachments)
        other.attachment_index = dict(self.attachment_index)
        other.bodies = dict(self.bodies)
        other.numbers = list(self.numbers)
        other.number_index = dict(self.number_index)
        other.held = dict(self.held)
        return other

    def attachment(self, attachment_id: str) -> RegistrationAttachment | None:
        position = self.attachment_index.get(attachment_id)
        return None if position is None else self.attachments[position]

    def naming(self, attachment_id: str) -> list[str]:
        """The registrations (not DELETED) whose current version names the attachment."""
        # A scan: this fake keeps no index from attachments to the values naming them.
        return [
            registration.registration_id
            for registration, values in zip(self.registrations, self.values, strict=True)
            if registration.status is not RegistrationStatus.DELETED
            and attachment_id
            in attachments.attachment_ids(values.get(registration.current_version_number, {}))
        ]

    def check_number(self, write: NumberWrite) -> None:
        """Refuse ``write`` as :meth:`lifecycle.ports.Backend.commit_phone_number` does
        (its revision or token, the holder of its E.164 number)."""
        number = write.number
        position = self.number_index.get(number.phone_number_id)
        stored = None if position is None else self.numbers[position]
        what = f"Phone number {number.phone_number_id}"
        _check_revision(self, stored, write.expected_revision, write.idempotency, what,
                        phone_numbers.RESOURCE_TYPE, number.phone_number_id)  # fmt: skip
        holder = self.held.get(number.phone_number)
        if holder not in (None, number.phone_number_id):
            raise ConflictException(
                f"{what}: {number.phone_number} is held by phone number {holder}.",
                reason="RESOURCE_ALREADY_EXISTS",
                resource_type=phone_numbers.RESOURCE_TYPE,
                resource_id=number.phone_number_id,
            )

    def store_number(self, write: NumberWrite) -> None:
        """Store a ``write`` that :meth:`check_number` accepted."""
        number = write.number
        position = self.number_index.get(number.phone_number_id)
        if position is None:
            self.numbers.append(number)
            self.number_index[number.phone_number_id] = len(self.numbers) - 1
            if write.idempotency is not None:
                self.tokens[write.idempotency.token] = write.idempotency
        else:
            self.numbers[position] = number
        if number.status is PhoneNumberStatus.DELETED:
            self.held.pop(number.phone_number, None)
        else:
            self.held[number.phone_number] = number.phone_number_id

    def charge(
        self, quotas: Sequence[QuotaCharge], account_id: str, region: str
    ) -> dict[tuple[str, str], int]:
        """The usage after ``quotas``; raises if one is over its limit."""
        usage: dict[tuple[str, str], int] = {}
        for charge in quotas:
            key = (charge.quota, charge.period)
            used = usage.get(key, self.quotas.get(key, 0))
            charge.check(account_id, region, used)
            usage[key] = used + charge.amount
        return usage


def _apply(versions: dict[int, dict[str, FieldValue]], form: FormChange) -> None:
    """Write ``form`` into one registration's values by version (a new dictionary)."""
    if form.copy_from in (None, form.version_number):
        values = dict(versions.get(form.version_number, {}))
    else:  # the reviewer's flags stay with the version they were set on
        source = versions.get(form.copy_from, {})
        values = {path: v.unflagged() for path, v in source.items()}
    for path in form.delete:
        values.pop(path, None)
    values.update(form.put)
    for path, (reason, feedback) in form.flags.items():
        if path in values:
            values[path] = attrs.evolve(values[path], denied_reason=reason, feedback=feedback)
    versions[form.version_number] = values


_Cursor = tuple[LogPosition | None, str | None, float]
"""A reader's position, the holder of its lease and when that expires (monotonic)."""


class _StoreLock:
    """The lock of one store, as a context manager: taken within ``timeout`` seconds,
    and refused to a transactional subscriber (its commit holds it)."""

    __slots__ = ("_lock", "_timeout")

    def __init__(self, timeout: float) -> None:
        self._lock = threading.Lock()
        self._timeout = timeout

    def __enter__(self) -> None:
        if inside_commit.active:  # tested before the call: this is on every commit's path
            outside_commit("InMemoryBackend")
        # Try without a timeout first: a timed acquire costs a commit several percent.
        if not self._lock.acquire(False) and not self._lock.acquire(True, self._timeout):
            raise InternalServerException(
                f"In-memory backend: waited {self._timeout:g} s for the store's lock: "
                "another call held it all that time (a transactional subscriber waiting "
                "on another call?)"
            )

    def __exit__(self, *exc_info: object) -> None:
        self._lock.release()


class InMemoryBackend:
    """Registrations in process memory. Safe to share between threads.

    Reads of registrations take no lock (they see whole snapshots); commits are
    serialised by one lock, under which the revision is compared, the snapshot swapped
    in and the versions written. Version reads take the lock too, so that they never
    see half of a commit. Cursor leases are timed by this process's monotonic clock.
    Every method refuses a transactional subscriber's call at once
    (ReentrantCallError), as the durable backends do.

    Args:
        timeout: seconds a call waits for the lock before it fails with
            InternalServerException, as SQLite's writers do.

    Raises:
        ValidationException: ``timeout`` is not a positive, finite number.
    """

    def __init__(self, *, timeout: float = 10.0) -> None:
        self._lock = _StoreLock(seconds("timeout", timeout))
        self._partitions: dict[tuple[str, str], _Partition] = {}
        self._key = secrets.token_bytes(32)
        self._log: list[TransitionEvent] = []
        self._cursors: dict[str, _Cursor] = {}

    @property
    def pagination_key(self) -> bytes:
        """A random key: tokens are valid for this backend object only."""
        return self._key

    def get(self, account_id: str, region: str, registration_id: str) -> Registration | None:
        """The registration, or ``None``."""
        if inside_commit.active:  # as in _StoreLock: on every call's path
            outside_commit("InMemoryBackend")
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
        form: FormChange | None = None,
        numbers: Sequence[NumberWrite] = (),
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
            usage = (
                part.charge(quotas, registration.account_id, registration.region)
                if quotas
                else None
            )
            if form is not None:
                for path, value in form.put.items():
                    named = value.attachment_id
                    attachment = None if named is None else part.attachment(named)
                    if named is not None and (
                        attachment is None
                        or attachment.status is not AttachmentStatus.UPLOAD_COMPLETE
                    ):
                        raise attachments.not_usable(attachment, named, path)
            for write in numbers:
                part.check_number(write)
            if before_commit is not None:
                before_commit(events)
            if usage:
                part.quotas.update(usage)
            if position is None:
                position = len(part.registrations)
                part.registrations.append(registration)
                part.versions.append([])
                part.values.append({})
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
            if form is not None:
                _apply(part.values[position], form)
            for write in numbers:
                part.store_number(write)
            self._log.extend(events)
        return registration

    def get_attachment(
        self, account_id: str, region: str, attachment_id: str
    ) -> RegistrationAttachment | None:
        """The attachment, or ``None``."""
        outside_commit("InMemoryBackend")
        part = self._partitions.get((account_id, region))
        return None if part is None else part.attachment(attachment_id)

    def commit_attachment(
        self,
        attachment: RegistrationAttachment,
        *,
        expected_revision: int | None,
        events: Sequence[TransitionEvent],
        body: bytes | None = None,
        idempotency: IdempotencyRecord | None = None,
        quotas: Sequence[QuotaCharge] = (),
        before_commit: BeforeCommit | None = None,
    ) -> RegistrationAttachment:
        """Store ``attachment`` atomically; see
        :meth:`lifecycle.ports.Backend.commit_attachment`."""
        key = (attachment.account_id, attachment.region)
        with self._lock:
            part = self._partitions.get(key)
            if part is None:
                part = self._partitions[key] = _Partition()
            position = part.attachment_index.get(attachment.attachment_id)
            stored = None if position is None else part.attachments[position]
            _check_revision(
                part, stored, expected_revision, idempotency,
                f"Registration attachment {attachment.attachment_id}",
                attachments.RESOURCE_TYPE, attachment.attachment_id,
            )  # fmt: skip
            if attachment.status is AttachmentStatus.DELETED:
                naming = part.naming(attachment.attachment_id)
                if naming:
                    raise attachments.still_named(attachment, naming)
            usage = part.charge(quotas, attachment.account_id, attachment.region)
            if before_commit is not None:
                before_commit(events)
            part.quotas.update(usage)
            if position is None:
                part.attachments.append(attachment)
                part.attachment_index[attachment.attachment_id] = len(part.attachments) - 1
                if idempotency is not None:
                    part.tokens[idempotency.token] = idempotency
            else:
                part.attachments[position] = attachment
            if body is not None:
                part.bodies[attachment.attachment_id] = body
            self._log.extend(events)
        return attachment

    def query_attachments(self, query: AttachmentQuery) -> Page[RegistrationAttachment]:
        """One page of matching attachments, in creation order."""
        outside_commit("InMemoryBackend")
        part = self._partitions.get((query.account_id, query.region))
        if part is None:
            return Page((), None)
        statuses = query.statuses
        return _keyset_page(
            part.attachments, part.attachment_index, query.attachment_ids, query.after,
            query.limit, lambda attachment: statuses is None or attachment.status in statuses,
        )  # fmt: skip

    def get_phone_number(
        self, account_id: str, region: str, phone_number_id: str
    ) -> PhoneNumber | None:
        """The phone number, or ``None``."""
        outside_commit("InMemoryBackend")
        part = self._partitions.get((account_id, region))
        position = None if part is None else part.number_index.get(phone_number_id)
        return None if part is None or position is None else part.numbers[position]

    def commit_phone_number(
        self,
        number: PhoneNumber,
        *,
        expected_revision: int | None,
        events: Sequence[TransitionEvent],
        idempotency: IdempotencyRecord | None = None,
        quotas: Sequence[QuotaCharge] = (),
        before_commit: BeforeCommit | None = None,
    ) -> PhoneNumber:
        """Store ``number`` atomically; see
        :meth:`lifecycle.ports.Backend.commit_phone_number`."""
        key = (number.account_id, number.region)
        with self._lock:
            part = self._partitions.get(key)
            if part is None:
                part = self._partitions[key] = _Partition()
            write = NumberWrite(number, expected_revision, idempotency)
            part.check_number(write)
            usage = part.charge(quotas, number.account_id, number.region)
            if before_commit is not None:
                before_commit(events)
            part.quotas.update(usage)
            part.store_number(write)
            self._log.extend(events)
        return number

    def query_phone_numbers(self, query: PhoneNumberQuery) -> Page[PhoneNumber]:
        """One page of matching phone numbers, in creation order."""
        outside_commit("InMemoryBackend")
        part = self._partitions.get((query.account_id, query.region))
        if part is None:
            return Page((), None)
        filters, registration_id = query.filters, query.registration_id
        return _keyset_page(
            part.numbers, part.number_index, query.phone_number_ids, query.after, query.limit,
            lambda number: (registration_id is None or number.registration_id == registration_id)
            and phone_numbers.matches(number, filters),
        )  # fmt: skip

    def phone_numbers(self) -> Iterator[PhoneNumber]:
        """Every phone number of every account and region."""
        outside_commit("InMemoryBackend")
        for part in list(self._partitions.values()):
            yield from list(part.numbers)

    def attachment_body(self, account_id: str, region: str, attachment_id: str) -> bytes | None:
        """The attachment's bytes, if its upload completed."""
        outside_commit("InMemoryBackend")
        part = self._partitions.get((account_id, region))
        return None if part is None else part.bodies.get(attachment_id)

    def attachments(self) -> Iterator[RegistrationAttachment]:
        """Every attachment of every account and region."""
        outside_commit("InMemoryBackend")
        for part in list(self._partitions.values()):
            yield from list(part.attachments)

    def field_values(
        self,
        account_id: str,
        region: str,
        registration_id: str,
        version_number: int,
        paths: Collection[str] | None = None,
    ) -> Mapping[str, FieldValue]:
        """One version's field values; see :meth:`lifecycle.ports.Backend.field_values`."""
        if inside_commit.active:  # as in _StoreLock: on submit's path
            outside_commit("InMemoryBackend")
        part = self._partitions.get((account_id, region))
        position = None if part is None else part.index.get(registration_id)
        if part is None or position is None:
            return {}
        values = part.values[position].get(version_number, {})
        if paths is None:
            # No copy: a commit replaces a version's dictionary, it never changes one.
            return values
        wanted = set(paths)  # the order is the values', whatever the order of ``paths``
        return {path: value for path, value in values.items() if path in wanted}

    def query_registrations(self, query: RegistrationQuery) -> Page[Registration]:
        """One page of matching registrations, in creation order."""
        outside_commit("InMemoryBackend")
        part = self._partitions.get((query.account_id, query.region))
        if part is None:
            return Page((), None)
        types, statuses = query.registration_types, query.statuses
        return _keyset_page(
            part.registrations, part.index, query.registration_ids, query.after, query.limit,
            lambda reg: (types is None or reg.registration_type in types)
            and (statuses is None or reg.status in statuses),
        )  # fmt: skip

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
        outside_commit("InMemoryBackend")
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
        outside_commit("InMemoryBackend")
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
        outside_commit("InMemoryBackend")
        for part in list(self._partitions.values()):
            yield from list(part.registrations)

    def quota_usage(self, account_id: str, region: str, quota: str, period: str) -> int:
        """How much of ``quota`` this account and region uses in ``period``."""
        outside_commit("InMemoryBackend")
        part = self._partitions.get((account_id, region))
        return 0 if part is None else part.quotas.get((quota, period), 0)

    def snapshot(self) -> AbstractContextManager[Snapshot]:
        """A copy of the whole store, taken between two commits."""
        return nullcontext(self.copy())

    def copy(self) -> InMemoryBackend:
        """An independent copy of the whole store (registrations, numbers, attachments,
        the log; not the outbox cursors), taken between two commits: to branch a test
        from one state into several."""
        copy = InMemoryBackend()
        with self._lock:
            copy._partitions = {key: part.copy() for key, part in self._partitions.items()}
            copy._log = list(self._log)
        return copy

    def get_cursor(self, name: str) -> LogPosition | None:
        """The position reader ``name`` has processed up to."""
        outside_commit("InMemoryBackend")
        return self._cursors.get(name, _NO_CURSOR)[0]

    def claim_cursor(self, name: str, holder: str, lease: float) -> CursorLease | None:
        """Take or renew ``holder``'s lease of reader ``name``'s cursor; ``None`` while
        another holder's runs."""
        with self._lock:
            position, current, until = self._cursors.get(name, _NO_CURSOR)
            now = time.monotonic()
            if current not in (None, holder) and until >= now:
                return None
            self._cursors[name] = (position, holder, now + lease)
        return CursorLease(name, holder, position)

    def advance_cursor(self, name: str, holder: str, position: LogPosition, lease: float) -> None:
        """Move reader ``name``'s cursor forward, if ``holder`` holds its lease."""
        with self._lock:
            current_position, current, _ = self._cursors.get(name, _NO_CURSOR)
            if current != holder or (current_position is not None and position <= current_position):
                raise cursor_lost(name, holder)
            self._cursors[name] = (position, holder, time.monotonic() + lease)

    def release_cursor(self, name: str, holder: str) -> None:
        """End ``holder``'s lease of reader ``name``'s cursor, if it holds it."""
        with self._lock:
            position, current, _ = self._cursors.get(name, _NO_CURSOR)
            if current == holder:
                self._cursors[name] = (position, None, 0.0)


_NO_CURSOR: _Cursor = (None, None, 0.0)

T = TypeVar("T")


def _keyset_page(
    items: Sequence[T],
    index: Mapping[str, int],
    ids: Collection[str] | None,
    after: int | None,
    limit: int,
    matches: Callable[[T], bool],
) -> Page[T]:
    """Up to ``limit`` of ``items`` (in keyset order; ``index`` gives an id's position)
    after position ``after``, only those of ``ids`` if given, that ``matches``."""
    start = -1 if after is None else after
    if ids is not None:
        positions: Sequence[int] = sorted(
            p for p in (index.get(i) for i in ids) if p is not None and p > start
        )
    else:
        positions = range(start + 1, len(items))
    found: list[T] = []
    last = -1
    for position in positions:
        item = items[position]
        if not matches(item):
            continue
        if len(found) == limit:
            return Page(tuple(found), last)
        found.append(item)
        last = position
    return Page(tuple(found), None)


def _check_revision(
    part: _Partition,
    stored: PhoneNumber | RegistrationAttachment | None,
    expected_revision: int | None,
    idempotency: IdempotencyRecord | None,
    what: str,
    resource_type: str,
    resource_id: str,
) -> None:
    """Refuse a commit of a resource of its own (an attachment, a phone number) that
    creates one already there, or reuses a token, or changes one another commit
    changed since it was read."""
    if expected_revision is None:
        if stored is not None or (idempotency is not None and idempotency.token in part.tokens):
            raise ConflictException(
                f"{what} ClientToken already used.",
                reason="RESOURCE_ALREADY_EXISTS",
                resource_type=resource_type,
                resource_id=resource_id,
            )
    elif stored is None or stored.revision != expected_revision:
        raise ConflictException(
            f"{what} was changed by another call since it was read; read it again and retry.",
            reason="RESOURCE_MODIFICATION_NOT_ALLOWED",
            resource_type=resource_type,
            resource_id=resource_id,
        )


def _conflict(registration: Registration, what: str, reason: str) -> ConflictException:
    return ConflictException(
        f"Registration {registration.registration_id} {what}.",
        reason=reason,
        resource_type="registration",
        resource_id=registration.registration_id,
    )
