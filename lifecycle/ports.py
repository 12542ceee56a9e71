"""The backend port: everything the service needs from storage, and nothing more.

A backend stores registration aggregates under optimistic concurrency, answers the
describe queries with filters and keyset pagination pushed down to it, keeps the
idempotency tokens, and commits a registration together with the events of its
transitions as one atomic unit. The committed events form the log: the audit trail
that ``lifecycle verify`` replays from a :class:`Snapshot`, and the outbox that readers
follow with a cursor, one consumer at a time (a :class:`CursorLease`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Generic, NamedTuple, Protocol, TypeVar, runtime_checkable

import attrs

from lifecycle.attachments import RegistrationAttachment
from lifecycle.errors import ConflictException, ServiceQuotaExceededException
from lifecycle.events import TransitionEvent
from lifecycle.form import FieldValue
from lifecycle.form import FormChange as FormChange  # re-exported: the port's type
from lifecycle.models import Registration, RegistrationVersion
from lifecycle.phone_numbers import PhoneNumber

T = TypeVar("T")

BeforeCommit = Callable[[Sequence[TransitionEvent]], None]
"""Runs inside the commit, after the revision check; if it raises, nothing is written."""


@attrs.frozen
class IdempotencyRecord:
    """A ``ClientToken`` claimed by the registration it created."""

    account_id: str
    region: str
    token: str
    fingerprint: str
    """Digest of the request's parameters: a reuse with other parameters is refused."""
    registration_id: str


class NumberWrite(NamedTuple):
    """A phone number written in the same commit as a registration (the two moved
    together: an association, a completion that activates it, a release that closes
    the registration)."""

    number: PhoneNumber
    expected_revision: int | None
    """The revision it was read at, or ``None`` for a new number."""
    idempotency: IdempotencyRecord | None = None
    """A new number's ``ClientToken`` claim."""


@attrs.frozen
class QuotaCharge:
    """A change of an account's usage of one quota, checked and recorded in a commit.

    Usage is kept per account, region, ``quota`` and ``period``. A commit that would
    take it above ``limit`` writes nothing and raises ServiceQuotaExceededException
    with Reason ``quota``.
    """

    quota: str
    """The model's reason name, e.g. ``REGISTRATIONS_PER_ACCOUNT``."""
    period: str
    """``""`` for a standing count; the UTC date (``2026-11-23``) for a daily one."""
    amount: int
    """``+1`` to use one, ``-1`` to give one back."""
    limit: int | None
    """The most the usage may reach; ``None``: only record it."""

    @property
    def limited(self) -> bool:
        """Whether this charge can be refused: it uses some, against a limit."""
        return self.amount > 0 and self.limit is not None

    def check(self, account_id: str, region: str, used: int) -> None:
        """Raise ServiceQuotaExceededException (Reason the quota) if this charge would
        take the account's ``used`` past the limit."""
        if self.limited and self.limit is not None and used + self.amount > self.limit:
            period = f" on {self.period} (UTC)" if self.period else ""
            raise ServiceQuotaExceededException(
                f"The {self.quota} quota of {self.limit} is reached for account "
                f"{account_id} in {region}{period}: {used} used.",
                reason=self.quota,
            )


@attrs.frozen
class RegistrationQuery:
    """What ``DescribeRegistrations`` asks a backend for.

    ``None`` for a filter means "any". Results come in keyset order (the order the
    registrations were created in), starting after position ``after``.
    """

    account_id: str
    region: str
    registration_ids: frozenset[str] | None = None
    registration_types: frozenset[str] | None = None
    statuses: frozenset[str] | None = None
    after: int | None = None
    limit: int = 100


@attrs.frozen
class VersionQuery:
    """What ``DescribeRegistrationVersions`` asks a backend for (keyset: version number)."""

    account_id: str
    region: str
    registration_id: str
    version_numbers: frozenset[int] | None = None
    statuses: frozenset[str] | None = None
    after: int | None = None
    limit: int = 100


@attrs.frozen
class AttachmentQuery:
    """What ``DescribeRegistrationAttachments`` asks a backend for (keyset: creation
    order)."""

    account_id: str
    region: str
    attachment_ids: frozenset[str] | None = None
    statuses: frozenset[str] | None = None
    after: int | None = None
    limit: int = 100


@attrs.frozen
class PhoneNumberQuery:
    """What ``DescribePhoneNumbers`` asks a backend for (keyset: creation order).

    ``filters`` are the request's, each a filter name and its accepted values, kept
    apart (a number has several capabilities: two ``number-capability`` filters must
    both match); :func:`lifecycle.phone_numbers.matches` says whether a number passes
    them, :meth:`statuses` is what they allow of the status.
    """

    account_id: str
    region: str
    phone_number_ids: frozenset[str] | None = None
    filters: tuple[tuple[str, frozenset[str]], ...] = ()
    after: int | None = None
    limit: int = 100
    registration_id: str | None = None
    """Only the numbers associated with this registration."""

    def statuses(self) -> frozenset[str] | None:
        """The statuses every ``status`` filter allows; ``None`` when none is given."""
        allowed = None
        for name, values in self.filters:
            if name == "status":
                allowed = values if allowed is None else allowed & values
        return allowed


@attrs.frozen
class Page(Generic[T]):
    """Up to ``limit`` items, and where to resume if more may follow."""

    items: tuple[T, ...]
    next_position: int | None
    """Keyset position of the last item when more items follow; else ``None``."""


LogPosition = tuple[int, int]
"""Where an event stands in the log; positions sort in the order readers must see them.

The first part groups events that became visible together (always 0 where commits are
serialised, the committing transaction's id on PostgreSQL); the second is the event's
own id."""


@attrs.frozen
class LoggedEvent:
    """A committed event and its position in the log."""

    position: LogPosition
    event: TransitionEvent


@attrs.frozen
class CursorLease:
    """Reader ``name``'s cursor, held by ``holder`` until the lease expires."""

    name: str
    holder: str
    position: LogPosition | None
    """Where the cursor stands: the reader has processed the log up to here."""


def cursor_lost(name: str, holder: str) -> ConflictException:
    """The error of a cursor move that ``holder`` may no longer make."""
    return ConflictException(
        f"Outbox cursor {name!r} was not moved: consumer {holder} no longer holds its "
        "lease (it expired and another consumer took the cursor over, or it was "
        "released). The event stays pending and will be delivered again.",
        reason="RESOURCE_MODIFICATION_NOT_ALLOWED",
        resource_type="cursor",
        resource_id=name,
    )


class Snapshot(Protocol):
    """The store as of one moment: the log and the registrations agree.

    The log shows every event committed up to that moment, in log order, and nothing
    later; a snapshot changes nothing.
    """

    def read_log(
        self,
        *,
        after: LogPosition | None = None,
        limit: int = 1000,
        registration_id: str | None = None,
    ) -> list[LoggedEvent]:
        """Up to ``limit`` events after ``after``, in log order."""
        ...

    def registrations(self) -> Iterator[Registration]:
        """Every registration, of every account and region."""
        ...

    def attachments(self) -> Iterator[RegistrationAttachment]:
        """Every attachment, of every account and region."""
        ...

    def phone_numbers(self) -> Iterator[PhoneNumber]:
        """Every phone number, of every account and region."""
        ...

    def query_versions(self, query: VersionQuery) -> Page[RegistrationVersion]:
        """One page of the versions of one registration matching ``query``."""
        ...

    def field_values(
        self,
        account_id: str,
        region: str,
        registration_id: str,
        version_number: int,
        paths: Collection[str] | None = None,
    ) -> Mapping[str, FieldValue]:
        """The field values of one version, as :meth:`Backend.field_values`."""
        ...


@runtime_checkable
class Backend(Protocol):
    """Storage for registrations, as the service uses it.

    Implementations must be safe to share between threads, and must keep the
    registrations of different accounts and regions apart.
    """

    @property
    def pagination_key(self) -> bytes:
        """Secret for signing NextTokens; stable for as long as the data is."""
        ...

    def get(self, account_id: str, region: str, registration_id: str) -> Registration | None:
        """The registration, or ``None`` if this account and region has none by that id."""
        ...

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
        """Store ``registration``, the ``versions`` the change created or changed, its
        ``events`` (its own and its ``numbers``', in log order), its ``quotas`` usage,
        its ``form`` change and the phone ``numbers`` it moved atomically; returns
        what was stored.

        Each of ``numbers`` is checked as :meth:`commit_phone_number` checks one (its
        revision or token, the holder of its E.164 number); one refused refuses all.

        Versions not named in ``versions`` are left as they are, so a change costs
        the same whatever the registration's history.

        A ``form`` that puts attachment ids is checked against the attachments in the
        same transaction: each must be UPLOAD_COMPLETE in this account and region.

        ``expected_revision`` is the revision the change was computed from, or
        ``None`` for a new registration. A backend in front of another system may
        store that system's answer (its registration id, its timestamps) instead of
        ``registration``; the service answers with what this returns.

        Raises:
            ConflictException: the stored revision differs (Reason
                ``RESOURCE_MODIFICATION_NOT_ALLOWED``), or the idempotency token is
                already claimed (Reason ``RESOURCE_ALREADY_EXISTS``), or an attachment
                that ``form`` puts is not UPLOAD_COMPLETE (see
                :func:`lifecycle.attachments.not_usable`). Nothing is written.
            ResourceNotFoundException: an attachment that ``form`` puts does not
                exist. Nothing is written.
            ServiceQuotaExceededException: a charge would exceed its limit (Reason the
                charge's quota). Nothing is written.
            Exception: whatever ``before_commit`` raised. Nothing is written.
        """
        ...

    def query_registrations(self, query: RegistrationQuery) -> Page[Registration]:
        """One page of the registrations matching ``query``."""
        ...

    def get_attachment(
        self, account_id: str, region: str, attachment_id: str
    ) -> RegistrationAttachment | None:
        """The attachment, or ``None`` if this account and region has none by that id."""
        ...

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
        """Store ``attachment``, its ``body`` (if it brings one), its ``events`` and its
        ``quotas`` usage atomically; returns what was stored.

        Raises:
            ConflictException: as :meth:`commit` (revision, token); or the attachment is
                being DELETED while a field value of the current version of a
                registration that is not DELETED names it (Reason
                ``RESOURCE_DELETION_NOT_ALLOWED``, see
                :func:`lifecycle.attachments.still_named`). Nothing is written.
            ServiceQuotaExceededException: as :meth:`commit`.
        """
        ...

    def query_attachments(self, query: AttachmentQuery) -> Page[RegistrationAttachment]:
        """One page of the attachments matching ``query``, in creation order."""
        ...

    def attachment_body(self, account_id: str, region: str, attachment_id: str) -> bytes | None:
        """The bytes of an attachment whose upload completed; ``None`` otherwise."""
        ...

    def get_phone_number(
        self, account_id: str, region: str, phone_number_id: str
    ) -> PhoneNumber | None:
        """The phone number (DELETED ones included), or ``None`` if this account and
        region has none by that id."""
        ...

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
        """Store ``number``, its ``events`` and its ``quotas`` usage atomically;
        returns what was stored.

        Raises:
            ConflictException: as :meth:`commit` (revision, token); or a new number's
                ``phone_number`` is held by another number of this account and region
                that is not DELETED (Reason ``RESOURCE_ALREADY_EXISTS``). Nothing is
                written.
            ServiceQuotaExceededException: as :meth:`commit`.
        """
        ...

    def query_phone_numbers(self, query: PhoneNumberQuery) -> Page[PhoneNumber]:
        """One page of the phone numbers matching ``query``, in creation order."""
        ...

    def field_values(
        self,
        account_id: str,
        region: str,
        registration_id: str,
        version_number: int,
        paths: Collection[str] | None = None,
    ) -> Mapping[str, FieldValue]:
        """The field values of one version, by field path (only ``paths``, if given),
        in the order they were first set; empty for an unknown registration or version.
        Reads only what it returns: a lifecycle step never needs to call it. The
        mapping is the caller's to read, not to change."""
        ...

    def query_versions(self, query: VersionQuery) -> Page[RegistrationVersion]:
        """One page of the versions of one registration matching ``query``."""
        ...

    def find_idempotency(
        self, account_id: str, region: str, token: str
    ) -> IdempotencyRecord | None:
        """The record of ``token`` in this account and region, if claimed."""
        ...

    def read_log(
        self,
        *,
        after: LogPosition | None = None,
        limit: int = 1000,
        registration_id: str | None = None,
    ) -> list[LoggedEvent]:
        """Up to ``limit`` committed events after ``after``, in log order.

        Only events no later commit can precede are returned, so a reader that
        resumes after the last position it saw misses nothing.
        """
        ...

    def registrations(self) -> Iterator[Registration]:
        """Every stored registration, of every account and region."""
        ...

    def attachments(self) -> Iterator[RegistrationAttachment]:
        """Every stored attachment, of every account and region."""
        ...

    def phone_numbers(self) -> Iterator[PhoneNumber]:
        """Every stored phone number, of every account and region."""
        ...

    def quota_usage(self, account_id: str, region: str, quota: str, period: str) -> int:
        """How much of ``quota`` this account and region uses in ``period``."""
        ...

    def snapshot(self) -> AbstractContextManager[Snapshot]:
        """A consistent view of the whole store for the duration of the block.

        Writers are not held up by it; it reads nothing they commit meanwhile.
        """
        ...

    def get_cursor(self, name: str) -> LogPosition | None:
        """The position reader ``name`` has processed up to, if any."""
        ...

    def claim_cursor(self, name: str, holder: str, lease: float) -> CursorLease | None:
        """Take or renew the lease of reader ``name``'s cursor for ``holder``, for
        ``lease`` seconds; ``None`` while another holder's lease runs.

        A lease that expired (its holder crashed or hangs) is taken over.
        """
        ...

    def advance_cursor(self, name: str, holder: str, position: LogPosition, lease: float) -> None:
        """Move reader ``name``'s cursor forward to ``position`` and renew ``holder``'s
        lease for ``lease`` seconds.

        Raises:
            ConflictException: ``holder`` no longer holds the lease, or the cursor is
                already at or past ``position`` (ResourceType ``cursor``, ResourceId
                ``name``). The cursor is not moved.
        """
        ...

    def release_cursor(self, name: str, holder: str) -> None:
        """End ``holder``'s lease of reader ``name``'s cursor, if it holds it."""
        ...


def all_versions(backend: Snapshot, registration: Registration) -> list[RegistrationVersion]:
    """Every version of ``registration``, in version-number order, read page by page."""
    versions: list[RegistrationVersion] = []
    after: int | None = None
    while True:
        page = backend.query_versions(
            VersionQuery(
                registration.account_id,
                registration.region,
                registration.registration_id,
                after=after,
            )
        )
        versions += page.items
        if page.next_position is None:
            return versions
        after = page.next_position
